#!/usr/bin/python3
"""Measure minillm-bench and the PyTorch reference back to back, on a shared machine.

Usage (from the source root, after `ninja -C build bench/minillm-bench`):
  tools/bench_session.py --bench build/bench/minillm-bench \\
      --ref ../shared/reference/bench_ref.py --out /tmp/bench-session \\
      --configs seed,small,medium,large --runs 3 --torch-threads 1,2 --ours-threads 1,2
  tools/bench_compare.py --torch /tmp/bench-session/torch.jsonl --ours /tmp/bench-session/ours.jsonl

Runs are interleaved: for run r, for each config, PyTorch and ours at every thread
count, one fresh process each (bench_ref.py --child, minillm-bench --config X --json).
Before every measurement it waits (up to --max-wait s) until the machine is idle
(CPU busy below --idle-below of all cores over 3 s), and it records for every
measurement the load average and the share of the machine's CPU time that other
processes used while it ran ("foreign_share"): 0 = we had the machine to ourselves.
Each result is one JSON line in torch.jsonl / ours.jsonl under --out.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def cpu_jiffies():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])       # without guest (counted in user already)
    return total - idle, total


def busy_share(seconds):
    b0, t0 = cpu_jiffies()
    time.sleep(seconds)
    b1, t1 = cpu_jiffies()
    return (b1 - b0) / max(1, t1 - t0)


def wait_idle(threshold, max_wait, log):
    t_start = time.time()
    while True:
        share = busy_share(3.0)
        if share < threshold:
            return share, time.time() - t_start
        if time.time() - t_start > max_wait:
            log(f"  not idle after {max_wait:.0f} s (busy {share:.0%}); measuring anyway")
            return share, time.time() - t_start


def run_measured(cmd, env, cwd):
    """Runs cmd; returns (stdout, stderr, rc, wall seconds, busy CPU seconds of the
    whole machine meanwhile)."""
    b0, _ = cpu_jiffies()
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                         text=True)
    out, err = p.communicate()
    wall = time.time() - t0
    b1, _ = cpu_jiffies()
    return out, err, p.returncode, wall, (b1 - b0) / HZ


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of the minillm-bench executable")
    ap.add_argument("--ref", required=True, help="path of bench_ref.py")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with Debian's torch")
    ap.add_argument("--out", required=True)
    ap.add_argument("--configs", default="seed,small,medium,large")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--torch-threads", default="1,2", help="'' = skip PyTorch")
    ap.add_argument("--ours-threads", default="1,2", help="'' = skip minillm-bench")
    ap.add_argument("--torch-cpu", action="store_true",
                    help="also run PyTorch strictly single-threaded timed by CPU time "
                         "(tools/bench_ref_cpu.py; torchcpu.jsonl), robust to a busy machine")
    ap.add_argument("--torch-extra-runs", type=int, default=None,
                    help="measure PyTorch thread counts after the first only in the first N runs "
                         "(they are the slow setting on 2 cores); default: every run")
    ap.add_argument("--steps", type=int, default=20, help="steps per repeat")
    ap.add_argument("--large-steps", type=int, default=10, help="steps per repeat for large")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--idle-below", type=float, default=0.15)
    ap.add_argument("--max-wait", type=float, default=240.0)
    ap.add_argument("--max-foreign", type=float, default=0.10,
                    help="redo a measurement when other processes used more than this share "
                         "of the machine while it ran (rejected results go to *_rejected.jsonl)")
    ap.add_argument("--retries", type=int, default=2, help="redos per measurement at most")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    logf = open(os.path.join(args.out, "session.log"), "a")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S', time.gmtime())} {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    bench = os.path.abspath(args.bench)
    cpu_wrapper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_ref_cpu.py")
    ref = os.path.abspath(args.ref)
    configs = [c for c in args.configs.split(",") if c]
    tthreads = [int(t) for t in args.torch_threads.split(",") if t]
    othreads = [int(t) for t in args.ours_threads.split(",") if t]
    log(f"session: configs={configs} runs={args.runs} torch threads={tthreads} ours threads={othreads}")

    for r in range(1, args.runs + 1):
        for c in configs:
            steps = args.large_steps if c == "large" else args.steps
            extra = args.torch_extra_runs
            jobs = [("torch", t) for i, t in enumerate(tthreads) if i == 0 or extra is None or r <= extra]
            if args.torch_cpu:
                jobs.append(("torchcpu", 1))
            jobs += [("ours", t) for t in othreads]
            for who, t in jobs:
                for attempt in range(args.retries + 1):
                    idle, waited = wait_idle(args.idle_below, args.max_wait, log)
                    load = open("/proc/loadavg").read().split()[:3]
                    env = dict(os.environ)
                    if who == "torch":
                        env["BENCH_THREADS"] = str(t)
                        cmd = ["nice", args.python, ref, "--child", "--config", c, "--steps",
                               str(steps), "--repeats", str(args.repeats)]
                        cwd = "/tmp"
                    elif who == "torchcpu":
                        env["BENCH_THREADS"] = "1"
                        env["OPENBLAS_NUM_THREADS"] = "1"
                        cmd = ["nice", args.python, cpu_wrapper, ref, "--config", c, "--steps",
                               str(steps), "--repeats", str(args.repeats)]
                        cwd = "/tmp"
                    else:
                        cmd = ["nice", bench, "--config", c, "--threads", str(t), "--steps",
                               str(steps), "--repeats", str(args.repeats), "--json"]
                        cwd = None
                    # The child's CPU time (with its own reaped children) lands in this
                    # process's children times once Popen has reaped it.
                    before = os.times()
                    out, err, rc, wall, busy_s = run_measured(cmd, env, cwd)
                    after = os.times()
                    own = (after.children_user - before.children_user) + \
                          (after.children_system - before.children_system)
                    foreign = max(0.0, busy_s - own) / (wall * NCPU)
                    if rc != 0:
                        log(f"run {r} {c} {who} {t}t FAILED rc={rc}: {err.strip()[-500:]}")
                        break
                    res = json.loads(out.strip().splitlines()[-1])
                    res["session"] = {"run": r, "threads": t, "attempt": attempt, "wall_s": wall,
                                      "own_cpu_s": own, "foreign_share": foreign,
                                      "idle_before": idle, "waited_s": waited,
                                      "loadavg_before": load,
                                      "time": time.strftime("%H:%M:%S", time.gmtime())}
                    # CPU-time results do not depend on the neighbours: never redone.
                    keep = foreign <= args.max_foreign or attempt == args.retries or who == "torchcpu"
                    name = f"{who}.jsonl" if keep else f"{who}_rejected.jsonl"
                    with open(os.path.join(args.out, name), "a") as f:
                        f.write(json.dumps(res) + "\n")
                    torchlike = who.startswith("torch")
                    sps = res["train"]["steps_per_s"] if torchlike else res["train_steps_per_s"]
                    fwd = res["infer_bs1_2thr"]["median_us"] if torchlike else res["fwd1_us"]
                    extra_info = "" if torchlike else f" ({res.get('train_steps_per_cpu_s', 0):.3f}/cpu-s)"
                    log(f"run {r} {c:6s} {who:8s} {t}t {sps:9.3f} steps/s{extra_info} fwd1 {fwd:9.1f} us "
                        f"wall {wall:5.0f}s load {' '.join(load)} busy-before {idle:.0%} "
                        f"foreign {foreign:.0%}" + ("" if keep else " -> rejected, redo")
                        + (" (kept: out of retries)" if keep and foreign > args.max_foreign else ""))
                    if keep:
                        break
    return 0


if __name__ == "__main__":
    sys.exit(main())
