#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests: installs the server from apt when it is
# missing, initdb's a temp data directory, listens on 127.0.0.1 only, and prints
#   export CLAUDE_MEM_TEST_PG_URL=postgres://…
# on stdout (use: eval "$(.ci/start-postgres.sh)"). Progress goes to stderr.
# Stop it with: pg_ctl -D "$CLAUDE_MEM_TEST_PG_DIR" stop (run as the same user).
set -euo pipefail

log() { echo "start-postgres: $*" >&2; }

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

BIN="$(find_bin || true)"
if [ -z "$BIN" ]; then
  log "PostgreSQL server not found; installing it from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2 || { log "apt-get install postgresql failed"; exit 1; }
  BIN="$(find_bin)" || { log "postgresql installed but pg_ctl not found"; exit 1; }
fi

PORT="${CLAUDE_MEM_TEST_PG_PORT:-$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/cm-pg-XXXXXX")"

# PostgreSQL refuses to run as root: run the cluster as the postgres system user then.
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$DATA"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

as_pg "$BIN/initdb" -D "$DATA/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
as_pg "$BIN/pg_ctl" -D "$DATA/data" -l "$DATA/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c max_connections=200" start >&2 \
  || { log "pg_ctl start failed:"; cat "$DATA/server.log" >&2; exit 1; }

log "PostgreSQL running on 127.0.0.1:$PORT (data $DATA/data)"
echo "export CLAUDE_MEM_TEST_PG_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
echo "export CLAUDE_MEM_TEST_PG_DIR=$DATA/data"
