#!/usr/bin/env python3
"""Names the tests a Swift Testing log shows as started and never ended.

Usage: unfinished-tests.py LOG

Swift Testing prints `◇ Test NAME started.` when a test begins and `✔ Test NAME passed after ...`,
`✘ Test NAME failed after ...` or `➜ Test NAME skipped` when it ends (NAME is a quoted display name or a
function signature; a parameterised test adds ` with N test cases`). Two suites may hold tests of
the same name, so starts and ends are counted per name. Prints one name per line, in the order the
tests started; prints nothing when every started test ended.
"""

import re
import sys

STARTED = re.compile(r"^◇ Test (?!case |run started)(.+) started\.$")
ENDED = re.compile(r"^[✔✘] Test (?!case |run with )(.+?)(?: with \d+ test cases?)? (?:passed|failed) after \d")
SKIPPED = re.compile(r"^➜ Test (?!case )(.+?) skipped(?:\.|:|$)")


def unfinished(lines):
    open_count = {}
    order = []
    for line in lines:
        line = line.rstrip("\n")
        m = STARTED.match(line)
        if m:
            name = m.group(1)
            if name not in open_count:
                order.append(name)
            open_count[name] = open_count.get(name, 0) + 1
            continue
        m = ENDED.match(line) or SKIPPED.match(line)
        if m and open_count.get(m.group(1), 0) > 0:
            open_count[m.group(1)] -= 1
    return [name for name in order if open_count[name] > 0]


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: unfinished-tests.py LOG\n")
        return 2
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        for name in unfinished(f):
            print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
