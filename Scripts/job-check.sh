#!/bin/sh
# bkdiag JOB entry point: paste this into JOB fast_execute_script (script_language 1, shell) in place of
# check.py, with check.py's argument string unchanged as the script parameters, for example
#   --subscription_id=123 --ipc_socket_file=/var/run/ipc.state.report --gse_path=/usr/local/gse/
#
# Contract (see docs/packaging.md): stdout carries exactly one JSON object on one line and the exit status
# is always 0, so JOB never marks the host failed and the central parser always finds a report. The
# platform's checker gives the whole job 100 s: bkdiag is stopped after BKDIAG_TIMEOUT seconds (SIGTERM to
# its process group) and killed 3 s later, so the script ends within about 25 s even when bkdiag hangs.
# Nothing is written to stderr (not even the shell's "Segmentation fault" when bkdiag dies by a signal),
# and bkdiag runs with core dumps off in a temporary directory that is removed afterwards.
# The parameters are never evaluated by a shell: they are passed to bkdiag as argv, unchanged.
# packaging/job/check.py is the same for bk-log's Python checker (script_language 4).
#
# Environment (all optional):
#   BKDIAG_BIN            bkdiag binary to run, searched first
#   BKDIAG_TIMEOUT        seconds before bkdiag is stopped (default 20, at most 25)
#   BKDIAG_SEARCH_PATHS   colon-separated paths replacing the standard ones (for tests)
#   BKDIAG_GSE_GLOB       pattern of GSE roots searched last (default /usr/local/gse*; for tests)

set -f          # nothing below may glob the parameters (log paths such as /var/log/*.log stay literal)
umask 077
export LC_ALL=C
# stdout is the report; this script's stderr stays empty. bash (/bin/sh on CentOS) reports a child killed
# by a signal on stderr, dash does not: closing it here silences both.
exec 2>/dev/null

# JOB may hand over the whole argument string as one parameter: split it on blanks, without globbing.
if [ "$#" -eq 1 ]; then
    case "$1" in
        *[[:space:]]*)
            # shellcheck disable=SC2086  # splitting is the point; set -f keeps it from globbing
            set -- $1 ;;
    esac
fi

# JOB appends the platform's argument string to the command unquoted, so a log path with a space arrives as
# several words: words that are no option, after --log_paths' (-l's) value, are joined back onto it, as
# check.py does (a word that is itself an absolute path with a comma: a glob the shell expanded, one word
# per file). The list is rebuilt in place (`for` took its words before the first `set --`); a value
# being joined waits in $pending until an option or the end.
state=0   # 1: --log_paths / -l seen, its value next; 2: inside its value
pending=""
first=1
for word in "$@"; do
    if [ -n "$first" ]; then set --; first=""; fi
    if [ "$state" = 2 ]; then
        case "$word" in
            -*) set -- "$@" "$pending"; state=0 ;;
            /*) pending="$pending,$word"; continue ;;
            *) pending="$pending $word"; continue ;;
        esac
    fi
    if [ "$state" = 1 ]; then pending=$word; state=2; continue; fi
    case "$word" in
        --log_paths|-l) set -- "$@" "$word"; state=1 ;;
        --log_paths=*|-l?*) pending=$word; state=2 ;;
        *) set -- "$@" "$word" ;;
    esac
done
if [ "$state" = 2 ]; then set -- "$@" "$pending"; fi

# Keep only printable ASCII, escape for a JSON string, at most 400 characters.
json_text() {
    printf '%s' "$1" | tr '\n\r' '  ' | tr -cd '\11\40-\176' | cut -c1-400 | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g'
}

# One-line report in check.py's shape that says why bkdiag gave no report; exit 0.
fallback() {
    printf '{"status": false, "data": [{"module": "gse_agent", "item": "bkdiag", "status": false, "message": "%s", "result": "unknown", "hint": "%s", "source": "job-check.sh"}]}\n' \
        "$(json_text "$1")" "$(json_text "$2")"
    exit 0
}

# The --gse_path / -p value, also from the glued form --gse_path=/usr/local/gse/--collector_config_id=45.
gse_path=""
want_gse=""
for arg in "$@"; do
    if [ -n "$want_gse" ]; then gse_path=$arg; want_gse=""; continue; fi
    case "$arg" in
        --gse_path=*) gse_path=${arg#--gse_path=} ;;
        --gse_path|-p) want_gse=1 ;;
        -p?*) gse_path=${arg#-p} ;;
    esac
done
case "$gse_path" in
    *?--*) gse_path=${gse_path%%--*} ;;
esac
gse_path=${gse_path%/}

# Search order: $BKDIAG_BIN, the standard paths, beside the GSE plugins of --gse_path, any /usr/local/gse*.
standard=${BKDIAG_SEARCH_PATHS-/usr/bin/bkdiag:/usr/local/bin/bkdiag:/opt/bkdiag/bin/bkdiag}
gse_roots=${BKDIAG_GSE_GLOB-/usr/local/gse*}
candidates="${BKDIAG_BIN:+$BKDIAG_BIN:}$standard:${gse_path:+$gse_path/plugins/bin/bkdiag:}$gse_roots/plugins/bin/bkdiag"

bin=""
blocked=""
searched=""
IFS_SAVED=$IFS
IFS=:
for pattern in $candidates; do
    [ -n "$pattern" ] || continue
    searched="${searched:+$searched, }$pattern"
    set +f
    for candidate in $pattern; do
        if [ -f "$candidate" ] && [ -x "$candidate" ]; then bin=$candidate; break; fi
        # There, but not to be executed (no x bit, or a noexec mount): said as such, not as missing.
        if [ -f "$candidate" ] && [ -z "$blocked" ]; then blocked=$candidate; fi
    done
    set -f
    [ -n "$bin" ] && break
done
IFS=$IFS_SAVED

if [ -z "$bin" ] && [ -n "$blocked" ]; then
    fallback "bkdiag is at $blocked but may not be executed (no execute permission, or a noexec mount)" \
        "chmod 755 $blocked, or install it on a file system mounted with exec"
fi
if [ -z "$bin" ]; then
    fallback "bkdiag is not installed on this host (searched: $searched)" \
        "install the bkdiag package or NodeMan plugin, or set BKDIAG_BIN"
fi

limit=${BKDIAG_TIMEOUT:-20}
case "$limit" in ''|*[!0-9]*) limit=20 ;; esac
[ "$limit" -ge 1 ] || limit=1
[ "$limit" -le 25 ] || limit=25
work=$(mktemp -d 2>/dev/null || { d=/tmp/bkdiag-job.$$; mkdir -m 700 "$d" && echo "$d"; }) \
    || fallback "bkdiag could not run: no temporary directory" "check /tmp on this host"
trap 'rm -rf "$work"' EXIT
trap 'rm -rf "$work"; exit 0' HUP INT TERM

# No core file: core dumps off for bkdiag, and its working directory is the temporary one (a core
# written despite the limit, by a core_pattern relative to the cwd, goes away with it).
ulimit -c 0
cd "$work" || fallback "bkdiag could not run: cannot enter $work" "check /tmp on this host"
started=$(date +%s 2>/dev/null || echo 0)
if command -v timeout >/dev/null 2>&1; then
    # timeout runs bkdiag in its own process group and signals the whole group.
    timeout -k 3 "$limit" "$bin" "$@" >"$work/out" 2>"$work/err" </dev/null
    rc=$?
else
    # No coreutils timeout (busybox): poll the child's state in /proc five times a second, TERM it at the
    # limit and KILL it 3 s later. Polled, not `wait`ed for: a shell started with SIGCHLD blocked (a mask
    # inherited from its parent) sleeps in `wait` forever once the child has exited.
    "$bin" "$@" >"$work/out" 2>"$work/err" </dev/null &
    child=$!
    ticks=0
    while :; do
        stat=""
        { read -r stat </proc/"$child"/stat; } 2>/dev/null
        state=${stat##*) }
        case "${state%% *}" in ''|Z) break ;; esac
        ticks=$((ticks + 1))
        if [ "$ticks" -eq $((limit * 5)) ]; then : >"$work/timed-out"; kill -TERM "$child" 2>/dev/null; fi
        if [ "$ticks" -ge $(((limit + 3) * 5)) ]; then kill -KILL "$child" 2>/dev/null; fi
        sleep 0.2 2>/dev/null || sleep 1
    done
    wait "$child"
    rc=$?
    [ -e "$work/timed-out" ] && rc=124
fi
cd / || true

# The report is the last line that is one JSON object starting as bkdiag's does ({"status": true|false,
# "data": [); anything else on stdout would break the parser (a `data` that is no list too: the platform's
# checker logs the host as passed, then fails on it).
report=$(grep -E '^[[:space:]]*\{"status": ?(true|false), ?"data": ?\[.*\}[[:space:]]*$' "$work/out" | tail -n 1)
if [ -n "$report" ]; then
    printf '%s\n' "$report"
    exit 0
fi

# bkdiag's first stderr line is the reason (a usage hint may follow it).
why=$(grep -v '^[[:space:]]*$' "$work/err" | head -n 1)
# 137 is SIGKILL: timeout's own kill 3 s after the limit, or another's (the OOM killer) before it.
elapsed=$(( $(date +%s 2>/dev/null || echo 0) - started ))
[ "$rc" -eq 137 ] && [ "$elapsed" -lt "$limit" ] && rc=1137
case "$rc" in
    0) what="bkdiag ($bin) printed no one-line JSON report" ;;
    124|137) what="bkdiag ($bin) did not finish within ${limit}s" ;;
    1137) what="bkdiag ($bin) was killed by signal 9 (SIGKILL: the OOM killer?) after ${elapsed}s without a report" ;;
    129|13[0-9]|14[0-9]|15[0-9]) what="bkdiag ($bin) was killed by signal $((rc - 128)) without a report" ;;
    *) what="bkdiag ($bin) exited with status $rc without a report" ;;
esac
fallback "$what${why:+: $why}" "run $bin by hand on this host to see its output"
