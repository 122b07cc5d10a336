#!/usr/bin/env bash
# Measures `bkdiag daemon`: RSS, open fds and CPU over N fast cycles; then RSS and fds while 8 clients
# read /history (1000 reports) and stall, and one client holds 200 idle connections; then idle CPU at
# the default interval. Prints figures; asserts nothing. Targets: flat fds, RSS <= 20 MB (32 MB under
# any clients), idle CPU < 0.1%.
#
#   Scripts/bench-daemon.sh                    # build release, 1000 cycles, 60 s idle
#   CYCLES=200 IDLE_SECONDS=10 BIN=.build/debug/bkdiag Scripts/bench-daemon.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CYCLES=${CYCLES:-1000}
IDLE_SECONDS=${IDLE_SECONDS:-60}
FAST_INTERVAL=${FAST_INTERVAL:-0.01}
if [[ -z "${BIN:-}" ]]; then
    swift build -c release --product bkdiag >&2
    swift build -c release --product fake-bluek >&2
    BIN=.build/release/bkdiag
fi
FAKE=${FAKE:-$(dirname "$BIN")/fake-bluek}
TICKS=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/bkd-bench-XXXXXX)
PID=""
CLIENTS=()
cleanup() {
    for c in "${CLIENTS[@]}"; do kill "$c" 2>/dev/null || true; done
    [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/gse"
echo "# empty" >"$TMP/none.yaml"

start() { # interval
    "$BIN" daemon --gse_path "$TMP/gse" --ipc_socket_file "$TMP/ipc.sock" --interval "$1" \
        --socket "$TMP/d.sock" --state-dir "$TMP/state" --config "$TMP/none.yaml" 2>"$TMP/daemon.err" &
    PID=$!
    for _ in $(seq 1 200); do
        curl -sf --unix-socket "$TMP/d.sock" http://bkdiag/report >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "daemon did not come up:" >&2; cat "$TMP/daemon.err" >&2; exit 1
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$PID/status"; }
# Private memory: RSS minus the file-backed pages of the binary and shared libraries.
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$PID/status"; }
fds() { ls "/proc/$PID/fd" | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
cycles() { curl -sf --unix-socket "$TMP/d.sock" http://bkdiag/metrics | awk '$1 == "bkdiag_daemon_cycles_total" {print $2}'; }

echo "binary: $BIN ($(du -h "$BIN" | cut -f1))"
echo "== $CYCLES cycles at interval ${FAST_INTERVAL}s =="
start "$FAST_INTERVAL"
t0=$(date +%s.%N); c0=$(cpu_ticks)
printf '%8s %8s %8s %5s %8s\n' cycles rss_kb anon_kb fds cpu_s
min_rss=999999999; max_rss=0; min_fd=999999; max_fd=0; first_rss=""
while :; do
    n=$(cycles); r=$(rss_kb); f=$(fds); c=$(cpu_ticks)
    [[ -z "$first_rss" ]] && first_rss=$r
    (( r < min_rss )) && min_rss=$r; (( r > max_rss )) && max_rss=$r
    (( f < min_fd )) && min_fd=$f; (( f > max_fd )) && max_fd=$f
    printf '%8s %8s %8s %5s %8s\n' "$n" "$r" "$(anon_kb)" "$f" "$(echo "scale=2; ($c - $c0) / $TICKS" | bc)"
    (( n >= CYCLES )) && break
    sleep 1
done
t1=$(date +%s.%N); c1=$(cpu_ticks)
wall=$(echo "$t1 - $t0" | bc); cpu=$(echo "scale=3; ($c1 - $c0) / $TICKS" | bc)
echo "rss_kb first=$first_rss min=$min_rss max=$max_rss last=$(rss_kb) (anon_kb last=$(anon_kb))"
echo "fds min=$min_fd max=$max_fd"
echo "cpu ${cpu}s over ${wall}s wall ($(echo "scale=2; 100 * $cpu / $wall" | bc)% of one core), $(echo "scale=3; 1000 * $cpu / $n" | bc) ms per cycle"
echo "history: $(curl -sf --unix-socket "$TMP/d.sock" http://bkdiag/metrics | awk '/^bkdiag_daemon_history_(reports|bytes) / {printf "%s=%s ", $1, $2}')"

echo "== 8 stalled /history?limit=1000 readers, then 200 idle connections from one process =="
clients() { # name args...: starts fake-bluek clients, waits for its "ready"
    local name=$1; shift
    "$FAKE" clients --socket "$TMP/d.sock" "$@" >"$TMP/$name.out" 2>&1 &
    CLIENTS+=($!)
    for _ in $(seq 1 400); do grep -q ready "$TMP/$name.out" 2>/dev/null && return 0; sleep 0.05; done
    echo "$name did not get ready:" >&2; cat "$TMP/$name.out" >&2; exit 1
}
answer_bytes=$(curl -sf --unix-socket "$TMP/d.sock" 'http://bkdiag/history?since=0&limit=1000' | wc -c)
echo "one /history?limit=1000 answer: $answer_bytes bytes"
echo "before: rss_kb=$(rss_kb) hwm_kb=$(hwm_kb) anon_kb=$(anon_kb) fds=$(fds)"
clients readers --readers 8
sleep 2
echo "8 readers stalled: rss_kb=$(rss_kb) hwm_kb=$(hwm_kb) anon_kb=$(anon_kb) fds=$(fds)"
clients idle --idle 200
sleep 2
echo "+200 idle connections: rss_kb=$(rss_kb) hwm_kb=$(hwm_kb) anon_kb=$(anon_kb) fds=$(fds)"
t=$(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' --unix-socket "$TMP/d.sock" http://bkdiag/metrics)
echo "another client's /metrics meanwhile: HTTP $t"
for c in "${CLIENTS[@]}"; do kill "$c" 2>/dev/null || true; wait "$c" 2>/dev/null || true; done
CLIENTS=()
sleep 1
echo "after the clients left: rss_kb=$(rss_kb) hwm_kb=$(hwm_kb) anon_kb=$(anon_kb) fds=$(fds)"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""

echo "== idle at the default interval (60 s) for ${IDLE_SECONDS}s =="
start 60
sleep 2
i0=$(cpu_ticks); s0=$(date +%s.%N)
sleep "$IDLE_SECONDS"
i1=$(cpu_ticks); s1=$(date +%s.%N)
idle_wall=$(echo "$s1 - $s0" | bc)
echo "idle cpu $(echo "scale=3; ($i1 - $i0) / $TICKS" | bc)s over ${idle_wall}s = $(echo "scale=4; 100 * ($i1 - $i0) / $TICKS / $idle_wall" | bc)% (tick resolution $(echo "scale=4; 100 / $TICKS / $idle_wall" | bc)%)"
echo "idle rss_kb=$(rss_kb) anon_kb=$(anon_kb) fds=$(fds) threads=$(awk '/^Threads:/ {print $2}' "/proc/$PID/status")"
