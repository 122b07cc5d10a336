#!/usr/bin/env bash
# Facts about an ELF binary that the release and packaging scripts check, without running it:
#   Scripts/elf-info.sh glibc BINARY   the newest GLIBC_x.y symbol version it needs (empty: none)
#   Scripts/elf-info.sh arch BINARY    its machine as uname -m spells it (x86_64, aarch64, ...)
#   Scripts/elf-info.sh relr BINARY    exit 0 when it has DT_RELR relocations (glibc >= 2.36 only)
#   Scripts/elf-info.sh floor BINARY FLOOR
#                                      the glibc floor check: exit 1, naming the symbols, when it needs a
#                                      GLIBC_ version newer than FLOOR, or has DT_RELR
# Needs binutils (readelf).
set -euo pipefail

what=${1:-}
bin=${2:-}
[ -f "$bin" ] || { echo "elf-info.sh: no file $bin" >&2; exit 2; }
case "$what" in
    glibc)
        # Both the version needs (.gnu.version_r) and the dynamic symbols' versions.
        readelf -V -W "$bin" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -n 1 ;;
    arch)
        machine=$(readelf -h "$bin" 2>/dev/null | sed -n 's/^ *Machine: *//p')
        case "$machine" in
            *X86-64*) echo x86_64 ;;
            *AArch64*) echo aarch64 ;;
            *80386*) echo x86 ;;
            '') echo "elf-info.sh: $bin is not an ELF file" >&2; exit 1 ;;
            *) echo "$machine" ;;
        esac ;;
    relr)
        readelf -d "$bin" 2>/dev/null | grep -Eq '\((RELR|RELRSZ|RELRENT)\)' || readelf -V "$bin" 2>/dev/null | grep -q GLIBC_ABI_DT_RELR ;;
    floor)
        floor=${3:?elf-info.sh floor BINARY FLOOR}
        needs=$("$0" glibc "$bin")
        echo "glibc: $bin needs GLIBC_${needs:-none} (floor $floor)"
        status=0
        if [ -n "$needs" ] && [ "$(printf '%s\n%s\n' "$needs" "$floor" | sort -V | tail -n 1)" != "$floor" ]; then
            newer=$(objdump -T "$bin" | awk -v floor="$floor" '
                { for (i = 1; i <= NF; i++) if ($i ~ /^\(?GLIBC_[0-9.]+\)?$/) { v = $i; gsub(/[()]|GLIBC_/, "", v); print v, $NF } }' \
                | while read -r v sym; do
                    [ "$(printf '%s\n%s\n' "$v" "$floor" | sort -V | tail -n 1)" = "$floor" ] || echo "$sym@GLIBC_$v"
                done | sort -u | tr '\n' ' ')
            echo "ERROR: $bin needs glibc symbols newer than $floor: $newer" >&2
            status=1
        fi
        if "$0" relr "$bin"; then
            echo "ERROR: $bin has DT_RELR relocations (GLIBC_ABI_DT_RELR, glibc >= 2.36): link without -z pack-relative-relocs" >&2
            status=1
        fi
        exit "$status" ;;
    *) echo "usage: elf-info.sh glibc|arch|relr|floor BINARY [FLOOR]" >&2; exit 2 ;;
esac
