#!/usr/bin/python3
"""PyTorch reference of minillm-bench's language-model configurations (issue 15).

  /usr/bin/python3 tools/bench_lm_ref.py --config lm-small --settings 1 [--json]
  /usr/bin/python3 tools/bench_lm_ref.py --config lm --settings 1,2,1/1  # every lm config,
                                                  # each setting in its own process
  /usr/bin/python3 tools/bench_lm_ref.py --session OUT --bench build/bench/minillm-bench \
      --runs 3                  # PyTorch and minillm-bench back to back, summary with ratios
  /usr/bin/python3 tools/bench_lm_ref.py --summary OUT [--config ...] [--max-foreign X]

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

A setting is "T" (torch.set_num_threads(T), OpenBLAS's own thread count, which
torch's matrix products use: both cores here) or "T/B" (and OPENBLAS_NUM_THREADS=B).
Every (config, setting) runs in a fresh child process; PyTorch's fastest setting is
the best of them (default 1, 2 and 1/1).

--session OUT: for each of --runs rounds and each config, every PyTorch setting and
`minillm-bench --config X --json` at --ours-threads, one after the other, each after
waiting for an idle machine (< 15 % busy over 3 s, at most --max-wait s); the share of
the machine other processes used meanwhile is recorded ("foreign_share") and a
measurement is redone (--retries times at most) above --max-foreign. JSON lines in
OUT/torch.jsonl and OUT/ours.jsonl, the log in OUT/session.log, and a summary: per
config the median over rounds of each setting, PyTorch's best, ours' best and the
ratios against issue 15's targets (training >= 2x; generation latency(512) <= 3x
latency(64) and >= 10x PyTorch's cached loop), from the measurements at or below
--max-foreign (all of them, marked *, when none was).
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
           "openblas_threads_env": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
           "B": cfg["B"], "T": cfg["T"]}
    if cfg["kind"] == "train":
        res.update(train(cfg, args, torch, dm))
    else:
        res.update(generate(cfg, args, torch, dm))
    print(json.dumps(res))


def parse_setting(text):
    """"T" or "T/B" -> (torch threads, OpenBLAS threads or None)."""
    torch_t, _, blas = text.partition("/")
    return int(torch_t), (int(blas) if blas else None)


def child_command(name, setting, args):
    torch_t, blas = parse_setting(setting)
    env = dict(os.environ)
    env.pop("OPENBLAS_NUM_THREADS", None)
    if blas is not None:
        env["OPENBLAS_NUM_THREADS"] = str(blas)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--config", name, "--settings",
           str(torch_t), "--repeats", str(args.repeats), "--steps", str(args.steps), "--warmup",
           str(args.warmup), "--tokens", str(args.tokens)]
    return cmd, env


def describe(res):
    if "train_steps_per_s" in res:
        return (f"{res['train_steps_per_s']:.3f} steps/s "
                f"[{res['train_steps_per_s_min']:.3f}..{res['train_steps_per_s_max']:.3f}]")
    return ", ".join(f"ctx {n}: {res[f'gen_us_ctx{n}']:.1f} us/token" for n in GEN_CONTEXTS) + \
        f", ratio {res['gen_ratio']:.2f}"


def run_settings(args, names):
    for name in names:
        for setting in args.settings.split(","):
            cmd, env = child_command(name, setting, args)
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            res = json.loads(out.strip().splitlines()[-1])
            res["setting"] = setting
            print(json.dumps(res) if args.json else f"{name:11s} torch {setting:4s}: {describe(res)}",
                  flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="lm",
                    help="lm-small, lm-sst2, lm-sst2-l2, lm-gen or lm (all four)")
    ap.add_argument("--settings", default="1,2,1/1",
                    help="torch settings, comma-separated: T or T/B (see above)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=400, help="lm-gen: timed tokens per context")
    ap.add_argument("--json", action="store_true", help="one JSON object per line only")
    ap.add_argument("--session", metavar="OUT", help="back-to-back session into OUT (see above)")
    ap.add_argument("--bench", help="--session: the minillm-bench executable")
    ap.add_argument("--runs", type=int, default=3, help="--session: rounds")
    ap.add_argument("--ours-threads", default="1,2", help="--session: minillm-bench --threads")
    ap.add_argument("--max-wait", type=float, default=300.0)
    ap.add_argument("--max-foreign", type=float, default=0.10,
                    help="--session: redo a measurement above this share of others' CPU use; "
                         "the summary's medians use only those at or below it")
    ap.add_argument("--retries", type=int, default=2, help="--session: redos at most")
    ap.add_argument("--summary", metavar="OUT", help="print the summary of session OUT again")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.threads = int(args.settings)
        child(args)
        return 0
    names = list(CONFIGS) if args.config == "lm" else args.config.split(",")
    for name in names:
        if name not in CONFIGS:
            print(f"bench_lm_ref.py: --config {name!r} is not one of {', '.join(CONFIGS)}, lm",
                  file=sys.stderr)
            return 2
    if args.summary:
        import bench_lm_session
        print(bench_lm_session.summarize(args.summary, names, args.max_foreign))
        return 0
    if args.session:
        if not args.bench:
            print("bench_lm_ref.py: --session needs --bench PATH", file=sys.stderr)
            return 2
        import bench_lm_session
        return bench_lm_session.session(args, names, child_command)
    run_settings(args, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
