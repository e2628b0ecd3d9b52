#!/usr/bin/python3
"""PyTorch reference of minillm-bench's language-model configurations (issue 15).

  /usr/bin/python3 tools/bench_lm_ref.py --config lm-small --threads 1 [--json]
  /usr/bin/python3 tools/bench_lm_ref.py --config lm-gen --threads 2
  /usr/bin/python3 tools/bench_lm_ref.py --config lm --threads 1,2   # every lm config,
                                                  # each thread count in its own process

The model is tools/decoder_model.py's DecoderLM with the same shapes and settings as
minillm-bench's (pre-norm blocks, standard LayerNorm through F.layer_norm, sinusoidal
PE, untied head, dropout 0, causal mask):

- training (lm-small, lm-sst2, lm-sst2-l2): a step is zero_grad, forward, next-token
  cross-entropy over every position, backward, AdamW(lr=1e-3) step; 8 random batches
  of random sequences cycled; warm-up steps, then --repeats x --steps; steps/s =
  steps / wall time of a repeat, median (min, max) reported. FLOPs per step as
  minillm-bench: 6*P_mm*B*T + 6*C*V*B*T + 12*L*B*T^2*C.
- generation (lm-gen): torch.no_grad(), batch 1, DecoderLM.step (a key/value cache
  preallocated for 512 positions, written in place) + sampling from the
  temperature-1 softmax (torch.multinomial, seeded); per-token latency at contexts
  64 and 512, timed as minillm-bench does (the 16 tokens at positions n-16..n-1 after
  a reset, repeated), median.

Every (config, thread count) runs in a fresh child process with
torch.set_num_threads(N) (and OPENBLAS_NUM_THREADS=N, so that torch's OpenMP pool and
OpenBLAS's pool do not fight); the fastest setting is the best of them.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Identical to the lm-* CONFIGS of bench/minillm_bench.c.
CONFIGS = {
    "lm-small": dict(V=96, C=128, NH=4, F=512, L=4, B=32, T=128, kind="train"),
    "lm-sst2": dict(V=96, C=128, NH=4, F=512, L=4, B=32, T=64, kind="train"),
    "lm-sst2-l2": dict(V=96, C=128, NH=4, F=512, L=2, B=32, T=64, kind="train"),
    "lm-gen": dict(V=96, C=128, NH=4, F=512, L=4, B=1, T=512, kind="generate"),
}
GEN_CONTEXTS = (64, 512)
GEN_TOKENS_PER_REPEAT = 16
NUM_BATCHES = 8


def flops_per_step(V, C, F, L, B, T, **_):
    p_mm = L * (4 * C * C + 2 * C * F)
    return 6 * p_mm * B * T + 6 * C * V * B * T + 12 * L * B * T * T * C


def build(cfg, torch, dm):
    torch.manual_seed(1234)
    return dm.DecoderLM(cfg["V"], cfg["C"], cfg["NH"], cfg["F"], cfg["L"], max_len=cfg["T"],
                        dropout=0.0, standard_ln=True, norm="pre", pos_encoding="sinusoidal",
                        tie=False)


def train(cfg, args, torch, dm):
    F = torch.nn.functional
    model = build(cfg, torch, dm).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(4321)
    V, B, T = cfg["V"], cfg["B"], cfg["T"]
    seqs = [torch.randint(1, V, (B, T + 1), generator=g) for _ in range(NUM_BATCHES)]
    batches = [(s[:, :-1].contiguous(), s[:, 1:].contiguous()) for s in seqs]
    state = {"i": 0, "loss": None}

    def step():
        x, y = batches[state["i"] % NUM_BATCHES]
        state["i"] += 1
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        loss.backward()
        opt.step()
        state["loss"] = loss.item()

    for _ in range(args.warmup):
        step()
    sps, cpu_sps = [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.steps):
            step()
        sps.append(args.steps / (time.perf_counter() - t0))
        cpu_sps.append(args.steps / (time.process_time() - c0))
    med = statistics.median(sps)
    return {"train_steps_per_s": med, "train_steps_per_s_min": min(sps),
            "train_steps_per_s_max": max(sps), "train_steps_per_cpu_s": statistics.median(cpu_sps),
            "tok_per_s": med * B * T, "gflops": flops_per_step(**cfg) * med / 1e9,
            "final_loss": state["loss"], "steps": args.steps, "repeats": args.repeats,
            "warmup": args.warmup}


def generate(cfg, args, torch, dm):
    F = torch.nn.functional
    model = build(cfg, torch, dm).eval()
    g = torch.Generator().manual_seed(1234)
    count = args.tokens
    out = {"gen_tokens": count}
    with torch.no_grad():
        cache = model.new_cache(cfg["T"])
        for n in GEN_CONTEXTS:
            lat, token = [], 1
            while len(lat) < count:
                for pos in range(n):  # a reset: positions restart at 0
                    t0 = time.perf_counter()
                    logits = model.step(token, pos, cache)
                    token = int(torch.multinomial(F.softmax(logits, dim=-1), 1, generator=g))
                    dt = time.perf_counter() - t0
                    if pos >= n - GEN_TOKENS_PER_REPEAT and len(lat) < count:
                        lat.append(dt * 1e6)
            lat.sort()
            out[f"gen_us_ctx{n}"] = statistics.median(lat)
            out[f"gen_us_ctx{n}_p10"] = lat[len(lat) // 10]
            out[f"gen_us_ctx{n}_p90"] = lat[(9 * len(lat)) // 10]
    out["gen_ratio"] = out[f"gen_us_ctx{GEN_CONTEXTS[1]}"] / out[f"gen_us_ctx{GEN_CONTEXTS[0]}"]
    return out


def child(args):
    import torch
    sys.path.insert(0, HERE)
    import decoder_model as dm
    torch.set_num_threads(args.threads)
    cfg = CONFIGS[args.config]
    res = {"config": args.config, "threads": args.threads, "torch": torch.__version__,
           "B": cfg["B"], "T": cfg["T"]}
    if cfg["kind"] == "train":
        res.update(train(cfg, args, torch, dm))
    else:
        res.update(generate(cfg, args, torch, dm))
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="lm",
                    help="lm-small, lm-sst2, lm-sst2-l2, lm-gen or lm (all four)")
    ap.add_argument("--threads", default="1,2", help="torch thread counts, comma-separated")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=400, help="lm-gen: timed tokens per context")
    ap.add_argument("--json", action="store_true", help="one JSON object per line only")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.threads = int(args.threads)
        child(args)
        return 0
    names = list(CONFIGS) if args.config == "lm" else [args.config]
    for name in names:
        if name not in CONFIGS:
            print(f"bench_lm_ref.py: --config {name!r} is not one of {', '.join(CONFIGS)}, lm",
                  file=sys.stderr)
            return 2
    for name in names:
        for threads in [int(t) for t in args.threads.split(",")]:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            cmd = [sys.executable, os.path.abspath(__file__), "--child", "--config", name,
                   "--threads", str(threads), "--repeats", str(args.repeats), "--steps",
                   str(args.steps), "--warmup", str(args.warmup), "--tokens", str(args.tokens)]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            res = json.loads(out.strip().splitlines()[-1])
            if args.json:
                print(json.dumps(res), flush=True)
            elif CONFIGS[name]["kind"] == "train":
                print(f"{name:11s} torch threads {threads}: {res['train_steps_per_s']:.3f} steps/s "
                      f"[{res['train_steps_per_s_min']:.3f}..{res['train_steps_per_s_max']:.3f}], "
                      f"{res['tok_per_s']:.0f} tok/s, {res['gflops']:.1f} GFLOP/s, "
                      f"last loss {res['final_loss']:.4f}", flush=True)
            else:
                print(f"{name:11s} torch threads {threads}: "
                      + ", ".join(f"context {n}: {res[f'gen_us_ctx{n}']:.1f} us/token"
                                  for n in GEN_CONTEXTS)
                      + f", ratio {res['gen_ratio']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
