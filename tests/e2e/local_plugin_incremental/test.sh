# A CloudQuery-protocol source (quarry's own test source behind `registry: local`) keeps its
# cursor in a built-in destination: Quarry serves that destination to the plugin over a unix
# socket for `@@plugins.sqlite.connection`, the plugin reads and writes its state table through
# it, and Quarry lets the state land only after every destination wrote the rows it covers.
source "$E2E_LIB"
export WORK DATA_DEST=sqlite NEW_EVENTS=20 FAIL_OPTION=""
printf '#!/bin/sh\n[ "$1" = serve ] && shift\nexec "%s" plugin serve test "$@"\n' "$QUARRY" > "$WORK/quarry-test-plugin"
chmod +x "$WORK/quarry-test-plugin"
fetched() { json_field "$WORK/summary.jsonl" '$.fetched_per_table.test_events'; }

run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 500 ]] || fail "first run fetched $(fetched) events, expected 500"
expect_sql "$DB" "select count(*), max(seq) from test_events" "500|499"
# The state table is CloudQuery's (key, value), written by the plugin through Quarry's server.
expect_sql "$DB" "select value from cq_state where key = 'test_events#0'" "500"

# Second run: the plugin read its cursor back and fetched only the new events.
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 20 ]] || fail "second run fetched $(fetched) events, expected 20"
expect_sql "$DB" "select count(*), count(distinct seq) from test_events" "520|520"
expect_sql "$DB" "select value from cq_state where key = 'test_events#0'" "520"
# Incremental tables are not stale-deleted: rows of both syncs are there.
expect_sql "$DB" "select count(distinct _cq_sync_time) from test_events" "2"

# Quarry's state commands leave the plugin's own state table alone.
start=$SECONDS
run state reset config.yml
expect_out "keeps its own cursors (table cq_state in destination sqlite)"
# The plugin Quarry launched to learn the tables stops at once (no 5 s SIGKILL grace).
(( SECONDS - start < 3 )) || fail "state reset took $((SECONDS - start)) s"
expect_sql "$DB" "select group_concat(name) from pragma_table_info('cq_state')" "key,value"
expect_sql "$DB" "select value from cq_state where key = 'test_events#0'" "520"

# A data destination that fails mid-sync: the plugin has sent its new cursor, but Quarry does not
# let it land, so the next run fetches those events again (the same 20: the test source counts
# its runs in its state too, and that did not land either).
export DATA_DEST=flaky FAIL_OPTION="fail_on_write: 1"
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 1
expect_sql "$DB" "select value from cq_state where key = 'test_events#0'" "520"
export FAIL_OPTION=""
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 20 ]] || fail "after the failed run fetched $(fetched) events, expected the same 20 again"
expect_sql "$DB" "select count(*), count(distinct seq), max(seq) from test_events" "540|540|539"
expect_sql "$DB" "select value from cq_state where key = 'test_events#0'" "540"
finish
