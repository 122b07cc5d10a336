#!/usr/bin/env bash
# Builds the Debian packages with dpkg-deb:
#   <out>/bkdiag_<version>_<arch>.deb        the node side: bkdiag, its units, config, man page, JOB scripts
#   <out>/bkdiag-fleet_<version>_<arch>.deb  the central side, when bkdiag-fleet is in the bin dir
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
# The version is the first word of `bkdiag --version`; Depends is derived from each binary's NEEDED entries
# and its newest GLIBC_ symbol version. Prints each .deb's path on a line of its own, bkdiag's first.
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
# Never an x86-64 binary in an arm64 package (or the reverse): the binary's machine must be the package's.
case "$("$top/Scripts/elf-info.sh" arch "$bin_dir/bkdiag")" in
    x86_64) bin_arch=amd64 ;;
    aarch64) bin_arch=arm64 ;;
    *) bin_arch=unknown ;;
esac
[ "$bin_arch" = "$arch" ] || die "$bin_dir/bkdiag is built for $bin_arch, not for this package architecture $arch"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}

shopt -s nullglob
units=("$systemd_dir"/*.service "$systemd_dir"/*.socket "$systemd_dir"/*.timer)
shopt -u nullglob
[ "${#units[@]}" -gt 0 ] || die "no unit files in $systemd_dir (set BKDIAG_SYSTEMD_DIR or pass --systemd-dir)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/bkdiag"
umask 022

# --- bkdiag: the node package ---------------------------------------------------------------------
install -d "$pkg/usr/bin"
install -m 0755 "$bin_dir/bkdiag" "$pkg/usr/bin/bkdiag"

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
install -D -m 0644 "$top/packaging/job/check.py" "$pkg/usr/share/bkdiag/check.py"

date_rfc=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
# copyright and changelog of package $1 into its doc dir $2.
package_docs() {
    install -D -m 0644 "$top/packaging/deb/copyright" "$2/copyright"
    printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
        "$1" "$version" "$version" "$maintainer" "$date_rfc" | gzip -9n >"$2/changelog.gz"
    chmod 0644 "$2/changelog.gz"
}
doc="$pkg/usr/share/doc/bkdiag"
package_docs bkdiag "$doc"
# The project's docs (the units' Documentation= names /usr/share/doc/bkdiag/daemon.md), uncompressed.
for md in "$top"/docs/*.md; do [ -f "$md" ] && install -m 0644 "$md" "$doc/"; done

# Man pages from --help: the root help plus each subcommand's.
roff_text() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
man_page() {
    local b=$1 summary=$2 files=$3 docs=$4
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
    if [ -n "$files" ]; then
        echo ".SH FILES"
        echo "$files"
    fi
    echo ".SH SEE ALSO"
    echo "$docs"
}
install -d "$pkg/usr/share/man/man1"
man_page bkdiag "diagnose BlueKing log collection on this host" \
    "/etc/bkdiag/bkdiag.yaml, /lib/systemd/system/bkdiag.service, /usr/share/bkdiag/job-check.sh, /usr/share/bkdiag/check.py" \
    /usr/share/doc/bkdiag | gzip -9n >"$pkg/usr/share/man/man1/bkdiag.1.gz"
chmod 0644 "$pkg"/usr/share/man/man1/*.gz

# Depends of binary $1: libc6 (>= its newest GLIBC_ symbol version) and the packages of its NEEDED libraries.
binary_depends() {
    local glibc depends="" lib
    add_dep() { case ", $depends, " in *", $1, "*) ;; *) depends="${depends:+$depends, }$1" ;; esac; }
    glibc=$("$top/Scripts/elf-info.sh" glibc "$1")
    for lib in $(readelf -d "$1" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        case "$lib" in
            libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
            libsystemd.so.0) add_dep libsystemd0 ;;
            libz.so.1) add_dep zlib1g ;;
            libsqlite3.so.0) add_dep libsqlite3-0 ;;
            libstdc++.so.6) add_dep libstdc++6 ;;
            libgcc_s.so.1) add_dep libgcc-s1 ;;
            *) echo "build-deb.sh: warning: $1 needs $lib, which no Debian package is mapped to (a debug build?)" >&2 ;;
        esac
    done
    echo "libc6${glibc:+ (>= $glibc)}${depends:+, $depends}"
}
# libsystemd0 is not linked: the daemon opens it at start (notify, watchdog, journal) and runs without
# it, so it is a Recommends (control.in) rather than a Depends.
depends=$(binary_depends "$pkg/usr/bin/bkdiag")

# --- control, md5sums, build -------------------------------------------------------------------
# Writes DEBIAN/control of the staged package $1 from template $2 (depends $3) and builds <out>/$4.
control_and_build() {
    local root=$1 template=$2 deps=$3 name=$4 installed_size
    install -d "$root/DEBIAN"
    installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
    sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@MAINTAINER@/$maintainer/" \
        -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@DEPENDS@/$deps/" "$template" >"$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
    mkdir -p "$out"
    local deb
    deb="$(cd "$out" && pwd)/${name}_${version}_${arch}.deb"
    dpkg-deb --root-owner-group "-Z${BKDIAG_DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
    echo "$deb"
}

install -d "$pkg/DEBIAN"
echo /etc/bkdiag/bkdiag.yaml >"$pkg/DEBIAN/conffiles"
chmod 0644 "$pkg/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    sed -e "s/@UNITS_ALL@/${units_all# }/" -e "s/@UNITS_ENABLE@/${units_enable# }/" \
        "$top/packaging/deb/$script" >"$pkg/DEBIAN/$script"
    chmod 0755 "$pkg/DEBIAN/$script"
done
control_and_build "$pkg" "$top/packaging/deb/control.in" "$depends" bkdiag

# --- bkdiag-fleet: the central side, its own package -------------------------------------------------
if [ -x "$bin_dir/bkdiag-fleet" ]; then
    fleet="$stage/bkdiag-fleet"
    install -D -m 0755 "$bin_dir/bkdiag-fleet" "$fleet/usr/bin/bkdiag-fleet"
    install -D -m 0644 "$top/packaging/deb/lintian-overrides-fleet" "$fleet/usr/share/lintian/overrides/bkdiag-fleet"
    package_docs bkdiag-fleet "$fleet/usr/share/doc/bkdiag-fleet"
    [ -f "$top/docs/fleet.md" ] && install -m 0644 "$top/docs/fleet.md" "$fleet/usr/share/doc/bkdiag-fleet/"
    install -d "$fleet/usr/share/man/man1"
    man_page bkdiag-fleet "collect and aggregate bkdiag reports across a BlueKing fleet" "" \
        /usr/share/doc/bkdiag-fleet | gzip -9n >"$fleet/usr/share/man/man1/bkdiag-fleet.1.gz"
    chmod 0644 "$fleet/usr/share/man/man1/bkdiag-fleet.1.gz"
    control_and_build "$fleet" "$top/packaging/deb/control-fleet.in" "$(binary_depends "$fleet/usr/bin/bkdiag-fleet")" bkdiag-fleet
fi
