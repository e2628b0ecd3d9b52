/* The safetensors container, on its own: an 8-byte little-endian header length N,
 * N bytes of JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]},
 * ..., "__metadata__": {string: string}}, then the byte buffer that the offsets
 * index (relative to its start). The header is built and parsed with cJSON.
 *
 * Parsing treats the file as hostile: every number is checked before use and the
 * first problem is reported as "<file>: <problem>" naming the tensor or key. */
#ifndef MINILLM_SAFETENSORS_H
#define MINILLM_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SAFETENSORS_MAX_DIMS 8
/* The reference implementation refuses headers above 100 MB; so do we. */
#define SAFETENSORS_MAX_HEADER ((uint64_t)100 << 20)

typedef struct {
    const char *name;            /* points into the parsed header */
    const char *dtype;           /* "F32", "F16", ... */
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    size_t numel;
    size_t begin, end;           /* byte offsets into the data buffer */
    const unsigned char *data;   /* the tensor's bytes (little-endian, unaligned) */
} SafeTensor;

typedef struct {
    int num_tensors;
    SafeTensor *tensors;         /* (num_tensors) in header order */
    const unsigned char *data;   /* byte buffer after the header */
    size_t data_len;
    size_t header_len;           /* N */
    void *header;                /* parsed JSON (cJSON), owned */
    void *file_bytes;            /* whole file when read by safetensors_read_file, owned */
} SafeTensors;

/* Parses and validates a whole file held in memory (`bytes` must outlive `out`);
 * the program reads files (safetensors_read_file), the tests parse forged images.
 * `name` is used in messages. `required_dtype` (may be NULL) is demanded of every
 * tensor, checked before sizes so that a wrong dtype is reported as such.
 * Checks: header length against the file and the 100 MB limit, the JSON, that the
 * header is an object of tensors (dtype known, shape of non-negative integers,
 * data_offsets [begin, end] in range and of the shape's byte size), no duplicate
 * name, that the ranges neither overlap nor leave holes in the buffer, and that
 * __metadata__ (optional) maps strings to strings.
 * Returns 0, or -1 with err and *out left empty. */
int safetensors_parse(SafeTensors *out, const unsigned char *bytes, size_t len,
                      const char *name, const char *required_dtype,
                      char *err, size_t err_len);
/* Reads path whole, then safetensors_parse. */
int safetensors_read_file(SafeTensors *out, const char *path, const char *required_dtype,
                          char *err, size_t err_len);
void safetensors_free(SafeTensors *st);

const SafeTensor *safetensors_find(const SafeTensors *st, const char *name);
/* The __metadata__ value for key, or NULL when absent. */
const char *safetensors_metadata(const SafeTensors *st, const char *key);
/* Number of __metadata__ entries, and the i-th key (header order; only the tests
 * list keys, to check that metadata round-trips in order). */
int safetensors_metadata_count(const SafeTensors *st);
const char *safetensors_metadata_key(const SafeTensors *st, int i);
/* Decodes an F32 tensor's little-endian bytes into out (t->numel floats). */
void safetensors_copy_f32(float *out, const SafeTensor *t);
/* "[5000, 64]": a shape as messages show it. */
void safetensors_format_shape(char *buf, size_t len, int ndim, const int64_t *shape);

/* One F32 tensor to write. */
typedef struct {
    const char *name;
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    const float *data;           /* (product of shape) */
} SafeTensorF32;

typedef struct {
    const char *key;
    const char *value;
} SafeMetadata;

/* Builds a complete file in memory: __metadata__ first, then the tensors in the
 * given order, laid out back to back; the header is padded with spaces so that
 * the data starts on an 8-byte boundary. Same input, same bytes.
 * *out is malloc'ed (free it). Returns 0, or -1 with err. */
int safetensors_serialize_f32(unsigned char **out, size_t *out_len,
                              const SafeTensorF32 *tensors, int num_tensors,
                              const SafeMetadata *metadata, int num_metadata,
                              char *err, size_t err_len);

#endif
