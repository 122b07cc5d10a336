#!/usr/bin/env bash
# Prepares the glibc-floor link of the node binary (docs/packaging.md, "glibc floor") and prints the
# clang link arguments it needs, one per line:
#
#   Scripts/glibc-floor.sh DIR FLOOR
#
# DIR/stubs: stub glibc libraries binding every symbol to its version in glibc FLOOR (Scripts/glibc-stubs.py),
# searched before the system's (-L); DIR/compat.o: packaging/glibc/compat.c, what glibc FLOOR lacks;
# --wrap=__libc_start_main (compat.c's wrapper runs the constructors on glibc < 2.34); the stub
# ld-linux-x86-64.so.2 and libc_nonshared.a, which the system's libc.so linker script would have added.
# Used by Scripts/build-release.sh (through swiftc) and by the tests (through clang). x86_64 only.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: glibc-floor.sh DIR FLOOR}
floor=${2:?usage: glibc-floor.sh DIR FLOOR}
rm -rf "$dir"
mkdir -p "$dir"
python3 "$top/Scripts/glibc-stubs.py" --floor "$floor" --out "$dir/stubs" >&2
clang -O2 -fPIC -Wall -Werror -c -o "$dir/compat.o" "$top/packaging/glibc/compat.c"
nonshared=$(clang -print-file-name=libc_nonshared.a)
[ -f "$nonshared" ] || { echo "glibc-floor.sh: libc_nonshared.a not found (apt-get install libc6-dev)" >&2; exit 1; }
printf '%s\n' "-L$dir/stubs" "-Wl,--wrap=__libc_start_main" "$dir/compat.o" "$dir/stubs/ld-linux-x86-64.so.2" "$nonshared"
