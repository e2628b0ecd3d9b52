#!/usr/bin/python3
"""Checkpoint interop fixtures of the language model (issue 15) between PyTorch
(tools/decoder_model.py) and minillm-tui, both ways.

  /usr/bin/python3 tools/make_interop_lm.py
      PyTorch -> C. Builds the small DecoderLMs of CASES (fixed seed), writes each
      state_dict as safetensors with minillm-tui's __metadata__ ->
      tests/fixtures/interop_lm_<name>.safetensors, and what PyTorch computes with
      it -> tests/fixtures/interop_lm_<name>.json: the logits and log-probs of a
      fixed token batch, the evaluation protocol's figures over a fixed text, and
      the greedy continuation of a prompt by full forward passes over the same
      sliding context the C generator keeps. tests/checkpoint/test_interop_lm.c
      loads each file with checkpoint_load and must match.

  /usr/bin/python3 tools/make_interop_lm.py --check
      C -> PyTorch. Loads tests/fixtures/interop_lm_c.safetensors (written by
      tests/checkpoint/test_interop_lm.c with MINILLM_WRITE_FIXTURES=1, next to the
      C forward's log-probs in interop_lm_c.json) into a DecoderLM with
      load_state_dict(strict=True), checks every tensor name and shape and the
      metadata, compares PyTorch's log-probs with the C ones (exit status 1 above
      TOLERANCE) and writes its own -> tests/fixtures/interop_lm_c_torch.json,
      which the C test compares with its forward too.

Run with Debian's torch (/usr/bin/python3); CI never runs this.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')
sys.path.insert(0, HERE)
import decoder_model as dm  # noqa: E402

FORMAT = 'minillm-tui/1'
# |log p_torch - log p_C| allowed by --check: measured 4.6e-7 on interop_lm_c;
# the C tests allow the same (tests/checkpoint/test_interop_lm.c FORWARD_TOLERANCE).
TOLERANCE = 5e-5
# Greedy continuations must not hinge on rounding: every step's best logit
# leads the second by at least this much (else another seed is needed).
MIN_GREEDY_MARGIN = 1e-3

VOCAB = ['<PAD>', '<UNK>', '\n', ' ', 'a', 'b', 'c', 'd', 'e', 'n', 'o', 't']
# The evaluation text: a final '\n' as the protocol's streams have; 'z' and 'q'
# are not in the vocabulary (<UNK>).
EVAL_TEXT = 'a cat and a dot\nten bad cods ate\nzoo to tent\nqed\n'
PROMPT = 'a cat'
# Token rows (B, T) for the forward, no <PAD>: the LM masks nothing but the future.
FORWARD_TOKENS = [[4, 3, 6, 4, 11, 3, 4, 9], [10, 2, 8, 5, 1, 7, 3, 11]]

# name, norm, tie, pos_encoding, layernorm, d_model, num_heads, d_ff, num_layers, max_len
CASES = [
    ('pre_tied', 'pre', True, 'learned', 'standard', 8, 2, 16, 2, 8),
    ('post_untied', 'post', False, 'sinusoidal', 'workshop', 4, 2, 8, 2, 8),
]


def build_model(norm, tie, pos, ln, d_model, num_heads, d_ff, num_layers, max_len):
    return dm.DecoderLM(len(VOCAB), d_model, num_heads, d_ff, num_layers, max_len, dropout=0.0,
                        standard_ln=ln == 'standard', norm=norm, pos_encoding=pos, tie=tie)


def expected_names(cfg):
    """Every tensor a minillm-tui LM checkpoint holds, in file order, with its shape."""
    V, C, F_, L = cfg['vocab_size'], cfg['d_model'], cfg['d_ff'], cfg['num_layers']
    names = [('decoder.embedding.weight', [V, C])]
    if cfg['pos_encoding'] == 'learned':
        names.append(('decoder.pos_encoding.weight', [cfg['max_len'], C]))
    else:
        names.append(('decoder.pos_encoding.pe', [dm.SINUSOID_BUFFER_LEN, C]))
    for n in range(L):
        p = 'decoder.layers.%d.' % n
        names += [(p + 'attention.qkv_layer.weight', [3 * C, C]),
                  (p + 'attention.qkv_layer.bias', [3 * C]),
                  (p + 'attention.linear_layer.weight', [C, C]),
                  (p + 'attention.linear_layer.bias', [C]),
                  (p + 'norm1.gamma', [C]), (p + 'norm1.beta', [C]),
                  (p + 'ffn.linear1.weight', [F_, C]), (p + 'ffn.linear1.bias', [F_]),
                  (p + 'ffn.linear2.weight', [C, F_]), (p + 'ffn.linear2.bias', [C]),
                  (p + 'norm2.gamma', [C]), (p + 'norm2.beta', [C])]
    if cfg['norm'] == 'pre':
        names += [('decoder.norm.gamma', [C]), ('decoder.norm.beta', [C])]
    names.append(('lm_head.weight', [V, C]))
    return names


def encode(text, vocab):
    ids = {tok: i for i, tok in enumerate(vocab)}
    return [ids.get(ch, 1) for ch in text]


@torch.no_grad()
def forward(model, tokens):
    logits = model(torch.tensor(tokens, dtype=torch.long))
    return logits, F.log_softmax(logits.double(), dim=-1)


@torch.no_grad()
def protocol(model, ids, max_len):
    """lm_eval.h's protocol: consecutive blocks of max_len + 1 tokens (a last one of
    >= 2 counts), each predicting its tokens 2..n; char tokens: one char each."""
    nats, count = 0.0, 0
    for start in range(0, len(ids), max_len + 1):
        block = ids[start:start + max_len + 1]
        if len(block) < 2:
            continue
        _, logp = forward(model, [block[:-1]])
        for t in range(1, len(block)):
            nats -= float(logp[0, t - 1, block[t]])
            count += 1
    loss = nats / count
    return {'loss': loss, 'perplexity': math.exp(loss), 'bits_per_char': nats / math.log(2) / count,
            'tokens': count}


@torch.no_grad()
def greedy(model, prompt_ids, n, max_len):
    """lm_generate's greedy continuation by full forwards: the context grows to
    max_len tokens, then slides back to the last max_len - 1 whenever it is full."""
    history = list(prompt_ids)
    keep = len(history)
    tokens, logprobs, margin = [], [], float('inf')
    for i in range(n):
        if i > 0:
            keep = keep + 1 if keep < max_len else max_len - 1
        logits, logp = forward(model, [history[len(history) - keep:]])
        row = logits[0, -1]
        best = int(torch.argmax(row))
        assert float(row[best]) == float(row.max()) and best == int((row == row.max()).nonzero()[0])
        top2 = torch.topk(row, 2).values
        margin = min(margin, float(top2[0] - top2[1]))
        tokens.append(best)
        logprobs.append(float(logp[0, -1, best]))
        history.append(best)
    return tokens, logprobs, margin


def train(model, ids, max_len, steps=300):
    """A few hundred Adam steps on the evaluation text, so that the model's greedy
    continuation is text rather than one token repeated."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    windows = [ids[i:i + max_len + 1] for i in range(len(ids) - max_len)]
    for step in range(steps):
        batch = torch.tensor(windows[step % 4::4][:8], dtype=torch.long)
        loss = model.loss(model(batch[:, :-1]), batch[:, 1:], ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()


def perturb(model, seed):
    """PyTorch's init leaves LayerNorm at (1, 0) and a learned PE tiny: move them so
    that a mix-up shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('.gamma'):
                p.add_(0.3 * torch.randn(p.shape, generator=g))
            elif name.endswith('.beta'):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif 'pos_encoding' in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')


def rounded(t):
    return [[[float('%.9g' % v) for v in row] for row in seq] for seq in t.tolist()]


def make_case(index, case):
    name = case[0]
    torch.manual_seed(1000 + index)
    model = build_model(*case[1:]).eval()
    cfg = model.config
    perturb(model, 2000 + index)
    train(model, encode(EVAL_TEXT, VOCAB), cfg['max_len'])
    path = os.path.join(FIXTURES, 'interop_lm_%s.safetensors' % name)
    state = model.state_dict()
    assert [(k, list(v.shape)) for k, v in state.items()] == expected_names(cfg)
    dm.save_lm_checkpoint(model, path + '.tmp', VOCAB)
    os.replace(path + '.tmp', path)
    # Read back strictly, as a user would, before trusting the numbers.
    model, _ = dm.lm_from_checkpoint(path)
    logits, logp = forward(model, FORWARD_TOKENS)
    tokens, logprobs, margin = greedy(model, encode(PROMPT, VOCAB), 2 * cfg['max_len'] + 3,
                                      cfg['max_len'])
    assert margin >= MIN_GREEDY_MARGIN, (name, margin)
    out = {'config': cfg, 'forward': {'tokens': FORWARD_TOKENS, 'logits': rounded(logits),
                                      'logprobs': rounded(logp)},
           'eval': dict(protocol(model, encode(EVAL_TEXT, VOCAB), cfg['max_len']), text=EVAL_TEXT),
           'greedy': {'prompt': PROMPT, 'tokens': tokens, 'logprobs': logprobs,
                      'min_margin': margin},
           'made_by': 'tools/make_interop_lm.py (torch %s): load_state_dict(strict=True)'
                      % torch.__version__}
    write_json(os.path.join(FIXTURES, 'interop_lm_%s.json' % name), out)
    print('wrote', path, os.path.getsize(path), 'bytes; greedy margin %.3g;' % margin,
          'eval loss %.6f' % out['eval']['loss'])


def check_file(path, tensors, meta):
    """The names, shapes and metadata issue 15 lists; returns the config."""
    problems = []
    if meta.get('format') != FORMAT:
        problems.append('format %r' % meta.get('format'))
    cfg = json.loads(meta['config'])
    for key, want in (('task', 'lm'), ('tokenizer', 'char')):
        if cfg.get(key) != want:
            problems.append('config %s = %r, not %r' % (key, cfg.get(key), want))
    if cfg.get('norm') not in ('pre', 'post') or not isinstance(cfg.get('tie_embeddings'), bool):
        problems.append('config norm / tie_embeddings: %r / %r' % (cfg.get('norm'),
                                                                 cfg.get('tie_embeddings')))
    vocab = json.loads(meta['vocab'])
    if len(vocab) != cfg['vocab_size'] or vocab[:2] != ['<PAD>', '<UNK>']:
        problems.append('vocab %r' % vocab[:4])
    names = [(k, list(v.shape)) for k, v in tensors.items()]
    if names != expected_names(cfg):
        problems.append('tensors %r' % names)
    if cfg['tie_embeddings'] and not torch.equal(tensors['lm_head.weight'],
                                                 tensors['decoder.embedding.weight']):
        problems.append('tied lm_head.weight differs from decoder.embedding.weight')
    if problems:
        sys.exit('%s: %s' % (path, '; '.join(problems)))
    return cfg


def check_c():
    path = os.path.join(FIXTURES, 'interop_lm_c.safetensors')
    tensors, meta = dm.read_safetensors(path)
    cfg = check_file(path, tensors, meta)
    # load_state_dict(strict=True): raises on any missing or unexpected name or shape
    model, _ = dm.lm_from_checkpoint(path)
    torch_pe = dm.PositionalEncoding(cfg['d_model']).pe if cfg['pos_encoding'] == 'sinusoidal' else None
    with open(os.path.join(FIXTURES, 'interop_lm_c.json')) as f:
        recorded = json.load(f)
    _, logp = forward(model, recorded['tokens'])
    diff = float((logp - torch.tensor(recorded['logprobs'], dtype=torch.float64)).abs().max())
    out = {'tokens': recorded['tokens'], 'logprobs': rounded(logp), 'max_abs_diff_vs_c': diff,
           'made_by': 'tools/make_interop_lm.py --check (torch %s): load_state_dict(strict=True)'
                      % torch.__version__}
    if torch_pe is not None:
        out['pe_max_abs_diff_vs_torch'] = float((tensors['decoder.pos_encoding.pe']
                                                 - torch_pe).abs().max())
    print('loaded %s strictly: %d tensors, names, shapes and metadata as issue 15 lists; '
          'max |log p_torch - log p_C| = %.3g (tolerance %g)' % (path, len(tensors), diff,
                                                                  TOLERANCE))
    if not diff <= TOLERANCE:
        sys.exit('%s: PyTorch and C log-probs differ by %g' % (path, diff))
    write_json(os.path.join(FIXTURES, 'interop_lm_c_torch.json'), out)


if __name__ == '__main__':
    if sys.argv[1:] == ['--check']:
        check_c()
    elif not sys.argv[1:]:
        for i, c in enumerate(CASES):
            make_case(i, c)
    else:
        sys.exit(__doc__)
