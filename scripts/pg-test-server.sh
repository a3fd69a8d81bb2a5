#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests.
#
#   scripts/pg-test-server.sh start DIR PORT   creates a cluster in DIR (unless there is one), starts it on
#                                              127.0.0.1:PORT (trust authentication, user almagest, database
#                                              almagest_test) and prints its URL on stdout
#   scripts/pg-test-server.sh stop DIR PORT    stops it (DIR stays; delete it to throw the cluster away)
#   scripts/pg-test-server.sh url DIR PORT     prints the URL
#
# Typical use:  export ALMAGEST_TEST_PG_URL=$(scripts/pg-test-server.sh start /tmp/almagest-pg 55432)
#
# The cluster uses the C.UTF-8 locale where the system has it, so lower(), ILIKE and regular expressions treat
# non-ASCII letters as the SQLite runtime functions do. It listens on TCP only (no Unix socket, whose path length
# is limited). PostgreSQL refuses to run as root: as root, the server runs as user `postgres`.
set -euo pipefail

usage() { echo "usage: pg-test-server.sh start|stop|url DIR PORT" >&2; exit 2; }
die() { echo "pg-test-server: $*" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
port=${3:-}
[ -n "$cmd" ] && [ -n "$dir" ] && [ -n "$port" ] || usage
case "$port" in *[!0-9]*) die "PORT must be a number, not '$port'" ;; esac
dir=$(realpath -m -- "$dir")
url="postgres://almagest@127.0.0.1:$port/almagest_test"

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null; then bindir=$(dirname "$(command -v pg_ctl)"); fi
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the server"
      chown postgres "$dir"
      chmod 700 "$dir"
    fi
    as_pg test -w "$dir" || die "the server's user cannot write $dir (is a parent directory closed to it?)"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      locale=()
      if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=(--locale=C.UTF-8); fi
      as_pg "$bindir/initdb" -D "$dir/data" -A trust -U almagest -E UTF8 "${locale[@]}" >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    if ! running; then
      as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
        || { tail -n 20 "$dir/server.log" >&2; die "the server did not start (port $port taken?)"; }
    fi
    if ! as_pg "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U almagest -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'almagest_test'" | grep -q 1; then
      as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U almagest almagest_test
    fi
    echo "$url"
    ;;
  stop)
    if running; then as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    ;;
  url)
    echo "$url"
    ;;
  *) usage ;;
esac
