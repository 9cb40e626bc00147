#!/bin/sh
# Starts one ledger-server per mode (so each one's threads and memory are its
# own), on free loopback ports, and runs ledger-load against both with the
# given flags: --target, --thread_target, --metrics and --thread_metrics are
# filled in. Exits with ledger-load's exit code; if the run failed (1), the
# servers' last log lines follow on stderr. `make compare` and `make soak` run this.
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

# Starts a server for mode $1 on free loopback ports; waits for its startup
# lines and prints "GRPC_PORT METRICS_PORT".
start() {
  # shellcheck disable=SC2086 # the extra flags are meant to split into words
  "$build/service/ledger-server" --mode="$1" --host=127.0.0.1 --port=0 --thread_port=0 \
    --metrics_port=0 ${LEDGER_SERVER_FLAGS:-} >/dev/null 2>"$work/$1.log" &
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
status=0
"$build/client/load/ledger-load" \
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
