# Crash harness against PostgreSQL: an incremental sync of 200k+ rows is killed with SIGKILL at a random moment,
# TRIALS times in a row, with new source rows arriving between runs; then a run finishes. The
# destinations must then hold exactly the source's rows:
#   main (PostgreSQL, upsert, state backend): every event once — none missing, no primary key twice;
#   archive (append): every event at least once, and at most CHUNK extra copies per killed run
#     (the guaranteed bound: a destination that is not the state backend runs at most one
#     checkpoint interval ahead of the saved cursor; test_events checkpoints every 1,000 rows).
# Replay a failure with CRASH_SEED=<seed printed below>.
source "$E2E_LIB"
pg_database
TRIALS=${CRASH_TRIALS:-20}
CHUNK=1000
crash_seed
export EVENTS=200000
rows() { psql "$PG_DSN" -qAtc "select count(*) from test_events" 2>/dev/null || echo 0; }
arrive() { EVENTS=$(( EVENTS + 20000 + RANDOM % 60000 )); }
kill_trials "$TRIALS" 250 rows arrive
killed=$KILLED
run sync --no-progress config.yml
expect_status 0
expect_pg "select count(*), count(distinct seq), min(seq), max(seq) from test_events" "$EVENTS|$EVENTS|0|$((EVENTS - 1))"
expect_sql "$DB2" "select count(distinct seq), min(seq), max(seq) from test_events" "$EVENTS|0|$((EVENTS - 1))"
total=$(sqlite3 "$DB2" "select count(*) from test_events")
dups=$(( total - EVENTS ))
echo "archive (append): $dups duplicate rows after $killed kills (bound: $((killed * CHUNK)))"
(( dups <= killed * CHUNK )) || fail "archive holds $dups duplicates, more than $killed kills x $CHUNK"
# The saved cursor is exactly where the data ends.
run state show config.yml
expect_out "test_events#0                    $EVENTS"
finish
