#!/bin/sh
"""":
# JOB runs the script file itself: this header finds a Python (CentOS 8 has no `python`, CentOS 7 no
# `python3` unless installed), and to Python it is a string. The file stays ASCII, as Python 2 needs.
# The script, once it runs, always exits 0 (with its one line, a SIGTERM from JOB included): any other status
# is an interpreter that could not run it (a broken link 126/127, a broken install or PYTHONHOME, a Python too
# old for it: 1), and the next one is tried. Its output is not captured, so a stopped run's line still reaches JOB.
why="found no Python interpreter on this host"
for py in python3 python /usr/libexec/platform-python python2; do
    if command -v "$py" >/dev/null 2>&1; then
        "$py" "$0" "$@" 2>/dev/null
        rc=$?
        if [ "$rc" -eq 0 ]; then exit 0; fi
        why="ran no Python that could run it (the last, $py, exited $rc)"
    fi
done
printf '%s\n' '{"status": false, "data": [{"module": "gse_agent", "item": "bkdiag", "status": false, "message": "check.py '"$why"'", "result": "unknown", "hint": "install python3, or run bkdiag through Scripts/job-check.sh as a shell script", "source": "check.py"}]}'
exit 0
"""
"""bkdiag drop-in for the log platform's check.py.

bk-log sends its collector checker to the hosts through JOB fast_execute_script as a Python script
(script_language 4) with check.py's argument string, for example
    --subscription_id=123 --ipc_socket_file=/var/run/ipc.state.report --gse_path=/usr/local/gse/
Replace the script's content with this file and keep the arguments: it runs the installed bkdiag with the
same arguments as argv (never through a shell) and prints bkdiag's one-line JSON report.

Contract (docs/packaging.md): stdout carries exactly one JSON object on one line and the exit status is
always 0. bkdiag is stopped after BKDIAG_TIMEOUT seconds (default 20, at most 25; SIGTERM to its process
group, SIGKILL 3 s later), so the script ends within about 30 s, well inside the 100 s the platform's
checker waits. bkdiag runs with core dumps off in a temporary directory removed afterwards; its stderr is
never passed on. When bkdiag is missing, hangs, dies or prints no report, the line is a report in
check.py's shape whose one entry (gse_agent/bkdiag) says so.

Python 2.7 and 3, standard library only. It searches bkdiag where Scripts/job-check.sh does:
$BKDIAG_BIN, /usr/bin/bkdiag, /usr/local/bin/bkdiag, /opt/bkdiag/bin/bkdiag, <--gse_path>/plugins/bin/bkdiag,
/usr/local/gse*/plugins/bin/bkdiag (BKDIAG_SEARCH_PATHS and BKDIAG_GSE_GLOB replace the last two lists).
"""
import glob
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    from collections import OrderedDict
except ImportError:  # pragma: no cover - Python 2.6 has no OrderedDict
    OrderedDict = dict

SOURCE = "check.py"
DEFAULT_LIMIT = 20
MAX_LIMIT = 25
KILL_GRACE = 3
REPORT_START = re.compile(r'^\{"status": ?(true|false),')


def printable(text, limit=400):
    """Printable ASCII only (the fallback line stays valid in any encoding), at most `limit` characters."""
    if not isinstance(text, str):
        try:
            text = text.decode("utf-8", "replace")
        except Exception:
            text = repr(text)
    text = text.replace("\n", " ").replace("\r", " ")
    return "".join(c for c in text if c == "\t" or " " <= c <= "~")[:limit]


def report_line(message, hint):
    entry = OrderedDict([
        ("module", "gse_agent"), ("item", "bkdiag"), ("status", False),
        ("message", printable(message)), ("result", "unknown"), ("hint", printable(hint)),
        ("source", SOURCE),
    ])
    return json.dumps(OrderedDict([("status", False), ("data", [entry])]))


def finish(line):
    """Writes the line as UTF-8 bytes, whatever the interpreter and locale: Python 2 (and 3.6 without a
    UTF-8 locale) would encode the report's Chinese labels as ASCII and fail."""
    data = line + "\n"
    if not isinstance(data, bytes):
        data = data.encode("utf-8")
    out = getattr(sys.stdout, "buffer", sys.stdout)
    out.write(data)
    out.flush()
    sys.exit(0)


def split_arguments(argv):
    """JOB may hand over the whole argument string as one parameter: split it on blanks (no globbing).
    JOB also appends the platform's argument string to the command unquoted, so a log path with a space
    arrives as several words: words that are no option, after --log_paths' value, are joined back onto it (an
    absolute path with a comma: a glob the shell expanded, one word per file)."""
    if len(argv) == 1 and re.search(r"\s", argv[0]):
        words = argv[0].split()
    else:
        words = list(argv)
    out = []
    state = 0  # 1: --log_paths / -l seen, its value next; 2: inside its value
    for word in words:
        if state == 1:
            out.append(word)
            state = 2
            continue
        if state == 2 and not word.startswith("-"):
            # A word that is itself an absolute path is a further path: the host's shell expanded a glob
            # (-l /data/*.log) into the files it matched.
            out[-1] = out[-1] + ("," if word.startswith("/") else " ") + word
            continue
        out.append(word)
        if word in ("--log_paths", "-l"):
            state = 1
        elif word.startswith("--log_paths=") or (word.startswith("-l") and len(word) > 2):
            state = 2
        else:
            state = 0
    return out


def gse_path_of(args):
    """The --gse_path / -p value, also from the glued form --gse_path=/usr/local/gse/--collector_config_id=45."""
    value = ""
    want = False
    for arg in args:
        if want:
            value, want = arg, False
        elif arg.startswith("--gse_path="):
            value = arg[len("--gse_path="):]
        elif arg in ("--gse_path", "-p"):
            want = True
        elif arg.startswith("-p") and len(arg) > 2:
            value = arg[2:]
    glued = value.find("--", 1)
    if glued > 0:
        value = value[:glued]
    return value.rstrip("/")


def candidates(args):
    env = os.environ
    patterns = []
    if env.get("BKDIAG_BIN"):
        patterns.append(env["BKDIAG_BIN"])
    standard = env.get("BKDIAG_SEARCH_PATHS")
    if standard is None:
        standard = "/usr/bin/bkdiag:/usr/local/bin/bkdiag:/opt/bkdiag/bin/bkdiag"
    patterns.extend(p for p in standard.split(":") if p)
    gse = gse_path_of(args)
    if gse:
        patterns.append(gse + "/plugins/bin/bkdiag")
    roots = env.get("BKDIAG_GSE_GLOB")
    if roots is None:
        roots = "/usr/local/gse*"
    if roots:
        patterns.append(roots + "/plugins/bin/bkdiag")
    return patterns


def find_bkdiag(patterns):
    """The first executable bkdiag, and the first one found that may not be executed (or None)."""
    blocked = None
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for path in matches:
            if os.path.isfile(path):
                if os.access(path, os.X_OK):
                    return path, blocked
                blocked = blocked or path
    return None, blocked


def time_limit():
    try:
        limit = int(os.environ.get("BKDIAG_TIMEOUT", DEFAULT_LIMIT))
    except ValueError:
        limit = DEFAULT_LIMIT
    return max(1, min(limit, MAX_LIMIT))


def child_setup():
    # Its own process group (so the whole group can be stopped), and no core file.
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


running = []


def stopped(signum, frame):
    """JOB (or a person) stops this script: bkdiag's group goes too, and the line still says why."""
    for pid in running:
        signal_group(pid, signal.SIGKILL)
    finish(report_line("check.py was stopped by signal %d before bkdiag finished" % signum,
                       "the job's timeout may be too short"))


def run_bounded(binary, args, work, limit):
    """Runs bkdiag with output in files; returns (returncode, timed_out)."""
    out = open(os.path.join(work, "out"), "wb")
    err = open(os.path.join(work, "err"), "wb")
    null = open(os.devnull, "rb")
    try:
        child = subprocess.Popen([binary] + args, stdin=null, stdout=out, stderr=err, cwd=work,
                                 close_fds=True, preexec_fn=child_setup)
    finally:
        out.close()
        err.close()
        null.close()
    running.append(child.pid)
    deadline = time.time() + limit
    timed_out = False
    while child.poll() is None:
        now = time.time()
        if not timed_out and now >= deadline:
            timed_out = True
            signal_group(child.pid, signal.SIGTERM)
            deadline = now + KILL_GRACE
        elif timed_out and now >= deadline:
            signal_group(child.pid, signal.SIGKILL)
            child.wait()
            break
        time.sleep(0.05)
    # Anything bkdiag left in its group goes too (it holds no descriptor of ours, but it must not linger).
    signal_group(child.pid, signal.SIGKILL)
    return child.returncode, timed_out


def last_report(path):
    """The last stdout line that is one JSON object starting as bkdiag's report does."""
    found = None
    with open(path, "rb") as f:
        for raw in f.read().splitlines():
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                continue
            if not REPORT_START.match(line):
                continue
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(value.get("data"), list):
                found = line
    return found


def last_error(path):
    """What bkdiag said on stderr: its first line (the reason; a usage hint follows it)."""
    try:
        with open(path, "rb") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        return printable(lines[0], 200) if lines else ""
    except (IOError, OSError):
        return ""


def main(argv):
    args = split_arguments(argv)
    patterns = candidates(args)
    binary, blocked = find_bkdiag(patterns)
    if binary is None and blocked is not None:
        finish(report_line("bkdiag is at %s but may not be executed (no execute permission, or a noexec mount)" % blocked,
                           "chmod 755 %s, or install it on a file system mounted with exec" % blocked))
    if binary is None:
        finish(report_line("bkdiag is not installed on this host (searched: %s)" % ", ".join(patterns),
                           "install the bkdiag package or NodeMan plugin, or set BKDIAG_BIN"))
    limit = time_limit()
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, stopped)
    work = tempfile.mkdtemp(prefix="bkdiag-job.")
    try:
        try:
            code, timed_out = run_bounded(binary, args, work, limit)
        except OSError as error:
            finish(report_line("bkdiag (%s) could not be started: %s" % (binary, error),
                               "check that %s is an executable for this machine" % binary))
        report = last_report(os.path.join(work, "out"))
        if report is not None:
            finish(report)
        why = last_error(os.path.join(work, "err"))
        if timed_out:
            what = "bkdiag (%s) did not finish within %ds" % (binary, limit)
        elif code is not None and code < 0:
            what = "bkdiag (%s) was killed by signal %d without a report" % (binary, -code)
        elif code == 0:
            what = "bkdiag (%s) printed no one-line JSON report" % binary
        else:
            what = "bkdiag (%s) exited with status %s without a report" % (binary, code)
        if why:
            what += ": " + why
        finish(report_line(what, "run %s by hand on this host to see its output" % binary))
    finally:
        shutil.rmtree(work, True)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except SystemExit:
        raise
    except BaseException as error:  # never a traceback instead of the line, never a non-zero exit
        finish(report_line("check.py failed: %s: %s" % (type(error).__name__, error),
                           "run it by hand on this host to see the error"))
