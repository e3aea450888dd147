# Crash harness over the options a user varies: an incremental SQLite → SQLite sync killed with
# SIGKILL at a random moment, TRIALS times, with a new random chunk_size, batch_size and
# batch_size_bytes on every run (sizes that do not divide each other) and new source rows
# arriving between runs. After EVERY kill it checks, against the saved cursor:
#   main (append, state backend): exactly the rows up to the cursor — none missing, none beyond
#     it, none twice (rows and cursor commit in one transaction);
#   archive (append, not the backend): every row up to the cursor, and at most one checkpoint
#     interval (chunk_size rows) beyond it — what the next run re-fetches and duplicates;
#   latest (overwrite): no id twice, every row up to the cursor.
# Then a run that finishes: main and latest hold every source row once, archive every row at
# least once with at most the bound's duplicates. Replay a failure with CRASH_SEED=<seed>.
# TARGET=postgresql (tests/e2e/pg_crash_kill9_matrix) makes main, the backend, PostgreSQL.
source "$E2E_LIB"
config="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/config.yml"
use_target "${TARGET:-sqlite}"
TRIALS=${CRASH_TRIALS:-16}
crash_seed
export SRC="$WORK/source.sqlite" DB3="$WORK/db3.sqlite"
sqlite3 "$SRC" "create table events (id integer primary key, kind text, body text)"
sqlite_add_events "$SRC" 150000
pick() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }
cursor() {
  local v
  v=$(target_sql "select value from quarry_state where key = 'feed:events'
                   order by version desc limit 1" 2>/dev/null)
  echo "${v:-0}"
}
# q FILE SQL DEFAULT: the query's result, or DEFAULT before the file has the table.
q() { local v; v=$(sqlite3 "$1" "$2" 2>/dev/null) && [[ -n $v ]] && echo "$v" || echo "$3"; }
max_chunk=0 dups_bound=0
for ((trial = 1; trial <= TRIALS; trial++)); do
  export CHUNK=$(pick 97 7001) BATCH=$(pick 13 4099) BATCH2=$(pick 13 4099)
  # Sometimes a byte limit far below the row limit, so byte-triggered flushes happen too.
  if (( RANDOM % 3 == 0 )); then export BATCH_BYTES=$(pick 4096 200000); else export BATCH_BYTES=10485760; fi
  (( CHUNK > max_chunk )) && max_chunk=$CHUNK
  delay_ms=$(pick 20 700)
  "$QUARRY" sync --no-progress "$config" >"$WORK/trial.out" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  c=$(cursor)
  main=$(target_sql "select count(*), count(distinct id), coalesce(max(id), 0) from events" 2>/dev/null || echo "0|0|0")
  beyond=$(q "$DB2" "select count(distinct id) from events where id > $c" 0)
  below=$(q "$DB2" "select count(distinct id) from events where id <= $c" 0)
  latest=$(q "$DB3" "select count(*) - count(distinct id), count(*) filter (where id <= $c) from events" "0|0")
  echo "trial $trial: chunk_size=$CHUNK batch_size=$BATCH/$BATCH2 batch_size_bytes=$BATCH_BYTES" \
       "kill after ${delay_ms}ms: cursor=$c main=[$main] archive beyond cursor=$beyond latest=[$latest]"
  [[ "$main" == "$c|$c|$c" ]] || fail "trial $trial: main (append, backend) holds [$main] (rows|distinct|max), expected exactly the $c rows up to the cursor"
  (( c == 0 )) || [[ "$below" == "$c" ]] || fail "trial $trial: archive lacks rows up to the cursor ($below of $c)"
  (( beyond <= max_chunk )) || fail "trial $trial: archive is $beyond rows ahead of the cursor, more than one checkpoint interval ($max_chunk)"
  [[ "$latest" == "0|$c" ]] || fail "trial $trial: latest (overwrite) holds [$latest] (duplicate ids | rows up to the cursor), expected [0|$c]"
  dups_bound=$(( dups_bound + beyond ))
  sqlite_add_events "$SRC" "$(pick 1000 40000)"
done
export CHUNK=$(pick 97 7001) BATCH=$(pick 13 4099) BATCH2=$(pick 13 4099) BATCH_BYTES=10485760
run sync --no-progress "$config"
expect_status 0
n=$(sqlite3 "$SRC" "select count(*) from events")
expect_target "select count(*), count(distinct id), max(id) from events" "$n|$n|$n"
expect_sql "$DB3" "select count(*), count(distinct id), max(id) from events" "$n|$n|$n"
expect_sql "$DB2" "select count(distinct id), max(id) from events" "$n|$n"
dups=$(( $(sqlite3 "$DB2" "select count(*) from events") - n ))
echo "archive (append): $dups duplicates in all (sum of rows beyond the cursor at each kill: $dups_bound)"
(( dups <= dups_bound )) || fail "archive holds $dups duplicates, more than the $dups_bound rows that were beyond the cursor at the kills"
finish
