#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh test
swift build --build-tests
swift test --skip-build
