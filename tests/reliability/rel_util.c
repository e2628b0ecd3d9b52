#include "rel_util.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char rel_dir[64];

void rel_tmp_make(void)
{
    snprintf(rel_dir, sizeof rel_dir, "/tmp/minillm-rel-XXXXXX");
    cr_assert_not_null(mkdtemp(rel_dir));
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

void rel_tmp_remove(void)
{
    if (rel_dir[0])
        remove_tree(rel_dir);
}

const char *rel_path(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", rel_dir, name);
    return p;
}

void rel_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

unsigned char *rel_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap + 1);
            cr_assert_not_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

int rel_count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
             strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* splitmix64 in [-1, 1): values that depend only on the index. */
static float hash_uniform(uint64_t i)
{
    uint64_t z = i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(int32_t)(uint32_t)(z >> 32) * 0x1p-31f;
}

static const char *const WORDS[] = {"<PAD>", "<UNK>", "bad", "boring", "fun", "good",
                                    "great", "movie", "not", "terrible"};

RelModel rel_model_make(uint64_t salt)
{
    ModelConfig c = model_config_default();
    c.vocab_size = 10;
    c.d_model = 4;
    c.num_heads = 2;
    c.d_ff = 6;
    c.num_layers = 1;
    c.num_classes = 2;
    c.max_len = 8;
    c.pos_encoding = POS_ENCODING_LEARNED;
    RelModel r = {0};
    char err[256] = "";
    Rng rng;
    rng_seed(&rng, 1);
    r.model = model_create(&c, &rng, err, sizeof err);
    cr_assert_not_null(r.model, "%s", err);
    for (size_t i = 0; i < r.model->num_params; i++)
        r.model->params[i] = 0.5f * hash_uniform(salt * 1000003u + i);
    r.vocab = vocab_from_list(WORDS, 10, err, sizeof err);
    cr_assert_not_null(r.vocab, "%s", err);
    r.tc = (TokenizerConfig){TOKENIZER_WORDS, true};
    r.labels[0] = "negative";
    r.labels[1] = "positive";
    return r;
}

void rel_model_free(RelModel *r)
{
    model_free(r->model);
    vocab_free(r->vocab);
    memset(r, 0, sizeof *r);
}

void rel_model_save(const RelModel *r, const char *path)
{
    char err[512] = "";
    cr_assert_eq(checkpoint_save(path, r->model, &r->tc, r->vocab, r->labels, 2, err, sizeof err),
                 0, "%s", err);
}

void rel_optimizer_make(Optimizer *opt, const RelModel *r, uint64_t salt, long step)
{
    OptimConfig oc = optim_config_default();
    cr_assert_eq(optimizer_init(opt, &oc, r->model->num_params), 0);
    for (size_t i = 0; i < opt->n; i++) {
        opt->m[i] = 0.01f * hash_uniform(salt * 7919u + i);
        float u = hash_uniform(salt * 104729u + i);
        opt->v[i] = 1e-4f * u * u;
    }
    opt->step = step;
}
