#!/usr/bin/env bash
# Fuzzing with libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer.
#   tools/fuzz.sh [MINUTES [TARGET...]]  fuzz each target for MINUTES (default 10), one at a
#                                        time on one core; targets: checkpoint sidecar config
#                                        dataset bpe (default: all five)
#   tools/fuzz.sh corpus                 rewrite tests/fuzz/corpus/ with the seed generator
# On Debian 12 this needs clang-14 and libclang-rt-14-dev besides the build packages;
# whatever is missing is installed first (apt-get, as root or through sudo), as
# tools/setup.sh does. The build goes to build-fuzz/; each target's working corpus to
# build-fuzz/fuzz-work/<target>/, its log to build-fuzz/fuzz-<target>.log, and a crash to
# build-fuzz/crashes/<target>/. Once a crash is fixed, copy its reproducer to
# tests/fuzz/crashes/<target>/: the test suite replays it from then on.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
targets_all=(checkpoint sidecar config dataset bpe)
pkgs=(clang-14 libclang-rt-14-dev gcc libc6-dev pkg-config meson ninja-build libopenblas-dev
      libinih-dev libncurses-dev libcjson-dev libcriterion-dev)

install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "fuzz: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The library is instrumented for coverage (fuzzer-no-link); the fuzz_* executables link
# libFuzzer (tests/fuzz/meson.build). UBSan aborts, so libFuzzer sees it, except for the
# two checks that tests/fuzz/ubsan.supp may suppress for a known bug (halt_on_error still
# stops at any report it does not suppress).
c_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all"
c_args+=" -fsanitize-recover=float-cast-overflow,signed-integer-overflow"
c_args+=" -fno-omit-frame-pointer"

build() {
    if [ ! -f build-fuzz/build.ninja ]; then
        CC=clang-14 meson setup build-fuzz -Dtests=enabled -Dbuildtype=debugoptimized \
            -Db_sanitize=address,undefined -Db_lundef=false -Dc_args="$c_args" >&2
    else
        meson configure build-fuzz -Dc_args="$c_args" >&2
    fi
    ninja -C build-fuzz "$@" >&2
}

if [ "${1:-}" = corpus ]; then
    install_missing "${pkgs[@]}"
    build tests/fuzz/make_corpus
    rm -rf tests/fuzz/corpus
    build-fuzz/tests/fuzz/make_corpus tests/fuzz/corpus
    du -sh tests/fuzz/corpus
    exit 0
fi

minutes="${1:-10}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${targets_all[@]}")
case "$minutes" in ''|*[!0-9]*) echo "usage: tools/fuzz.sh [MINUTES [TARGET...]] | tools/fuzz.sh corpus" >&2; exit 2;; esac

install_missing "${pkgs[@]}"
build $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}")
status=0
for t in "${targets[@]}"; do
    mkdir -p "build-fuzz/fuzz-work/$t" "build-fuzz/crashes/$t"
    dirs=("build-fuzz/fuzz-work/$t" "tests/fuzz/corpus/$t")
    [ -d "tests/fuzz/crashes/$t" ] && dirs+=("tests/fuzz/crashes/$t")
    echo "fuzz: $t for $minutes min" >&2
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions="$here/tests/fuzz/ubsan.supp" \
    OPENBLAS_NUM_THREADS=1 \
        "build-fuzz/tests/fuzz/fuzz_$t" "${dirs[@]}" -max_total_time=$((minutes * 60)) \
            -timeout=20 -rss_limit_mb=2048 -artifact_prefix="build-fuzz/crashes/$t/" \
            -print_final_stats=1 >"build-fuzz/fuzz-$t.log" 2>&1 || status=1
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/fuzz-$t.log" | tail -1)
    found=$(find "build-fuzz/crashes/$t" -type f | wc -l)
    echo "fuzz: $t: ${runs:-?} executions, $found crash file(s) in build-fuzz/crashes/$t/" >&2
done
exit $status
