/* safetensors reader and writer; see safetensors.h for the layout and the checks. */
#include "safetensors.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "errors.h"
#include "files.h"

#include "text.h" /* utf8_valid */

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static uint64_t read_u64_le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void write_u64_le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Element sizes of the dtypes the format defines; 0 for an unknown name. */
static size_t dtype_size(const char *dtype)
{
    static const struct { const char *name; size_t size; } table[] = {
        {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1},
        {"I16", 2}, {"U16", 2}, {"F16", 2}, {"BF16", 2},
        {"I32", 4}, {"U32", 4}, {"F32", 4},
        {"I64", 8}, {"U64", 8}, {"F64", 8},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(dtype, table[i].name) == 0)
            return table[i].size;
    return 0;
}

/* A JSON number that is a whole number in [0, 2^53] (exact in a double). */
static bool json_to_u64(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double d = item->valuedouble;
    if (!(d >= 0.0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d)
        return false;
    *out = (uint64_t)d;
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* First name that appears twice, or NULL. Sorts `names`. */
static const char *find_duplicate(const char **names, int n)
{
    if (n < 2)
        return NULL;
    qsort(names, (size_t)n, sizeof names[0], compare_names);
    for (int i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            return names[i];
    return NULL;
}

static int compare_ranges(const void *a, const void *b)
{
    const SafeTensor *x = *(const SafeTensor *const *)a;
    const SafeTensor *y = *(const SafeTensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

void safetensors_format_shape(char *buf, size_t len, int ndim, const int64_t *shape)
{
    if (len == 0)
        return;
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", d ? ", " : "",
                                 (long long)shape[d]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

/* Fills t from one header entry; the checks that need only this entry. */
static int parse_tensor_entry(SafeTensor *t, const cJSON *entry, size_t data_len,
                              const char *file, const char *required_dtype,
                              char *err, size_t err_len)
{
    const char *name = entry->string;
    t->name = name;
    if (!cJSON_IsObject(entry))
        return errorf(err, err_len, "%s: tensor '%s': entry is not a JSON object", file, name);

    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    if (!cJSON_IsString(dtype))
        return errorf(err, err_len, "%s: tensor '%s': missing \"dtype\" string", file, name);
    t->dtype = dtype->valuestring;
    if (required_dtype && strcmp(t->dtype, required_dtype) != 0)
        return errorf(err, err_len, "%s: tensor '%s': dtype %s, only %s is allowed", file, name,
                    t->dtype, required_dtype);
    size_t elem = dtype_size(t->dtype);
    if (elem == 0)
        return errorf(err, err_len, "%s: tensor '%s': unknown dtype '%s'", file, name, t->dtype);

    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    int ndim = cJSON_IsArray(shape) ? cJSON_GetArraySize(shape) : -1;
    if (ndim < 0 || ndim > SAFETENSORS_MAX_DIMS)
        return errorf(err, err_len,
                    "%s: tensor '%s': \"shape\" must be an array of at most %d non-negative "
                    "integers",
                    file, name, SAFETENSORS_MAX_DIMS);
    t->ndim = ndim;
    uint64_t numel = 1;
    bool overflow = false;
    const cJSON *dim;
    int d = 0;
    cJSON_ArrayForEach(dim, shape) {
        uint64_t v;
        if (!json_to_u64(dim, &v))
            return errorf(err, err_len,
                        "%s: tensor '%s': shape entry %d is not a non-negative integer", file,
                        name, d);
        t->shape[d++] = (int64_t)v;
        if (v != 0 && numel > UINT64_MAX / v)
            overflow = true;
        else
            numel *= v;
    }
    if (overflow || numel > SIZE_MAX / elem)
        return errorf(err, err_len, "%s: tensor '%s': shape is too large", file, name);
    t->numel = (size_t)numel;

    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    uint64_t begin, end;
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_to_u64(cJSON_GetArrayItem(offsets, 0), &begin) ||
        !json_to_u64(cJSON_GetArrayItem(offsets, 1), &end) || begin > end)
        return errorf(err, err_len,
                    "%s: tensor '%s': \"data_offsets\" must be [begin, end] with 0 <= begin <= end",
                    file, name);
    if (end > data_len)
        return errorf(err, err_len,
                    "%s: tensor '%s': data_offsets [%llu, %llu] go beyond the data buffer "
                    "(%zu bytes; truncated file?)",
                    file, name, (unsigned long long)begin, (unsigned long long)end, data_len);
    t->begin = (size_t)begin;
    t->end = (size_t)end;
    if (t->end - t->begin != t->numel * elem) {
        char shape_text[128];
        safetensors_format_shape(shape_text, sizeof shape_text, t->ndim, t->shape);
        return errorf(err, err_len,
                    "%s: tensor '%s': data_offsets [%zu, %zu] hold %zu bytes but shape %s of %s "
                    "needs %zu",
                    file, name, t->begin, t->end, t->end - t->begin, shape_text, t->dtype,
                    t->numel * elem);
    }
    return 0;
}

static int check_metadata(const cJSON *meta, const char *file, char *err, size_t err_len)
{
    if (!cJSON_IsObject(meta))
        return errorf(err, err_len, "%s: \"__metadata__\" is not a JSON object", file);
    int n = cJSON_GetArraySize(meta);
    const char **keys = malloc(sizeof *keys * (size_t)(n > 0 ? n : 1));
    if (!keys)
        return errorf(err, err_len, "%s: out of memory", file);
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, meta) {
        if (!cJSON_IsString(item)) {
            free(keys);
            return errorf(err, err_len, "%s: __metadata__ key '%s': value is not a string", file,
                        item->string);
        }
        keys[i++] = item->string;
    }
    const char *dup = find_duplicate(keys, n);
    int rc = dup ? errorf(err, err_len, "%s: __metadata__ key '%s' appears twice", file, dup) : 0;
    free(keys);
    return rc;
}

/* Ranges sorted by offset must tile the buffer: no overlap, no hole. */
static int check_layout(const SafeTensors *st, const char *file, char *err, size_t err_len)
{
    int n = st->num_tensors;
    const SafeTensor **order = malloc(sizeof *order * (size_t)(n > 0 ? n : 1));
    if (!order)
        return errorf(err, err_len, "%s: out of memory", file);
    for (int i = 0; i < n; i++)
        order[i] = &st->tensors[i];
    qsort(order, (size_t)n, sizeof order[0], compare_ranges);
    size_t covered = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (order[i]->begin < covered)
            rc = errorf(err, err_len, "%s: tensors '%s' and '%s' overlap in the data buffer", file,
                      order[i - 1]->name, order[i]->name);
        else if (order[i]->begin > covered)
            rc = errorf(err, err_len,
                      "%s: tensor '%s': data_offsets begin at %zu, leaving a hole after byte %zu",
                      file, order[i]->name, order[i]->begin, covered);
        covered = order[i]->end;
    }
    if (rc == 0 && covered != st->data_len)
        rc = errorf(err, err_len,
                  "%s: %zu bytes at the end of the data buffer belong to no tensor", file,
                  st->data_len - covered);
    free(order);
    return rc;
}

/* The first 8 bytes: a header length that fits the file. Most files that are not
 * safetensors (text, another format) fail here, with an absurd length. */
static int check_header_length(uint64_t header_len, size_t len, const char *name, char *err,
                               size_t err_len)
{
    if (header_len > len - 8 && header_len > SAFETENSORS_MAX_HEADER)
        return errorf(err, err_len,
                      "%s: not a safetensors file (header length %llu is absurd: larger than the "
                      "file, %zu bytes)",
                      name, (unsigned long long)header_len, len);
    if (header_len < 2 || header_len > SAFETENSORS_MAX_HEADER)
        return errorf(err, err_len,
                      "%s: not a safetensors file (header length %llu is absurd; allowed: 2 to %llu "
                      "bytes)",
                      name, (unsigned long long)header_len,
                      (unsigned long long)SAFETENSORS_MAX_HEADER);
    if (header_len > len - 8)
        return errorf(err, err_len,
                      "%s: header length %llu goes beyond the end of the file (%zu bytes; "
                      "truncated?)",
                      name, (unsigned long long)header_len, len);
    return 0;
}

/* The header's JSON object, or NULL with err: length, UTF-8, JSON, and nothing
 * after the object but the writer's padding. */
static cJSON *parse_header(const unsigned char *bytes, size_t len, const char *name,
                           size_t *header_len_out, char *err, size_t err_len)
{
    if (len < 8) {
        errorf(err, err_len,
               "%s: file too short (%zu bytes): a safetensors file starts with an 8-byte header "
               "length",
               name, len);
        return NULL;
    }
    uint64_t header_len = read_u64_le(bytes);
    if (check_header_length(header_len, len, name, err, err_len) != 0)
        return NULL;
    const char *text = (const char *)bytes + 8;
    if (!utf8_valid(text, (size_t)header_len)) {
        errorf(err, err_len, "%s: header is not valid UTF-8 (the format requires UTF-8 JSON)", name);
        return NULL;
    }
    /* As the reference reader: no leading space or byte-order mark (cJSON would skip them). */
    if (text[0] != '{') {
        errorf(err, err_len, "%s: header does not start with '{' (not a safetensors file?)", name);
        return NULL;
    }
    const char *parse_end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, (size_t)header_len, &parse_end, false);
    if (!root) {
        size_t at = parse_end && parse_end >= text ? (size_t)(parse_end - text) : 0;
        errorf(err, err_len, "%s: header is not valid JSON (near byte %zu of %llu)", name, at,
               (unsigned long long)header_len);
        return NULL;
    }
    /* The writer pads the header with spaces; anything else after the JSON is garbage. */
    for (size_t i = (size_t)(parse_end - text); i < header_len; i++) {
        char c = text[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            cJSON_Delete(root);
            errorf(err, err_len, "%s: header has bytes after its JSON object (at byte %zu)", name, i);
            return NULL;
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        errorf(err, err_len, "%s: header is not a JSON object", name);
        return NULL;
    }
    *header_len_out = (size_t)header_len;
    return root;
}

/* Every entry of the header: the tensors into out->tensors (allocated here) and
 * __metadata__ checked; then no tensor name twice. */
static int parse_entries(SafeTensors *out, const cJSON *root, const char *name,
                         const char *required_dtype, char *err, size_t err_len)
{
    int entries = cJSON_GetArraySize(root);
    out->tensors = calloc((size_t)(entries > 0 ? entries : 1), sizeof *out->tensors);
    const char **names = malloc(sizeof *names * (size_t)(entries > 0 ? entries : 1));
    if (!out->tensors || !names) {
        free(names);
        return errorf(err, err_len, "%s: out of memory", name);
    }
    int rc = 0;
    bool seen_metadata = false;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, root) {
        if (strcmp(entry->string, "__metadata__") == 0) {
            if (seen_metadata)
                rc = errorf(err, err_len, "%s: \"__metadata__\" appears twice", name);
            else
                rc = check_metadata(entry, name, err, err_len);
            seen_metadata = true;
        } else {
            SafeTensor *t = &out->tensors[out->num_tensors];
            rc = parse_tensor_entry(t, entry, out->data_len, name, required_dtype, err, err_len);
            if (rc == 0) {
                t->data = out->data + t->begin;
                names[out->num_tensors++] = t->name;
            }
        }
        if (rc != 0)
            break;
    }
    const char *dup = rc == 0 ? find_duplicate(names, out->num_tensors) : NULL;
    if (dup)
        rc = errorf(err, err_len, "%s: tensor '%s' appears twice in the header", name, dup);
    free(names);
    return rc;
}

int safetensors_parse(SafeTensors *out, const unsigned char *bytes, size_t len,
                      const char *name, const char *required_dtype,
                      char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t header_len = 0;
    cJSON *root = parse_header(bytes, len, name, &header_len, err, err_len);
    if (!root)
        return -1;
    out->header = root;
    out->header_len = header_len;
    out->data = bytes + 8 + header_len;
    out->data_len = len - 8 - header_len;
    int rc = parse_entries(out, root, name, required_dtype, err, err_len);
    if (rc == 0)
        rc = check_layout(out, name, err, err_len);
    if (rc != 0)
        safetensors_free(out);
    return rc;
}

int safetensors_read_file(SafeTensors *out, const char *path, const char *required_dtype,
                          char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    char *bytes;
    size_t len;
    if (file_read_all(path, SIZE_MAX, &bytes, &len, err, err_len) != 0)
        return -1;
    if (safetensors_parse(out, (const unsigned char *)bytes, len, path, required_dtype, err,
                          err_len) != 0) {
        free(bytes);
        return -1;
    }
    out->file_bytes = bytes;
    return 0;
}

void safetensors_free(SafeTensors *st)
{
    if (!st)
        return;
    cJSON_Delete(st->header);
    free(st->tensors);
    free(st->file_bytes);
    memset(st, 0, sizeof *st);
}

const SafeTensor *safetensors_find(const SafeTensors *st, const char *name)
{
    for (int i = 0; i < st->num_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0)
            return &st->tensors[i];
    return NULL;
}

static const cJSON *metadata_object(const SafeTensors *st)
{
    return st->header ? cJSON_GetObjectItemCaseSensitive(st->header, "__metadata__") : NULL;
}

const char *safetensors_metadata(const SafeTensors *st, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(metadata_object(st), key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

int safetensors_metadata_count(const SafeTensors *st)
{
    const cJSON *meta = metadata_object(st);
    return meta ? cJSON_GetArraySize(meta) : 0;
}

const char *safetensors_metadata_key(const SafeTensors *st, int i)
{
    const cJSON *item = cJSON_GetArrayItem(metadata_object(st), i);
    return item ? item->string : NULL;
}

void safetensors_copy_f32(float *out, const SafeTensor *t)
{
    if (host_is_little_endian()) {
        memcpy(out, t->data, t->numel * sizeof(float));
        return;
    }
    for (size_t i = 0; i < t->numel; i++) {
        const unsigned char *p = t->data + 4 * i;
        uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                        (uint32_t)p[3] << 24;
        memcpy(&out[i], &bits, sizeof bits);
    }
}

static void store_f32_le(unsigned char *dst, const float *src, size_t n)
{
    if (host_is_little_endian()) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], sizeof bits);
        for (int b = 0; b < 4; b++)
            dst[4 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
    }
}

static size_t tensor_numel(const SafeTensorF32 *t)
{
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        n *= (size_t)t->shape[d];
    return n;
}

static cJSON *tensor_entry(const SafeTensorF32 *t, size_t begin, size_t end)
{
    cJSON *entry = cJSON_CreateObject();
    cJSON *shape = cJSON_CreateArray();
    cJSON *offsets = cJSON_CreateArray();
    bool ok = entry && shape && offsets;
    ok = ok && cJSON_AddStringToObject(entry, "dtype", "F32") != NULL;
    for (int d = 0; ok && d < t->ndim; d++)
        ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
    ok = ok && cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)begin));
    ok = ok && cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)end));
    if (ok && cJSON_AddItemToObject(entry, "shape", shape)) {
        shape = NULL;
        if (cJSON_AddItemToObject(entry, "data_offsets", offsets))
            return entry;
    }
    cJSON_Delete(shape);
    cJSON_Delete(offsets);
    cJSON_Delete(entry);
    return NULL;
}

int safetensors_serialize_f32(unsigned char **out, size_t *out_len,
                              const SafeTensorF32 *tensors, int num_tensors,
                              const SafeMetadata *metadata, int num_metadata,
                              char *err, size_t err_len)
{
    *out = NULL;
    *out_len = 0;
    for (int i = 0; i < num_tensors; i++) {
        const SafeTensorF32 *t = &tensors[i];
        if (t->ndim < 0 || t->ndim > SAFETENSORS_MAX_DIMS || strcmp(t->name, "__metadata__") == 0)
            return errorf(err, err_len, "tensor '%s': invalid name or rank", t->name);
        for (int d = 0; d < t->ndim; d++)
            if (t->shape[d] < 0)
                return errorf(err, err_len, "tensor '%s': negative dimension", t->name);
        for (int j = 0; j < i; j++)
            if (strcmp(tensors[j].name, t->name) == 0)
                return errorf(err, err_len, "tensor '%s' given twice", t->name);
    }

    cJSON *root = cJSON_CreateObject();
    if (!root)
        return errorf(err, err_len, "out of memory building the safetensors header");
    bool ok = true;
    if (num_metadata > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        ok = meta != NULL;
        for (int i = 0; ok && i < num_metadata; i++)
            ok = cJSON_AddStringToObject(meta, metadata[i].key, metadata[i].value) != NULL;
    }
    size_t offset = 0;
    for (int i = 0; ok && i < num_tensors; i++) {
        size_t bytes = tensor_numel(&tensors[i]) * sizeof(float);
        cJSON *entry = tensor_entry(&tensors[i], offset, offset + bytes);
        ok = entry && cJSON_AddItemToObject(root, tensors[i].name, entry);
        if (entry && !ok)
            cJSON_Delete(entry);
        offset += bytes;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return errorf(err, err_len, "out of memory building the safetensors header");

    size_t text_len = strlen(text);
    if (!utf8_valid(text, text_len)) {
        free(text);
        return errorf(err, err_len, "a tensor name or metadata string is not valid UTF-8");
    }
    size_t header_len = text_len + (8 - text_len % 8) % 8; /* data starts 8-byte aligned */
    size_t total = 8 + header_len + offset;
    unsigned char *buf = malloc(total);
    if (!buf) {
        free(text);
        return errorf(err, err_len, "out of memory (%zu bytes) serialising tensors", total);
    }
    write_u64_le(buf, header_len);
    memcpy(buf + 8, text, text_len);
    memset(buf + 8 + text_len, ' ', header_len - text_len);
    free(text);
    unsigned char *data = buf + 8 + header_len;
    for (int i = 0; i < num_tensors; i++) {
        size_t n = tensor_numel(&tensors[i]);
        store_f32_le(data, tensors[i].data, n);
        data += n * sizeof(float);
    }
    *out = buf;
    *out_len = total;
    return 0;
}
