# Helpers for end-to-end cases. A case script sources this file, runs `quarry` with `run`, and
# checks results with the expect_* functions. Each case gets a fresh temporary directory $WORK
# (removed afterwards) and exports DB=$WORK/db.sqlite for configs to use as ${DB}.
set -u
WORK=$(mktemp -d)
export DB="$WORK/db.sqlite"
export DB2="$WORK/db2.sqlite"
BG_PIDS=()
cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
  for p in "${BG_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILURES=0
STATUS=0
OUT=""
ERR=""

# run ARGS...: runs quarry, captures stdout/stderr and the exit status.
run() {
  "$QUARRY" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  STATUS=$?
  OUT=$(cat "$WORK/stdout")
  ERR=$(cat "$WORK/stderr")
}

fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout:" >&2; echo "$OUT" >&2
  echo "--- stderr:" >&2; echo "$ERR" >&2
  FAILURES=$((FAILURES + 1))
}

expect_status() {
  [[ "$STATUS" == "$1" ]] || fail "exit status $STATUS, expected $1"
}

# expect_sql DBFILE "SQL" "expected output"
expect_sql() {
  local got
  got=$(sqlite3 "$1" "$2" 2>&1)
  [[ "$got" == "$3" ]] || fail "sql [$2] on $1 gave [$got], expected [$3]"
}

# expect_out "text": stdout+stderr contain text
expect_out() {
  [[ "$OUT$ERR" == *"$1"* ]] || fail "output does not contain [$1]"
}

expect_no_out() {
  [[ "$OUT$ERR" != *"$1"* ]] || fail "output contains [$1]"
}

# expect_file_contains FILE "text"
expect_file_contains() {
  grep -qF -- "$2" "$1" 2>/dev/null || fail "$1 does not contain [$2]"
}

# json_field FILE PATH: the value at PATH (e.g. '$.a.b') in FILE's last line of JSON.
json_field() {
  tail -n 1 "$1" > "$WORK/last.json"
  sqlite3 :memory: "select json_extract(readfile('$WORK/last.json'), '$2')"
}

# pg_database [SUFFIX]: a fresh PostgreSQL database for this case on the shared test server
# (pg_* cases); exports PG_DSN (a libpq key/value string) for configs to use as ${PG_DSN}.
pg_database() {
  local server name
  server=$(cat "$PG_E2E_DIR/dsn") || { echo "no PostgreSQL test server" >&2; exit 1; }
  name="e2e_$(basename "$PWD")_$$${1:+_$1}"
  psql "$server" -qAtc "drop database if exists $name" -c "create database $name" >/dev/null || exit 1
  export PG_DSN="${server/dbname=postgres/dbname=$name}"
}

# expect_pg "SQL" "expected output" (rows as a|b lines)
expect_pg() {
  local got
  got=$(psql "$PG_DSN" -qAtc "$1" 2>&1)
  [[ "$got" == "$2" ]] || fail "pg sql [$1] gave [$got], expected [$2]"
}

# use_target sqlite|postgresql: the destination kind shared harnesses write to; exports
# DEST_PATH and DEST_CONN for their configs (postgresql: a fresh database, see pg_database).
use_target() {
  export DEST_PATH=$1
  if [[ $1 == postgresql ]]; then pg_database; export DEST_CONN=$PG_DSN; else export DEST_CONN=$DB; fi
}

# target_sql "SQL": runs SQL on the use_target destination (rows as a|b lines).
target_sql() {
  if [[ $DEST_PATH == postgresql ]]; then psql "$PG_DSN" -qAtc "$1"; else sqlite3 "$DB" "$1"; fi
}

# expect_target "SQL" "expected output": expect_sql / expect_pg on the use_target destination.
expect_target() {
  if [[ $DEST_PATH == postgresql ]]; then expect_pg "$1" "$2"; else expect_sql "$DB" "$1" "$2"; fi
}

# crash_seed: seeds $RANDOM from CRASH_SEED (or the clock) and prints the seed for replay.
crash_seed() {
  SEED=${CRASH_SEED:-$(( $(date +%s%N) % 1000000 ))}
  echo "crash harness seed: $SEED (replay: CRASH_SEED=$SEED)"
  RANDOM=$SEED
}

# kill_trials TRIALS MAX_DELAY_MS ROWS_FN ARRIVE_FN: runs `quarry sync config.yml` TRIALS times,
# each killed with SIGKILL after a random delay below MAX_DELAY_MS; after each trial prints what
# ROWS_FN prints (rows at the destination) and calls ARRIVE_FN (new rows at the source). Sets
# KILLED to the number of runs killed before they finished, and fails the case when fewer than
# half were (the harness would then test too little).
kill_trials() {
  local trials=$1 max_delay=$2 rows_fn=$3 arrive_fn=$4 trial delay_ms pid outcome
  KILLED=0
  for ((trial = 1; trial <= trials; trial++)); do
    delay_ms=$(( RANDOM % max_delay ))
    "$QUARRY" sync --no-progress config.yml >"$WORK/trial.out" 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if grep -q "Sync completed" "$WORK/trial.out"; then
      outcome="finished before the kill"
    else
      outcome="killed mid-run"
      KILLED=$((KILLED + 1))
    fi
    echo "trial $trial: kill after ${delay_ms}ms, $outcome; destination holds $($rows_fn) rows"
    $arrive_fn
  done
  echo "killed $KILLED of $trials runs mid-run"
  (( KILLED >= trials / 2 )) || fail "only $KILLED of $trials runs were killed mid-run"
}

finish() {
  if [[ $FAILURES -gt 0 ]]; then
    echo "$FAILURES expectation(s) failed" >&2
    exit 1
  fi
  echo "ok"
  exit 0
}

# wait_for_line FILE REGEX: waits (up to 20 s) for a line matching REGEX in FILE and prints the
# first capture group of the first match.
wait_for_line() {
  local i
  for i in $(seq 200); do
    if grep -qE "$2" "$1" 2>/dev/null; then
      grep -oE "$2" "$1" | head -n 1 | sed -E "s/$2/\\1/"
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for [$2] in $1:" >&2
  cat "$1" >&2
  return 1
}

# start_memdb: starts the JavaScript plugin SDK's memdb plugin (from the npm registry, installed
# in tests/node by scripts/install-node-deps) on a free port; exports MEMDB_ADDR.
start_memdb() {
  node "$NODE_TESTS/node_modules/@cloudquery/plugin-sdk-javascript/dist/main.js" serve \
    --address 127.0.0.1:0 --log-format json >"$WORK/memdb.log" 2>&1 &
  BG_PIDS+=($!)
  local port
  port=$(wait_for_line "$WORK/memdb.log" 'server running on port: ([0-9]+)') || exit 1
  export MEMDB_ADDR="127.0.0.1:$port"
}

# start_serve PLUGIN [ARGS...]: runs `quarry plugin serve PLUGIN` on a free port; exports
# SERVE_ADDR.
start_serve() {
  "$QUARRY" plugin serve "$@" --address 127.0.0.1:0 >"$WORK/serve.log" 2>&1 &
  BG_PIDS+=($!)
  SERVE_PID=$!
  SERVE_ADDR=$(wait_for_line "$WORK/serve.log" 'serving plugin [a-z]+ on ([0-9.]+:[0-9]+)') || exit 1
  export SERVE_ADDR
}

# sqlite_add_events FILE N: N new rows in FILE's events table (id integer primary key, kind, body).
sqlite_add_events() {
  sqlite3 "$1" "with recursive n(i) as (select 1 union all select i + 1 from n where i < $2)
                insert into events (kind, body) select 'k' || (i % 7), hex(randomblob(16)) from n"
}
