#!/usr/bin/python3
"""Checkpoint interop fixtures between the workshop notebook (PyTorch) and minillm-tui.

  /usr/bin/python3 tools/make_interop.py notebook
      Builds a small notebook MiniLLM (fixed seed), exports its state_dict as
      safetensors with our __metadata__ -> tests/fixtures/interop_notebook.safetensors,
      and its eval-mode probabilities for a few token-id batches ->
      tests/fixtures/interop_notebook.json. The C test loads the file and must match.

  /usr/bin/python3 tools/make_interop.py c
      Loads tests/fixtures/interop_c.safetensors (written by the C test
      tests/checkpoint/test_checkpoint.c with MINILLM_WRITE_FIXTURES=1) into the
      notebook model with load_state_dict(strict=True) and writes the probabilities
      torch computes -> tests/fixtures/interop_c.json. The C test loads the same file
      and must match them.

The `safetensors` package is not needed: the format is written and read here with
struct and json. Run with Debian's torch (/usr/bin/python3); CI never runs this.
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')
sys.path.insert(0, os.path.join(ROOT, '..', 'shared', 'reference'))
sys.path.insert(0, '/work/shared/reference')
import workshop_model  # noqa: E402

FORMAT = 'minillm-tui/1'

# Tiny on purpose: the sinusoidal buffer alone is [5000, d_model] floats.
NOTEBOOK_CONFIG = {
    'vocab_size': 10, 'd_model': 4, 'num_heads': 2, 'd_ff': 8, 'num_layers': 2,
    'num_classes': 3, 'max_len': 6, 'layernorm': 'workshop', 'pos_encoding': 'sinusoidal',
    'pad_mask': False, 'causal': False, 'tokenizer': 'whitespace', 'lowercase': True,
    'dropout': 0.1, 'embedding_dropout': -1,
}
NOTEBOOK_VOCAB = ['<PAD>', '<UNK>', 'bad', 'boring', 'fun', 'good', 'great', 'movie', 'not',
                  'terrible']
NOTEBOOK_LABELS = ['negative', 'neutral', 'positive']

# Token-id batches (B, T), T <= max_len; 0 is <PAD>.
INPUTS = [
    [[7, 6, 0, 0, 0, 0], [2, 3, 9, 7, 0, 0], [8, 5, 7, 4, 6, 1], [1, 1, 1, 1, 1, 1]],
    [[5, 4, 7], [9, 0, 0]],
    [[3]],
]


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, float32 tensor) in order; metadata: dict str -> str."""
    header = {'__metadata__': metadata}
    offset = 0
    blobs = []
    for name, t in tensors:
        t = t.detach().contiguous().to(torch.float32)
        blob = t.numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(path + '.tmp', path)


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop('__metadata__', {})
    buf = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        assert info['dtype'] == 'F32', (name, info['dtype'])
        begin, end = info['data_offsets']
        t = torch.frombuffer(bytearray(buf[begin:end]), dtype=torch.float32)
        tensors[name] = t.reshape(info['shape']).clone()
    return tensors, metadata


def build_model(cfg):
    assert cfg['pos_encoding'] == 'sinusoidal' and not cfg['causal'], 'not in the notebook model'
    return workshop_model.MiniLLM(
        cfg['vocab_size'], d_model=cfg['d_model'], num_heads=cfg['num_heads'], d_ff=cfg['d_ff'],
        num_layers=cfg['num_layers'], num_classes=cfg['num_classes'], dropout=cfg['dropout'],
        standard_ln=cfg['layernorm'] == 'standard', pad_mask=cfg['pad_mask'])


def probabilities(model, cfg):
    model.eval()
    cases = []
    with torch.no_grad():
        for batch in INPUTS:
            x = torch.tensor(batch, dtype=torch.long)
            assert x.shape[1] <= cfg['max_len'] and int(x.max()) < cfg['vocab_size']
            probs = torch.softmax(model(x), dim=-1)
            cases.append({'tokens': batch, 'probs': [[float(p) for p in row] for row in probs]})
    return cases


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')


def make_notebook():
    torch.manual_seed(20240611)
    cfg = NOTEBOOK_CONFIG
    model = build_model(cfg)
    # PyTorch's init leaves LayerNorm at gamma 1, beta 0: move them so a mix-up shows.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('.gamma') or name.endswith('.beta'):
                p.add_(0.3 * torch.randn_like(p))
    state = model.state_dict()
    metadata = {
        'format': FORMAT,
        'config': json.dumps(cfg, separators=(',', ':')),
        'vocab': json.dumps(NOTEBOOK_VOCAB, separators=(',', ':')),
        'labels': json.dumps(NOTEBOOK_LABELS, separators=(',', ':')),
    }
    path = os.path.join(FIXTURES, 'interop_notebook.safetensors')
    write_safetensors(path, list(state.items()), metadata)
    # Read back strictly, as a user would, before trusting the numbers.
    tensors, _ = read_safetensors(path)
    model.load_state_dict(tensors, strict=True)
    out = {'config': cfg, 'cases': probabilities(model, cfg),
           'made_by': 'tools/make_interop.py notebook (torch %s)' % torch.__version__}
    write_json(os.path.join(FIXTURES, 'interop_notebook.json'), out)
    print('wrote', path, os.path.getsize(path), 'bytes, names:', ', '.join(state.keys()))


def make_c():
    path = os.path.join(FIXTURES, 'interop_c.safetensors')
    tensors, metadata = read_safetensors(path)
    assert metadata['format'] == FORMAT, metadata.get('format')
    cfg = json.loads(metadata['config'])
    model = build_model(cfg)
    # The buffer as torch computes it, before load_state_dict overwrites it with the file's.
    torch_pe = model.encoder.pos_encoding.pe.clone()
    model.load_state_dict(tensors, strict=True)  # raises on any missing/unexpected name or shape
    pe = tensors['encoder.pos_encoding.pe']
    pe_diff = float((pe - torch_pe).abs().max())
    used_diff = float((pe[:cfg['max_len']] - torch_pe[:cfg['max_len']]).abs().max())
    out = {'config': cfg, 'cases': probabilities(model, cfg),
           'vocab': json.loads(metadata['vocab']), 'labels': json.loads(metadata['labels']),
           'pe_max_abs_diff_vs_torch': pe_diff, 'pe_rows_used_max_abs_diff': used_diff,
           'made_by': 'tools/make_interop.py c (torch %s): load_state_dict(strict=True)'
                      % torch.__version__}
    write_json(os.path.join(FIXTURES, 'interop_c.json'), out)
    print('loaded', path, 'strictly;', len(tensors), 'tensors; C sinusoid vs torch: max diff',
          pe_diff, 'over 5000 rows,', used_diff, 'over the', cfg['max_len'], 'rows used')


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else ''
    if what == 'notebook':
        make_notebook()
    elif what == 'c':
        make_c()
    else:
        sys.exit(__doc__)
