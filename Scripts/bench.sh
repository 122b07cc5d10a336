#!/usr/bin/env bash
# Benchmark: `bkdiag --once` against the same inspections done with the shell tools check.py runs
# (ps/grep/pwdx, ss -x -p, netstat -antup, lsof -c), on a fake BlueKing host built here, idle and
# busy (a few thousand extra processes, ~100k open fds). Prints medians, ratios and bkdiag's peak RSS.
# Targets (issue 2): >= 50x faster idle, >= 150x busy, peak RSS <= 16 MB. Nothing is asserted.
# With BKDIAG_BASELINE=<an earlier bkdiag binary>, that binary is timed in the same rounds and the
# ratio new/baseline is printed (issue 15: the progress items may at most double --once's time on a busy
# host). bkdiag runs with --sample-gap 0: the gap between the two progress samples is waiting, not work.
# With BKDIAG_BINARY=<a bkdiag binary>, that binary is measured instead of building this tree's (for the
# figures of an intermediate commit).
#   Scripts/bench.sh [runs] [extra-processes] [extra-fds]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-21}
EXTRA_PROCS=${2:-3000}
EXTRA_FDS=${3:-100000}

Scripts/deps.sh bench
echo "== building release binaries" >&2
# bkdiag exactly as shipped (static runtime, lld, stripped: Scripts/build-release.sh); the fake
# BlueKing processes are a plain release build.
if [ -n "${BKDIAG_BINARY:-}" ]; then
  BK=$BKDIAG_BINARY
else
  Scripts/build-release.sh --node-only >&2
  BK=$PWD/dist/bin/bkdiag
fi
swift build -c release --static-swift-stdlib --product fake-bluek >&2
FAKE=$(swift build -c release --static-swift-stdlib --show-bin-path)/fake-bluek

T=$(mktemp -d /tmp/bkdiag-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pkill -9 -f "bkdiag-bench-sleeper" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

# --- a fake GSE 1 host -------------------------------------------------------------------------
G=$T/usr/local/gse
mkdir -p "$G/plugins/bin" "$G/plugins/etc/bkunifylogbeat" "$G/agent/bin" "$G/agent/etc" "$T/run" "$T/logs/app"
cp "$FAKE" "$G/plugins/bin/bkunifylogbeat"
cp "$FAKE" "$G/agent/bin/gseMaster"
cp "$FAKE" "$G/agent/bin/agentWorker"
IPC=$T/run/ipc.state.report
cat > "$G/plugins/etc/bkunifylogbeat.conf" <<CONF
output.bkpipe_multi:
  endpoint: $IPC
path.logs: $G/plugins/logs
path.data: $G/plugins/data
bkunifylogbeat.multi_config:
  - path: $G/plugins/etc/bkunifylogbeat
    file_pattern: "*.conf"
CONF
cat > "$G/plugins/etc/bkunifylogbeat/bkunifylogbeat_sub_33561_host_1.conf" <<CONF
local:
  - dataid: 1500123
    paths:
      - $T/logs/app/*.log
CONF
echo "{\"proc\": [{\"procName\": \"bkunifylogbeat\", \"setupPath\": \"$G/plugins/bin\", \"cpulmt\": 30, \"memlmt\": 10}]}" > "$G/agent/etc/procinfo.json"
mkdir -p "$G/plugins/data"
for i in $(seq 1 50); do echo line > "$T/logs/app/app-$i.log"; done
: > "$T/bkc.log"

wait_ready() { # file
  for _ in $(seq 1 200); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "fake process did not start: $(cat "$1")" >&2; exit 1
}
"$FAKE" dataserver --port 0 > "$T/ds.out" & PIDS+=($!)
wait_ready "$T/ds.out"
PORT=$(sed -n 's/^port //p' "$T/ds.out")
(cd "$G/agent/bin" && exec ./gseMaster agent --listen "$IPC" --connect "$PORT") > "$T/agent.out" & PIDS+=($!)
wait_ready "$T/agent.out"
(cd "$G/agent/bin" && exec ./agentWorker agent) > "$T/worker.out" & PIDS+=($!)
wait_ready "$T/worker.out"
# A collector that makes progress: follows ten of the files and keeps a bolt registry, as the real one does.
FOLLOW=()
for i in $(seq 1 10); do FOLLOW+=(--follow "$T/logs/app/app-$i.log"); done
(cd "$G/plugins/bin" && exec ./bkunifylogbeat collector --ipc "$IPC" --registry "$G/plugins/data/bkunifylogbeat.bkpipe.db" \
  --flush-ms 1000 "${FOLLOW[@]}") > "$T/coll.out" & PIDS+=($!)
wait_ready "$T/coll.out"

ARGS=(--subscription_id=33561 --gse_path="$G/" --ipc_socket_file="$IPC" --log_paths="$T/logs/app/*.log"
      --data-port "$PORT" --restart-log "$T/bkc.log" --format compat)
BASE=${BKDIAG_BASELINE:-}
# A bkdiag older than the progress items has no sample gap to turn off. The flag is listed by the check
# subcommand's help (the top-level help lists only the subcommands): without it every run would include
# the one-second wait between the progress samples.
# (The help is read whole before it is searched: `| grep -q` under pipefail fails when grep's early exit
# kills the writer with SIGPIPE, which is how the flag went missing before.)
takes_sample_gap() { local help; help=$({ "$1" help check; "$1" --help; } 2>&1 || true); [[ $help == *--sample-gap* ]]; }
BK_ARGS=("${ARGS[@]}")
if takes_sample_gap "$BK"; then BK_ARGS+=(--sample-gap 0); fi
BASE_ARGS=("${ARGS[@]}")
if [ -n "$BASE" ] && takes_sample_gap "$BASE"; then BASE_ARGS+=(--sample-gap 0); fi

# What check.py shells out to for the same answers (its process, socket, queue, port and held-file checks).
SHELL_CHECKS='
ps -ef | grep bkunifylogbeat | grep -v grep | awk "{print \$2}" | while read p; do pwdx $p; done
ss -x -p | grep ipc.state.report
netstat -antulp | grep gse_agent | grep LISTEN
netstat -anplut | grep '"$PORT"'
lsof -c bkunifylogbeat | awk "{print \$NF}"
'

# Timed with bash's own clock ($EPOCHREALTIME, no fork), so each figure is the command's fork, exec,
# run and wait, and nothing of the harness: `date +%s%N` would add two forks and execs to every run.
# The commands take turns within each round, so a VM that speeds up or slows down between minutes
# moves all of them alike and the ratios hold.
#   timed_rounds NAME... : runs the command in array CMD_<NAME> once per round, RUNS rounds; sets
#   MEDIAN_<NAME> (ms).
CMD_bk=() CMD_sh=() CMD_true=() CMD_floor=() CMD_base=()
timed_rounds() {
  local name t0 t1 r
  declare -A samples=()
  for r in $(seq 1 "$RUNS"); do
    for name in "$@"; do
      local -n cmd="CMD_$name"
      t0=$EPOCHREALTIME
      "${cmd[@]}" > /dev/null 2>&1 || true
      t1=$EPOCHREALTIME
      samples[$name]+="$t0 $t1"$'\n'
      unset -n cmd
    done
  done
  for name in "$@"; do
    printf -v "MEDIAN_$name" '%s' "$(printf '%s' "${samples[$name]}" | awk 'NF { printf "%.0f\n", ($2 - $1) * 1e6 }' | sort -n |
      awk -v n="$RUNS" 'NR == int((n + 1) / 2) { printf "%.2f", $1 / 1e3 }')"
  done
}
peak_rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

measure() { # label
  local label=$1
  "$BK" "${BK_ARGS[@]}" > "$T/report.json"
  # Floors, timed the same way: starting /bin/true (no program can beat the shell by more than
  # shell/true here), and fake-bluek scan-floor, a static Swift program that only lists /proc and
  # readlinks every /proc/<pid>/exe, the least any complete process scan does.
  CMD_bk=("$BK" "${BK_ARGS[@]}") CMD_sh=(bash -c "$SHELL_CHECKS") CMD_true=(/bin/true) CMD_floor=("$FAKE" scan-floor)
  if [ -n "$BASE" ]; then
    CMD_base=("$BASE" "${BASE_ARGS[@]}")
    timed_rounds bk sh true floor base
  else
    timed_rounds bk sh true floor
  fi
  local bk=$MEDIAN_bk sh=$MEDIAN_sh floor=$MEDIAN_true scanfloor=$MEDIAN_floor rss
  rss=$(peak_rss_kb "$BK" "${BK_ARGS[@]}")
  local procs fds
  procs=$(ls -d /proc/[0-9]* | wc -l)
  fds=$(awk '{print $1 - $2}' /proc/sys/fs/file-nr)
  printf '%-6s procs=%-6s open_fds=%-7s bkdiag_median=%8sms  shell_median=%9sms  ratio=%7sx  bkdiag_peak_rss=%s KB (%.1f MB)\n' \
    "$label" "$procs" "$fds" "$bk" "$sh" "$(awk -v a="$sh" -v b="$bk" 'BEGIN { printf "%.1f", a / b }')" "$rss" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')"
  printf '       floors: /bin/true %sms (ratio ceiling %sx); scan-floor %sms (ceiling for a complete /proc scan %sx)\n' \
    "$floor" "$(awk -v a="$sh" -v b="$floor" 'BEGIN { printf "%.0f", a / b }')" \
    "$scanfloor" "$(awk -v a="$sh" -v b="$scanfloor" 'BEGIN { printf "%.0f", a / b }')"
  if [ -n "$BASE" ]; then
    printf '       baseline %s: %sms; this bkdiag / baseline = %sx (issue 15 allows 2x)\n' \
      "$BASE" "$MEDIAN_base" "$(awk -v a="$bk" -v b="$MEDIAN_base" 'BEGIN { printf "%.2f", a / b }')"
  fi
  echo "       report: $(head -c 160 "$T/report.json")..."
}

echo "== $RUNS rounds (bkdiag, shell, /bin/true, scan-floor in turn); medians" >&2
measure idle

# --- at scale: does every verdict come within the deadline? ------------------------------------
# A GSE root of its own per case, its configs in the shape NodeMan renders (the main config's
# multi_config and registry flush, each subscription's `local` item with the template's keys): (a)
# 100,000 files under the one path of subscription 33561 (`-l` that path), the collector holding the
# newest 1,000 (harvester_limit) and its registry a state for every file; (b) 3,000 subscriptions, each
# its own directory of two files, the collector holding one of each (`-s`/`-l` one of them); (c) both.
# Each case runs bkdiag SCALE_RUNS times (default 3) with the default sample gap and deadline (5 s),
# then with --sample-gap 0, and prints each run's wall time and every item slower than 50 ms or not
# passed, with its duration. BKDIAG_BENCH_SCALE=0 leaves the scale cases out.
SCALE_RUNS=${SCALE_RUNS:-3}
scale_case() { # name files subscriptions
  local name=$1 nfiles=$2 nsubs=$3
  local R=$T/scale-$name
  local G=$R/usr/local/gse SIPC=$R/run/ipc.state.report pids=()
  mkdir -p "$G/plugins/bin" "$G/plugins/etc/bkunifylogbeat/bcs" "$G/agent/bin" "$G/agent/etc" "$R/run" "$R/var/lib/gse" "$R/var/log/gse" \
    "$R/data/logs/app" "$R/tmp"
  cp "$FAKE" "$G/plugins/bin/bkunifylogbeat"
  cp "$FAKE" "$G/agent/bin/gseMaster"
  cp "$FAKE" "$G/agent/bin/agentWorker"
  cat > "$G/plugins/etc/bkunifylogbeat.conf" <<CONF
logging.level: error
max_procs: 1
output.bkpipe_multi:
  endpoint: $SIPC
  hostip: 127.0.0.1
  cloudid: 0
path.logs: $R/var/log/gse
path.data: $R/var/lib/gse
path.pid: $R/var/run/gse
bkunifylogbeat.eventdataid: -1
bkunifylogbeat.registry.flush: "10s"
bkunifylogbeat.multi_config:
  - path: $G/plugins/etc/bkunifylogbeat
    file_pattern: "*.conf"
  - path: $G/plugins/etc/bkunifylogbeat/bcs
    file_pattern: "*.conf"
bkunifylogbeat.file_identifier: "inode"
CONF
  echo "{\"proc\": [{\"procName\": \"bkunifylogbeat\", \"setupPath\": \"$G/plugins/bin\", \"cpulmt\": 30, \"memlmt\": 10}]}" > "$G/agent/etc/procinfo.json"
  : > "$R/tmp/bkc.log"
  # The files, the configs, and the lists of files the collector holds (follow) and has states for (states).
  python3 - "$R" "$G/plugins/etc/bkunifylogbeat" "$nfiles" "$nsubs" <<'PY'
import os, sys
root, confs, nfiles, nsubs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def config(sub, instance, dataid, pattern):
    item = ["local:", "    - dataid: %d" % dataid, "      paths:", "        - '%s'" % pattern, "      tail_files: true",
            "      encoding: 'utf-8'", "      delimiter: ''", "      package: true", "      package_count: 10",
            "      output_format: 'v2'", "      scan_frequency: '10s'", "      close_inactive: '120s'", "      clean_removed: 'true'"]
    with open("%s/bkunifylogbeat_sub_%d_host_%d.conf" % (confs, sub, instance), "w") as f: f.write("\n".join(item) + "\n")
config(33561, 1, 1500123, root + "/data/logs/app/*.log")
follow, states = [], []
app = ["%s/data/logs/app/app-%06d.log" % (root, i) for i in range(nfiles)]
for p in app:
    with open(p, "w") as f: f.write("2026-12-03 10:00:00 INFO request served in 3 ms\n")
follow += app[-1000:]
states += app
for s in range(nsubs):
    d = "%s/data/logs/svc%04d" % (root, s)
    os.makedirs(d)
    files = ["%s/svc-%d.log" % (d, i) for i in range(2)]
    for p in files:
        with open(p, "w") as f: f.write("2026-12-03 10:00:00 INFO ok\n")
    config(40000 + s, s + 2, 1600000 + s, d + "/*.log")
    follow.append(files[0])
    states += files
open(root + "/follow.txt", "w").write("\n".join(follow) + "\n")
open(root + "/states.txt", "w").write("\n".join(states) + "\n")
PY
  "$FAKE" dataserver --port 0 > "$R/ds.out" & pids+=($!) PIDS+=($!)
  wait_ready "$R/ds.out"
  local sport
  sport=$(sed -n 's/^port //p' "$R/ds.out")
  (cd "$G/agent/bin" && exec ./gseMaster agent --listen "$SIPC" --connect "$sport") > "$R/agent.out" & pids+=($!) PIDS+=($!)
  wait_ready "$R/agent.out"
  (cd "$G/agent/bin" && exec ./agentWorker agent) > "$R/worker.out" & pids+=($!) PIDS+=($!)
  wait_ready "$R/worker.out"
  local follow=()
  while read -r f; do follow+=(--follow "$f"); done < "$R/follow.txt"
  # Up to 4,000 held files: past the common soft limit of 1,024 fds, at which the fake collector dies.
  (cd "$G/plugins/bin" && ulimit -n "$(ulimit -Hn)" && exec ./bkunifylogbeat collector --ipc "$SIPC" --registry "$R/var/lib/gse/bkunifylogbeat.bkpipe.db" \
    --flush-ms 3000 --states-from "$R/states.txt" "${follow[@]}") > "$R/coll.out" & pids+=($!) PIDS+=($!)
  wait_ready "$R/coll.out"
  for _ in $(seq 1 300); do [ -s "$R/var/lib/gse/bkunifylogbeat.bkpipe.db" ] && break; sleep 0.1; done
  local sub=33561 glob="$R/data/logs/app/*.log"
  if [ "$nfiles" -eq 0 ]; then sub=40001 glob="$R/data/logs/svc0001/*.log"; fi
  local args=(--once -p "$G" -s "$sub" -l "$glob" --data-port "$sport" --restart-log "$R/tmp/bkc.log" --format json) gap r t0 t1
  for gap in default 0; do
    for r in $(seq 1 "$SCALE_RUNS"); do
      local extra=()
      [ "$gap" = 0 ] && extra=(--sample-gap 0)
      t0=$EPOCHREALTIME
      "$BK" "${args[@]}" "${extra[@]}" > "$R/report.json" 2> /dev/null || true
      t1=$EPOCHREALTIME
      printf '%-28s gap=%-7s wall=%5.0fms  ' "$name" "$gap" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) * 1000 }')"
      python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
items = ["%s=%s/%.0fms" % (e["item"], e["result"], e["duration_ms"]) for e in r["data"] if e["duration_ms"] > 50 or e["result"] != "pass"]
print("total=%.0fms %s" % (r["duration_ms"], " ".join(items)))' "$R/report.json"
    done
  done
  kill -9 "${pids[@]}" 2> /dev/null || true
  wait "${pids[@]}" 2> /dev/null || true
  rm -rf "$R"
}
if [ "${BKDIAG_BENCH_SCALE:-1}" != 0 ]; then
  echo "== at scale: $SCALE_RUNS runs per case, default sample gap then --sample-gap 0 (deadline 5 s)" >&2
  scale_case "a:100k-files" 100000 0
  scale_case "b:3000-subscriptions" 0 3000
  scale_case "c:100k-files+3000-subs" 100000 3000
fi

echo "== starting $EXTRA_PROCS extra processes and $EXTRA_FDS open fds" >&2
for i in $(seq 1 "$EXTRA_PROCS"); do
  bash -c 'exec -a bkdiag-bench-sleeper sleep 3600' & PIDS+=($!)
done
# Each holder opens as many fds as its hard limit allows; enough holders to reach EXTRA_FDS.
PER=$(( $(ulimit -Hn) - 64 ))
left=$EXTRA_FDS
i=0
while [ "$left" -gt 0 ]; do
  n=$(( left < PER ? left : PER ))
  python3 - "$n" > "$T/fds.$i.out" <<'PY' &
import os, resource, sys, time
n = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(n)]
print("ready", flush=True)
time.sleep(3600)
PY
  PIDS+=($!)
  wait_ready "$T/fds.$i.out"
  left=$(( left - n ))
  i=$(( i + 1 ))
done
measure busy
