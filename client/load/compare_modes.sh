#!/bin/sh
# Coroutines vs threads on this machine: one ledger-server per mode
# (mode_servers.sh), ledger-load --compare against both, and the table and
# plot written to OUT_DIR.
#
#   client/load/compare_modes.sh BUILD_DIR OUT_DIR [ledger-load flags ...]
#
# LEDGER_SERVER_FLAGS adds flags to both servers, e.g. --store=postgres (with
# LEDGER_POSTGRES_DSN in the environment: both servers then share one database).
set -eu
build=$1 out=$2
shift 2
# On PostgreSQL both servers use one database: the accounts are opened once.
shared=""
case " ${LEDGER_SERVER_FLAGS:-} " in *" --store=postgres "*) shared=--shared_store ;; esac
# shellcheck disable=SC2086 # $shared is one flag or none
exec "$(dirname "$0")/mode_servers.sh" "$build" --compare --out_dir="$out" $shared "$@"
