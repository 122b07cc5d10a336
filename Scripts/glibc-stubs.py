#!/usr/bin/env python3
"""Stub glibc libraries that make the linker bind every glibc symbol to an old version.

    Scripts/glibc-stubs.py --floor 2.17 --out DIR

The linker binds an undefined symbol to the default (newest) version of the library it links against:
built on Debian 12, bkdiag needed GLIBC_2.35. Linking instead against stub libraries that define each
symbol only at the newest version not newer than the floor (what linking on a glibc of the floor would
give) makes the binary load on every glibc from the floor on. The symbols and their versions come from
this host's glibc (objdump -T of libc.so.6, libm.so.6, ld-linux-x86-64.so.2: glibc keeps every old
version as a compat symbol). Symbols that glibc 2.34 moved into libc are put back where older glibc has
them (pthread_* and sem_* in libpthread.so.0, dl* in libdl.so.2, shm/timer/mq/aio in librt.so.1); the
loader looks symbols up by name and version in every loaded library, so the file only decides which
libraries are NEEDED. A symbol with no version old enough is left out: the link fails on it, naming it,
until our own code defines it (packaging/glibc/compat.c).

DIR gets libc.so, libpthread.so, libdl.so, librt.so, libm.so and ld-linux-x86-64.so.2, each with the
real soname, for `-L DIR`; symbols.txt lists the bindings. Needs binutils (objdump) and clang.
"""
import argparse
import os
import re
import subprocess
import sys

LIBDIR = "/lib/x86_64-linux-gnu"
SYSTEM = {  # stub file -> (soname, the system library whose versions it follows)
    "libc.so": ("libc.so.6", "libc.so.6"),
    "libm.so": ("libm.so.6", "libm.so.6"),
    "ld-linux-x86-64.so.2": ("ld-linux-x86-64.so.2", "ld-linux-x86-64.so.2"),
}
MOVED = [  # (pattern, stub file) for what lived outside libc.so.6 before glibc 2.34
    (re.compile(r"^(pthread_|__pthread_|sem_)"), "libpthread.so", "libpthread.so.0"),
    (re.compile(r"^(dlopen|dlsym|dlclose|dlerror|dladdr|dladdr1|dlinfo|dlmopen|dlvsym)$"), "libdl.so", "libdl.so.2"),
    (re.compile(r"^(shm_open|shm_unlink|timer_\w+|mq_\w+|aio_\w+|lio_listio\w*)$"), "librt.so", "librt.so.1"),
]
LINE = re.compile(r"^[0-9a-f]+ (.{7}) (\S+)\s+([0-9a-f]+)\s+(\(?)(GLIBC_[0-9.]+)\)?\s+(\S+)$")


def version_key(v):
    return tuple(int(x) for x in v.replace("GLIBC_", "").split("."))


def exports(path):
    """symbol -> [(version, is_object, size)] of a system library's defined dynamic symbols."""
    out = {}
    text = subprocess.run(["objdump", "-T", path], capture_output=True, text=True, check=True).stdout
    for line in text.splitlines():
        m = LINE.match(line)
        if not m or m.group(2) == "*UND*":
            continue
        flags, section, size, _paren, version, name = m.groups()
        if section in ("*ABS*", ".tbss", ".tdata") or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            continue  # version definitions, thread-local variables
        out.setdefault(name, []).append((version, "O" in flags, int(size, 16)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--floor", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    floor = version_key("GLIBC_" + args.floor)

    tables = {stub: exports(os.path.join(LIBDIR, real)) for stub, (_, real) in SYSTEM.items()}
    stubs = {}  # stub file -> {name: (version, is_object, size)}
    report, left_out = [], 0
    for home in ("libc.so", "libm.so", "ld-linux-x86-64.so.2"):
        for name, entries in sorted(tables[home].items()):
            usable = [e for e in entries if version_key(e[0]) <= floor]
            if not usable:
                left_out += 1
                continue
            entry = max(usable, key=lambda e: version_key(e[0]))
            stub = home
            if home == "libc.so":
                for pattern, moved, _ in MOVED:
                    if pattern.match(name):
                        stub = moved
            stubs.setdefault(stub, {})[name] = entry
            report.append("%s %s %s" % (name, entry[0], stub))
    os.makedirs(args.out, exist_ok=True)
    sonames = {stub: so for stub, (so, _) in SYSTEM.items()}
    sonames.update({moved: so for _, moved, so in MOVED})
    for stub, so in sonames.items():
        symbols = stubs.get(stub, {})
        base = os.path.join(args.out, stub.replace(".so", "_stub"))
        # Assembly, not C: any name, no builtin or prototype conflicts. Bodies are never run.
        with open(base + ".s", "w") as asm:
            for name, (_v, is_object, size) in sorted(symbols.items()):
                if is_object:
                    asm.write(".data\n.globl %s\n.type %s,@object\n.size %s,%d\n%s:\n.zero %d\n" % (name, name, name, max(size, 1), name, max(size, 1)))
                else:
                    asm.write(".text\n.globl %s\n.type %s,@function\n%s:\nret\n" % (name, name, name))
        by_version = {}
        for name, (v, _o, _s) in symbols.items():
            by_version.setdefault(v, []).append(name)
        with open(base + ".map", "w") as m:
            versions = sorted(by_version, key=version_key) or ["GLIBC_2.2.5"]
            for i, v in enumerate(versions):
                names = "".join(" %s;" % n for n in sorted(by_version.get(v, [])))
                local = " local: *;" if i == 0 else ""
                m.write("%s { global:%s%s };\n" % (v, names, local))
        subprocess.run(["clang", "-shared", "-nostdlib", "-o", os.path.join(args.out, stub),
                        "-Wl,-soname," + so, "-Wl,--version-script," + base + ".map", base + ".s"], check=True)
    with open(os.path.join(args.out, "symbols.txt"), "w") as f:
        f.write("\n".join(report) + "\n")
    print("glibc-stubs.py: %d symbols bound at GLIBC <= %s, %d newer ones left out" % (len(report), args.floor, left_out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
