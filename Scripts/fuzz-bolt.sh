#!/usr/bin/env bash
# Fuzzes the collector registry reader (HostProbe's BoltFile and CollectorRegistry) with libFuzzer.
#   Scripts/fuzz-bolt.sh [seconds]    default 60; builds into .build-fuzz/, seeds from the test writer
# The target is compiled with swiftc -sanitize=fuzzer,address from the reader's own files and Report's
# JSON parser (one module, no SwiftPM). A crash leaves its input in .build-fuzz/crash-*: copy it to
# Tests/Fuzz/BoltFuzz/regressions/ with the fix, and the test suite reads it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=.build-fuzz
mkdir -p "$out/corpus"

swiftc -O -parse-as-library Sources/BoltWriter/BoltTestWriter.swift Tests/Fuzz/BoltFuzz/SeedMain.swift \
  -o "$out/bolt-seeds"
"$out/bolt-seeds" "$out/corpus"

swiftc -O -sanitize=fuzzer,address -parse-as-library \
  Sources/HostProbe/BoltFile.swift Sources/HostProbe/CollectorRegistry.swift \
  Sources/SystemLayer/Sys.swift Sources/SystemLayer/Sys+Files.swift Sources/SystemLayer/ProbeError.swift Sources/SystemLayer/PathBytes.swift \
  Sources/Report/JSONParser.swift Sources/Report/JSONValue.swift \
  Tests/Fuzz/BoltFuzz/FuzzMain.swift -o "$out/bolt-fuzz"

dirs=("$out/corpus")
[ -d Tests/Fuzz/BoltFuzz/regressions ] && dirs+=(Tests/Fuzz/BoltFuzz/regressions)
"$out/bolt-fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$out/" "${dirs[@]}"
