#!/usr/bin/env bash
# Builds the NodeMan (GSE plugin) package of bkdiag:
#   <out>/bkdiag-<version>.tgz holding plugins_<os>_<arch>/bkdiag/{bin,etc,project.yaml}
#
#   Scripts/build-nodeman.sh [--bin-dir DIR] [--out DIR] [--os linux] [--arch x86_64]
#
# --bin-dir: where bkdiag is (default dist/bin, the output of Scripts/build-release.sh)
# --out:     where the tarball goes (default dist)
# --arch:    the plugin directory's architecture (default: the binary's); it must be the binary's own
#            machine: an x86-64 binary is never packed into an aarch64 directory
# The version is the first word of `bkdiag --version`; the glibc floor in project.yaml's description is the
# newest GLIBC_ symbol version the binary needs. Prints the tarball's path on its last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin_dir="$top/dist/bin"
out="$top/dist"
os=linux
arch=""

while [ "$#" -gt 0 ]; do
    case "$1" in
        --bin-dir) bin_dir=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --os) os=$2; shift 2 ;;
        --arch) arch=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "build-nodeman.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

[ -x "$bin_dir/bkdiag" ] || { echo "build-nodeman.sh: no bkdiag in $bin_dir (run Scripts/build-release.sh or pass --bin-dir)" >&2; exit 1; }
machine=$("$top/Scripts/elf-info.sh" arch "$bin_dir/bkdiag") || { echo "build-nodeman.sh: $bin_dir/bkdiag is not an ELF binary" >&2; exit 1; }
arch=${arch:-$machine}
if [ "$arch" != "$machine" ]; then
    echo "build-nodeman.sh: $bin_dir/bkdiag is built for $machine, not $arch: refusing to pack it as plugins_${os}_${arch}" >&2
    echo "build-nodeman.sh: build bkdiag for $arch on an $arch host (Scripts/build-release.sh builds for the host only)" >&2
    exit 1
fi
version=$("$bin_dir/bkdiag" --version | awk 'NR == 1 { print $1 }')
[ -n "$version" ] || { echo "build-nodeman.sh: $bin_dir/bkdiag --version printed nothing" >&2; exit 1; }
glibc=$("$top/Scripts/elf-info.sh" glibc "$bin_dir/bkdiag")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
plugin="$stage/plugins_${os}_${arch}/bkdiag"
install -d "$plugin/bin" "$plugin/etc"
install -m 0755 "$bin_dir/bkdiag" "$plugin/bin/bkdiag"
install -m 0755 "$top/packaging/nodeman/bkdiag_ctl.sh" "$plugin/bin/bkdiag_ctl.sh"
install -m 0644 "$top/packaging/bkdiag.yaml" "$plugin/etc/bkdiag.yaml"
install -m 0644 "$top/packaging/nodeman/bkdiag.yaml.tpl" "$plugin/etc/bkdiag.yaml.tpl"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@GLIBC@/${glibc:-2.2.5}/" \
    "$top/packaging/nodeman/project.yaml.in" >"$plugin/project.yaml"

mkdir -p "$out"
tarball="$(cd "$out" && pwd)/bkdiag-$version.tgz"
mtime=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -czf "$tarball" "plugins_${os}_${arch}"
echo "$tarball"
