/* Labelled sentences from TSV/CSV files or the embedded toy data (see dataset.h).
 *
 * Parsing is two passes over one in-memory copy of the file: the first splits
 * records and checks each line on its own, the second maps labels to class ids
 * (integer or name mode can only be decided once every label has been seen). */
#include "dataset.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets.h"
#include "errors.h"
#include "files.h"
#include "model/model.h"

/* ------------------------------------------------------------ growables */

typedef struct {
    char *data;
    size_t len, cap;
} Bytes;

static int bytes_reserve(Bytes *b, size_t extra)
{
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

/* Appends s[0..n) with doubled quotes collapsed when `quoted`, then a NUL.
 * Returns the offset of the copy or (size_t)-1 when out of memory. */
static size_t bytes_add_field(Bytes *b, const char *s, size_t n, bool quoted)
{
    if (bytes_reserve(b, n + 1) != 0) return (size_t)-1;
    size_t off = b->len;
    char *dst = b->data + b->len;
    if (!quoted) {
        memcpy(dst, s, n);
        dst += n;
    } else {
        for (size_t i = 0; i < n; i++) {
            *dst++ = s[i];
            if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') i++;
        }
    }
    *dst++ = '\0';
    b->len = (size_t)(dst - b->data);
    return off;
}

/* ------------------------------------------------------------- records */

typedef struct {
    const char *p;
    size_t len;
    bool quoted;  /* CSV quoted field: "" inside stands for " */
} Field;

typedef struct {
    Field *f;
    size_t nf, cap;     /* no field is split off past DATASET_MAX_LINE_BYTES */
    long line;          /* physical line where the record starts */
    size_t bytes;       /* raw length of the record */
    const char *error;  /* quoting problem, or NULL */
} Record;

typedef struct {
    const char *data;
    size_t len, pos;
    long line;          /* physical line of data[pos] */
    bool csv;
} Reader;

static int record_push(Record *r, const char *p, size_t len, bool quoted)
{
    if (r->nf == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        Field *f = realloc(r->f, cap * sizeof *f);
        if (!f) return -1;
        r->f = f;
        r->cap = cap;
    }
    r->f[r->nf++] = (Field){p, len, quoted};
    return 0;
}

static long count_newlines(const char *p, size_t n)
{
    long k = 0;
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) { k++; p++; }
    return k;
}

/* One TSV line into r. Returns 1, or -1 out of memory. */
static int read_tsv_record(Reader *rd, Record *r)
{
    const char *d = rd->data;
    size_t start = rd->pos, n = rd->len;
    const char *nl = memchr(d + start, '\n', n - start);
    size_t end = nl ? (size_t)(nl - d) : n;
    size_t content_end = end;
    if (content_end > start && d[content_end - 1] == '\r') content_end--;
    /* A line past the limit is one bad line and is not split (a line of 2^30
     * tabs would otherwise become 2^30 fields before its length is looked at). */
    bool split = content_end - start <= DATASET_MAX_LINE_BYTES;
    for (size_t fs = start; split;) {
        const char *tab = memchr(d + fs, '\t', content_end - fs);
        size_t fe = tab ? (size_t)(tab - d) : content_end;
        if (record_push(r, d + fs, fe - fs, false) != 0) return -1;
        if (!tab) break;
        fs = fe + 1;
    }
    r->bytes = content_end - start;
    rd->pos = nl ? end + 1 : n;
    rd->line++;
    return 1;
}

/* One CSV record into r, RFC 4180: fields separated by ',', records by CRLF or
 * LF; a field in double quotes may hold commas, newlines and "" for a quote.
 * Returns 1, or -1 out of memory. */
static int read_csv_record(Reader *rd, Record *r)
{
    const char *d = rd->data;
    size_t start = rd->pos, n = rd->len;
    size_t i = start;
    for (;;) {
        if (i < n && d[i] == '"') {
            size_t q = i + 1;
            for (;;) {
                const char *quote = memchr(d + q, '"', n - q);
                if (!quote) {
                    rd->line += count_newlines(d + i, n - i);
                    r->error = "unterminated quoted field";
                    r->bytes = n - start;
                    rd->pos = n;
                    return 1;
                }
                q = (size_t)(quote - d);
                if (q + 1 < n && d[q + 1] == '"') { q += 2; continue; }
                break;
            }
            rd->line += count_newlines(d + i, q - i);
            if (q - start <= DATASET_MAX_LINE_BYTES && record_push(r, d + i + 1, q - i - 1, true) != 0)
                return -1;
            i = q + 1;
            if (i < n && d[i] == ',') { i++; continue; }
            if (i >= n || d[i] == '\n' || (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n') ||
                (d[i] == '\r' && i + 1 == n)) {
                r->bytes = i - start;
                break;
            }
            /* Text after the closing quote: skip the rest of this physical line. */
            r->error = "text after a closing quote (a quote inside a quoted field must be doubled)";
            const char *nl = memchr(d + i, '\n', n - i);
            i = nl ? (size_t)(nl - d) : n;
            r->bytes = i - start;
            break;
        }
        size_t fe = i;
        while (fe < n && d[fe] != ',' && d[fe] != '\n') fe++;
        size_t content_end = fe;
        if (content_end > i && d[content_end - 1] == '\r' && (fe == n || d[fe] == '\n')) content_end--;
        /* Past the limit the record is only scanned to its end, not split. */
        if (content_end - start <= DATASET_MAX_LINE_BYTES &&
            record_push(r, d + i, content_end - i, false) != 0)
            return -1;
        if (fe < n && d[fe] == ',') { i = fe + 1; continue; }
        r->bytes = content_end - start;
        i = fe;
        break;
    }
    /* i is at '\n', '\r\n' or the end. */
    if (i < n && d[i] == '\r') i++;
    if (i < n && d[i] == '\n') i++;
    rd->pos = i;
    rd->line++;
    return 1;
}

/* Reads the next record. Returns 1, 0 at the end of the data, -1 out of memory. */
static int read_record(Reader *rd, Record *r)
{
    r->nf = 0;
    r->error = NULL;
    r->line = rd->line;
    if (rd->pos >= rd->len) return 0;
    return rd->csv ? read_csv_record(rd, r) : read_tsv_record(rd, r);
}

/* ------------------------------------------------------------ datasets */

static Dataset *dataset_alloc(int n)
{
    Dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return NULL;
    size_t count = n > 0 ? (size_t)n : 1;
    ds->text = calloc(count, sizeof *ds->text);
    ds->label = calloc(count, sizeof *ds->label);
    if (!ds->text || !ds->label) {
        free(ds->text);
        free(ds->label);
        free(ds);
        return NULL;
    }
    ds->n = n;
    return ds;
}

void dataset_free(Dataset *d)
{
    if (!d) return;
    for (int k = 0; k < DATASET_MAX_CLASSES; k++) free(d->label_names[k]);
    free(d->storage);
    free(d->text);
    free(d->label);
    free(d);
}

static int set_label_names(Dataset *ds, const char *const *names, int n)
{
    ds->num_classes = n;
    for (int k = 0; k < n; k++)
        if (!(ds->label_names[k] = strdup(names[k]))) return -1;
    return 0;
}

/* One good line of pass 1. */
typedef struct {
    size_t text_off, label_off;
    long line;
} Row;

/* One bad line, reported after pass 2 in line order. */
typedef struct {
    long line;
    size_t msg_off;
} BadLine;

typedef struct {
    const char *name;
    Bytes text, labels, msgs;
    Row *rows;
    size_t n_rows, cap_rows;
    BadLine *bad;
    size_t n_bad, cap_bad;
    bool oom;
} Parse;

static void add_bad(Parse *ps, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records "why" for a bad line, to be written to the log in line order. */
static void add_bad(Parse *ps, long line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->n_bad == ps->cap_bad) {
        size_t cap = ps->cap_bad ? 2 * ps->cap_bad : 64;
        BadLine *b = realloc(ps->bad, cap * sizeof *b);
        if (!b) { ps->oom = true; return; }
        ps->bad = b;
        ps->cap_bad = cap;
    }
    size_t off = bytes_add_field(&ps->msgs, msg, strlen(msg), false);
    if (off == (size_t)-1) { ps->oom = true; return; }
    ps->bad[ps->n_bad++] = (BadLine){line, off};
}

static int by_line(const void *a, const void *b)
{
    const BadLine *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->msg_off < y->msg_off ? -1 : (x->msg_off > y->msg_off);
}

static const char *const TEXT_COLUMNS[] = {"sentence", "text", "content", "review"};
static const char *const LABEL_COLUMNS[] = {"label", "sentiment", "class", "polarity"};

static bool header_is(const Field *f, const char *const *names, int n_names)
{
    const char *p = f->p;
    size_t len = f->len;
    while (len > 0 && isspace((unsigned char)*p)) { p++; len--; }
    while (len > 0 && isspace((unsigned char)p[len - 1])) len--;
    for (int k = 0; k < n_names; k++)
        if (strlen(names[k]) == len && strncasecmp(p, names[k], len) == 0) return true;
    return false;
}

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

/* Trims ASCII whitespace in place (labels); returns the start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* Integer label: optional sign then digits. */
static bool parse_int_label(const char *s, long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return false;
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno) v = *s == '-' ? -1 : DATASET_MAX_CLASSES; /* out of range either way */
    *out = v;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void parse_free(Parse *ps)
{
    free(ps->text.data);
    free(ps->labels.data);
    free(ps->msgs.data);
    free(ps->rows);
    free(ps->bad);
}

static void write_bad_lines(Parse *ps, FILE *log)
{
    if (!log || ps->n_bad == 0) return;
    qsort(ps->bad, ps->n_bad, sizeof *ps->bad, by_line);
    size_t shown = ps->n_bad < DATASET_MAX_LOGGED ? ps->n_bad : DATASET_MAX_LOGGED;
    for (size_t i = 0; i < shown; i++)
        fprintf(log, "%s:%ld: %s\n", ps->name, ps->bad[i].line, ps->msgs.data + ps->bad[i].msg_off);
    if (ps->n_bad > shown)
        fprintf(log, "%s: %zu more bad lines not shown\n", ps->name, ps->n_bad - shown);
    fprintf(log, "%s: %zu bad line%s skipped\n", ps->name, ps->n_bad, ps->n_bad == 1 ? "" : "s");
}

static bool has_csv_extension(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

/* Where the header puts the two columns we read. */
typedef struct {
    size_t text, label;
    size_t need;       /* fields a line must have to hold both */
    size_t header_fields;
} Columns;
#define NO_COLUMN SIZE_MAX

/* The header: the first non-blank record, naming the text and label columns. */
static int read_header(Parse *ps, Reader *rd, Record *r, Columns *cols, char *err, size_t err_len)
{
    int got;
    while ((got = read_record(rd, r)) == 1 && r->nf == 1 && r->f[0].len == 0 && !r->error) {}
    if (got < 0)
        return errorf(err, err_len, "%s: out of memory", ps->name);
    if (got == 0)
        return errorf(err, err_len, "%s: empty file (expected a header line naming the columns)",
                      ps->name);
    if (r->bytes > DATASET_MAX_LINE_BYTES)
        return errorf(err, err_len, "%s:%ld: header line too long (%zu bytes, at most %d)", ps->name,
                      r->line, r->bytes, DATASET_MAX_LINE_BYTES);
    cols->text = cols->label = NO_COLUMN;
    for (size_t k = 0; k < r->nf; k++) {
        if (cols->text == NO_COLUMN && header_is(&r->f[k], TEXT_COLUMNS, 4)) cols->text = k;
        else if (cols->label == NO_COLUMN && header_is(&r->f[k], LABEL_COLUMNS, 4)) cols->label = k;
    }
    if (cols->text == NO_COLUMN || cols->label == NO_COLUMN)
        return errorf(err, err_len, "%s:%ld: no %s column in the header (allowed names: %s)",
                      ps->name, r->line, cols->text == NO_COLUMN ? "text" : "label",
                      cols->text == NO_COLUMN ? "sentence, text, content, review"
                                              : "label, sentiment, class, polarity");
    cols->need = (cols->text > cols->label ? cols->text : cols->label) + 1;
    cols->header_fields = r->nf;
    return 0;
}

/* One data record: a good line's text and label are copied into ps, a bad line
 * is recorded with why. Returns -1 only when out of memory. */
static int take_record(Parse *ps, const Record *r, const Columns *cols)
{
    if (r->error) { add_bad(ps, r->line, "%s", r->error); return 0; }
    if (r->bytes > DATASET_MAX_LINE_BYTES) {
        add_bad(ps, r->line, "line too long (%zu bytes, at most %d)", r->bytes, DATASET_MAX_LINE_BYTES);
        return 0;
    }
    if (r->nf < cols->need) {
        add_bad(ps, r->line, "missing %s column (the line has %zu field%s, the header %zu)",
                r->nf <= cols->text ? "text" : "label", r->nf, r->nf == 1 ? "" : "s",
                cols->header_fields);
        return 0;
    }
    const Field *tf = &r->f[cols->text], *lf = &r->f[cols->label];
    bool text_ok = utf8_valid(tf->p, tf->len);
    if (!text_ok || !utf8_valid(lf->p, lf->len)) {
        add_bad(ps, r->line, "%s", text_ok ? "invalid UTF-8 in the label" : "invalid UTF-8 in the text");
        return 0;
    }
    if (memchr(tf->p, '\0', tf->len) || memchr(lf->p, '\0', lf->len)) {
        add_bad(ps, r->line, "NUL byte in the line (not a text file?)");
        return 0;
    }
    size_t toff = bytes_add_field(&ps->text, tf->p, tf->len, tf->quoted);
    if (toff == (size_t)-1) return -1;
    if (is_blank(ps->text.data + toff)) {
        ps->text.len = toff; /* drop the copy */
        add_bad(ps, r->line, "empty text");
        return 0;
    }
    size_t loff = bytes_add_field(&ps->labels, lf->p, lf->len, lf->quoted);
    if (loff == (size_t)-1) return -1;
    if (ps->n_rows == ps->cap_rows) {
        size_t cap = ps->cap_rows ? 2 * ps->cap_rows : 1024;
        Row *rows = realloc(ps->rows, cap * sizeof *rows);
        if (!rows) return -1;
        ps->rows = rows;
        ps->cap_rows = cap;
    }
    ps->rows[ps->n_rows++] = (Row){toff, loff, r->line};
    return 0;
}

/* Pass 1: split records, check each line, copy text and label of good lines. */
static int parse_lines(Parse *ps, const char *data, size_t len, char *err, size_t err_len)
{
    Reader rd = {data, len, 0, 1, has_csv_extension(ps->name)};
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) rd.pos = 3; /* UTF-8 BOM */
    Record r = {0};
    Columns cols = {NO_COLUMN, NO_COLUMN, 0, 0};
    if (read_header(ps, &rd, &r, &cols, err, err_len) != 0) {
        free(r.f);
        return -1;
    }
    int got;
    while ((got = read_record(&rd, &r)) == 1) {
        if (r.nf == 1 && r.f[0].len == 0 && !r.error) continue; /* blank line */
        if (take_record(ps, &r, &cols) != 0) { got = -1; break; }
    }
    free(r.f);
    if (got < 0)
        return errorf(err, err_len, "%s: out of memory", ps->name);
    return 0;
}

/* The classes of a parse: the caller's mapping, the integers themselves, or the
 * distinct names in byte order. */
typedef struct {
    bool integer_mode;
    bool mapping;                             /* the caller's names */
    size_t n_int, n_name;                     /* lines with an integer label, with a name */
    int num_classes;                          /* integer mode: set by assign_label_ids */
    const char *names[DATASET_MAX_CLASSES];   /* into ps->labels, the mapping, or numbers */
    char numbers[DATASET_MAX_CLASSES][12];
} Classes;

static int choose_classes(Parse *ps, const char *const *label_names, int n_names, Classes *cl,
                          char *err, size_t err_len)
{
    bool use_mapping = label_names && n_names > 0;
    cl->num_classes = 0;
    cl->n_int = cl->n_name = 0;
    for (size_t i = 0; i < ps->n_rows; i++) {
        long v;
        char *l = trim(ps->labels.data + ps->rows[i].label_off);
        if (l[0] && parse_int_label(l, &v)) cl->n_int++;
        else if (l[0]) cl->n_name++;
    }
    /* Labels are numbers or names: in a file that mixes them, the kind most
     * lines use wins and the other lines are bad lines (label_id). */
    cl->integer_mode = !use_mapping && cl->n_int > 0 && cl->n_int >= cl->n_name;
    cl->mapping = use_mapping;
    if (use_mapping) {
        for (int k = 0; k < n_names; k++) cl->names[k] = label_names[k];
        cl->num_classes = n_names;
        return 0;
    }
    if (cl->integer_mode) return 0;
    for (size_t i = 0; i < ps->n_rows; i++) {
        const char *l = trim(ps->labels.data + ps->rows[i].label_off);
        long v;
        if (!l[0] || parse_int_label(l, &v)) continue; /* numbers among names: bad lines */
        int k = 0;
        while (k < cl->num_classes && strcmp(cl->names[k], l) != 0) k++;
        if (k < cl->num_classes) continue;
        if (cl->num_classes == DATASET_MAX_CLASSES)
            return errorf(err, err_len, "%s: more than %d distinct labels (is the label column right?)",
                          ps->name, DATASET_MAX_CLASSES);
        cl->names[cl->num_classes++] = l;
    }
    qsort(cl->names, (size_t)cl->num_classes, sizeof *cl->names, cmp_str);
    return 0;
}

/* The class id of row i's label, or -1 after recording the line as bad. */
static int label_id(Parse *ps, const Classes *cl, size_t i)
{
    const char *l = trim(ps->labels.data + ps->rows[i].label_off);
    long line = ps->rows[i].line;
    if (!l[0]) {
        add_bad(ps, line, "empty label");
        return -1;
    }
    long v = -1;
    bool is_int = parse_int_label(l, &v);
    if (cl->integer_mode) {
        if (!is_int) {
            add_bad(ps, line, "label \"%.40s\" is not a number, as the file's other labels are "
                    "(%zu lines with a number, %zu with a name: the larger kind wins)", l, cl->n_int,
                    cl->n_name);
            return -1;
        }
        if (v >= 0 && v < DATASET_MAX_CLASSES) return (int)v;
        add_bad(ps, line, "label %.40s out of range (allowed: 0..%d)", l, DATASET_MAX_CLASSES - 1);
        return -1;
    }
    for (int k = 0; k < cl->num_classes; k++)
        if (strcmp(cl->names[k], l) == 0) return k;
    if (cl->mapping && is_int && v >= 0 && v < cl->num_classes)
        return (int)v; /* a class id for named classes ([data] label_names, a checkpoint's) */
    if (!cl->mapping && is_int) {
        add_bad(ps, line, "label \"%.40s\" is a number, the file's other labels are names "
                "(%zu lines with a name, %zu with a number: the larger kind wins)", l, cl->n_name,
                cl->n_int);
        return -1;
    }
    char allowed[256] = "";
    for (int k = 0; k < cl->num_classes; k++) {
        size_t used = strlen(allowed);
        if (used + strlen(cl->names[k]) + 8 >= sizeof allowed) {
            snprintf(allowed + used, sizeof allowed - used, ", ...");
            break;
        }
        snprintf(allowed + used, sizeof allowed - used, "%s%s", k ? ", " : "", cl->names[k]);
    }
    add_bad(ps, line, "unknown label \"%.40s\" (allowed: %s)", l, allowed);
    return -1;
}

/* Pass 2: labels to class ids in ids[]; the rows with a bad label are dropped
 * from ps->rows. Returns the number of good rows. In integer mode the classes
 * are 0 .. the largest id (at least 2). */
static size_t assign_label_ids(Parse *ps, Classes *cl, int *ids)
{
    size_t good = 0;
    int max_id = -1;
    for (size_t i = 0; i < ps->n_rows; i++) {
        int id = label_id(ps, cl, i);
        if (id < 0) continue;
        if (id > max_id) max_id = id;
        ps->rows[good] = ps->rows[i];
        ids[good++] = id;
    }
    if (cl->integer_mode) {
        cl->num_classes = max_id + 1 < 2 ? 2 : max_id + 1;
        for (int k = 0; k < cl->num_classes; k++) {
            snprintf(cl->numbers[k], sizeof cl->numbers[k], "%d", k);
            cl->names[k] = cl->numbers[k];
        }
    }
    return good;
}

/* The dataset of the good rows; takes over the text copies of ps. */
static Dataset *build_dataset(Parse *ps, const int *ids, size_t good, const Classes *cl)
{
    if (good > (size_t)INT32_MAX) return NULL;
    Dataset *ds = dataset_alloc((int)good);
    if (!ds) return NULL;
    ds->storage = ps->text.data;
    ps->text.data = NULL;
    for (size_t i = 0; i < good; i++) {
        ds->text[i] = ds->storage + ps->rows[i].text_off;
        ds->label[i] = ids[i];
    }
    ds->skipped = (int)ps->n_bad;
    if (set_label_names(ds, cl->names, cl->num_classes) != 0) {
        dataset_free(ds);
        return NULL;
    }
    return ds;
}

/* A classifier needs two classes: a file's own names must give at least two
 * (integer labels always do). */
static int check_class_count(const Parse *ps, const Classes *cl, const int *ids, char *err,
                             size_t err_len)
{
    if (cl->integer_mode || cl->num_classes >= 2)
        return 0;
    return errorf(err, err_len, "%s: every usable line has the label \"%.60s\": a classifier "
                  "needs at least 2 classes", ps->name, cl->names[ids[0]]);
}

static Dataset *parse_with(const char *name, const char *data, size_t len,
                           const DatasetOptions *opt, char *err, size_t err_len)
{
    if (opt->n_names > DATASET_MAX_CLASSES) {
        errorf(err, err_len, "%s: too many label names (%d, at most %d)", name, opt->n_names,
               DATASET_MAX_CLASSES);
        return NULL;
    }
    Parse ps = {.name = name};
    Classes cl;
    Dataset *ds = NULL;
    int *ids = NULL;
    if (parse_lines(&ps, data, len, err, err_len) != 0 ||
        choose_classes(&ps, opt->label_names, opt->n_names, &cl, err, err_len) != 0)
        goto done;
    ids = malloc((ps.n_rows ? ps.n_rows : 1) * sizeof *ids);
    if (!ids) {
        errorf(err, err_len, "%s: out of memory", name);
        goto done;
    }
    size_t good = assign_label_ids(&ps, &cl, ids);
    if (ps.oom) {
        errorf(err, err_len, "%s: out of memory", name);
        goto done;
    }
    write_bad_lines(&ps, opt->log);
    if (good == 0) {
        errorf(err, err_len, "%s: no usable line (%zu bad line%s skipped)", name, ps.n_bad,
               ps.n_bad == 1 ? "" : "s");
        goto done;
    }
    bool own_classes = !(opt->label_names && opt->n_names > 0);
    if (own_classes && !opt->texts_only && check_class_count(&ps, &cl, ids, err, err_len) != 0)
        goto done;
    ds = build_dataset(&ps, ids, good, &cl);
    if (!ds)
        errorf(err, err_len, "%s: out of memory", name);
done:
    free(ids);
    parse_free(&ps);
    return ds;
}

Dataset *dataset_parse(const char *name, const char *data, size_t len,
                       const char *const *label_names, int n_names,
                       FILE *log, char *err, size_t err_len)
{
    const DatasetOptions opt = {label_names, n_names, log, 0, false};
    return parse_with(name, data, len, &opt, err, err_len);
}

int dataset_file_read(const char *path, int max_file_mb, char **data, size_t *len, char *err,
                      size_t err_len)
{
    int mb = max_file_mb > 0 ? max_file_mb : DATASET_DEFAULT_MAX_FILE_MB;
    size_t max_bytes = (size_t)mb > SIZE_MAX >> 20 ? SIZE_MAX : (size_t)mb << 20;
    char limit[64];
    snprintf(limit, sizeof limit, "[data] max_file_mb = %d", mb);
    return file_read_capped(path, max_bytes, limit, data, len, err, err_len);
}

Dataset *dataset_load_with(const char *path, const DatasetOptions *opt, char *err, size_t err_len)
{
    char *data;
    size_t len;
    if (dataset_file_read(path, opt->max_file_mb, &data, &len, err, err_len) != 0)
        return NULL;
    Dataset *d = parse_with(path, data, len, opt, err, err_len);
    free(data);
    return d;
}

Dataset *dataset_load(const char *path, const char *const *label_names, int n_names,
                      FILE *log, char *err, size_t err_len)
{
    const DatasetOptions opt = {label_names, n_names, log, 0, false};
    return dataset_load_with(path, &opt, err, err_len);
}

/* ------------------------------------------------------- embedded data */

static const char *const SENTIMENT_NAMES[] = {"negative", "positive"};

static Dataset *parse_embedded(const char *name, const unsigned char *data, size_t len)
{
    char err[256];
    return dataset_parse(name, (const char *)data, len, SENTIMENT_NAMES, 2, NULL, err, sizeof err);
}

Dataset *dataset_embedded_train(void)
{
    return parse_embedded("embedded:toy_train.tsv", asset_toy_train, asset_toy_train_len);
}

Dataset *dataset_embedded_heldout(void)
{
    return parse_embedded("embedded:toy_heldout.tsv", asset_toy_heldout, asset_toy_heldout_len);
}

/* The workshop notebook's training sentences, in its order. */
static const char WORKSHOP_TSV[] =
    "sentence\tlabel\n"
    "this movie is great\tpositive\n"
    "i love this film\tpositive\n"
    "amazing performance\tpositive\n"
    "wonderful story\tpositive\n"
    "best movie ever\tpositive\n"
    "terrible movie\tnegative\n"
    "worst film ever\tnegative\n"
    "boring story\tnegative\n"
    "bad performance\tnegative\n"
    "waste of time\tnegative\n";

Dataset *dataset_workshop_toy(void)
{
    return parse_embedded("workshop", (const unsigned char *)WORKSHOP_TSV, sizeof WORKSHOP_TSV - 1);
}

/* ---------------------------------------------------------------- split */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* A new dataset holding copies of the sentences of `all` where pick[i] == want. */
static Dataset *dataset_subset(const Dataset *all, const unsigned char *pick, unsigned char want)
{
    int n = 0;
    size_t bytes = 0;
    for (int i = 0; i < all->n; i++)
        if (pick[i] == want) { n++; bytes += strlen(all->text[i]) + 1; }
    Dataset *ds = dataset_alloc(n);
    if (!ds) return NULL;
    ds->storage = malloc(bytes ? bytes : 1);
    if (!ds->storage || set_label_names(ds, DATASET_LABEL_NAMES(all), all->num_classes) != 0) {
        dataset_free(ds);
        return NULL;
    }
    char *dst = ds->storage;
    int j = 0;
    for (int i = 0; i < all->n; i++) {
        if (pick[i] != want) continue;
        size_t len = strlen(all->text[i]) + 1;
        memcpy(dst, all->text[i], len);
        ds->text[j] = dst;
        ds->label[j] = all->label[i];
        dst += len;
        j++;
    }
    return ds;
}

void dataset_split(const Dataset *all, double val_fraction, uint64_t seed,
                   Dataset **train, Dataset **val)
{
    *train = *val = NULL;
    unsigned char *pick = malloc(all->n > 0 ? (size_t)all->n : 1);
    if (!pick) return;
    for (int i = 0; i < all->n; i++) {
        uint64_t h = splitmix64(seed ^ splitmix64((uint64_t)i));
        double u = (double)(h >> 11) * 0x1.0p-53; /* uniform in [0, 1) */
        pick[i] = u < val_fraction;
    }
    *train = dataset_subset(all, pick, 0);
    *val = dataset_subset(all, pick, 1);
    if (!*train || !*val) {
        dataset_free(*train);
        dataset_free(*val);
        *train = *val = NULL;
    }
    if (*train) (*train)->skipped = all->skipped;
    free(pick);
}

/* ------------------------------------------------------------- encoding */

EncodedDataset *dataset_encode(const Dataset *d, const TokenizerConfig *tc, const Vocab *v,
                               int max_len)
{
    if (max_len < 1) return NULL;
    EncodedDataset *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    size_t n = d->n > 0 ? (size_t)d->n : 1;
    e->n = d->n;
    e->max_len = max_len;
    e->ids = malloc(n * (size_t)max_len * sizeof *e->ids);
    e->len = malloc(n * sizeof *e->len);
    e->label = malloc(n * sizeof *e->label);
    if (!e->ids || !e->len || !e->label) {
        encoded_dataset_free(e);
        return NULL;
    }
    for (int i = 0; i < d->n; i++) {
        e->len[i] = encode_sentence(tc, v, d->text[i], max_len, e->ids + (size_t)i * max_len, NULL);
        e->label[i] = d->label[i];
    }
    return e;
}

void encoded_dataset_free(EncodedDataset *e)
{
    if (!e) return;
    free(e->ids);
    free(e->len);
    free(e->label);
    free(e);
}

Vocab *vocab_from_dataset(const Dataset *d, const TokenizerConfig *tc, int min_freq,
                          int max_size)
{
    VocabBuilder *vb = vocab_builder_create();
    if (!vb) return NULL;
    size_t buf_len = 0;
    int max_tokens = 256;
    char *buf = NULL;
    char **tokens = malloc((size_t)max_tokens * sizeof *tokens);
    bool ok = tokens != NULL;
    for (int i = 0; i < d->n && ok; i++) {
        size_t need = 2 * strlen(d->text[i]) + 1;
        if (need > buf_len) {
            char *b = realloc(buf, need);
            if (!b) { ok = false; break; }
            buf = b;
            buf_len = need;
        }
        int count = tokenize(tc, d->text[i], tokens, max_tokens, buf, buf_len);
        if (count > max_tokens) {
            char **t = realloc(tokens, (size_t)count * sizeof *t);
            if (!t) { ok = false; break; }
            tokens = t;
            max_tokens = count;
            count = tokenize(tc, d->text[i], tokens, max_tokens, buf, buf_len);
        }
        for (int k = 0; k < count; k++) vocab_builder_add(vb, tokens[k]);
    }
    Vocab *v = ok ? vocab_build(vb, min_freq, max_size) : NULL;
    free(tokens);
    free(buf);
    vocab_builder_free(vb);
    return v;
}
