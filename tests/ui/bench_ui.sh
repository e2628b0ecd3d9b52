#!/bin/sh
# UI overhead: training throughput of the TUI's training thread without a
# screen (--ui-bench SECS --headless) and with the full UI drawing at its
# normal frame rate in tmux (--ui-bench SECS), alternated `reps` times, `secs`
# seconds each; each run prints one "ui-bench ..." line (see ui/bench.h).
# usage: tests/ui/bench_ui.sh BINARY [secs] [reps] [extra args, e.g. --data F]
set -u
exe=$1; secs=${2:-10}; reps=${3:-3}
shift; [ $# -gt 0 ] && shift; [ $# -gt 0 ] && shift
dir=$(mktemp -d); sock=$dir/tmux.sock
trap 'tmux -S $sock kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
i=0
while [ $i -lt "$reps" ]; do
  "$exe" --ui-bench "$secs" --headless "$@" 2>&1 | grep ui-bench
  tmux -S $sock -f /dev/null new-session -d -s b -x 132 -y 40 \
    "env LC_ALL=C.UTF-8 TERM=xterm-256color '$exe' --ui-bench $secs $* 2> '$dir/err'; echo done > '$dir/exit'"
  # look at the attention view, the one that runs the model every frame
  sleep 1; tmux -S $sock send-keys -t b 2
  while [ ! -f "$dir/exit" ]; do sleep 0.5; done
  grep ui-bench "$dir/err" || cat "$dir/err"; rm -f "$dir/exit"
  i=$((i + 1))
done
