#!/usr/bin/env bash
# Release build of bkdiag (and bkdiag-fleet): Swift runtime linked statically, stripped, commit stamped,
# the node binary linked for an old glibc.
#
#   Scripts/build-release.sh [--out DIR] [--scratch-path DIR] [--node-only] [--osize] [--arch x86_64]
#
# Output: DIR (default dist/bin) holds the stripped bkdiag and bkdiag-fleet; the unstripped ones stay in
# the scratch path (default .build-release, kept apart from the debug .build so both can build at once).
# The commit is stamped by rewriting the `commit` line of Sources/Report/BuildInfo.swift to
# `git rev-parse --short HEAD` (plus "-dirty" when the tree has changes) for the build; the file's content
# and mtime are restored on exit, whatever happens.
# --osize compiles with -Osize instead of -O (about 4% smaller; every module is rebuilt).
# glibc floor: bkdiag is linked against stub libraries (Scripts/glibc-stubs.py) that bind every glibc
# symbol to its version in glibc BKDIAG_GLIBC_FLOOR (default 2.17) and against packaging/glibc/compat.c
# (what newer glibc has that 2.17 has not), so it starts on every glibc from the floor on; bkdiag-fleet is
# linked the ordinary way (central machine only). Only x86_64 is built: --arch anything else is refused.
# The script fails when the node binary needs a GLIBC_ symbol version newer than the floor or has DT_RELR
# relocations (glibc >= 2.36), links anything outside the allowed dynamic libraries, or when its
# --version does not name the commit; it warns when the node binary is larger than BKDIAG_MAX_BYTES
# (default 20 MiB, the target).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/Scripts/deps.sh" release
out="$top/dist/bin"
scratch="$top/.build-release"
products=(bkdiag bkdiag-fleet)
max_bytes=${BKDIAG_MAX_BYTES:-20971520}
glibc_floor=${BKDIAG_GLIBC_FLOOR:-2.17}
optimize=()
arch=$(uname -m)

while [ "$#" -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --scratch-path) scratch=$2; shift 2 ;;
        --node-only) products=(bkdiag); shift ;;
        --osize) optimize=(-Xswiftc -Osize); shift ;;
        --arch) arch=$2; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "build-release.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

# Native x86_64 only: no cross toolchain here, and the glibc-floor link (stub libraries from this host's
# x86-64 glibc, compat.c's x86-64 stat ABI) is x86-64's. Never an x86-64 binary under another name.
if [ "$arch" != x86_64 ] || [ "$(uname -m)" != x86_64 ]; then
    echo "build-release.sh: --arch $arch on a $(uname -m) host is not supported: only x86_64 release binaries are built" >&2
    echo "build-release.sh: (an aarch64 build needs an aarch64 host or cross toolchain with its own glibc stubs and shims)" >&2
    exit 2
fi

# Libraries the node binary may need at run time: glibc's parts and zlib. libsystemd (and what it pulls
# in) is allowed too, though the daemon now opens it with dlopen rather than linking it.
allowed='^(linux-vdso\.so|ld-linux[-a-z0-9_.]*\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libsystemd\.so|liblzma\.so|libzstd\.so|liblz4\.so|libcap\.so|libgcrypt\.so|libgpg-error\.so|libz\.so)'

# --- stamp the commit --------------------------------------------------------------------------
info="$top/Sources/Report/BuildInfo.swift"
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-dirty"; fi
backup=$(mktemp)
cp -p "$info" "$backup"
restore() { cp -p "$backup" "$info"; rm -f "$backup"; }
trap restore EXIT
sed -i -E "s/^([[:space:]]*public static let commit = )\"[^\"]*\"/\1\"$commit\"/" "$info"
grep -q "commit = \"$commit\"" "$info" || { echo "build-release.sh: could not stamp $info" >&2; exit 1; }

# --- build -------------------------------------------------------------------------------------
# --static-swift-stdlib links the Swift runtime, Dispatch and (for bkdiag-fleet) Foundation statically.
# The runtime is C++: the toolchain's static-stdlib-args.lnk adds a plain -lstdc++, and clang adds -lgcc_s,
# which would make libstdc++.so.6 and libgcc_s.so.1 run-time dependencies. A directory searched first
# (-L) that holds only libstdc++.a, and libgcc_eh.a under the name libgcc_s.a (what -static-libgcc
# does), resolves both statically from GCC's archives. (Given to clang as -L, see old_glibc below.)
static_cxx=()
if [ "${BKDIAG_DYNAMIC_CXX:-0}" != 1 ]; then
    cxx_dir="$scratch/static-cxx"
    mkdir -p "$cxx_dir"
    for pair in libstdc++.a:libstdc++.a libgcc_eh.a:libgcc_s.a; do
        archive=$(clang -print-file-name="${pair%%:*}" 2>/dev/null || true)
        [ -f "$archive" ] || { echo "build-release.sh: ${pair%%:*} not found (apt-get install libstdc++-12-dev)" >&2; exit 1; }
        ln -sf "$archive" "$cxx_dir/${pair#*:}"
    done
    static_cxx=(-Xswiftc -Xclang-linker -Xswiftc "-L$cxx_dir")
fi
# Full RELRO with immediate binding (lintian: hardening-no-bindnow).
hardening=(-Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now)
# Link layout (see docs/packaging.md, "Size"):
# - lld instead of the default gold (no -z pack-relative-relocs: DT_RELR would need glibc 2.36);
# - --no-export-dynamic: SwiftPM links executables with --export-dynamic, which puts ~15k symbols of our
#   own and the packages' modules into .dynsym/.dynstr (1.4 MB) that nothing ever looks up;
# - --disable-local-rpath: no $ORIGIN RUNPATH, so the loader neither searches the binary's directory
#   (often a plugin directory) for libsystemd or libc first nor lets a file dropped there be loaded.
layout=(-Xswiftc -use-ld=lld -Xlinker --no-export-dynamic --disable-local-rpath)
# The glibc floor (node binary only): Scripts/glibc-floor.sh writes the stub glibc libraries and compat.o
# and prints clang's link arguments; each goes to the link through swiftc: -L as -Xclang-linker (clang puts
# its -L options before the system library directories, -Xlinker ones after them, where the system's
# libc.so would be found first), -Wl,X as -Xlinker X, the inputs as -Xlinker PATH.
old_glibc=()
while IFS= read -r arg; do
    case "$arg" in
        -L*) old_glibc+=(-Xswiftc -Xclang-linker -Xswiftc "$arg") ;;
        -Wl,*) old_glibc+=(-Xlinker "${arg#-Wl,}") ;;
        *) old_glibc+=(-Xlinker "$arg") ;;
    esac
done < <("$top/Scripts/glibc-floor.sh" "$scratch/glibc-$glibc_floor" "$glibc_floor")
[ "${#old_glibc[@]}" -gt 0 ] || { echo "build-release.sh: Scripts/glibc-floor.sh failed" >&2; exit 1; }

mkdir -p "$out"
for product in "${products[@]}"; do
    floor_flags=()
    [ "$product" = bkdiag ] && floor_flags=("${old_glibc[@]}")
    echo "== swift build -c release --product $product --static-swift-stdlib"
    swift build -c release --scratch-path "$scratch" --product "$product" --static-swift-stdlib "${static_cxx[@]}" "${hardening[@]}" "${layout[@]}" "${optimize[@]}" "${floor_flags[@]}"
done
bindir=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
restore
trap - EXIT

# --- strip, report, check ----------------------------------------------------------------------
status=0
for product in "${products[@]}"; do
    install -m 0755 "$bindir/$product" "$out/$product"
    strip --strip-all --remove-section=.comment "$out/$product"
    bytes=$(stat -c %s "$out/$product")
    echo
    echo "== $out/$product"
    echo "size: $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }')); unstripped $(stat -c %s "$bindir/$product") bytes"
    echo "version: $("$out/$product" --version 2>&1 | head -n 1)"
    echo "direct (NEEDED): $(readelf -d "$out/$product" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
    echo "all (ldd):"
    deps=$(ldd "$out/$product" | awk '{ print $1 }' | sed 's|.*/||')
    printf '%s\n' "$deps" | sed 's/^/  /'
    if [ "$product" = bkdiag ]; then
        bad=$(printf '%s\n' "$deps" | grep -Ev "$allowed" || true)
        if [ -n "$bad" ]; then echo "ERROR: bkdiag links libraries outside the allowed set: $bad" >&2; status=1; fi
        if readelf -d "$out/$product" | grep -Eq '\((RPATH|RUNPATH)\)'; then
            echo "ERROR: bkdiag has an RPATH/RUNPATH: $(readelf -d "$out/$product" | grep -E 'R(UN)?PATH')" >&2; status=1
        fi
        "$top/Scripts/elf-info.sh" floor "$out/$product" "$glibc_floor" || status=1
        if [ "$bytes" -gt "$max_bytes" ]; then echo "WARNING: bkdiag is $bytes bytes, over the $max_bytes target" >&2; fi
        foundation=$(nm "$bindir/$product" 2>/dev/null | grep -c 's20FoundationEssentials\|s10Foundation' || true)
        if [ "${foundation:-0}" -gt 0 ]; then
            echo "WARNING: bkdiag contains $foundation Foundation symbols (FoundationEssentials, linked statically)" >&2
        fi
        case "$("$out/$product" --version 2>&1)" in
            *"$commit"*) ;;
            *) echo "ERROR: bkdiag --version does not name commit $commit" >&2; status=1 ;;
        esac
    fi
done
exit "$status"
