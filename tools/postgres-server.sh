#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and CI: Debian's postgresql-15 binaries, run as the
# postgres user, in a temporary data directory, listening on 127.0.0.1 only, on a free port, with
# a user and database `sweep` (password `sweep`; the user may create databases). DIR's parent must
# be readable by the postgres user (mktemp -d, then chmod 755). POSTGRES_OPTIONS adds server options.
#
#   tools/postgres-server.sh start DIR   creates DIR (a new data directory), starts the server and
#                                         prints its URL: postgresql://sweep:sweep@127.0.0.1:PORT/sweep
#   tools/postgres-server.sh stop DIR     stops it (the data stays in DIR; delete it afterwards)
#   tools/postgres-server.sh pause DIR    stops it without forgetting its port (restart: resume)
#   tools/postgres-server.sh resume DIR
set -euo pipefail
bin=${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
command=${1:?usage: $0 start|stop|pause|resume DIR}
dir=${2:?usage: $0 start|stop|pause|resume DIR}
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

case "$command" in
start)
  [ -x "$bin/initdb" ] || { echo "no PostgreSQL at $bin: apt-get install -y postgresql-15" >&2; exit 1; }
  mkdir -p "$dir"
  chown postgres "$dir" 2>/dev/null || true
  chmod 700 "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo postgres >"$dir/superuser-password"
  chown postgres "$dir/superuser-password" 2>/dev/null || true
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 --pwfile="$dir/superuser-password" \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  chown postgres "$dir/port" 2>/dev/null || true
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/data -c max_connections=200 -c fsync=off ${POSTGRES_OPTIONS:-}" start >/dev/null
  echo "${POSTGRES_OPTIONS:-}" >"$dir/options"
  as_postgres env PGPASSWORD=postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q \
    -v ON_ERROR_STOP=1 -c "CREATE USER sweep PASSWORD 'sweep' CREATEDB" -c "CREATE DATABASE sweep OWNER sweep" \
    </dev/null >/dev/null
  echo "postgresql://sweep:sweep@127.0.0.1:$port/sweep"
  ;;
stop|pause)
  as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
resume)
  port=$(cat "$dir/port")
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/data -c max_connections=200 -c fsync=off $(cat "$dir/options" 2>/dev/null)" start >/dev/null
  ;;
*) echo "usage: $0 start|stop|pause|resume DIR" >&2; exit 2 ;;
esac
