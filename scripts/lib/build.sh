# scripts/lib/build.sh: configure and build cairn out of tree in $CAIRN_BUILD (default ./build).
# cairn_build [configure flags...]: reconfigures when the flags or configure.ac changed.

cairn_build() {
    local src build flags stamp
    src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    build=${CAIRN_BUILD:-$src/build}
    flags="$*"
    mkdir -p "$build"
    if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ]; then
        (cd "$src" && autoreconf -fi >/dev/null 2>&1) || { (cd "$src" && autoreconf -fi); return 1; }
    fi
    stamp="$build/.cairn-configure-flags"
    if [ ! -f "$build/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$flags" ]; then
        # shellcheck disable=SC2086
        (cd "$build" && "$src/configure" -q $flags) || return 1
        echo "$flags" >"$stamp"
    fi
    make -C "$build" -j"$(nproc)" >"$build/make.log" 2>&1 || { tail -n 60 "$build/make.log" >&2; return 1; }
}
