#!/usr/bin/env bash
# Benchmark of `bkdiag-fleet parse`: generates HOSTS host logs (default 100,000) as JOB answers
# (one get_job_instance_status answer and log pages of 500 hosts), then times parse + aggregate
# and reports peak memory, beside the platform's own loop (Scripts/agentchecker.py: json.loads per
# output line, one record line per entry) on the same files and a floor (reading the input bytes).
# Both the loop and parse print to a null device in the timed runs (writing 150 MB of agent lines to a
# file is the disk's time, not the parser's). Where /dev/null is not the null device (some containers make
# it a regular file, and every write to it then lands in the page cache), the script makes a null device of
# its own with mknod and says so. Targets: >= 20x the platform's loop, <= 400 MB. Not a test: it asserts
# nothing.
#
#   Scripts/bench-fleet.sh [HOSTS] [FORMAT]     FORMAT: table (default), json, markdown, agent, html
#   RUNS=3 Scripts/bench-fleet.sh ...           best of RUNS runs of each (default 1): on a shared machine
#                                               a single run is at the mercy of the other work
#   BENCH_DYNAMIC=1 Scripts/bench-fleet.sh ...  the plain release build (Swift runtime linked dynamically)
#                                               instead of the binary built as shipped
#   RECORD=1 Scripts/bench-fleet.sh 500 agent   also times the loop once with bk-log's record keeping
#                                               (agentchecker.py --record: the whole record pickled after every
#                                               line, which is quadratic; a few hundred hosts take seconds,
#                                               100,000 would take days)
set -euo pipefail
HOSTS="${1:-100000}"
FORMAT="${2:-table}"
RUNS="${RUNS:-1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# The binary measured is built as the shipped one is (Scripts/build-release.sh): release, with the Swift
# runtime, Dispatch and Foundation linked statically (--static-swift-stdlib; calls into the runtime, a retain
# or a release, are then direct, not through the dynamic linker's tables, and nothing is loaded at start).
# Its own scratch path (.build-bench), so that the usual release build is not rebuilt each time: the first
# run builds it from scratch (a few minutes). BENCH_DYNAMIC=1 measures the plain dynamic release build.
if [ "${BENCH_DYNAMIC:-0}" = 1 ]; then
  echo "== building release (dynamic Swift runtime)"
  BUILD=(swift build -c release)
else
  echo "== building release as shipped (--static-swift-stdlib, in .build-bench)"
  BUILD=(swift build -c release --static-swift-stdlib --scratch-path "$ROOT/.build-bench")
fi
"${BUILD[@]}" --product bkdiag-fleet >/dev/null
BIN="$("${BUILD[@]}" --show-bin-path)/bkdiag-fleet"

WORK="$(mktemp -d /tmp/bkdiag-fleet-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

echo "== generating $HOSTS hosts in $WORK"
python3 - "$WORK" "$HOSTS" <<'PY'
import json, random, sys
out, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
DUR = random.Random(11)  # durations drawn apart, so the mix of hosts is the seed's as before
ITEMS = [("log_path", "logpath_match"), ("log_path", "logpath_held"), ("bkunifylogbeat", "bin_file"),
         ("bkunifylogbeat", "process"), ("bkunifylogbeat", "main_config"), ("bkunifylogbeat", "config"),
         ("bkunifylogbeat", "hosted"), ("bkunifylogbeat", "healthz"), ("gse_agent", "process"),
         ("gse_agent", "socket"), ("gse_agent", "socket_queue_status"), ("gse_agent", "dataserver_port")]

def rich(i, failing):
    data = []
    for m, it in ITEMS:
        bad = it in failing
        data.append({"module": m, "item": it, "status": not bad,
                     "message": ("bkunifylogbeat is not running (pid %d gone)" % (i % 30000)) if bad and it == "process"
                                else ("dataserver 10.%d.0.1:58625 not connected" % (i % 200)) if bad
                                else "ok: /usr/local/gse/plugins/etc/bkunifylogbeat_sub_%d_host_0.conf" % (i % 500),
                     "result": "fail" if bad else "pass", "label": it,
                     "hint": "restart the collector: systemctl restart gse_agent" if bad else "",
                     "evidence": {"pid": 1000 + i % 30000, "path": "/usr/local/gse/plugins/bin/bkunifylogbeat", "size": 41234567},
                     # Measured per check, as bkdiag prints it (milliseconds to 3 decimals): hosts differ.
                     "duration_ms": round(DUR.uniform(0.05, 40.0), 3)})
    return json.dumps({"status": not failing, "data": data, "schema": "bkdiag.report/1",
                       "result": "fail" if failing else "pass", "summary": {"pass": 12 - len(failing), "warn": 0, "fail": len(failing), "unknown": 0},
                       "version": "0.1.0", "host": {"hostname": "host-%d" % i, "machine_id": "%032x" % i, "kernel": "5.10.0"},
                       "generated_at": "2026-11-23T10:00:00.000Z", "generated_at_ms": 1795000000000, "duration_ms": 310.5,
                       "context": {"gse_root": "/usr/local/gse", "layout": "gse2", "ipc": "/var/run/ipc.state.report"}},
                      ensure_ascii=False, separators=(",", ":"))

def checkpy(i, ok):
    return json.dumps({"status": ok, "data": [
        {"module": "bkunifylogbeat", "item": "bin_file", "status": True, "message": ""},
        {"module": "bkunifylogbeat", "item": "process", "status": ok,
         "message": "cpu_usage: 0.3%, mem_usage: 1.2%" if ok else "bkunifylogbeat is not running"},
        {"module": "gse_agent", "item": "socket", "status": True, "message": ""},
        {"module": "gse_agent", "item": "dataserver_port", "status": True, "message": ""}]}, separators=(",", ":"))

hosts, pages, page = [], 0, []
def flush():
    global page, pages
    if not page: return
    pages += 1
    with open("%s/logs-%04d.json" % (out, pages), "w") as f:
        json.dump({"result": True, "code": 0, "message": "success",
                   "data": {"log_type": 1, "job_instance_id": 1, "step_instance_id": 2, "script_task_logs": page}}, f, ensure_ascii=False)
    page = []

for i in range(n):
    ip = "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256)
    r = random.random()
    status = 9
    if r < 0.70: content = rich(i, [])
    elif r < 0.80: content = rich(i, ["process"] if r < 0.77 else ["dataserver_port"])
    elif r < 0.90: content = checkpy(i, r < 0.87)
    elif r < 0.94: content = "bash: /usr/bin/bkdiag: No such file or directory\n"
    elif r < 0.97: content = ""
    else: status, content = 11, "Traceback (most recent call last):\n"
    hosts.append({"bk_host_id": i + 1, "ip": ip, "bk_cloud_id": 0, "status": status, "tag": "",
                  "exit_code": 0 if status == 9 else 1, "error_code": 0 if status == 9 else 104,
                  "start_time": 1, "end_time": 2, "total_time": 1})
    page.append({"host_id": i + 1, "bk_host_id": i + 1, "bk_cloud_id": 0, "ip": ip, "log_content": content + "\n"})
    if len(page) == 500: flush()
flush()
with open(out + "/status.json", "w") as f:
    json.dump({"result": True, "code": 0, "message": "success", "data": {"finished": True,
               "job_instance": {"job_instance_id": 1, "status": 3},
               "step_instance_list": [{"step_instance_id": 2, "status": 3, "step_ip_result_list": hosts}]}}, f)
PY
du -sh "$WORK" | awk '{print "== input: " $1}'

# Where the timed runs print: the null device, not a file that happens to be called /dev/null.
SINK=/dev/null
if [ ! -c /dev/null ]; then
  if mknod -m 666 "$WORK/null" c 1 3 2>/dev/null && [ -c "$WORK/null" ]; then
    SINK="$WORK/null"
    echo "== /dev/null is not a character device here; timed runs print to a null device made with mknod ($SINK)"
  else
    echo "== /dev/null is not a character device here and mknod failed: timed runs print to a file, and times include writing it"
  fi
fi

# Seconds of wall time of a command, by bash's own clock, to the millisecond (to the hundredth, a parse of 0.25 s
# was only known to 4 %, and its ratio with it).
seconds() {
  local t0=$EPOCHREALTIME
  "$@" >"$SINK" 2>&1 || true
  local t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}'
}

# The smaller of two numbers.
least() { awk -v a="$1" -v b="$2" 'BEGIN{print (a + 0 < b + 0) ? a : b}'; }

# What parse prints, from one untimed run (the timed runs below print to the null device, like the loop).
"$BIN" parse "$WORK"/status.json "$WORK"/logs-*.json --format "$FORMAT" -o "$WORK/out" >/dev/null 2>&1 || true
head -c 400 "$WORK/out" | head -3

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
FLOOR=999; PY=999; WALL=999
for run in $(seq "$RUNS"); do
  echo "== run $run of $RUNS: floor (reading the input bytes), the platform's loop (python3 Scripts/agentchecker.py), bkdiag-fleet parse ($FORMAT)"
  FLOOR=$(least "$FLOOR" "$(seconds cat "$WORK"/status.json "$WORK"/logs-*.json)")
  PY=$(least "$PY" "$(seconds python3 "$ROOT/Scripts/agentchecker.py" "$WORK"/status.json "$WORK"/logs-*.json)")
  T0=$EPOCHREALTIME
  # Output to stdout, thrown away as the loop's is: both are timed without the cost of storing 150 MB.
  BKDIAG_FLEET_TIMING=1 /usr/bin/time -v "$BIN" parse "$WORK"/status.json "$WORK"/logs-*.json --format "$FORMAT" \
    >"$SINK" 2>"$WORK/time-run.txt" || true
  T1=$EPOCHREALTIME
  W=$(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.3f", b-a}')
  # The figures reported (CPU, RSS, phases) are those of the fastest parse.
  if [ "$(least "$W" "$WALL")" = "$W" ]; then WALL=$W; cp "$WORK/time-run.txt" "$WORK/time.txt"; fi
done
if [ "${RECORD:-0}" = 1 ]; then
  echo "== the platform's loop with bk-log's record keeping (python3 Scripts/agentchecker.py --record), once"
  REC=$(seconds python3 "$ROOT/Scripts/agentchecker.py" --record "$WORK"/status.json "$WORK"/logs-*.json)
  echo "platform loop with record keeping: ${REC}s (without it: ${PY}s)"
fi
RSS_KB=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
USER=$(grep "User time" "$WORK/time.txt" | awk '{print $NF}')
SYS=$(grep "System time" "$WORK/time.txt" | awk '{print $NF}')
grep "^timing:" "$WORK/time.txt" || true
RATIO=$(awk -v p="$PY" -v b="$WALL" 'BEGIN{printf "%.1f", (b > 0 ? p / b : 0)}')
CEIL=$(awk -v p="$PY" -v f="$FLOOR" 'BEGIN{printf "%.0f", (f > 0 ? p / f : 0)}')
echo "binary: $BIN ($([ "${BENCH_DYNAMIC:-0}" = 1 ] && echo "dynamic Swift runtime" || echo "built as shipped, --static-swift-stdlib"))"
echo "hosts: $HOSTS  format: $FORMAT  wall: ${WALL}s  cpu: user ${USER}s + sys ${SYS}s  peak RSS: $((RSS_KB / 1024)) MB"
BUDGET=$(awk -v p="$PY" 'BEGIN{printf "%.3f", p / 20}')
echo "platform loop: ${PY}s  ratio: ${RATIO}x (target >= 20x, i.e. <= ${BUDGET}s; <= 400 MB)  floor (read the input): ${FLOOR}s, ceiling ${CEIL}x"
echo "best of $RUNS run(s); load average before the runs: $LOAD_BEFORE, after: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores (times are only meaningful on an idle machine)"
