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
# With LLVM's linker (`ld.lld`, Debian package `lld`) the functions a render runs are also laid
# out side by side, in the order of scripts/hot-symbols.txt (see scripts/hot-symbols.sh): about
# 50 fewer page faults per run. Without it the binary is linked by the default linker, unordered.
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
flags="-C target-feature=+crt-static -C relocation-model=static"
order="$PWD/scripts/hot-symbols.txt"
bin="target/$host/release/skygen"
if command -v ld.lld >/dev/null && [ -f "$order" ]; then
    # Cargo does not watch a linker's input files: relink when the order is newer.
    if [ -f "$bin" ] && [ "$order" -nt "$bin" ]; then touch src/main.rs; fi
    flags="$flags -C link-arg=-fuse-ld=lld -C link-arg=-Wl,--symbol-ordering-file=$order -C link-arg=-Wl,--no-warn-symbol-ordering"
else
    echo "build-static.sh: ld.lld not found (apt-get install lld): linking without the hot-symbol order" >&2
fi
RUSTFLAGS="${RUSTFLAGS:-} $flags" cargo build --release --locked --target "$host" >&2
# The point of the build: refuse to hand back a binary that still needs the dynamic loader.
if readelf -lW "$bin" | grep -q INTERP; then
    echo "build-static.sh: $bin still names a dynamic loader (INTERP); the static link did not happen" >&2
    exit 1
fi
# The order helps only while its names exist: say when the list has gone stale.
if command -v ld.lld >/dev/null && [ -f "$order" ]; then
    listed=$(grep -vc '^#' "$order")
    found=$(grep -v '^#' "$order" | sort -u | comm -12 - <(nm "$bin" | awk '{print $NF}' | sort -u) | wc -l)
    if [ $((found * 2)) -lt "$listed" ]; then
        echo "build-static.sh: only $found of the $listed functions in scripts/hot-symbols.txt are in the binary; run scripts/hot-symbols.sh" >&2
    fi
fi
echo "$bin"
