# Crash harness with a database source: an incremental SQLite → SQLite sync of 200k+ rows killed
# with SIGKILL at a random moment TRIALS times, new rows inserted into the source between runs,
# then a run that finishes. The destination is in append mode and is the state backend, so rows
# and cursor commit in one transaction: it must hold every source row exactly once.
# Replay a failure with CRASH_SEED=<seed printed below>.
source "$E2E_LIB"
TRIALS=${CRASH_TRIALS:-20}
crash_seed
export SRC="$WORK/source.sqlite"
add_rows() { sqlite_add_events "$SRC" "$1"; }  # add_rows N: N new events at the source
sqlite3 "$SRC" "create table events (id integer primary key, kind text, body text)"
add_rows 200000
rows() { sqlite3 "$DB" "select count(*) from events" 2>/dev/null || echo 0; }
arrive() { add_rows $(( 30000 + RANDOM % 60000 )); }
kill_trials "$TRIALS" 150 rows arrive
run sync --no-progress config.yml
expect_status 0
want=$(sqlite3 "$SRC" "select count(*) || '|' || count(*) || '|' || max(id) from events")
expect_sql "$DB" "select count(*), count(distinct id), max(id) from events" "$want"
finish
