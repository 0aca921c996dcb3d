#!/usr/bin/env bash
# A release build of skygen linked statically, for Linux with glibc; prints the binary's path.
#
#     scripts/build-static.sh        # -> target/<host>/release/skygen
#
# Why: a dynamically linked binary spends a third of a short render in the dynamic loader
# (mapping libc, libm and libgcc_s, resolving symbols) and in the page faults that costs; a
# static, non-PIE executable starts with none of that (#11: about 40 fewer page faults per run
# and no ld.so, see the README's performance section). skygen calls nothing that needs glibc's
# dynamic parts (no user or host lookups, no dlopen), so static glibc is safe for it.
#
# Why a script and not a cargo setting: `+crt-static` must not reach build scripts and
# proc-macros (they cannot be linked statically), and cargo keeps RUSTFLAGS away from them only
# when the target is named explicitly; the host triple differs between machines.
set -euo pipefail
cd "$(dirname "$0")/.."

host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
*-linux-gnu) ;;
*)
    echo "build-static.sh: static linking is set up for *-linux-gnu hosts, not $host; use cargo build --release" >&2
    exit 2
    ;;
esac
# MI_NO_GETENV: mimalloc otherwise reads each of its ~40 options from the environment at start,
# comparing every variable with every option name (a quarter of `skygen --version`'s
# instructions); skygen sets its allocator options in code or not at all.
cflags_var="CFLAGS_${host//-/_}"
export "$cflags_var=${!cflags_var:-} -DMI_NO_GETENV"
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
    cargo build --release --locked --target "$host" >&2
bin="target/$host/release/skygen"
# The point of the build: refuse to hand back a binary that still needs the dynamic loader.
if readelf -lW "$bin" | grep -q INTERP; then
    echo "build-static.sh: $bin still names a dynamic loader (INTERP); the static link did not happen" >&2
    exit 1
fi
echo "$bin"
