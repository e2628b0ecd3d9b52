"""The back-to-back session of tools/bench_lm_ref.py --session: PyTorch and
minillm-bench on the language-model configurations, interleaved, each measurement
after the machine went idle, with the share of the machine other processes used
meanwhile; then the summary against issue 15's targets. Imported by bench_lm_ref.py
(run that one)."""
import json
import os
import statistics
import subprocess
import time

HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1
GEN_CONTEXTS = (64, 512)
TARGET_TRAIN_SPEEDUP = 2.0
TARGET_GEN_RATIO = 3.0
TARGET_GEN_SPEEDUP = 10.0


def cpu_jiffies():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return total - idle, total


def busy_share(seconds):
    b0, t0 = cpu_jiffies()
    time.sleep(seconds)
    b1, t1 = cpu_jiffies()
    return (b1 - b0) / max(1, t1 - t0)


def wait_idle(max_wait, log):
    start = time.time()
    while True:
        share = busy_share(3.0)
        if share < 0.15 or time.time() - start > max_wait:
            if share >= 0.15:
                log(f"  not idle after {max_wait:.0f} s (busy {share:.0%}); measuring anyway")
            return share


def measure(cmd, env):
    """Runs cmd; returns (result JSON, wall s, share of the machine others used)."""
    before = os.times()
    b0, _ = cpu_jiffies()
    t0 = time.time()
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    wall = time.time() - t0
    b1, _ = cpu_jiffies()
    after = os.times()
    own = (after.children_user - before.children_user) + (after.children_system -
                                                          before.children_system)
    foreign = max(0.0, (b1 - b0) / HZ - own) / (wall * NCPU)
    return json.loads(out.strip().splitlines()[-1]), wall, foreign


def jobs_of(args, name, child_command):
    """[(who, setting, cmd, env)] for one config."""
    jobs = []
    for setting in args.settings.split(","):
        cmd, env = child_command(name, setting, args)
        jobs.append(("torch", setting, cmd, env))
    for t in args.ours_threads.split(","):
        cmd = [os.path.abspath(args.bench), "--config", name, "--threads", t, "--json",
               "--peak-trials", "0", "--repeats", str(args.repeats), "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--fwd-iters", str(args.tokens)]
        jobs.append(("ours", t, cmd, dict(os.environ)))
    return jobs


def session(args, names, child_command):
    os.makedirs(args.session, exist_ok=True)
    logf = open(os.path.join(args.session, "session.log"), "a")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    log(f"session: configs {names}, {args.runs} rounds, torch settings {args.settings}, "
        f"ours threads {args.ours_threads}")
    for r in range(1, args.runs + 1):
        for name in names:
            for who, setting, cmd, env in jobs_of(args, name, child_command):
                for attempt in range(args.retries + 1):
                    idle = wait_idle(args.max_wait, log)
                    load = open("/proc/loadavg").read().split()[:3]
                    res, wall, foreign = measure(cmd, env)
                    res.update(who=who, setting=setting, round=r, attempt=attempt, wall_s=wall,
                               foreign_share=foreign, busy_before=idle, loadavg=load)
                    keep = foreign <= args.max_foreign or attempt == args.retries
                    with open(os.path.join(args.session, f"{who}.jsonl" if keep
                                           else f"{who}_rejected.jsonl"), "a") as f:
                        f.write(json.dumps(res) + "\n")
                    log(f"round {r} {name:11s} {who:5s} {setting:4s} {value_text(res)}  load "
                        f"{' '.join(load)} foreign {foreign:.0%}" + ("" if keep else " -> redo"))
                    if keep:
                        break
    summary = summarize(args.session, names, args.max_foreign)
    log("\n" + summary)
    return 0


def value_text(res):
    if "train_steps_per_s" in res:
        return f"{res['train_steps_per_s']:8.3f} steps/s"
    return " ".join(f"{res[f'gen_us_ctx{n}']:7.1f}" for n in GEN_CONTEXTS) + " us/token"


def medians(path, name, max_foreign):
    """{setting: {key: median over rounds, "n": rounds}} of one file's results for config
    `name`, from the measurements during which other processes used at most max_foreign
    of the machine (all of them when none did)."""
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            rows = [r for r in map(json.loads, f) if r["config"] == name]
    by = {}
    for setting in {r["setting"] for r in rows}:
        mine = [r for r in rows if r["setting"] == setting]
        clean = [r for r in mine if r["foreign_share"] <= max_foreign] or mine
        d = {"n": len(clean), "clean": clean is not mine or all(
            r["foreign_share"] <= max_foreign for r in mine)}
        for key in ("train_steps_per_s",) + tuple(f"gen_us_ctx{n}" for n in GEN_CONTEXTS):
            if key in clean[0]:
                d[key] = statistics.median(r[key] for r in clean)
        by[setting] = d
    return by


def summarize(out, names, max_foreign=0.10):
    """Per config: medians over the rounds measured on a quiet machine (other processes
    <= max_foreign of it), the best setting of each side, the ratios and the targets."""
    lines = [f"medians of the rounds during which other processes used <= {max_foreign:.0%} "
             "of the machine (n = rounds; all rounds, marked *, when none was that quiet)"]
    for name in names:
        torch = medians(os.path.join(out, "torch.jsonl"), name, max_foreign)
        ours = medians(os.path.join(out, "ours.jsonl"), name, max_foreign)
        if not torch or not ours:
            continue
        if name != "lm-gen":
            t_set, t = max(torch.items(), key=lambda kv: kv[1]["train_steps_per_s"])
            o_set, o = max(ours.items(), key=lambda kv: kv[1]["train_steps_per_s"])
            ratio = o["train_steps_per_s"] / t["train_steps_per_s"]
            lines.append(f"{name}: PyTorch best {t['train_steps_per_s']:.3f} steps/s (setting "
                         f"{t_set}, n {t['n']}{'' if t['clean'] else '*'}), ours "
                         f"{o['train_steps_per_s']:.3f} ({o_set} threads, n {o['n']}"
                         f"{'' if o['clean'] else '*'}): "
                         f"{ratio:.2f}x (target >= {TARGET_TRAIN_SPEEDUP:.0f}x: "
                         f"{'met' if ratio >= TARGET_TRAIN_SPEEDUP else 'MISSED'})")
            continue
        k64, k512 = (f"gen_us_ctx{n}" for n in GEN_CONTEXTS)
        t_set, t = min(torch.items(), key=lambda kv: kv[1][k64])
        o_set, o = min(ours.items(), key=lambda kv: kv[1][k64])
        growth = o[k512] / o[k64]
        s64, s512 = t[k64] / o[k64], t[k512] / o[k512]
        lines.append(f"{name}: ours {o[k64]:.1f} / {o[k512]:.1f} us per token at context 64 / "
                     f"512 ({o_set} threads), latency(512)/latency(64) {growth:.2f} (target <= "
                     f"{TARGET_GEN_RATIO:.0f}: {'met' if growth <= TARGET_GEN_RATIO else 'MISSED'}"
                     f"); PyTorch {t[k64]:.1f} / {t[k512]:.1f} (setting {t_set}, n {t['n']}"
                     f"{'' if t['clean'] else '*'}): {s64:.1f}x / "
                     f"{s512:.1f}x (target >= {TARGET_GEN_SPEEDUP:.0f}x: "
                     f"{'met' if min(s64, s512) >= TARGET_GEN_SPEEDUP else 'MISSED'})")
    return "\n".join(lines)
