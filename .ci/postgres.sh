#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the tests and print its URL.
# Usage: eval "$(.ci/postgres.sh start DIR)"   ...   .ci/postgres.sh stop DIR
set -euo pipefail
action=$1 dir=$2
# A free port unless one is asked for: a developer's own server may hold the usual ones.
port=${CRISISWATCH_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
case $action in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb -D '$dir/data' -U postgres --auth=trust -E UTF8 >'$dir/initdb.log' 2>&1"
    as_pg "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1\" -w start >/dev/null"
    echo "export CRISISWATCH_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "$bin/pg_ctl -D '$dir/data' -m fast stop >/dev/null" || true
    ;;
esac
