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
