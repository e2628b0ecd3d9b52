#!/usr/bin/python3
"""Run one bench_ref.py child with CPU time instead of wall time.

On a machine shared with other jobs, wall-clock steps/s of a strictly single-threaded
process mostly measures the neighbours. Its CPU time does not: steps per CPU-second
estimate the speed on an idle core. Only meaningful single-threaded, so run it with
BENCH_THREADS=1 OPENBLAS_NUM_THREADS=1 (torch's own pool and OpenBLAS's pool both 1),
and compare with `minillm-bench --threads 1`'s train_steps_per_cpu_s.

Usage: BENCH_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/bench_ref_cpu.py \\
           ../shared/reference/bench_ref.py --config seed [--steps N --repeats N]
Prints bench_ref.py's JSON with "clock": "process_time" added.
"""
import contextlib
import importlib.util
import io
import json
import sys
import time
import types


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    spec = importlib.util.spec_from_file_location("bench_ref", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    # bench_ref.child() times with time.perf_counter / perf_counter_ns: swap in CPU clocks.
    shim = types.SimpleNamespace(**{k: getattr(time, k) for k in dir(time) if not k.startswith("_")})
    shim.perf_counter = time.process_time
    shim.perf_counter_ns = time.process_time_ns
    ref.time = shim
    sys.argv = [path, "--child"] + sys.argv[2:]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ref.main()
    res = json.loads(buf.getvalue().strip().splitlines()[-1])
    res["clock"] = "process_time"
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
