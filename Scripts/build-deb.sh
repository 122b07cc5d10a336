#!/usr/bin/env bash
# Builds the bkdiag .deb with dpkg-deb:
#   <out>/bkdiag_<version>_<arch>.deb
#
#   Scripts/build-deb.sh [--bin-dir DIR] [--out DIR] [--systemd-dir DIR]
#
# --bin-dir:     where bkdiag and bkdiag-fleet are (default dist/bin, from Scripts/build-release.sh);
#                bkdiag-fleet is optional
# --out:         where the .deb goes (default dist)
# --systemd-dir: the unit files (default $BKDIAG_SYSTEMD_DIR, else systemd/ at the repo top):
#                every *.service, *.socket and *.timer there is shipped in /lib/systemd/system;
#                bkdiag.socket and bkdiag.service are enabled (BKDIAG_DEB_ENABLE: another list)
# Environment: BKDIAG_MAINTAINER (Maintainer field), SOURCE_DATE_EPOCH (default: the last commit's time),
# BKDIAG_DEB_COMPRESS (dpkg-deb -Z: xz by default; the tests use none for their large debug binaries).
# The version is the first word of `bkdiag --version`; Depends is derived from the binaries' NEEDED entries.
# Prints the .deb's path on its last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin_dir="$top/dist/bin"
out="$top/dist"
systemd_dir=${BKDIAG_SYSTEMD_DIR:-$top/systemd}
maintainer=${BKDIAG_MAINTAINER:-bkdiag maintainers <bkdiag@example.com>}

while [ "$#" -gt 0 ]; do
    case "$1" in
        --bin-dir) bin_dir=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --systemd-dir) systemd_dir=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

die() { echo "build-deb.sh: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (apt-get install dpkg)"
[ -x "$bin_dir/bkdiag" ] || die "no bkdiag in $bin_dir (run Scripts/build-release.sh or pass --bin-dir)"
version=$("$bin_dir/bkdiag" --version | awk 'NR == 1 { print $1 }')
[ -n "$version" ] || die "$bin_dir/bkdiag --version printed nothing"
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}

shopt -s nullglob
units=("$systemd_dir"/*.service "$systemd_dir"/*.socket "$systemd_dir"/*.timer)
shopt -u nullglob
[ "${#units[@]}" -gt 0 ] || die "no unit files in $systemd_dir (set BKDIAG_SYSTEMD_DIR or pass --systemd-dir)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/bkdiag"
umask 022

# --- files ---------------------------------------------------------------------------------------
binaries=(bkdiag)
[ -x "$bin_dir/bkdiag-fleet" ] && binaries+=(bkdiag-fleet)
install -d "$pkg/usr/bin"
for b in "${binaries[@]}"; do install -m 0755 "$bin_dir/$b" "$pkg/usr/bin/$b"; done

install -d "$pkg/lib/systemd/system"
units_all="" units_enable=""
for unit in "${units[@]}"; do
    base=$(basename "$unit")
    install -m 0644 "$unit" "$pkg/lib/systemd/system/$base"
    units_all="$units_all $base"
done
# Enabled and started: the daemon and its socket (socket first). bkdiag-selfcheck.timer is the opt-in
# alternative to the daemon (its service conflicts with bkdiag.service), so it is shipped but not enabled.
for base in ${BKDIAG_DEB_ENABLE:-bkdiag.socket bkdiag.service}; do
    if [ -f "$pkg/lib/systemd/system/$base" ] \
        && grep -Eq '^[[:space:]]*(WantedBy|RequiredBy|Also|Alias)=' "$pkg/lib/systemd/system/$base"; then
        units_enable="$units_enable $base"
    fi
done

install -D -m 0644 "$top/packaging/bkdiag.yaml" "$pkg/etc/bkdiag/bkdiag.yaml"
install -D -m 0644 "$top/packaging/deb/lintian-overrides" "$pkg/usr/share/lintian/overrides/bkdiag"
install -D -m 0755 "$top/Scripts/job-check.sh" "$pkg/usr/share/bkdiag/job-check.sh"

doc="$pkg/usr/share/doc/bkdiag"
install -D -m 0644 "$top/packaging/deb/copyright" "$doc/copyright"
# The project's docs (the units' Documentation= names /usr/share/doc/bkdiag/daemon.md), uncompressed.
for md in "$top"/docs/*.md; do [ -f "$md" ] && install -m 0644 "$md" "$doc/"; done
date_rfc=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf 'bkdiag (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
    "$version" "$version" "$maintainer" "$date_rfc" | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Man pages from --help: the root help plus each subcommand's.
roff_text() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
man_page() {
    local b=$1 summary=$2
    local title
    title=$(echo "$b" | tr '[:lower:]' '[:upper:]')
    echo ".TH $title 1 \"$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)\" \"$b $version\" \"User Commands\""
    echo ".SH NAME"
    echo "$b \\- $summary"
    echo ".SH DESCRIPTION"
    echo ".nf"
    "$bin_dir/$b" --help 2>&1 | roff_text
    echo ".fi"
    local sub
    for sub in $("$bin_dir/$b" --help 2>&1 | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }'); do
        echo ".SH \"$(echo "$b $sub" | tr '[:lower:]' '[:upper:]')\""
        echo ".nf"
        "$bin_dir/$b" "$sub" --help 2>&1 | roff_text
        echo ".fi"
    done
    echo ".SH FILES"
    echo "/etc/bkdiag/bkdiag.yaml, /lib/systemd/system/bkdiag.service, /usr/share/bkdiag/job-check.sh"
    echo ".SH SEE ALSO"
    echo "/usr/share/doc/bkdiag"
}
install -d "$pkg/usr/share/man/man1"
man_page bkdiag "diagnose BlueKing log collection on this host" | gzip -9n >"$pkg/usr/share/man/man1/bkdiag.1.gz"
if [ -x "$pkg/usr/bin/bkdiag-fleet" ]; then
    man_page bkdiag-fleet "collect and aggregate bkdiag reports across a BlueKing fleet" | gzip -9n >"$pkg/usr/share/man/man1/bkdiag-fleet.1.gz"
fi
chmod 0644 "$pkg"/usr/share/man/man1/*.gz

# --- Depends from the binaries' NEEDED entries -----------------------------------------------------
glibc=""
depends=""
add_dep() { case ", $depends, " in *", $1, "*) ;; *) depends="${depends:+$depends, }$1" ;; esac; }
for b in "${binaries[@]}"; do
    v=$(objdump -T "$pkg/usr/bin/$b" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -n 1 || true)
    if [ -n "$v" ] && { [ -z "$glibc" ] || [ "$(printf '%s\n%s\n' "$glibc" "$v" | sort -V | tail -n 1)" = "$v" ]; }; then glibc=$v; fi
    for lib in $(readelf -d "$pkg/usr/bin/$b" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        case "$lib" in
            libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
            libsystemd.so.0) add_dep libsystemd0 ;;
            libz.so.1) add_dep zlib1g ;;
            libsqlite3.so.0) add_dep libsqlite3-0 ;;
            libstdc++.so.6) add_dep libstdc++6 ;;
            libgcc_s.so.1) add_dep libgcc-s1 ;;
            *) echo "build-deb.sh: warning: $b needs $lib, which no Debian package is mapped to (a debug build?)" >&2 ;;
        esac
    done
done
depends="libc6${glibc:+ (>= $glibc)}${depends:+, $depends}"
# libsystemd0 is not linked: the daemon opens it at start (notify, watchdog, journal) and runs without
# it, so it is a Recommends (control.in) rather than a Depends.

# --- control -------------------------------------------------------------------------------------
install -d "$pkg/DEBIAN"
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@MAINTAINER@/$maintainer/" \
    -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@DEPENDS@/$depends/" \
    "$top/packaging/deb/control.in" >"$pkg/DEBIAN/control"
echo /etc/bkdiag/bkdiag.yaml >"$pkg/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    sed -e "s/@UNITS_ALL@/${units_all# }/" -e "s/@UNITS_ENABLE@/${units_enable# }/" \
        "$top/packaging/deb/$script" >"$pkg/DEBIAN/$script"
    chmod 0755 "$pkg/DEBIAN/$script"
done
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb="$(cd "$out" && pwd)/bkdiag_${version}_${arch}.deb"
dpkg-deb --root-owner-group "-Z${BKDIAG_DEB_COMPRESS:-xz}" --build "$pkg" "$deb" >/dev/null
echo "$deb"
