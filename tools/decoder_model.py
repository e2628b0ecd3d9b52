#!/usr/bin/python3
"""The PyTorch reference of minillm-tui's language model (issue 15), written for this
project from the workshop's modules (MultiHeadAttention, LayerNormalization,
PositionWiseFeedForward, PositionalEncoding: the notebook's code and names, see
shared/reference/workshop_model.py), so that its state_dict holds exactly the names
a minillm-tui checkpoint carries:

    decoder.embedding.weight                       [V, C]
    decoder.pos_encoding.pe                        [5000, C] buffer (sinusoidal), or
    decoder.pos_encoding.weight                    [max_len, C] (learned)
    decoder.layers.N.attention.qkv_layer.{weight,bias}
    decoder.layers.N.attention.linear_layer.{weight,bias}
    decoder.layers.N.norm1.{gamma,beta}
    decoder.layers.N.ffn.linear1.{weight,bias}, decoder.layers.N.ffn.linear2.{weight,bias}
    decoder.layers.N.norm2.{gamma,beta}
    decoder.norm.{gamma,beta}                      (pre-norm only)
    lm_head.weight                                 [V, C] (also when tied)

norm='post' is the workshop's block (x = LN1(x + attn(x)); x = LN2(x + ffn(x)));
norm='pre' is GPT-2's (x = x + attn(LN1(x)); x = x + ffn(LN2(x)); one final LayerNorm).
The causal mask is always on. tie=True makes lm_head.weight the embedding table.

Also here: EncoderClassifier, the workshop's classifier with the same blocks (so with
pre-norm too; encoder.* / classifier.* names), a cached decoding step (DecoderLM.step,
the reference of the C generator), and a safetensors reader for loading a
minillm-tui checkpoint with load_state_dict(strict=True):

    model = DecoderLM(V, C, NH, F, L, max_len, norm='pre', ...)
    load_checkpoint(model, 'run.safetensors')

or, for a language model, with the module built from the file's config:

    model, meta = lm_from_checkpoint('lm.safetensors')      # minillm-tui -> PyTorch
    save_lm_checkpoint(model, 'mine.safetensors', vocab)    # PyTorch -> minillm-tui

Run with Debian's torch (/usr/bin/python3). `python3 tools/decoder_model.py` runs a
self-check (names, tied storage, cached step == full forward).
"""
import json
import math
import os
import struct
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

SINUSOID_BUFFER_LEN = 5000


def sdpa(Q, K, V, mask=None):
    d_k = Q.size(-1)
    scores = torch.matmul(Q, K.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores + mask
    attention = F.softmax(scores, dim=-1)
    return torch.matmul(attention, V), attention


class MultiHeadAttention(nn.Module):
    """The notebook's: one fused projection whose rows hold [q_h | k_h | v_h] per head."""

    def __init__(self, d_model, num_heads):
        super().__init__()
        self.d_model, self.num_heads, self.d_k = d_model, num_heads, d_model // num_heads
        self.qkv_layer = nn.Linear(d_model, 3 * d_model)
        self.linear_layer = nn.Linear(d_model, d_model)

    def forward(self, x, mask=None):
        B, T, d = x.size()
        qkv = self.qkv_layer(x).reshape(B, T, self.num_heads, 3 * self.d_k).permute(0, 2, 1, 3)
        Q, K, V = qkv.chunk(3, dim=-1)
        values, attention = sdpa(Q, K, V, mask)
        values = values.permute(0, 2, 1, 3).reshape(B, T, d)
        return self.linear_layer(values), attention


class LayerNormalization(nn.Module):
    """workshop: gamma (x - mean) / (std_unbiased + eps) + beta; standard: torch's
    layer_norm (biased variance inside the square root)."""

    def __init__(self, d_model, eps=1e-5, standard=False):
        super().__init__()
        self.eps, self.standard = eps, standard
        self.gamma = nn.Parameter(torch.ones(d_model))
        self.beta = nn.Parameter(torch.zeros(d_model))

    def forward(self, x):
        if self.standard:
            return F.layer_norm(x, x.shape[-1:], self.gamma, self.beta, self.eps)
        mean = x.mean(dim=-1, keepdim=True)
        std = x.std(dim=-1, keepdim=True)
        return self.gamma * (x - mean) / (std + self.eps) + self.beta


class PositionWiseFeedForward(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.1):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.linear2(self.dropout(F.relu(self.linear1(x))))


class PositionalEncoding(nn.Module):
    """The notebook's fixed sinusoid, a [5000, C] buffer named `pe`."""

    def __init__(self, d_model, max_len=SINUSOID_BUFFER_LEN):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len).unsqueeze(1).float()
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)

    def rows(self, start, count):
        return self.pe[start:start + count, :]

    def forward(self, x):
        return x + self.rows(0, x.size(1)).unsqueeze(0)


class LearnedPositionalEncoding(nn.Module):
    """A trainable [max_len, C] table. The decoder's is named `weight` (an
    nn.Embedding's name), the encoder's `pe` (the notebook's alternative)."""

    def __init__(self, max_len, d_model, name='weight'):
        super().__init__()
        self.name = name
        setattr(self, name, nn.Parameter(torch.randn(max_len, d_model) * 0.02))

    def rows(self, start, count):
        return getattr(self, self.name)[start:start + count, :]

    def forward(self, x):
        return x + self.rows(0, x.size(1)).unsqueeze(0)


class Block(nn.Module):
    """The workshop's encoder block with the norm placement as a switch."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, standard_ln=False, norm='post'):
        super().__init__()
        assert norm in ('post', 'pre')
        self.pre = norm == 'pre'
        self.attention = MultiHeadAttention(d_model, num_heads)
        self.norm1 = LayerNormalization(d_model, standard=standard_ln)
        self.ffn = PositionWiseFeedForward(d_model, d_ff, dropout)
        self.norm2 = LayerNormalization(d_model, standard=standard_ln)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x, mask=None):
        if self.pre:
            attn_output, attention = self.attention(self.norm1(x), mask)
            x = x + self.dropout1(attn_output)
            x = x + self.dropout2(self.ffn(self.norm2(x)))
            return x, attention
        attn_output, attention = self.attention(x, mask)
        x = self.norm1(x + self.dropout1(attn_output))
        x = self.norm2(x + self.dropout2(self.ffn(x)))
        return x, attention


class Stack(nn.Module):
    """Embedding * sqrt(C) + PE, dropout, the blocks, the final LayerNorm (pre-norm).
    The `decoder` (or `encoder`) of the state_dict names."""

    def __init__(self, vocab_size, d_model, num_heads, d_ff, num_layers, max_len, dropout,
                 standard_ln, norm, pos_encoding, learned_name):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model)
        if pos_encoding == 'learned':
            self.pos_encoding = LearnedPositionalEncoding(max_len, d_model, learned_name)
        else:
            self.pos_encoding = PositionalEncoding(d_model)
        self.layers = nn.ModuleList([Block(d_model, num_heads, d_ff, dropout, standard_ln, norm)
                                     for _ in range(num_layers)])
        if norm == 'pre':
            self.norm = LayerNormalization(d_model, standard=standard_ln)
        self.dropout = nn.Dropout(dropout)
        self.d_model = d_model

    def forward(self, x, mask=None):
        x = self.dropout(self.pos_encoding(self.embedding(x) * math.sqrt(self.d_model)))
        attentions = []
        for layer in self.layers:
            x, attention = layer(x, mask)
            attentions.append(attention)
        if hasattr(self, 'norm'):
            x = self.norm(x)
        return x, attentions


def causal_mask(T):
    """(T, T): 0 on and below the diagonal, -inf above (query t sees keys <= t)."""
    return torch.full((T, T), float('-inf')).triu(1)


class DecoderLM(nn.Module):
    def __init__(self, vocab_size, d_model, num_heads, d_ff, num_layers, max_len, dropout=0.0,
                 standard_ln=False, norm='post', pos_encoding='sinusoidal', tie=False):
        super().__init__()
        # minillm-tui's "config" metadata, keys in the order it writes them (so that its
        # re-save of a file from save_lm_checkpoint is the same bytes).
        self.config = {
            'vocab_size': vocab_size, 'd_model': d_model, 'num_heads': num_heads, 'd_ff': d_ff,
            'num_layers': num_layers, 'num_classes': 0, 'max_len': max_len,
            'layernorm': 'standard' if standard_ln else 'workshop', 'pos_encoding': pos_encoding,
            'pad_mask': True, 'causal': False, 'tokenizer': 'char', 'lowercase': False,
            'dropout': int(dropout) if dropout == int(dropout) else dropout, 'embedding_dropout': -1, 'pooling': 'mean', 'task': 'lm',
            'norm': norm, 'tie_embeddings': tie}
        self.decoder = Stack(vocab_size, d_model, num_heads, d_ff, num_layers, max_len, dropout,
                             standard_ln, norm, pos_encoding, 'weight')
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        if tie:
            self.lm_head.weight = self.decoder.embedding.weight

    def forward(self, x, return_attentions=False):
        """x (B, T) token ids -> logits (B, T, V): row t predicts token t+1."""
        h, attentions = self.decoder(x, causal_mask(x.size(1)))
        logits = self.lm_head(h)
        return (logits, attentions) if return_attentions else logits

    def loss(self, logits, targets, ignore_index=0):
        """Mean next-token cross-entropy in nats over targets != ignore_index."""
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                               ignore_index=ignore_index)

    def new_cache(self, max_context):
        """Per layer, keys and values of max_context positions: (NH, max_context, HS) each,
        written in place by step()."""
        att = self.decoder.layers[0].attention
        shape = (att.num_heads, max_context, att.d_k)
        return [{'k': torch.zeros(shape), 'v': torch.zeros(shape)} for _ in self.decoder.layers]

    @torch.no_grad()
    def step(self, token, pos, cache):
        """Incremental decoding, batch 1: feeds one token id at position pos (< the cache's
        max_context), stores its keys and values at row pos of every layer's cache, and
        returns the logits (V) for the next token. Attends over rows 0..pos: O(pos)."""
        dec = self.decoder
        x = dec.embedding.weight[token] * math.sqrt(dec.d_model) + dec.pos_encoding.rows(pos, 1)[0]
        for layer, c in zip(dec.layers, cache):
            att = layer.attention
            inp = layer.norm1(x) if layer.pre else x
            qkv = att.qkv_layer(inp).reshape(att.num_heads, 3 * att.d_k)
            q, k, v = qkv.chunk(3, dim=-1)  # (NH, HS) each
            c['k'][:, pos] = k
            c['v'][:, pos] = v
            keys, values = c['k'][:, :pos + 1], c['v'][:, :pos + 1]
            scores = torch.bmm(keys, q.unsqueeze(-1)).squeeze(-1) / math.sqrt(att.d_k)
            y = torch.bmm(F.softmax(scores, dim=-1).unsqueeze(1), values).reshape(-1)
            a = att.linear_layer(y)
            if layer.pre:
                x = x + a
                x = x + layer.ffn(layer.norm2(x))
            else:
                x = layer.norm1(x + a)
                x = layer.norm2(x + layer.ffn(x))
        if hasattr(dec, 'norm'):
            x = dec.norm(x)
        return self.lm_head(x)


class EncoderClassifier(nn.Module):
    """The workshop's MiniLLM (mean pooling, classifier.0 / classifier.3) on the same
    blocks, so with pre-norm blocks and the encoder's final LayerNorm too."""

    def __init__(self, vocab_size, d_model, num_heads, d_ff, num_layers, num_classes, max_len,
                 dropout=0.0, standard_ln=False, norm='post', pos_encoding='sinusoidal',
                 pad_mask=False):
        super().__init__()
        self.pad_mask = pad_mask
        self.encoder = Stack(vocab_size, d_model, num_heads, d_ff, num_layers, max_len, dropout,
                             standard_ln, norm, pos_encoding, 'pe')
        self.classifier = nn.Sequential(nn.Linear(d_model, d_model // 2), nn.ReLU(),
                                        nn.Dropout(dropout), nn.Linear(d_model // 2, num_classes))

    def forward(self, x, return_attentions=False):
        mask = None
        if self.pad_mask:
            pad = (x == 0)
            mask = torch.zeros(pad.shape).masked_fill(pad, float('-inf'))[:, None, None, :]
        encoded, attentions = self.encoder(x, mask)
        if self.pad_mask:
            keep = (x != 0).unsqueeze(-1).float()
            pooled = (encoded * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        else:
            pooled = encoded.mean(dim=1)
        logits = self.classifier(pooled)
        return (logits, attentions) if return_attentions else logits


def read_safetensors(path):
    """{name: float32 tensor} and the __metadata__ dict of a safetensors file (F32 only)."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    tensors = {}
    for name, info in header.items():
        assert info['dtype'] == 'F32', f'{path}: {name} is {info["dtype"]}, not F32'
        start, end = info['data_offsets']
        blob = bytearray(data[8 + n + start:8 + n + end])
        t = torch.frombuffer(blob, dtype=torch.float32) if blob else torch.zeros(0)
        tensors[name] = t.reshape(info['shape']).clone()
    return tensors, meta


def write_safetensors(path, tensors, metadata=None):
    """tensors: [(name, tensor)] in order, written as F32; metadata: {str: str}."""
    header = {'__metadata__': dict(metadata or {})}
    offset, blobs = 0, []
    for name, t in tensors:
        blob = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_checkpoint(model, path):
    """Loads a minillm-tui checkpoint into model with strict=True (every name present,
    none extra). Returns the file's metadata."""
    tensors, meta = read_safetensors(path)
    model.load_state_dict(tensors, strict=True)
    return meta


def lm_from_checkpoint(path):
    """A minillm-tui language-model checkpoint (`train --save`) as a DecoderLM in eval
    mode, loaded with strict=True; returns (model, metadata), the vocabulary in
    json.loads(metadata['vocab'])."""
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta['config'])
    assert cfg.get('task') == 'lm', f'{path}: not a language model (task {cfg.get("task")})'
    model = DecoderLM(cfg['vocab_size'], cfg['d_model'], cfg['num_heads'], cfg['d_ff'],
                      cfg['num_layers'], cfg['max_len'], dropout=cfg.get('dropout', 0.0),
                      standard_ln=cfg['layernorm'] == 'standard', norm=cfg['norm'],
                      pos_encoding=cfg['pos_encoding'], tie=cfg['tie_embeddings'])
    model.load_state_dict(tensors, strict=True)
    return model.eval(), meta


def save_lm_checkpoint(model, path, vocab, tokenizer='char', lowercase=False):
    """A DecoderLM as a checkpoint minillm-tui loads (generate, eval, the TUI): its
    state_dict with the __metadata__ format, config and vocab (tokens in id order,
    <PAD> and <UNK> first)."""
    cfg = dict(model.config, tokenizer=tokenizer, lowercase=lowercase)
    assert len(vocab) == cfg['vocab_size'], (len(vocab), cfg['vocab_size'])
    compact = {'separators': (',', ':')}
    write_safetensors(path, list(model.state_dict().items()),
                      {'format': 'minillm-tui/1', 'config': json.dumps(cfg, **compact),
                       'vocab': json.dumps(vocab, **compact), 'labels': '[]'})


def _self_check():
    torch.manual_seed(0)
    for norm, pos, tie, std in (('post', 'sinusoidal', False, False),
                                ('pre', 'learned', True, True)):
        m = DecoderLM(13, 16, 4, 32, 2, 12, norm=norm, pos_encoding=pos, tie=tie,
                      standard_ln=std).eval()
        names = list(m.state_dict().keys())
        assert names[0] == 'decoder.embedding.weight' and names[-1] == 'lm_head.weight', names
        assert ('decoder.norm.gamma' in names) == (norm == 'pre')
        assert (m.lm_head.weight.data_ptr() == m.decoder.embedding.weight.data_ptr()) == tie
        x = torch.randint(0, 13, (1, 9))
        with torch.no_grad():
            full = m(x)[0]
        cache = m.new_cache(9)
        steps = torch.stack([m.step(int(x[0, t]), t, cache) for t in range(9)])
        diff = (steps - full).abs().max().item()
        assert diff < 1e-4, diff
        # a checkpoint of every state_dict entry (the sinusoid buffer and a tied head
        # included) loads back with strict=True
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'model.safetensors')
            write_safetensors(path, list(m.state_dict().items()), {'format': 'self-check'})
            other = DecoderLM(13, 16, 4, 32, 2, 12, norm=norm, pos_encoding=pos, tie=tie,
                              standard_ln=std).eval()
            assert load_checkpoint(other, path) == {'format': 'self-check'}
            with torch.no_grad():
                assert torch.equal(other(x), m(x))
        print(f'{norm}/{pos}/tie={tie}: {len(names)} state_dict entries, cached step vs full '
              f'forward max |diff| {diff:.2e}, safetensors round trip with strict=True')


if __name__ == '__main__':
    _self_check()
