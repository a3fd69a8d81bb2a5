#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `start DIR PORT` creates a cluster in DIR, starts it on
# 127.0.0.1:PORT (trust authentication, user almagest, database almagest_test) and prints its URL;
# `stop DIR PORT` stops it. PostgreSQL refuses to run as root: as root, the server runs as user `postgres`.
set -euo pipefail
cmd=${1:?usage: pg-test-server.sh start|stop DIR PORT}
dir=${2:?directory}
port=${3:?port}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; chmod 700 "$dir"; fi
    as_pg "$bindir/initdb" -D "$dir/data" -A trust -U almagest -E UTF8 >/dev/null
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U almagest almagest_test
    echo "postgres://almagest@127.0.0.1:$port/almagest_test"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *) echo "usage: pg-test-server.sh start|stop DIR PORT" >&2; exit 2 ;;
esac
