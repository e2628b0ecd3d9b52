#!/usr/bin/env bash
# One command to set minillm-tui up on Debian 12:
#   tools/setup.sh run [ARGS...]  install what is missing, build, launch minillm-tui
#   tools/setup.sh test           install what is missing, build, run the whole test suite
# Idempotent: installs only the Debian packages that are not there yet, as root or with sudo.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
mode="${1:-}"
[ $# -gt 0 ] && shift

build_pkgs=(gcc libc6-dev pkg-config meson ninja-build libopenblas-dev libinih-dev
            libncurses-dev libcjson-dev)
test_pkgs=(libcriterion-dev tmux)

install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

build() {
    local dir="$1"; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >&2
    fi
    ninja -C "$dir" >&2
}

case "$mode" in
    run)
        install_missing "${build_pkgs[@]}"
        build build -Dtests=disabled
        exec ./build/minillm-tui "$@"
        ;;
    test)
        install_missing "${build_pkgs[@]}" "${test_pkgs[@]}"
        build build-test -Dtests=enabled
        status=0
        meson test -C build-test --print-errorlogs --num-processes 2 || status=$?
        python3 tools/test_summary.py build-test/meson-logs/testlog.json || status=1
        exit $status
        ;;
    *)
        echo "usage: tools/setup.sh run [minillm-tui arguments] | tools/setup.sh test" >&2
        exit 2
        ;;
esac
