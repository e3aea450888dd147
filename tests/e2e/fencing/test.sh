# Fencing: while one sync of a source runs against a state backend, a second sync of the same
# source fails at once with a clear message instead of interleaving cursors.
source "$E2E_LIB"
"$QUARRY" sync --no-progress config.yml >"$WORK/first.out" 2>&1 &
first=$!
# Wait (on a condition, not a clock) until the first sync holds the lock and is writing.
for _ in $(seq 1 300); do
  [[ -n $(sqlite3 "$DB" "select 1 from sqlite_master where name = 'test_events'" 2>/dev/null) ]] && break
  sleep 0.05
done
start=$(date +%s%N)
run sync --no-progress config.yml
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_status 1
expect_out "another sync of the same source is writing to this destination"
(( elapsed_ms < 5000 )) || fail "the second sync took ${elapsed_ms}ms to fail: it should fail at once"
kill -0 "$first" 2>/dev/null || fail "the first sync had already finished: the test proved nothing"
wait "$first"
[[ $? == 0 ]] || fail "the first sync failed: $(cat "$WORK/first.out")"
expect_sql "$DB" "select count(*) from test_events" "3000000"
# Once it is done, the next sync runs.
run sync --no-progress config.yml
expect_status 0
finish
