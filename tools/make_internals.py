#!/usr/bin/python3
"""Fixtures of `predict --attention --internals --json`: the notebook's PyTorch model
(shared/reference/workshop_model.py) and what it computes inside, for a few sentences.

  /usr/bin/python3 tools/make_internals.py [REFERENCE_DIR]

For each case writes tests/fixtures/internals_<case>.safetensors (the state_dict with
our __metadata__) and tests/fixtures/internals_<case>.json: per sentence (given as
words: the C test feeds the same text to predict) the token ids fed, then
  scores    [layer][head][query][key]  Q K^T / sqrt(d_k), before the mask and softmax
  attention [layer][head][query][key]  the softmax weights
  q, k, v   [layer][head][token][d_k]
  residual  [layer][token][d_model]    each encoder layer's output
  pooled    [d_model], logits [num_classes], probs [num_classes]
Cases: `notebook` (workshop LayerNorm, no padding mask: sentences padded to
max_len, pads inside attention and pooling, as the notebook) and `causal` (standard
LayerNorm, padding mask, the decoder's causal mask: query t sees keys <= t).
Run with Debian's torch; CI never runs this, it reads the committed fixtures.
"""
import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')
REF_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '..', 'shared', 'reference')
sys.path.insert(0, os.path.abspath(REF_DIR))
sys.path.insert(0, '/work/shared/reference')
sys.path.insert(0, HERE)
import workshop_model  # noqa: E402
from make_interop import FORMAT, write_safetensors, read_safetensors  # noqa: E402

# Small: the sinusoidal buffer alone is [5000, d_model] floats (160 KB at 8).
BASE_CONFIG = {
    'vocab_size': 12, 'd_model': 8, 'num_heads': 2, 'd_ff': 16, 'num_layers': 2,
    'num_classes': 3, 'max_len': 7, 'pos_encoding': 'sinusoidal', 'tokenizer': 'whitespace',
    'lowercase': True, 'dropout': 0.1, 'embedding_dropout': -1,
}
CASES = {
    'notebook': {'layernorm': 'workshop', 'pad_mask': False, 'causal': False, 'seed': 611},
    'causal': {'layernorm': 'standard', 'pad_mask': True, 'causal': True, 'seed': 612},
}
VOCAB = ['<PAD>', '<UNK>', 'a', 'bad', 'boring', 'film', 'fun', 'good', 'great', 'movie', 'not',
         'terrible']
LABELS = ['negative', 'neutral', 'positive']
# Words as typed: an unknown word (<UNK>), one word, max_len words, and more (cut).
SENTENCES = [
    'a great movie',
    'not a good film but fun',
    'boring',
    'Terrible zzqx movie',
    'a good film not a bad movie at all',
]


def encode(sentence, cfg):
    ids = [VOCAB.index(w) if w in VOCAB else 1 for w in sentence.lower().split()]
    ids = ids[:cfg['max_len']]
    # model_tokens_to_feed: the real tokens with the padding mask, else max_len
    T = len(ids) if cfg['pad_mask'] else cfg['max_len']
    return ids + [0] * (T - len(ids))


def build(cfg, seed):
    torch.manual_seed(seed)
    model = workshop_model.MiniLLM(
        cfg['vocab_size'], d_model=cfg['d_model'], num_heads=cfg['num_heads'], d_ff=cfg['d_ff'],
        num_layers=cfg['num_layers'], num_classes=cfg['num_classes'], dropout=cfg['dropout'],
        standard_ln=cfg['layernorm'] == 'standard', pad_mask=cfg['pad_mask'])
    with torch.no_grad():  # LayerNorm away from (1, 0), so a mix-up shows
        for name, p in model.named_parameters():
            if name.endswith('.gamma') or name.endswith('.beta'):
                p.add_(0.3 * torch.randn_like(p))
    return model


def mask_for(ids, cfg):
    """The additive mask (1, 1, T, T) the C model applies, or None."""
    T = len(ids)
    mask = torch.zeros(T, T)
    if cfg['pad_mask']:
        pad = torch.tensor([i == 0 for i in ids])
        mask = mask.masked_fill(pad[None, :], float('-inf'))
    if cfg['causal']:
        mask = mask.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float('-inf'))
    return mask[None, None] if (cfg['pad_mask'] or cfg['causal']) else None


def internals(model, ids, cfg):
    """Runs the notebook's modules one by one (eval mode), keeping what --internals prints."""
    enc = model.encoder
    C, NH = cfg['d_model'], cfg['num_heads']
    dk = C // NH
    x_ids = torch.tensor([ids])
    mask = mask_for(ids, cfg)
    out = {'tokens': ids, 'scores': [], 'attention': [], 'q': [], 'k': [], 'v': [], 'residual': []}
    with torch.no_grad():
        x = enc.pos_encoding(enc.embedding(x_ids) * math.sqrt(C))
        for layer in enc.layers:
            att = layer.attention
            qkv = att.qkv_layer(x).reshape(1, len(ids), NH, 3 * dk).permute(0, 2, 1, 3)
            Q, K, V = qkv.chunk(3, dim=-1)
            scores = torch.matmul(Q, K.transpose(-2, -1)) / math.sqrt(dk)
            x, weights = layer(x, mask)
            out['scores'].append(scores[0].tolist())
            out['attention'].append(weights[0].tolist())
            out['q'].append(Q[0].tolist())
            out['k'].append(K[0].tolist())
            out['v'].append(V[0].tolist())
            out['residual'].append(x[0].tolist())
        if cfg['pad_mask']:
            keep = (x_ids != 0).unsqueeze(-1).float()
            pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        else:
            pooled = x.mean(dim=1)
        logits = model.classifier(pooled)
        # the whole model once more, as the notebook calls it: the same logits
        if not cfg['causal']:
            assert torch.allclose(model(x_ids), logits, atol=1e-6)
    out['pooled'] = pooled[0].tolist()
    out['logits'] = logits[0].tolist()
    out['probs'] = torch.softmax(logits[0], dim=-1).tolist()
    return out


def make(case):
    spec = CASES[case]
    cfg = dict(BASE_CONFIG, layernorm=spec['layernorm'], pad_mask=spec['pad_mask'],
               causal=spec['causal'])
    model = build(cfg, spec['seed'])
    model.eval()
    metadata = {
        'format': FORMAT,
        'config': json.dumps(cfg, separators=(',', ':')),
        'vocab': json.dumps(VOCAB, separators=(',', ':')),
        'labels': json.dumps(LABELS, separators=(',', ':')),
    }
    path = os.path.join(FIXTURES, 'internals_%s.safetensors' % case)
    write_safetensors(path, list(model.state_dict().items()), metadata)
    tensors, _ = read_safetensors(path)  # read back strictly before trusting the numbers
    model.load_state_dict(tensors, strict=True)
    result = {'config': cfg, 'sentences': SENTENCES,
              'cases': [internals(model, encode(s, cfg), cfg) for s in SENTENCES],
              'made_by': 'tools/make_internals.py (torch %s)' % torch.__version__}
    with open(os.path.join(FIXTURES, 'internals_%s.json' % case), 'w') as f:
        json.dump(result, f, separators=(',', ':'))  # compact: one number per 10 bytes
        f.write('\n')
    print('wrote', path, os.path.getsize(path), 'bytes and its .json')


if __name__ == '__main__':
    for name in CASES:
        make(name)
