/* The safetensors container alone: round trip, every malformed-header case with
 * its message, and a small fuzz (every truncation, flipped bytes) that must never
 * crash or read out of bounds (run it under ASan). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

/* header JSON text + data bytes -> a file image (no padding). */
static unsigned char *make_file(const char *header, const void *data, size_t data_len,
                                size_t *len)
{
    size_t n = strlen(header);
    *len = 8 + n + data_len;
    unsigned char *buf = malloc(*len);
    cr_assert_not_null(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, header, n);
    if (data_len)
        memcpy(buf + 8 + n, data, data_len);
    return buf;
}

/* Parses header+data and expects failure with `expect` inside the message. */
static void expect_error(const char *header, size_t data_len, const char *expect)
{
    unsigned char data[256] = {0};
    cr_assert_leq(data_len, sizeof data);
    size_t len;
    unsigned char *buf = make_file(header, data, data_len, &len);
    SafeTensors st;
    char err[512] = "";
    int rc = safetensors_parse(&st, buf, len, "x.safetensors", "F32", err, sizeof err);
    cr_expect_eq(rc, -1, "accepted: %s", header);
    cr_expect_not_null(strstr(err, expect), "message '%s' lacks '%s'", err, expect);
    cr_expect_eq(strncmp(err, "x.safetensors: ", 15), 0, "message '%s' does not name the file", err);
    free(buf);
}

static const float A[6] = {1.0f, -2.5f, 3.25f, 0.0f, -0.0f, 1e-30f};
static const float B[2] = {42.0f, -7.0f};

static unsigned char *sample_file(size_t *len)
{
    SafeTensorF32 t[2] = {
        {.name = "a.weight", .ndim = 2, .shape = {2, 3}, .data = A},
        {.name = "b", .ndim = 1, .shape = {2}, .data = B},
    };
    SafeMetadata meta[2] = {{"format", "test/1"}, {"quote", "say \"hi\"\n\\"}};
    unsigned char *buf;
    char err[256];
    cr_assert_eq(safetensors_serialize_f32(&buf, len, t, 2, meta, 2, err, sizeof err), 0, "%s", err);
    return buf;
}

Test(safetensors, round_trip)
{
    size_t len;
    unsigned char *buf = sample_file(&len);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--)
        header_len = header_len << 8 | buf[i];
    cr_expect_eq((8 + header_len) % 8, 0, "data must start 8-byte aligned");
    cr_expect_eq(buf[8], '{');
    cr_expect_eq(len, 8 + header_len + sizeof A + sizeof B);

    SafeTensors st;
    char err[256] = "";
    cr_assert_eq(safetensors_parse(&st, buf, len, "mem", "F32", err, sizeof err), 0, "%s", err);
    cr_expect_eq(st.num_tensors, 2);
    const SafeTensor *a = safetensors_find(&st, "a.weight");
    cr_assert_not_null(a);
    cr_expect_eq(a->ndim, 2);
    cr_expect_eq(a->shape[0], 2);
    cr_expect_eq(a->shape[1], 3);
    cr_expect_str_eq(a->dtype, "F32");
    float got[6];
    safetensors_copy_f32(got, a);
    cr_expect_eq(memcmp(got, A, sizeof A), 0, "bitwise round trip");
    const SafeTensor *b = safetensors_find(&st, "b");
    cr_assert_not_null(b);
    cr_expect_eq(b->begin, sizeof A);
    safetensors_copy_f32(got, b);
    cr_expect_eq(memcmp(got, B, sizeof B), 0);
    cr_expect_null(safetensors_find(&st, "c"));
    cr_expect_str_eq(safetensors_metadata(&st, "format"), "test/1");
    cr_expect_str_eq(safetensors_metadata(&st, "quote"), "say \"hi\"\n\\");
    cr_expect_null(safetensors_metadata(&st, "absent"));
    cr_expect_eq(safetensors_metadata_count(&st), 2);
    cr_expect_str_eq(safetensors_metadata_key(&st, 0), "format");
    safetensors_free(&st);

    size_t len2;
    unsigned char *again = sample_file(&len2);
    cr_expect_eq(len2, len);
    cr_expect_eq(memcmp(again, buf, len), 0, "same input, same bytes");
    free(again);
    free(buf);
}

Test(safetensors, exact_header_bytes)
{
    /* What Python's json/struct writer in tools/make_interop.py also produces. */
    float one = 1.0f;
    SafeTensorF32 t = {.name = "w", .ndim = 1, .shape = {1}, .data = &one};
    SafeMetadata m = {"k", "v"};
    unsigned char *buf;
    size_t len;
    char err[128];
    cr_assert_eq(safetensors_serialize_f32(&buf, &len, &t, 1, &m, 1, err, sizeof err), 0);
    const char *expect = "{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[0,4]}}";
    size_t n = strlen(expect); /* 79: one space pads it to 80 */
    cr_expect_eq(buf[0], 80);
    cr_expect_eq(memcmp(buf + 8, expect, n), 0, "header: %.*s", (int)n, (const char *)buf + 8);
    cr_expect_eq(n, 79);
    cr_expect_eq(buf[8 + n], ' ');
    cr_expect_eq(len, 8 + 80 + 4);
    free(buf);
}

Test(safetensors, utf8_names_and_metadata)
{
    float one = 1.0f;
    SafeTensorF32 t = {.name = "poids.\xc3\xa9t\xc3\xa9", .ndim = 1, .shape = {1}, .data = &one};
    SafeMetadata m = {"vocab", "[\"\xc3\xa7" "a\",\"\xe2\x9c\x93\"]"};
    unsigned char *buf;
    size_t len;
    char err[256] = "";
    cr_assert_eq(safetensors_serialize_f32(&buf, &len, &t, 1, &m, 1, err, sizeof err), 0, "%s", err);
    SafeTensors st;
    cr_assert_eq(safetensors_parse(&st, buf, len, "mem", "F32", err, sizeof err), 0, "%s", err);
    cr_expect_not_null(safetensors_find(&st, "poids.\xc3\xa9t\xc3\xa9"));
    cr_expect_str_eq(safetensors_metadata(&st, "vocab"), m.value);
    safetensors_free(&st);
    free(buf);
    SafeMetadata bad = {"k", "caf\xe9"}; /* Latin-1, not UTF-8 */
    cr_expect_eq(safetensors_serialize_f32(&buf, &len, &t, 1, &bad, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "a tensor name or metadata string is not valid UTF-8");
}

Test(safetensors, empty_and_zero_sized)
{
    unsigned char *buf;
    size_t len;
    char err[256] = "";
    cr_assert_eq(safetensors_serialize_f32(&buf, &len, NULL, 0, NULL, 0, err, sizeof err), 0);
    SafeTensors st;
    cr_expect_eq(safetensors_parse(&st, buf, len, "mem", NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(st.num_tensors, 0);
    safetensors_free(&st);
    free(buf);
    /* A zero-sized tensor next to a real one: both at offset 0 is no overlap. */
    float x = 5.0f;
    buf = make_file("{\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                    "\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
                    &x, sizeof x, &len);
    cr_expect_eq(safetensors_parse(&st, buf, len, "mem", "F32", err, sizeof err), 0, "%s", err);
    cr_expect_eq(st.num_tensors, 2);
    cr_expect_eq(safetensors_find(&st, "z")->numel, 0);
    cr_expect_eq(safetensors_find(&st, "x")->numel, 1);
    safetensors_free(&st);
    free(buf);
}

Test(safetensors, short_file)
{
    unsigned char buf[8] = {2, 0, 0, 0, 0, 0, 0, 0};
    SafeTensors st;
    char err[256];
    for (size_t n = 0; n < 8; n++) {
        cr_expect_eq(safetensors_parse(&st, buf, n, "s.st", NULL, err, sizeof err), -1);
        cr_expect_not_null(strstr(err, "file too short"), "%s", err);
    }
}

Test(safetensors, header_length_checks)
{
    unsigned char buf[16] = {0};
    SafeTensors st;
    char err[256];
    buf[5] = 1; /* 2^40 */
    cr_expect_eq(safetensors_parse(&st, buf, sizeof buf, "h.st", NULL, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "header length 1099511627776 is absurd"), "%s", err);
    memset(buf, 0, sizeof buf);
    buf[0] = 9; /* 9 > 16 - 8 */
    cr_expect_eq(safetensors_parse(&st, buf, sizeof buf, "h.st", NULL, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "header length 9 goes beyond the end of the file (16 bytes"),
                       "%s", err);
    buf[0] = 0;
    cr_expect_eq(safetensors_parse(&st, buf, sizeof buf, "h.st", NULL, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "header length 0 is absurd"), "%s", err);
}

/* A text file (here: a config) is called what it is, with the length its first
 * 8 bytes would give. */
Test(safetensors, text_file_is_not_a_safetensors_file)
{
    const char *text = "[model]\nd_model = 64\n";
    size_t len = strlen(text);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--)
        header_len = header_len << 8 | (unsigned char)text[i];
    SafeTensors st;
    char err[256], expect[256];
    cr_expect_eq(safetensors_parse(&st, (const unsigned char *)text, len, "my.ini", NULL, err,
                                   sizeof err), -1);
    snprintf(expect, sizeof expect,
             "my.ini: not a safetensors file (header length %llu is absurd: larger than the file, "
             "%zu bytes)", (unsigned long long)header_len, len);
    cr_expect_str_eq(err, expect);
    cr_expect_null(st.tensors);
    /* A length within a large file but above the 100 MiB limit. */
    size_t big = (size_t)SAFETENSORS_MAX_HEADER + 16;
    unsigned char *buf = calloc(big, 1);
    cr_assert_not_null(buf);
    buf[0] = 0x01; /* 0x06400001 = 100 MiB + 1, within the file */
    buf[2] = 0x40;
    buf[3] = 0x06;
    cr_expect_eq(safetensors_parse(&st, buf, big, "big.bin", NULL, err, sizeof err), -1);
    cr_expect_str_eq(err, "big.bin: not a safetensors file (header length 104857601 is absurd; "
                          "allowed: 2 to 104857600 bytes)");
    free(buf);
}

Test(safetensors, bad_json)
{
    expect_error("{\"a\":{\"dtype\":\"F32\",", 0, "header is not valid JSON");
    expect_error("{\"a\" 1}", 0, "header is not valid JSON (near byte 5");
    expect_error("[1, 2]   ", 0, "header does not start with '{' (not a safetensors file?)");
    expect_error(" {}", 0, "header does not start with '{'");
    expect_error("\xef\xbb\xbf{}", 0, "header does not start with '{'");
    expect_error("{}  x", 0, "header has bytes after its JSON object (at byte 4)");
    expect_error("{\"__metadata__\":{\"k\":\"\xff\"}}", 0, "header is not valid UTF-8");
    expect_error("{\"__metadata__\":{\"k\":\"\xc3\xa9t\xc3\"}}", 0, "header is not valid UTF-8");
}

Test(safetensors, entry_checks)
{
    expect_error("{\"a\":3}", 0, "tensor 'a': entry is not a JSON object");
    expect_error("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a': missing \"dtype\"");
    expect_error("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                 "tensor 'a': dtype F16, only F32 is allowed");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
                 "tensor 'a': shape entry 0 is not a non-negative integer");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
                 "shape entry 0 is not a non-negative integer");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,4]}}", 4,
                 "tensor 'a': \"shape\" must be an array");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
                 4, "\"shape\" must be an array of at most 8");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                 "\"data_offsets\":[0,4]}}",
                 4, "tensor 'a': shape is too large");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                 "tensor 'a': \"data_offsets\" must be [begin, end]");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4,
                 "\"data_offsets\" must be [begin, end] with 0 <= begin <= end");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8,
                 "\"data_offsets\" must be [begin, end]");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
                 "tensor 'a': data_offsets [0, 8] go beyond the data buffer (4 bytes");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e300]}}", 4,
                 "\"data_offsets\" must be [begin, end]");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                 "tensor 'a': data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12");
}

Test(safetensors, unknown_dtype_without_requirement)
{
    size_t len;
    const char *h = "{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}";
    unsigned char one = 0;
    unsigned char *buf = make_file(h, &one, 1, &len);
    SafeTensors st;
    char err[256];
    cr_expect_eq(safetensors_parse(&st, buf, len, "u.st", NULL, err, sizeof err), -1);
    cr_expect_str_eq(err, "u.st: tensor 'a': unknown dtype 'Q4'");
    free(buf);
}

Test(safetensors, layout_checks)
{
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                 8, "tensors 'a' and 'b' overlap in the data buffer");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                 "tensor 'a': data_offsets begin at 4, leaving a hole after byte 0");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12,
                 "8 bytes at the end of the data buffer belong to no tensor");
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                 8, "tensor 'a' appears twice in the header");
}

Test(safetensors, metadata_checks)
{
    expect_error("{\"__metadata__\":[]}", 0, "\"__metadata__\" is not a JSON object");
    expect_error("{\"__metadata__\":{\"format\":1}}", 0, "__metadata__ key 'format': value is not a string");
    expect_error("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, "__metadata__ key 'k' appears twice");
    expect_error("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice");
}

/* Every outcome must be a clean success or a message naming the file. */
static void parse_must_not_crash(const unsigned char *buf, size_t len)
{
    /* A private copy of exactly len bytes so ASan sees any read past the end. */
    unsigned char *copy = malloc(len ? len : 1);
    cr_assert_not_null(copy);
    memcpy(copy, buf, len);
    SafeTensors st;
    char err[512] = "";
    if (safetensors_parse(&st, copy, len, "fuzz", NULL, err, sizeof err) == 0) {
        for (int i = 0; i < st.num_tensors; i++) {
            cr_assert_leq(st.tensors[i].end, st.data_len);
            if (strcmp(st.tensors[i].dtype, "F32") == 0 && st.tensors[i].numel < 64) {
                float tmp[64];
                safetensors_copy_f32(tmp, &st.tensors[i]);
            }
        }
        safetensors_free(&st);
    } else {
        cr_assert_eq(strncmp(err, "fuzz: ", 6), 0, "message '%s'", err);
    }
    free(copy);
}

Test(safetensors, fuzz_truncation_and_flips)
{
    size_t len;
    unsigned char *buf = sample_file(&len);
    for (size_t n = 0; n < len; n++) {
        SafeTensors st;
        char err[512] = "";
        unsigned char *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        cr_assert_eq(safetensors_parse(&st, copy, n, "cut", NULL, err, sizeof err), -1,
                     "a file cut to %zu of %zu bytes was accepted", n, len);
        cr_assert_eq(strncmp(err, "cut: ", 5), 0, "%s", err);
        free(copy);
    }
    static const unsigned char patterns[] = {0xFF, 0x01, 0x80, 0x20};
    for (size_t p = 0; p < sizeof patterns; p++) {
        for (size_t i = 0; i < len; i++) {
            buf[i] ^= patterns[p];
            parse_must_not_crash(buf, len);
            buf[i] ^= patterns[p];
        }
    }
    /* Header bytes replaced by JSON punctuation and digits. */
    static const char swaps[] = "{}[]\",:0-9e";
    for (size_t i = 8; i < len; i++) {
        unsigned char saved = buf[i];
        for (size_t s = 0; s < sizeof swaps - 1; s++) {
            buf[i] = (unsigned char)swaps[s];
            parse_must_not_crash(buf, len);
        }
        buf[i] = saved;
    }
    free(buf);
}

Test(safetensors, fuzz_random_mutations)
{
    /* Seeded, so a failure reproduces: 1 to 4 random bytes set to random values,
     * sometimes also a random length. */
    size_t len;
    unsigned char *buf = sample_file(&len);
    unsigned char *work = malloc(len);
    uint64_t state = 0x2545F4914F6CDD1Dull;
    for (int iter = 0; iter < 100000; iter++) {
        memcpy(work, buf, len);
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        uint64_t r = state;
        int edits = 1 + (int)(r & 3);
        for (int e = 0; e < edits; e++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(r >> 33) % len;
            work[at] = (unsigned char)(r >> 20);
        }
        size_t n = (r >> 60) == 0 ? (size_t)(r >> 8) % len : len;
        parse_must_not_crash(work, n);
    }
    free(work);
    free(buf);
}
