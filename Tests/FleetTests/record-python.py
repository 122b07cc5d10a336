#!/usr/bin/env python3
"""Records what CPython prints for host output lines through the platform's loop (Scripts/agentchecker.py)
into PythonRecorded.swift, the table `PythonRenderingTests` holds `--format agent` to.

Run from the repository root with CPython 3.11: python3 Tests/FleetTests/record-python.py
"""
import inspect
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
import agentchecker  # noqa: E402

HOST = "0:10.0.0.1"


def entry(message, module='"m"', item='"process"', status="true"):
    return '{"status": true, "data": [{"module": %s, "item": %s, "status": %s, "message": %s}]}' % (module, item, status, message)


LINES = [
    # str() of message values that are not strings
    entry("1.0"), entry("-0.0"), entry("0.1"), entry("100.0"), entry("1e16"), entry("1e15"), entry("123456789.125"),
    entry("0.0001"), entry("0.00001"), entry("1.5e300"), entry("5e-324"), entry("-2.5E-7"), entry("Infinity"),
    entry("-Infinity"), entry("NaN"), entry("true"), entry("false"), entry("null"), entry("0"), entry("-9223372036854775807"),
    entry('{"a": 1, "b": [1, 2.0, null, true]}'), entry('["a", "b\\"c", "it\'s", "both\'\\""]'),
    entry('{"k\\u00e9": "tab\\there\\u0001 \\u200b \\u00a0 \\u4e2d\\ud83d\\ude00 \\\\ end"}'), entry("[]"), entry("{}"),
    # integers beyond 64 bits: exact, up to CPython's 4,300-digit limit (a ValueError past it)
    entry("123456789012345678901234567890"), entry("-99999999999999999999"), entry("9223372036854775808"),
    entry('{"a": 100000000000000000000000, "b": [-18446744073709551616, 1.5]}'), entry('"fine"', status="100000000000000000000"),
    entry("7" * 4300), entry("7" * 4301), entry("-" + "9" * 4400), '{"status": true, "data": [], "n": ' + "1" * 5000 + "}",
    # repr() escapes what the platform's Python (3.11, Unicode 14.0) does not print, whatever the toolchain's
    # Unicode knows: characters assigned in Unicode 15 (U+1F6DC, U+0CF3, U+31350, U+11F00) are unassigned there
    entry('{"new": "\\ud83d\\udedc \\u0cf3 \\ud884\\udf50 \\ud807\\udf00", "old": "\\u4e2d \\ud83d\\ude00 \\u00e9 \\u0891"}'),
    entry('["\U0001f6dc", "\u0cf3x", "\U0001fa75", "\U0002ebf0", "\U0001f7d9", "\u2ffc", "\U0001e4d0", "\u1680"]'),
    # the platform's own item labels (CHECK_AGENT_STEP): log_path's items have theirs, log_progress's none
    entry('"ok"', item='"logpath_match"'), entry('"ok"', item='"logpath_held"'), entry('"ok"', item='"logpath_progress"'),
    entry('"ok"', item='"pipeline_stall"', module='"log_progress"'), entry('"ok"', item='"main_config"'),
    entry('"ok"', item='"socket_queue_status"'), entry('"ok"', item='"dataserver_port"'),
    # a literal {host} is text, not a placeholder
    entry('"a {host} b"'), entry("null", module='"{host}"'), entry('"x {host}"', module="7"),
    # values AgentChecker formats where the report model wants strings
    entry('"fine"', module="7"), entry('"fine"', module="null"), entry('"fine"', item="5"), entry('"fine"', item='["x"]'),
    entry('"fine"', item='{"a": 1}'), entry('"fine"', status='"no"'), entry('"fine"', status="0.0"), entry('"fine"', status="[]"),
    '{"status": 0, "data": "ab"}', '{"status": 1, "data": {"x": 1}}', '{"status": [], "data": [1]}', '{"status": true, "data": null}',
    '{"status": true, "data": 2.5}', '[1, 2]', '"text"', '42', 'null', '{"data": []}',
    '{"status": true, "data": [{"module": "m", "item": "process", "status": true}]}',
    # json.loads errors: CPython 3.11 wording, positions in characters
    '{"status": tru', '{"status": true, "data": []} x', '   ', '{"é": "中文", "x": }', '{"中": 1,}', '{"中" 1}',
    '{"a": "中文', '{"a": "x\\qy"}', '{"a": "\\u12"}', '{"a": "\\u12G4"}', '{"a": "a\tb"}', '["é", 1 2]', '["中"]]',
    '{"a": 01}', '{"a": 1.}', '{"a": -}', '{"a": 1e}', "{'a': 1}", '{"a": tRue}', '\ufeff{"status": true, "data": []}',
    # a report line cut short after a value: Python names the delimiter it expected; a minus that starts no number
    '[1', '{"a":1', '[true', '["x"', '{"status": false', '{"status": true, "data": [{"module": "m", "item": "p", "status": true}',
    '{"a": [1, 2] ', '[1,', '{"a":', '{"a"', '{', '-Infinit', '-I', '[-Inf]', '[-', '{"a": -Infinity, "b": -Inf}',
    # a string cut short: CPython reads its escapes first (a \u escape must have a character after its digits)
    '{"a": "\\u0041', '{"a": "\\u0041x', '{"a": "\\u00', '{"a": "\\ud800', '{"a": "\\ud800\\udc00', '{"a": "\\ud800\\udc00x',
    '{"a": "\\ud800\\udc0G!', '{"a": "\\ud800\\u0041', '{"a": "\\ud800\\u0041x', '{"a": "x\\qy', '{"a": "\\', '{"a": "é\\u00é1',
    '{"a": "中\\u0041', '{"a": "tab\there', '{"a": "ok\\n\\t\\/ more',
    # lone surrogates: Python keeps them, and repr() prints them as escapes; keys differing in one stay two;
    # beside scalars of the private-use planes 15 and 16 (raw or as an escaped pair); an escaped backslash
    entry('{"x": "\\ud800", "y": "\\udc00\\ud800", "\\ud801": ["\\uDFFF", "\\ud800\\u0041", "\\ud83d\\ude00"]}'),
    entry('{"\\ud800": 1, "\\ud801": 2, "\\ud800": 3}'), entry('["\\ud800", "\\udb80\\udc00", "\U000f0000", "\\udbff\\udfff"]'),
    entry('["\\\\ud800", "\\ud800"]'), entry('["\\\\ud800"]'), entry('"top \\ud800 level"', module='"m\\udfff"'),
    entry('"x"', module='["\\ud800"]'), entry('{"a": "\\ud800"}', status="false"),
    # nesting: CPython 3.11's default recursion limit, from a script's top level
    "[" * 995 + "]" * 995, "[" * 996 + "]" * 996, '{"a":' * 995 + "1" + "}" * 995, '{"a":' * 996 + "1" + "}" * 996,
    "[" * 995 + "1" + "]" * 995, "[" * 996 + "{}" + "]" * 996,
    '{"status": true, "data": [], "deep": ' + "[" * 990 + "]" * 990 + "}",
]


def swift(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif 0xD800 <= o <= 0xDFFF:
            # A lone surrogate Python printed as itself (a str at the top) has no UTF-8 form: no byte stream,
            # the platform's or bkdiag-fleet's, can carry it; recorded as the U+FFFD that bkdiag-fleet prints.
            out.append("\\u{fffd}")
        elif o < 0x20 or o == 0x7F or (0x80 <= o < 0xA0) or ch in "\u200b\u00a0\ufeff":
            out.append("\\u{%x}" % o)
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def main():
    # json.loads nests as deep as CPython's recursion limit (1000) allows above the frames already on the
    # stack; record it as if called from a script's top level (the frames of main and host_lines do not count).
    sys.setrecursionlimit(1000 + len(inspect.stack()))
    rows = []
    for line in LINES:
        out = []
        agentchecker.host_lines(HOST, line, out)
        text = "".join("[%s] [agent checker] %s\n" % (lvl, t) for lvl, t in out)
        rows.append("        (%s,\n         %s)," % (swift(line), swift(text)))
    body = "\n".join(rows)
    path = os.path.join(ROOT, "Tests", "FleetTests", "PythonRecorded.swift")
    with open(path, "w", encoding="utf-8") as f:
        # Generated: swift-format leaves it as written (the lint in Scripts/test.sh skips it).
        f.write("// swift-format-ignore-file\n")
        f.write("// Generated by Tests/FleetTests/record-python.py with CPython %d.%d.%d; do not edit.\n\n" % sys.version_info[:3])
        f.write("/// One host output line and the record lines the platform's loop printed for it on host `%s`.\n" % HOST)
        f.write("enum PythonRecorded {\n    static let host = %s\n\n    static let lines: [(line: String, printed: String)] = [\n" % swift(HOST))
        f.write(body + "\n    ]\n}\n")


if __name__ == "__main__":
    main()
