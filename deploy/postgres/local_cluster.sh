#!/bin/sh
# A throwaway PostgreSQL 15 for the tests and for `make postgres`: a cluster of
# its own in DIR, reached only through a Unix socket (no TCP port, so any
# number of them run side by side), never Debian's system cluster
# (pg_lsclusters).
#
#   local_cluster.sh start DIR [--socket-dir SOCKDIR] [--fresh]
#       makes the cluster in DIR/data if there is none (user postgres, trust
#       authentication, database ledger), starts it, prints its DSN on stdout;
#       --fresh stops it and wipes DIR/data first; already running: only
#       prints the DSN
#   local_cluster.sh stop DIR      fast shutdown; a stopped or missing cluster is fine
#   local_cluster.sh restart DIR   fast shutdown, then start (or only start); prints the DSN
#   local_cluster.sh status DIR    prints `running: DSN` (exit 0) or `stopped` (exit 3)
#   local_cluster.sh dsn DIR       prints the DSN, running or not
#
# The DSN, for libpq:  host=SOCKDIR port=5432 dbname=ledger user=postgres
# SOCKDIR is DIR/socket, unless that makes the socket's path too long for
# Unix (107 bytes): then /tmp/ledger-pg-<the first 8 hex digits of the md5 of
# DIR's absolute path>. --socket-dir names it instead (CMake does, so it knows the DSN when it
# configures). The choice is kept in DIR/socket_dir for the later commands.
#
# As root (CI), the server runs as the postgres user, since initdb refuses
# root, and DIR belongs to it; otherwise it runs as the calling user. The
# server's log is DIR/postgres.log. Durability is PostgreSQL's default (fsync
# and synchronous_commit on): a test may restart the server, and a commit it
# was told of must survive that.
set -eu

pg_bin=/usr/lib/postgresql/15/bin
port=5432
database=ledger

die() {
  echo "local_cluster.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start DIR [--socket-dir SOCKDIR] [--fresh] | stop|restart|status|dsn DIR" >&2
  exit 2
}

[ $# -ge 2 ] || usage
command=$1
dir=$(realpath -m -- "$2")
shift 2
socket_dir_option=""
fresh=""
while [ $# -gt 0 ]; do
  case $1 in
    --socket-dir) [ $# -ge 2 ] || usage; socket_dir_option=$(realpath -m -- "$2"); shift 2 ;;
    --fresh) fresh=yes; shift ;;
    *) usage ;;
  esac
done
case $command in
  start) ;;
  stop | restart | status | dsn) [ -z "$socket_dir_option$fresh" ] || usage ;;
  *) usage ;;
esac
data=$dir/data
log=$dir/postgres.log

# Owners compare by number: a container's user may have no name.
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  owner_uid=$(id -u postgres 2>/dev/null || echo none)
  # From /, which postgres can always enter (root's working directory it may not).
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  owner_uid=$(id -u)
  owner=$(id -un 2>/dev/null || echo "$owner_uid")
  as_owner() { "$@"; }
fi

require_postgresql() {
  if [ ! -x "$pg_bin/pg_ctl" ] || [ ! -x "$pg_bin/psql" ] || ! id -u postgres >/dev/null 2>&1; then
    die "PostgreSQL 15 is not installed (no $pg_bin/pg_ctl): run make deps (or deploy/install-deps.sh test)"
  fi
}

# A cluster made by root belongs to postgres, one made by a user to that user;
# pg_ctl can manage it only as its owner.
require_owner() {
  [ "$(stat -c %u "$data")" = "$owner_uid" ] || {
    data_owner=$(stat -c %U "$data")
    die "$data belongs to $data_owner, not $owner: run this as $([ "$data_owner" = postgres ] && echo root || echo "$data_owner"), or remove $dir"
  }
}

# As root, gives what root just made to postgres, which runs the server.
give_to_owner() {
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$@"
}

is_running() {
  as_owner "$pg_bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

stop_server() {
  as_owner "$pg_bin/pg_ctl" stop -D "$data" -m fast -w -t 120 >/dev/null ||
    fail_with_log "PostgreSQL did not stop"
  # PostgreSQL removed its socket; the directory goes too if it is empty.
  rmdir "$(recorded_socket_dir)" 2>/dev/null || true
}

# Letters, digits and / . _ - only, so the path needs no quoting in a DSN or
# in postgresql.conf; and the socket's path (SOCKDIR/.s.PGSQL.5432) shorter
# than 107 bytes, as a Unix socket's address must be.
fits_a_socket() {
  case $1 in *[!A-Za-z0-9/._-]*) return 1 ;; esac
  [ $((${#1} + ${#port} + 10)) -le 106 ]
}

default_socket_dir() {
  if fits_a_socket "$dir/socket"; then
    echo "$dir/socket"
  else
    echo "/tmp/ledger-pg-$(printf %s "$dir" | md5sum | cut -c1-8)"
  fi
}

recorded_socket_dir() {
  if [ -f "$dir/socket_dir" ]; then cat "$dir/socket_dir"; else default_socket_dir; fi
}

print_dsn() {
  echo "host=$1 port=$port dbname=$database user=postgres"
}

fail_with_log() {
  echo "local_cluster.sh: $1; the end of $log:" >&2
  tail -n 20 "$log" >&2 2>/dev/null || true
  exit 1
}

start() {
  require_postgresql
  mkdir -p "$dir"
  [ ! -d "$data" ] || require_owner
  give_to_owner "$dir"
  as_owner test -w "$dir" ||
    die "$owner cannot write $dir: every directory above it must be searchable by others (chmod o+x), or pick a DIR elsewhere"

  if [ -n "$fresh" ] && [ -d "$data" ]; then
    ! is_running || stop_server
    rm -rf "$data" "$log"
  fi

  socket_dir=${socket_dir_option:-$(recorded_socket_dir)}
  fits_a_socket "$socket_dir" ||
    die "socket directory $socket_dir: too long for a Unix socket, or has characters other than A-Z a-z 0-9 / . _ -"
  if [ -f "$data/PG_VERSION" ]; then
    if is_running; then
      running_in=$(recorded_socket_dir)
      [ "$socket_dir" = "$running_in" ] ||
        die "the cluster in $dir runs with its socket in $running_in; stop it first to move it to $socket_dir"
      print_dsn "$socket_dir"
      return
    fi
  else
    # No cluster, or initdb stopped half-way: make it anew.
    rm -rf "$data"
    if ! output=$(as_owner "$pg_bin/initdb" -D "$data" --auth=trust -U postgres \
        --locale=C.UTF-8 --encoding=UTF8 --no-instructions 2>&1); then
      echo "$output" >&2
      die "initdb failed in $data"
    fi
    echo "include_if_exists = 'ledger.conf'" >>"$data/postgresql.conf"
  fi

  # What this script decides, rewritten at every start (the socket may move).
  # Connections: two servers at once (make run's and a test's, say), each with
  # a pool of 16 per mode, plus the tests' own, with room to spare.
  cat >"$data/ledger.conf" <<EOF
# Written by deploy/postgres/local_cluster.sh at every start; edits are lost.
listen_addresses = ''
unix_socket_directories = '$socket_dir'
port = $port
max_connections = 200
EOF
  give_to_owner "$data/ledger.conf"
  echo "$socket_dir" >"$dir/socket_dir"

  mkdir -p "$socket_dir"
  give_to_owner "$socket_dir"
  # A directory under /tmp someone else made first must not take our socket.
  [ "$(stat -c %u "$socket_dir")" = "$owner_uid" ] ||
    die "$socket_dir belongs to $(stat -c %U "$socket_dir"), not $owner: remove it, or pass --socket-dir"

  as_owner "$pg_bin/pg_ctl" start -D "$data" -l "$log" -w -t 120 >/dev/null ||
    fail_with_log "PostgreSQL did not start"
  # Every start, not only the first: a start may have failed in between.
  exists=$(run_sql "SELECT 1 FROM pg_database WHERE datname = '$database'") ||
    fail_with_log "cannot connect to the cluster in $dir"
  [ "$exists" = 1 ] || run_sql "CREATE DATABASE $database" >/dev/null
  print_dsn "$socket_dir"
}

# One statement in database postgres, as postgres; prints the rows unadorned.
run_sql() {
  as_owner "$pg_bin/psql" -X -q -tA -h "$socket_dir" -p "$port" -U postgres -d postgres -c "$1"
}

# Whether DIR holds a cluster (made whole by initdb), after checking that
# this user may manage it.
has_cluster() {
  [ -d "$data" ] || return 1
  require_postgresql
  require_owner
  [ -f "$data/PG_VERSION" ]
}

stop() {
  # Without PostgreSQL there is nothing to stop (so `make clean` still works).
  [ -x "$pg_bin/pg_ctl" ] || return 0
  ! has_cluster || ! is_running || stop_server
}

restart() {
  if has_cluster && is_running; then
    # A fast shutdown ends with a checkpoint: every acknowledged commit stays.
    as_owner "$pg_bin/pg_ctl" restart -D "$data" -l "$log" -m fast -w -t 120 >/dev/null ||
      fail_with_log "PostgreSQL did not restart"
    print_dsn "$(recorded_socket_dir)"
  else
    start
  fi
}

status() {
  if has_cluster && is_running; then
    echo "running: $(print_dsn "$(recorded_socket_dir)")"
  else
    echo stopped
    exit 3
  fi
}

case $command in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  status) status ;;
  dsn) print_dsn "$(recorded_socket_dir)" ;;
esac
