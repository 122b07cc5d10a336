#!/bin/bash
# Control script of the bkdiag GSE plugin, run by NodeMan / the GSE agent from <gse root>/plugins/bin:
#   ./bkdiag_ctl.sh start|stop|restart|reload|status|version|health_check|uninstall
# The file is named bkdiag_ctl.sh, not start.sh/stop.sh, because every official plugin package unpacks into
# the shared <gse root>/plugins/bin: a start.sh here would replace the one bkunifylogbeat is started with.
#
# Paths follow NodeMan's plugin_path (the access point's run_path, log_path, data_path), which NodeMan
# renders into ../etc/bkdiag.yaml from etc/bkdiag.yaml.tpl as "#@ pid_path: ..." lines; without them the
# access point defaults /var/run/gse, /var/log/gse, /var/lib/gse apply. The daemon runs as
#   ./bkdiag daemon --config ../etc/bkdiag.yaml --gse_path <gse root> \
#       --state-dir <data_path>/bkdiag --socket <pid_path>/bkdiag.sock
# with its pid in <pid_path>/bkdiag.pid (the file NodeMan registers with the GSE agent) and its log
# (stderr) in <log_path>/bkdiag.log. `uninstall` stops it and removes all of that and the package's files.
# start, stop and reload append NodeMan-style entries to /tmp/bkc.log:
#   YYYYMMDD-HHMMSS INFO|<line>|log-main <start|stop|reload> bkdiag ...
# They always name bkdiag and nothing else: bkdiag (and check.py) count the collector's restarts from
# the entries naming bkunifylogbeat.
#
# Environment (optional): BKDIAG_GSE_ROOT, BKDIAG_RUN_DIR, BKDIAG_LOG_DIR, BKDIAG_DATA_DIR (the state
# dir itself), BKDIAG_BKC_LOG (default /tmp/bkc.log), BKDIAG_DAEMON_ARGS (extra daemon arguments, split
# on blanks), BKDIAG_STOP_WAIT (seconds, default 10).

name=bkdiag
bin_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P) || exit 1
cd "$bin_dir" || exit 1
gse_root=${BKDIAG_GSE_ROOT:-$(cd "$bin_dir/../.." && pwd -P)}
config=../etc/$name.yaml

# A NodeMan path rendered into the config as "#@ <key>: <value>"; empty when absent or not rendered.
nodeman_path() {
    local value
    value=$(sed -n "s/^#@ $1:[[:space:]]*//p" "$config" 2>/dev/null | head -n 1)
    value=${value%"${value##*[![:space:]]}"}
    case "$value" in /*) echo "$value" ;; esac
}

run_dir=${BKDIAG_RUN_DIR:-$(nodeman_path pid_path)}
run_dir=${run_dir:-/var/run/gse}
log_dir=${BKDIAG_LOG_DIR:-$(nodeman_path log_path)}
log_dir=${log_dir:-/var/log/gse}
data_root=$(nodeman_path data_path)
data_dir=${BKDIAG_DATA_DIR:-${data_root:-/var/lib/gse}/$name}
pid_file=$run_dir/$name.pid
socket=$run_dir/$name.sock
log_file=$log_dir/$name.log
bkc_log=${BKDIAG_BKC_LOG:-/tmp/bkc.log}
stop_wait=${BKDIAG_STOP_WAIT:-10}

# NodeMan's format, with the caller's line number; the tag is always log-main, as in NodeMan's own scripts.
# The entry is built here from the action and this plugin's fixed name only, so it can never name another
# plugin (an entry "log-main start bkunifylogbeat" would count as a collector restart).
log() {
    local action=$1
    case "$action" in start|stop|reload) ;; *) return 1 ;; esac
    echo "$(date +%Y%m%d-%H%M%S) INFO|${BASH_LINENO[0]}|log-main $action $name ..." >>"$bkc_log" 2>/dev/null
    echo "$action $name ..."
}

# Pids of this plugin's daemon: the binary beside this script running `daemon`, or `bkdiag daemon` started with
# this bin dir as cwd (also when bkdiag is a script, argv[1]). Not a one-shot run of the same binary (JOB's
# `bkdiag check`, someone's `bkdiag status`): it is no daemon, and stop must not kill it. Only shell builtins
# per process: hosts run many processes.
daemon_pids() {
    local dir a0 a1 a2
    for dir in /proc/[0-9]*; do
        [ "${dir#/proc/}" = "$$" ] && continue
        a0="" a1="" a2=""
        if [ "$dir/exe" -ef "$bin_dir/$name" ]; then
            { IFS= read -r -d '' a0; IFS= read -r -d '' a1; } 2>/dev/null <"$dir/cmdline"
            [ "$a1" = daemon ] && echo "${dir#/proc/}"
            continue
        fi
        [ "$dir/cwd" -ef "$bin_dir" ] || continue
        { IFS= read -r -d '' a0; IFS= read -r -d '' a1; IFS= read -r -d '' a2; } 2>/dev/null <"$dir/cmdline"
        case "$a0 $a1" in "./$name daemon"|"$bin_dir/$name daemon") echo "${dir#/proc/}"; continue ;; esac
        case "$a1 $a2" in "./$name daemon"|"$bin_dir/$name daemon") echo "${dir#/proc/}" ;; esac
    done
}

running() { [ -n "$(daemon_pids)" ]; }

# Fills the array `pids` with the daemon's pids.
find_pids() { mapfile -t pids < <(daemon_pids); }

# start, stop, restart, reload and uninstall take turns (flock on <pid_path>/bkdiag.lock, where flock exists):
# two starts at once would each find no daemon, and the one whose daemon then failed removed the other's pid file.
take_turn() {
    command -v flock >/dev/null 2>&1 || return 0
    mkdir -p "$run_dir" 2>/dev/null
    # Braced: `exec` with redirections and no command would keep the 2>/dev/null for the rest of the script.
    { exec 9>>"$run_dir/$name.lock"; } 2>/dev/null || return 0
    flock -w 60 9 || { echo "$name: another control action holds $run_dir/$name.lock. Fail"; exit 1; }
}

do_start() {
    log start
    if [ ! -x "./$name" ]; then echo "$name: not found in $bin_dir. Fail"; return 1; fi
    local pids
    find_pids
    if [ "${#pids[@]}" -gt 0 ]; then
        # The pid file is what NodeMan registered with the GSE agent: it names the running daemon again.
        echo "${pids[0]}" >"$pid_file" 2>/dev/null
        echo "$name already running (pid ${pids[*]}). Done"
        return 0
    fi
    mkdir -p "$run_dir" "$log_dir" "$data_dir" || { echo "$name: cannot create $run_dir, $log_dir or $data_dir. Fail"; return 1; }
    # The log is appended to, so a crash's last words outlive the restart; past 10 MiB it becomes .1.
    local size
    size=$( (wc -c <"$log_file") 2>/dev/null || echo 0)
    if [ "${size:-0}" -gt 10485760 ]; then mv -f "$log_file" "$log_file.1" 2>/dev/null; fi
    echo "$(date '+%Y-%m-%d %H:%M:%S') $name start" >>"$log_file" 2>/dev/null
    # setsid, not nohup: the daemon leaves the caller's session, and SIGHUP (reload) must not start out ignored.
    local detach="setsid"
    command -v setsid >/dev/null 2>&1 || detach="nohup"
    (
        # The daemon keeps none of the caller's descriptors beyond 0-2 (the GSE agent's sockets, a
        # caller's pipes): an inherited pipe would keep whoever waits for this script's output waiting.
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            case "$fd" in *[!0-9]*|0|1|2) continue ;; esac
            eval "exec $fd>&-"
        done 2>/dev/null
        # Not the caller's systemd context: under a unit with NotifyAccess=all, the daemon's READY=1 and MAINPID
        # would make it that unit's main process.
        unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
        # shellcheck disable=SC2086  # BKDIAG_DAEMON_ARGS is a word list on purpose
        exec $detach "./$name" daemon --config "$config" --gse_path "$gse_root" \
            --state-dir "$data_dir" --socket "$socket" ${BKDIAG_DAEMON_ARGS-} \
            </dev/null >/dev/null 2>>"$log_file"
    ) &
    local pid=$!
    echo "$pid" >"$pid_file"
    sleep 1
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name started (pid $pid). Done"
        return 0
    fi
    rm -f "$pid_file"
    echo "$name exited at start: $(tail -n 3 "$log_file" 2>/dev/null | tr '\n' ' '). Fail"
    return 1
}

do_stop() {
    log stop
    local pids waited=0
    find_pids
    if [ "${#pids[@]}" -eq 0 ]; then rm -f "$pid_file"; echo "$name not running. Done"; return 0; fi
    kill -TERM "${pids[@]}" 2>/dev/null
    while running && [ "$waited" -lt "$((stop_wait * 10))" ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    find_pids
    [ "${#pids[@]}" -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null && sleep 0.2
    # A daemon that outlived SIGKILL keeps its pid file: it still runs.
    if running; then echo "$name still running. Fail"; return 1; fi
    rm -f "$pid_file"
    echo "$name stopped. Done"
}

do_reload() {
    log reload
    local pids
    find_pids
    if [ "${#pids[@]}" -eq 0 ]; then echo "$name not running, nothing to reload. Fail"; return 1; fi
    kill -HUP "${pids[@]}" && echo "$name reloaded (pid ${pids[*]}). Done"
}

do_status() {
    local pids
    find_pids
    if [ "${#pids[@]}" -gt 0 ]; then echo "$name running (pid ${pids[*]})"; return 0; fi
    echo "$name not running"
    return 1
}

# Healthy when the daemon runs and its socket exists; one JSON line either way.
do_health_check() {
    local pids
    find_pids
    # The socket path in a JSON string: backslashes and quotes escaped.
    local shown=${socket//\\/\\\\}
    shown=${shown//\"/\\\"}
    if [ "${#pids[@]}" -gt 0 ] && [ -S "$socket" ]; then
        echo "{\"ok\": true, \"pid\": ${pids[0]}, \"socket\": \"$shown\"}"
        return 0
    fi
    local why="not running"
    [ "${#pids[@]}" -gt 0 ] && why="no socket at $shown"
    echo "{\"ok\": false, \"message\": \"$name $why\"}"
    return 1
}

# Stops the daemon and removes what the plugin created (pid file, socket, log, history) and the files its
# package installed into <gse root>/plugins; other plugins' files are left alone.
do_uninstall() {
    do_stop || return 1
    rm -f "$pid_file" "$socket" "$log_file" "$log_file.1"
    case "$data_dir" in */"$name") rm -rf "$data_dir" ;; *) echo "$name: not removing $data_dir (not a $name directory)" ;; esac
    rm -f ../etc/$name.yaml ../etc/$name.yaml.tpl "./$name"
    echo "$name uninstalled. Done"
    # The lock last, once this script no longer holds it.
    exec 9>&-
    rm -f "$bin_dir/${name}_ctl.sh" "$run_dir/$name.lock"
}

main() {
    case "$1" in start|stop|restart|reload|uninstall) take_turn ;; esac
    case "$1" in
        start) do_start ;;
        stop) do_stop ;;
        restart) do_stop && do_start ;;
        reload) do_reload ;;
        status) do_status ;;
        # NodeMan keeps a version only of [a-zA-Z0-9.-] (spaces removed): the number alone, not "(commit)".
        version) "./$name" --version | { read -r v _ && echo "$v"; } ;;
        health_check|healthz) do_health_check ;;
        uninstall) do_uninstall ;;
        *) echo "usage: $0 start|stop|restart|reload|status|version|health_check|uninstall"; return 2 ;;
    esac
}

main "$@"
