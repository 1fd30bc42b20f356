#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on 127.0.0.1 for the store contract tests and prints its URL.
# Installs Debian's postgresql when it is missing. Usage: eval "$(scripts/start-postgres.sh [PORT])"
set -euo pipefail
port="${1:-55432}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
fi
bin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
dir="$(mktemp -d /tmp/concord-pg.XXXXXX)"
chown postgres:postgres "$dir" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
as_pg "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust --no-sync >/dev/null"
as_pg "'$bin/pg_ctl' -D '$dir/data' -o \"-h 127.0.0.1 -p $port -k '$dir' -c fsync=off\" -l '$dir/log' -w start >/dev/null"
as_pg "'$bin/createdb' -h 127.0.0.1 -p $port -U postgres concord_test"
echo "export CONCORD_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/concord_test?sslmode=disable'"
echo "export CONCORD_TEST_POSTGRES_DIR='$dir'"
echo "export CONCORD_TEST_POSTGRES_BIN='$bin'"
