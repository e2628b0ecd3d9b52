#!/usr/bin/python3
"""Writes the golden fixtures of the model tests (tests/fixtures/golden_*.txt)
from the workshop's PyTorch model (shared/reference/workshop_model.py).

Run with Debian's torch:  /usr/bin/python3 tools/make_golden.py [REFERENCE_DIR] [OUT_DIR]
(defaults: ../shared/reference beside the source tree, and tests/fixtures).
CI never runs this; it reads the committed fixtures.

Each fixture is text: `key value ...` lines for the configuration, then blocks
`tensor NAME COUNT` followed by COUNT numbers. It holds the parameters (by
state_dict name), the inputs, the logits, both layers' attention, the loss,
every parameter's gradient, and the losses after each of the next 3 optimizer
steps. Dropout is 0, so train and eval agree.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REF_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "reference")
OUT_DIR = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "fixtures")
sys.path.insert(0, os.path.abspath(REF_DIR))
import workshop_model as wm  # noqa: E402

V, C, NH, FF, L, K, MAX_LEN = 14, 16, 4, 32, 2, 3, 8
B, T = 4, 7  # T < max_len: the C side must handle a shorter sequence
TOKENS = [
    [5, 3, 9, 2, 7, 12, 4],   # no padding
    [4, 11, 6, 0, 0, 0, 0],
    [8, 1, 13, 10, 0, 0, 0],  # <UNK> inside
    [2, 0, 0, 0, 0, 0, 0],
]
LABELS = [2, 0, 1, 2]

CASES = [
    # name, layernorm, pos encoding, pad mask, optimizer, lr, weight decay, clip, smoothing
    ("notebook", "workshop", "sinusoidal", False, "adam", 1e-3, 0.0, 0.0, 0.0),
    ("padmask", "workshop", "sinusoidal", True, "adam", 1e-3, 0.01, 0.0, 0.0),
    ("standard", "standard", "learned", True, "adamw", 2e-3, 0.05, 0.5, 0.1),
]


class LearnedPositionalEncoding(nn.Module):
    """The notebook's alternative: a trainable (max_len, d_model) table."""

    def __init__(self, max_len, d_model):
        super().__init__()
        self.pe = nn.Parameter(torch.randn(max_len, d_model) * 0.5)

    def forward(self, x):
        return x + self.pe[: x.size(1), :].unsqueeze(0)


def write_tensor(f, name, values):
    values = [float(v) for v in values]
    f.write(f"tensor {name} {len(values)}\n")
    for i in range(0, len(values), 8):
        f.write(" ".join(f"{v:.9g}" for v in values[i:i + 8]) + "\n")


def build(ln, pos, pad_mask):
    torch.manual_seed(0)
    model = wm.MiniLLM(V, d_model=C, num_heads=NH, d_ff=FF, num_layers=L, num_classes=K,
                       dropout=0.0, standard_ln=(ln == "standard"), pad_mask=pad_mask)
    if pos == "learned":
        model.encoder.pos_encoding = LearnedPositionalEncoding(MAX_LEN, C)
    with torch.no_grad():  # LayerNorm away from (1, 0), so its gradients matter
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.add_(0.2 * torch.randn_like(p))
            elif name.endswith("beta"):
                p.copy_(0.1 * torch.randn_like(p))
    return model


def loss_of(model, x, y, smoothing, keep=None):
    logits, attentions = model(x, return_attentions=True)
    loss = F.cross_entropy(logits, y, label_smoothing=smoothing)
    if keep is not None:
        keep.update(logits=logits, attentions=attentions)
    return loss


def write_case(name, ln, pos, pad_mask, optim, lr, wd, clip, smoothing):
    model = build(ln, pos, pad_mask)
    x = torch.tensor(TOKENS, dtype=torch.long)
    y = torch.tensor(LABELS, dtype=torch.long)
    params = list(model.named_parameters())
    state_names = list(model.state_dict().keys())
    # Parameters come in state_dict order (the sinusoid is a buffer, not a parameter).
    assert [n for n, _ in params] == [n for n in state_names if n != "encoder.pos_encoding.pe"
                                       or pos == "learned"], state_names

    keep = {}
    loss = loss_of(model, x, y, smoothing, keep)
    model.zero_grad()
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in params}
    first_loss = loss.item()

    path = os.path.join(OUT_DIR, f"golden_{name}.txt")
    with open(path, "w") as f:
        f.write(f"# golden fixture '{name}': tools/make_golden.py, torch {torch.__version__}\n")
        f.write(f"config vocab_size {V} d_model {C} num_heads {NH} d_ff {FF} num_layers {L} "
                f"num_classes {K} max_len {MAX_LEN} layernorm {ln} pos_encoding {pos} "
                f"pad_mask {int(pad_mask)}\n")
        f.write(f"optim kind {optim} lr {lr!r} weight_decay {wd!r} clip_norm {clip!r} "
                f"label_smoothing {smoothing!r} batch {B} seq_len {T}\n")
        write_tensor(f, "tokens", [t for row in TOKENS for t in row])
        write_tensor(f, "labels", LABELS)
        for n, p in params:
            write_tensor(f, "param:" + n, p.detach().flatten().tolist())
        write_tensor(f, "logits", keep["logits"].detach().flatten().tolist())
        for layer, att in enumerate(keep["attentions"]):
            write_tensor(f, f"attention:{layer}", att.detach().flatten().tolist())
        write_tensor(f, "loss", [loss.item()])
        for n, _ in params:
            write_tensor(f, "grad:" + n, grads[n].flatten().tolist())

        # The next 3 optimizer steps: step from the gradients above, then record
        # the loss at the new parameters, and so on.
        cls = torch.optim.Adam if optim == "adam" else torch.optim.AdamW
        opt = cls(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
        next_losses = []
        for _ in range(3):
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            opt.zero_grad()
            loss = loss_of(model, x, y, smoothing)
            loss.backward()
            next_losses.append(loss.item())
        write_tensor(f, "next_losses", next_losses)
    print(f"{path}: loss {first_loss:.6f}, next {next_losses}, {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    print("state_dict order:", list(build("workshop", "sinusoidal", False).state_dict().keys())[:16])
    for case in CASES:
        write_case(*case)


if __name__ == "__main__":
    main()
