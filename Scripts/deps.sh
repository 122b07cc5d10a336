#!/usr/bin/env bash
# Installs the Debian packages bkdiag needs, only those missing. Idempotent; safe to run often.
#   Scripts/deps.sh build   libraries and headers the package builds with (libsystemd, zlib, libyaml, SQLite) and pkg-config
#   Scripts/deps.sh test    build + the tools the test suite drives (chromium for the fleet HTML page,
#                           dpkg-dev/fakeroot/lintian for the packages, systemd-analyze for the units,
#                           Go with go-yaml v2 and boltdb/bolt v1.3.1 for the differential tests against
#                           the collector's YAML parser and its registry's database; gdb for the thread
#                           stacks Scripts/test.sh prints if the run ever hangs)
#   Scripts/deps.sh bench   build + the shell tools the benchmark compares against (ps, pwdx, ss, netstat, lsof)
#   Scripts/deps.sh release build + what the static release build and the packages use (strip, static libstdc++, lintian)
set -euo pipefail

build=(pkg-config libsystemd-dev zlib1g-dev libyaml-dev libsqlite3-dev)
test=(chromium dpkg-dev fakeroot lintian systemd procps python3 python3-jinja2 golang-go golang-gopkg-yaml.v2-dev golang-github-boltdb-bolt-dev gdb)
bench=(procps iproute2 net-tools lsof time python3)
release=(binutils libstdc++-12-dev libgcc-12-dev dpkg-dev fakeroot lintian python3)

want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test[@]}") ;;
  bench) want+=("${bench[@]}") ;;
  release) want+=("${release[@]}") ;;
  all) want+=("${test[@]}" "${bench[@]}" "${release[@]}") ;;
  *) echo "usage: $0 build|test|bench|release|all" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: missing ${missing[*]} and not root (no sudo)" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
