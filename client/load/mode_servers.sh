#!/bin/sh
# Starts one ledger-server per mode (so each one's threads and memory are its
# own), on free loopback ports, and runs ledger-load against both with the
# given flags: --target, --thread_target, --metrics and --thread_metrics are
# filled in. Exits with ledger-load's exit code; if the run failed (1), the
# servers' last log lines follow on stderr. `make compare` and `make soak` run this.
#
# Cores: with 4 or more, each server and ledger-load get cores of their own
# (taskset), so that neither mode's server competes with the load generator
# or with the other server: of the N cores this script may use, each server
# gets S = (N-1)/2 (and --threads=S --workers=S), ledger-load the other
# N-2S. With fewer cores all three share them. With --compare, --placement
# tells the report which it was.
#
#   client/load/mode_servers.sh BUILD_DIR [ledger-load flags ...]
#
# LEDGER_SERVER_FLAGS adds flags to both servers, e.g. --store=postgres (with
# LEDGER_POSTGRES_DSN in the environment: both servers then share one database).
set -eu
build=$1
shift
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

# The cores this script may use, one per line ("0-3,8" in /proc is 0 1 2 3 8).
allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status | tr ',' '\n' |
  while IFS=- read -r first last; do seq "$first" "${last:-$first}"; done)
cores=$(echo "$allowed" | wc -l)
# Cores from the $1-th to the $2-th (1-based) of $allowed, as taskset's list.
cpu_list() { echo "$allowed" | sed -n "$1,$2p" | paste -sd, -; }
pin=""
server_threads=""
if [ "$cores" -ge 4 ] && command -v taskset >/dev/null; then
  per_server=$(((cores - 1) / 2))
  load_cores=$((cores - 2 * per_server))
  load_cpus=$(cpu_list 1 "$load_cores")
  coroutine_cpus=$(cpu_list $((load_cores + 1)) $((load_cores + per_server)))
  thread_cpus=$(cpu_list $((load_cores + per_server + 1)) "$cores")
  # A server's threads default to the machine's cores, not its own share.
  server_threads="--threads=$per_server --workers=$per_server"
  pin=yes
fi

# Starts a server for mode $1 on free loopback ports (on its own cores if
# pinning); waits for its startup lines and prints "GRPC_PORT METRICS_PORT".
start() {
  on_cores=""
  if [ -n "$pin" ]; then
    case $1 in
      coroutine) on_cores="taskset -c $coroutine_cpus" ;;
      thread) on_cores="taskset -c $thread_cpus" ;;
    esac
  fi
  # shellcheck disable=SC2086 # taskset and the flags are meant to split into words
  $on_cores "$build/service/ledger-server" --mode="$1" --host=127.0.0.1 --port=0 --thread_port=0 \
    --metrics_port=0 $server_threads ${LEDGER_SERVER_FLAGS:-} >/dev/null 2>"$work/$1.log" &
  echo $! >"$work/$1.pid"
  for _ in $(seq 100); do
    grpc=$(sed -n "s/.*$1 mode listening on [^ ]*:\([0-9]*\).*/\1/p" "$work/$1.log")
    metrics=$(sed -n 's|.*metrics listening on http://[^ ]*:\([0-9]*\)/metrics.*|\1|p' "$work/$1.log")
    if [ -n "$grpc" ] && [ -n "$metrics" ]; then echo "$grpc $metrics"; return; fi
    sleep 0.1
  done
  cat "$work/$1.log" >&2
  echo "$0: ledger-server --mode=$1 did not start" >&2
  exit 1
}

read -r coroutine_port coroutine_metrics <<EOF_PORTS
$(start coroutine)
EOF_PORTS
read -r thread_port thread_metrics <<EOF_PORTS
$(start thread)
EOF_PORTS
# What the report says of the cores (the servers' as the kernel has them).
cpus_of() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$(cat "$work/$1.pid")/status"; }
placement=""
case " $* " in
  *" --compare "*)
    if [ -n "$pin" ]; then
      placement="--placement=pinned with taskset: ledger-load on cores $load_cpus, the coroutine \
server on cores $(cpus_of coroutine), the thread server on cores $(cpus_of thread), each server \
with $server_threads unless LEDGER_SERVER_FLAGS says otherwise"
    else
      placement="--placement=not pinned: ledger-load and both servers share the same $cores \
core(s) (pinning takes 4 or more), so the throughput is that of the whole machine"
    fi
    ;;
esac
load=""
if [ -n "$pin" ]; then load="taskset -c $load_cpus"; fi
status=0
# shellcheck disable=SC2086 # taskset and its list are meant to split into words
$load "$build/client/load/ledger-load" ${placement:+"$placement"} \
  --target="127.0.0.1:$coroutine_port" --thread_target="127.0.0.1:$thread_port" \
  --metrics="127.0.0.1:$coroutine_metrics" --thread_metrics="127.0.0.1:$thread_metrics" \
  "$@" || status=$?
if [ "$status" -eq 1 ]; then
  for mode in coroutine thread; do
    echo "$0: the last lines of ledger-server --mode=$mode:" >&2
    tail -n 20 "$work/$mode.log" >&2
  done
fi
exit "$status"
