#!/usr/bin/python3
"""Writes the golden fixtures of issue 15's models (tests/fixtures/golden_lm_*.txt)
from tools/decoder_model.py: the causal language model (post/pre-norm, tied/untied,
sinusoidal/learned PE, workshop/standard LayerNorm) and the classifier with pre-norm
blocks and the encoder's final LayerNorm.

Run with Debian's torch:  /usr/bin/python3 tools/make_golden_lm.py [OUT_DIR]
(default tests/fixtures). CI never runs this; tests/model/test_golden_lm.c reads the
committed fixtures.

The format is tools/make_golden.py's: `key value ...` lines, then blocks
`tensor NAME COUNT` followed by COUNT numbers: every state_dict entry but the
sinusoid buffer (a tied lm_head.weight too, equal to the embedding), the inputs
(tokens, and targets or labels), the logits, every layer's attention, the loss,
every gradient (a tied table's is the sum of both uses, under both names), and the
losses after each of the next 3 optimizer steps. Dropout is 0.
"""
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures")
sys.path.insert(0, HERE)
import decoder_model as dm  # noqa: E402

V, C, NH, FF, L, K, MAX_LEN = 11, 16, 4, 32, 2, 3, 8
B, T = 3, 7  # T < max_len: the C side must handle a shorter sequence
# Language model: sequences of T + 1 ids; inputs are the first T, targets the last T.
# Rows 1 and 2 end in padding (id 0): those targets are not counted (7 + 5 + 3 = 15).
SEQUENCES = [
    [5, 3, 9, 2, 7, 10, 4, 6],
    [4, 1, 6, 8, 3, 5, 0, 0],
    [8, 2, 10, 7, 0, 0, 0, 0],
]
# Classifier: token rows and labels, as tools/make_golden.py.
CLS_TOKENS = [
    [5, 3, 9, 2, 7, 10, 4],
    [4, 10, 6, 0, 0, 0, 0],
    [8, 1, 3, 10, 0, 0, 0],
]
CLS_LABELS = [2, 0, 1]

CASES = [
    # name, task, norm, layernorm, pos encoding, tie, optimizer, lr, weight decay, clip
    ("lm_post", "lm", "post", "workshop", "sinusoidal", False, "adam", 1e-3, 0.0, 0.0),
    ("lm_pre_tied", "lm", "pre", "standard", "learned", True, "adamw", 2e-3, 0.05, 0.5),
    ("lm_pre", "lm", "pre", "workshop", "sinusoidal", False, "adamw", 3e-3, 0.01, 0.0),
    ("lm_post_tied", "lm", "post", "standard", "learned", True, "adam", 1e-3, 0.01, 1.0),
    ("lm_classify_pre", "classify", "pre", "standard", "learned", False, "adamw", 2e-3, 0.05,
     0.0),
]


def write_tensor(f, name, values):
    values = [float(v) for v in values]
    f.write(f"tensor {name} {len(values)}\n")
    for i in range(0, len(values), 8):
        f.write(" ".join(f"{v:.9g}" for v in values[i:i + 8]) + "\n")


def build(task, norm, ln, pos, tie):
    torch.manual_seed(0)
    std = ln == "standard"
    if task == "lm":
        model = dm.DecoderLM(V, C, NH, FF, L, MAX_LEN, standard_ln=std, norm=norm,
                             pos_encoding=pos, tie=tie)
    else:
        model = dm.EncoderClassifier(V, C, NH, FF, L, K, MAX_LEN, standard_ln=std, norm=norm,
                                     pos_encoding=pos, pad_mask=True)
    with torch.no_grad():  # LayerNorm away from (1, 0), a PE table that matters
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.add_(0.2 * torch.randn_like(p))
            elif name.endswith("beta"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "pos_encoding" in name:
                p.copy_(0.5 * torch.randn_like(p))
    return model


def inputs(task):
    if task == "lm":
        seq = torch.tensor(SEQUENCES, dtype=torch.long)
        return seq[:, :-1].contiguous(), seq[:, 1:].contiguous()
    return torch.tensor(CLS_TOKENS, dtype=torch.long), torch.tensor(CLS_LABELS, dtype=torch.long)


def loss_of(model, task, x, y, keep=None):
    logits, attentions = model(x, return_attentions=True)
    if task == "lm":
        loss = model.loss(logits, y, ignore_index=0)
    else:
        loss = F.cross_entropy(logits, y)
    if keep is not None:
        keep.update(logits=logits, attentions=attentions)
    return loss


def saved_names(model):
    """Every state_dict name but the sinusoid buffer (not a parameter)."""
    return [n for n in model.state_dict().keys() if not n.endswith("pos_encoding.pe")
            or isinstance(model.get_submodule(n.rsplit(".", 1)[0]), dm.LearnedPositionalEncoding)]


def write_case(name, task, norm, ln, pos, tie, optim, lr, wd, clip):
    model = build(task, norm, ln, pos, tie)
    x, y = inputs(task)
    names = saved_names(model)
    keep = {}
    loss = loss_of(model, task, x, y, keep)
    model.zero_grad()
    loss.backward()
    grads = {n: model.get_parameter(n).grad.detach().clone() for n in names}
    first_loss = loss.item()

    path = os.path.join(OUT_DIR, f"golden_{name}.txt")
    with open(path, "w") as f:
        f.write(f"# golden fixture '{name}': tools/make_golden_lm.py, torch {torch.__version__}\n")
        f.write(f"config task {task} vocab_size {V} d_model {C} num_heads {NH} d_ff {FF} "
                f"num_layers {L} num_classes {K if task == 'classify' else 0} max_len {MAX_LEN} "
                f"layernorm {ln} pos_encoding {pos} norm {norm} tie_embeddings {int(tie)} "
                f"pad_mask {int(task == 'classify')}\n")
        f.write(f"optim kind {optim} lr {lr!r} weight_decay {wd!r} clip_norm {clip!r} "
                f"batch {B} seq_len {T}\n")
        write_tensor(f, "tokens", x.flatten().tolist())
        write_tensor(f, "targets" if task == "lm" else "labels", y.flatten().tolist())
        for n in names:
            write_tensor(f, "param:" + n, model.get_parameter(n).detach().flatten().tolist())
        write_tensor(f, "logits", keep["logits"].detach().flatten().tolist())
        for layer, att in enumerate(keep["attentions"]):
            write_tensor(f, f"attention:{layer}", att.detach().flatten().tolist())
        write_tensor(f, "loss", [loss.item()])
        for n in names:
            write_tensor(f, "grad:" + n, grads[n].flatten().tolist())

        # The next 3 optimizer steps: clip, step from the gradients above, then record
        # the loss at the new parameters, and so on.
        cls = torch.optim.Adam if optim == "adam" else torch.optim.AdamW
        opt = cls(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
        next_losses = []
        for _ in range(3):
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            opt.zero_grad()
            loss = loss_of(model, task, x, y)
            loss.backward()
            next_losses.append(loss.item())
        write_tensor(f, "next_losses", next_losses)
    print(f"{path}: loss {first_loss:.6f}, next {next_losses}, {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for case in CASES:
        write_case(*case)


if __name__ == "__main__":
    main()
