#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, builds, runs every test.
#
# The run is bounded: a test that hangs would otherwise hold CI until its own limit, with no word on
# which test it was. After BKDIAG_TEST_LIMIT seconds (default 1200; the suite takes 1-2 minutes on
# 2 cores) the script names the tests that started and never ended, prints the test process's thread
# stacks when gdb is there, kills the run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh test
# The format check (.swift-format): fix with `swift format format -i -r --parallel Sources Tests Package.swift`.
swift format lint -r --strict --parallel Sources Tests Package.swift
swift build --build-tests
limit=${BKDIAG_TEST_LIMIT:-1200}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Its own process group, writing straight to the log (no pipe): a process a test left behind cannot
# keep a pipe open after the run and so hang the script. (The fakes the tests start end with the test
# process: see fake-bluek's exitWithParent.) Line-buffered (stdbuf, inherited by the test process): into a
# file or a pipe the test process's stdio writes 4 KiB at a time, so the log of a run that hangs would
# stop short of its last lines and name tests that had in fact ended.
set -m
stdbuf -oL -eL swift test --skip-build </dev/null >"$log" 2>&1 &
pid=$!
set +m
tail -n +1 -f --pid="$pid" "$log" &
tailer=$!

# Every process under $1, deepest first (swift test starts the test bundle in a process group of its own).
descendants() {
  local child
  for child in $(pgrep -P "$1" || true); do
    descendants "$child"
    echo "$child"
  done
}

hung=0
start=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
  if (( SECONDS - start >= limit )); then
    hung=1
    break
  fi
  sleep 1
done
if [ "$hung" -eq 1 ]; then
  sleep 2  # let the tailer print what the log has
  echo
  echo "test run: still running after ${limit}s; tests started and never ended:"
  python3 Scripts/unfinished-tests.py "$log" | sed 's/^/  /'
  tree=$(descendants "$pid")
  if command -v gdb >/dev/null 2>&1; then
    for t in $tree; do
      case "$(cat "/proc/$t/cmdline" 2>/dev/null | tr '\0' ' ')" in
        *PackageTests.xctest*)
          echo "thread stacks of the test process $t:"
          timeout 120 gdb -p "$t" -batch -nx -ex 'set pagination off' -ex 'thread apply all bt 30' 2>&1 | grep -E '^(Thread|#)' || true
          ;;
      esac
    done
  fi
  for t in $tree; do kill -KILL "$t" 2>/dev/null || true; done
  kill -KILL -- "-$pid" 2>/dev/null || true
fi
set +e
wait "$pid"
rc=$?
set -e
wait "$tailer" 2>/dev/null || true
kill -KILL -- "-$pid" 2>/dev/null || true
if [ "$hung" -eq 1 ]; then
  echo "tests: the run hung and was stopped after ${limit}s"
  exit 1
fi
# A plain closing line with Swift Testing's count (XCTest's own summary says 0: every test is Swift Testing).
passed=$(sed -n 's/.*Test run with \([0-9][0-9]*\) tests\{0,1\} in .* passed after.*/\1/p' "$log" | tail -n 1)
if [ "$rc" -eq 0 ] && [ -n "$passed" ]; then
  echo "tests: $passed passed, 0 failed"
fi
exit "$rc"
