# A throwaway PostgreSQL for the tests (issue 14): Debian's server binaries, `initdb` into a temporary folder
# as the unprivileged `postgres` user, listening on a free loopback port only, stopped by PID. No containers.
# Sourced by scripts/test and scripts/bench.

postgres_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

install_postgres() {
  postgres_bin >/dev/null 2>&1 || apt_install postgresql
}

# Starts the server and exports REVERIFY_TEST_POSTGRES (a superuser URL to the `postgres` database) and
# REVERIFY_TEST_POSTGRES_PID. The caller stops it with stop_throwaway_postgres (scripts/test traps EXIT).
start_throwaway_postgres() {
  local bin port dir password
  bin="$(postgres_bin)"
  dir="$(mktemp -d /tmp/reverify-pg.XXXXXX)"
  password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  printf '%s\n' "$password" > "$dir/pwfile"
  chmod 0700 "$dir"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres "$dir"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$dir/data" -U reverify --pwfile="$dir/pwfile" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  # Tests trade durability for speed; POSTGRES_DURABLE=1 (scripts/bench) keeps PostgreSQL's defaults.
  local speed=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
  [ -n "${POSTGRES_DURABLE:-}" ] && speed=()
  "${run[@]}" "$bin/postgres" -D "$dir/data" -p "$port" -c listen_addresses=127.0.0.1 -k "$dir" \
    -c max_connections=400 "${speed[@]}" >"$dir/server.log" 2>&1 &
  export REVERIFY_TEST_POSTGRES_PID=$!
  export REVERIFY_TEST_POSTGRES_DIR="$dir"
  export REVERIFY_TEST_POSTGRES="postgres://reverify:${password}@127.0.0.1:${port}/postgres?sslmode=disable"
  local i
  for i in $(seq 1 100); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
      echo "==> throwaway PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (pid $REVERIFY_TEST_POSTGRES_PID)"
      return 0
    fi
    sleep 0.1
  done
  cat "$dir/server.log" >&2
  return 1
}

stop_throwaway_postgres() {
  [ -n "${REVERIFY_TEST_POSTGRES_PID:-}" ] || return 0
  # SIGINT is PostgreSQL's fast shutdown. It goes to the postmaster itself (its PID is the first line of
  # postmaster.pid): runuser, whose PID $! holds, does not pass signals on.
  local postmaster
  postmaster="$(head -n 1 "$REVERIFY_TEST_POSTGRES_DIR/data/postmaster.pid" 2>/dev/null || true)"
  [ -n "$postmaster" ] && kill -INT "$postmaster" 2>/dev/null || true
  kill -INT "$REVERIFY_TEST_POSTGRES_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do
    kill -0 "$REVERIFY_TEST_POSTGRES_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$REVERIFY_TEST_POSTGRES_PID" 2>/dev/null; then
    [ -n "$postmaster" ] && kill -KILL "$postmaster" 2>/dev/null || true
    kill -KILL "$REVERIFY_TEST_POSTGRES_PID" 2>/dev/null || true
  fi
  wait "$REVERIFY_TEST_POSTGRES_PID" 2>/dev/null || true
  rm -rf "${REVERIFY_TEST_POSTGRES_DIR:?}"
  unset REVERIFY_TEST_POSTGRES_PID REVERIFY_TEST_POSTGRES
}
