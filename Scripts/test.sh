#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh test
# The format check (.swift-format): fix with `swift format format -i -r --parallel Sources Tests Package.swift`.
swift format lint -r --strict --parallel Sources Tests Package.swift
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# A plain closing line with Swift Testing's count (XCTest's own summary says 0: every test is Swift Testing).
passed=$(sed -n 's/.*Test run with \([0-9][0-9]*\) tests\{0,1\} in .* passed after.*/\1/p' "$log" | tail -n 1)
if [ "$rc" -eq 0 ] && [ -n "$passed" ]; then
  echo "tests: $passed passed, 0 failed"
fi
exit "$rc"
