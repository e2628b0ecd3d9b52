#!/usr/bin/python3
"""Compare minillm-bench against the PyTorch reference (issue 5's targets).

Usage:
  tools/bench_compare.py --torch T1.json [T2.json ...] --ours O1.jsonl [O2.jsonl ...]
  tools/bench_compare.py --torch SESSION/torch.jsonl --ours SESSION/ours.jsonl

  --torch  raw JSON files written by ../shared/reference/bench_ref.py (BENCH_OUT dir,
           bench_<stamp>.json: {config: [one result per run]}), one per thread setting,
           or torch.jsonl of tools/bench_session.py (one child result per line).
  --ours   files holding `minillm-bench --json` output (one JSON object per line);
           several files = several runs; lines are grouped by (config, threads).

For every config: the best PyTorch setting (median over its runs of steps/s), our
best thread setting (median over runs), the ratio, and the issue's targets.
Only the standard library; run with /usr/bin/python3 or any python3.
"""
import argparse
import json
import statistics
import sys

# Issue 5, "Targets".
TARGET_SPEEDUP = {"seed": 8.0, "small": 3.0, "medium": 1.8, "large": 1.4}
TARGET_MFU = {"medium": 0.60, "large": 0.70}
TARGET_FWD1_US = {"seed": 300.0}
TARGET_RSS_RATIO = 4.0


def too_busy(r, max_foreign):
    f = r.get("session", {}).get("foreign_share")
    return max_foreign is not None and f is not None and f > max_foreign


def load_torch(paths, max_foreign=None):
    """{config: {threads: {"sps": [...], "fwd1": [...], "rss": [...]}}}"""
    out = {}
    for p in paths:
        with open(p) as f:
            text = f.read()
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict) and "train" not in whole:
            data = whole  # bench_ref.py's own file: {config: [runs]}
        else:
            # JSON lines: one `bench_ref.py --child` result each (tools/bench_session.py)
            data = {}
            for line in text.splitlines():
                if line.strip():
                    r = json.loads(line)
                    data.setdefault(r["config"], []).append(r)
        for cfg, runs in data.items():
            for r in runs:
                if too_busy(r, max_foreign):
                    continue
                thr = r["env"]["torch_threads"]
                d = out.setdefault(cfg, {}).setdefault(thr, {"sps": [], "fwd1": [], "fwd1_1thr": [], "rss": []})
                d["sps"].append(r["train"]["steps_per_s"])
                d["fwd1"].append(r["infer_bs1_2thr"]["median_us"])
                d["fwd1_1thr"].append(r["infer_bs1_1thr"]["median_us"])
                d["rss"].append(r["rss_kib"]["peak"] / 1024)
    return out


def load_ours(paths, max_foreign=None):
    """{config: {threads: [result, ...]}}"""
    out = {}
    for p in paths:
        with open(p) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                r = json.loads(line)
                if too_busy(r, max_foreign):
                    continue
                out.setdefault(r["config"], {}).setdefault(r["threads"], []).append(r)
    return out


def med(v):
    return statistics.median(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch", nargs="+", required=True)
    ap.add_argument("--ours", nargs="+", required=True)
    ap.add_argument("--torch-cpu", nargs="+", default=[],
                    help="torchcpu.jsonl of tools/bench_session.py --torch-cpu (CPU-time timed)")
    ap.add_argument("--max-foreign", type=float, default=None,
                    help="ignore wall-clock results measured while other processes used more "
                         "than this share of the machine (session files only)")
    args = ap.parse_args()
    torch = load_torch(args.torch, args.max_foreign)
    ours = load_ours(args.ours, args.max_foreign)
    order = [c for c in ("seed", "small", "medium", "large") if c in torch or c in ours]

    print("| config | torch steps/s by threads | torch best | ours steps/s by threads | ours best "
          "| speed-up (target) | ours GFLOP/s | sgemm peak | mfu (target) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in order:
        t = torch.get(c, {})
        o = ours.get(c, {})
        t_by = {thr: med(d["sps"]) for thr, d in sorted(t.items())}
        o_by = {thr: med([r["train_steps_per_s"] for r in rs]) for thr, rs in sorted(o.items())}
        t_best_thr = max(t_by, key=t_by.get) if t_by else None
        o_best_thr = max(o_by, key=o_by.get) if o_by else None
        t_best = t_by.get(t_best_thr, float("nan"))
        o_best = o_by.get(o_best_thr, float("nan"))
        speed = o_best / t_best if t_by and o_by else float("nan")
        tgt = TARGET_SPEEDUP.get(c)
        ok = "" if tgt is None or speed != speed else (" ok" if speed >= tgt else " MISS")
        if o_by:
            rs = o[o_best_thr]
            gfl = med([r["gflops"] for r in rs])
            peak = med([r["sgemm_peak_gflops"] for r in rs])
            mfu = med([r["mfu"] for r in rs])
        else:
            gfl = peak = mfu = float("nan")
        mt = TARGET_MFU.get(c)
        mfu_s = f"{100*mfu:.1f}%" + (f" (>= {100*mt:.0f}%{' ok' if mfu >= mt else ' MISS'})" if mt else "")
        print(f"| {c} | " + ", ".join(f"{k}t {v:.4g}" for k, v in t_by.items())
              + f" | {t_best:.4g} ({t_best_thr}t) | "
              + ", ".join(f"{k}t {v:.4g}" for k, v in o_by.items())
              + f" | {o_best:.4g} ({o_best_thr}t) | {speed:.2f}x (>= {tgt}x){ok} | {gfl:.1f} | {peak:.1f} | {mfu_s} |")

    print()
    print("| config | torch fwd1 us (best setting) | ours fwd1 us by threads | ratio | torch peak RSS MiB | ours peak RSS MiB | RSS ratio (target >= 4x) |")
    print("|---|---|---|---|---|---|---|")
    for c in order:
        t = torch.get(c, {})
        o = ours.get(c, {})
        t_fwd = min([med(d["fwd1"]) for d in t.values()] + [med(d["fwd1_1thr"]) for d in t.values()]) if t else float("nan")
        o_fwd = {thr: med([r["fwd1_us"] for r in rs]) for thr, rs in sorted(o.items())}
        o_fwd_best = min(o_fwd.values()) if o_fwd else float("nan")
        t_rss = min(med(d["rss"]) for d in t.values()) if t else float("nan")
        o_rss = max((med([r["peak_rss_mib"] for r in rs]) for rs in o.values()), default=float("nan"))
        ft = TARGET_FWD1_US.get(c)
        fwd_ok = f" (<= {ft:.0f} us{' ok' if o_fwd_best <= ft else ' MISS'})" if ft else ""
        rr = t_rss / o_rss
        print(f"| {c} | {t_fwd:.0f} | " + ", ".join(f"{k}t {v:.0f}" for k, v in o_fwd.items())
              + f"{fwd_ok} | {t_fwd / o_fwd_best:.1f}x | {t_rss:.0f} | {o_rss:.1f} | {rr:.1f}x"
              + (" ok" if rr >= TARGET_RSS_RATIO else " MISS") + " |")

    if args.torch_cpu:
        tcpu = load_torch(args.torch_cpu)
        print()
        print("Single core, timed by CPU time (robust to other jobs): PyTorch with BENCH_THREADS=1 "
              "OPENBLAS_NUM_THREADS=1 vs minillm-bench --threads 1")
        print()
        print("| config | torch steps/CPU-s | ours steps/CPU-s | ratio | ours GFLOP/CPU-s | sgemm peak/CPU-s "
              "| mfu (CPU) | torch fwd1 us | ours fwd1 us (CPU) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for c in order:
            t = tcpu.get(c, {}).get(1)
            o = ours.get(c, {}).get(1, [])
            o = [r for r in o if "train_steps_per_cpu_s" in r]
            if not t or not o:
                continue
            ts = med(t["sps"])
            os_ = med([r["train_steps_per_cpu_s"] for r in o])
            peak = med([r.get("sgemm_peak_cpu_gflops", float("nan")) for r in o])
            gfl = med([r.get("gflops_cpu", float("nan")) for r in o])
            fwd = med([r.get("fwd1_cpu_us", r["fwd1_us"]) for r in o])
            print(f"| {c} | {ts:.4g} | {os_:.4g} | {os_ / ts:.2f}x | {gfl:.1f} | {peak:.1f} | "
                  f"{100 * gfl / peak:.1f}% | {med(t['fwd1']):.0f} | {fwd:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
