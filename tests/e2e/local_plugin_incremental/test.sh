# A CloudQuery-protocol source (quarry's own test source behind `registry: local`) with its cursor
# in a built-in destination: for `@@plugins.state.connection` Quarry hands the plugin a state
# backend of its own (rpc/state_bridge.h) on a unix socket; the plugin reads its cursors there and
# the cursors it writes become checkpoints, saved by the same path as a built-in source's: only
# after every destination wrote the rows they cover, in Quarry's state table.
source "$E2E_LIB"
export WORK DATA_DEST=sqlite NEW_EVENTS=20 FAIL_OPTION=""
printf '#!/bin/sh\n[ "$1" = serve ] && shift\nexec "%s" plugin serve test "$@"\n' "$QUARRY" > "$WORK/quarry-test-plugin"
chmod +x "$WORK/quarry-test-plugin"
fetched() { json_field "$WORK/summary.jsonl" '$.fetched_per_table.test_events'; }

run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 500 ]] || fail "first run fetched $(fetched) events, expected 500"
expect_sql "$DB" "select count(*), max(seq) from test_events" "500|499"
# Quarry's state table (CloudQuery's key/value/version layout), the key namespaced by source.
expect_sql "$DB2" "select value from cq_state where key = 'events:test_events#0'" "500"
expect_sql "$DB2" "select group_concat(name) from pragma_table_info('cq_state')" "key,value,version"

# Second run: the plugin read its cursor back and fetched only the new events.
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 20 ]] || fail "second run fetched $(fetched) events, expected 20"
expect_sql "$DB" "select count(*), count(distinct seq) from test_events" "520|520"
expect_sql "$DB2" "select value from cq_state where key = 'events:test_events#0'" "520"
# Incremental tables are not stale-deleted: rows of both syncs are there.
expect_sql "$DB" "select count(distinct _cq_sync_time) from test_events" "2"

# Quarry's state commands see the plugin's cursors like any source's.
start=$SECONDS
run state show config.yml
expect_status 0
expect_out "test_events#0"
expect_out "520"
# The plugin Quarry launched to learn the tables stops at once (no 5 s SIGKILL grace).
(( SECONDS - start < 3 )) || fail "state show took $((SECONDS - start)) s"

# A data destination that fails mid-sync: the plugin has sent its new cursor, but Quarry does not
# let it land, so the next run fetches those events again (the same 20: the test source counts
# its runs in its state too, and that did not land either).
export DATA_DEST=flaky FAIL_OPTION="fail_on_write: 1"
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 1
expect_sql "$DB2" "select value from cq_state where key = 'events:test_events#0'" "520"
export FAIL_OPTION=""
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 20 ]] || fail "after the failed run fetched $(fetched) events, expected the same 20 again"
expect_sql "$DB" "select count(*), count(distinct seq), max(seq) from test_events" "540|540|539"
expect_sql "$DB2" "select value from cq_state where key = 'events:test_events#0'" "540"

# `state reset` deletes them: the next sync starts from scratch (500 events, arrivals reset too).
run state reset config.yml
expect_status 0
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 500 ]] || fail "after state reset fetched $(fetched) events, expected 500"

# Replacing CloudQuery: a state table CloudQuery's plugin wrote (key, value; keys without a
# source prefix) is read, so the first Quarry sync goes on from CloudQuery's cursor.
rm -f "$DB" "$DB2"
sqlite3 "$DB2" "create table cq_state (key text primary key, value text);
  insert into cq_state values ('test_events#0', '500'), ('arrivals#0', '1');"
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 20 ]] || fail "from CloudQuery's cursor fetched $(fetched) events, expected 20"
expect_sql "$DB" "select min(seq), max(seq) from test_events" "500|519"
expect_sql "$DB2" "select value from cq_state where key = 'events:test_events#0'" "520"
# A reset deletes the CloudQuery-layout cursor too, or it would be read again.
run state reset config.yml
expect_status 0
run sync --summary-location "$WORK/summary.jsonl" config.yml
expect_status 0
[[ $(fetched) == 500 ]] || fail "after resetting CloudQuery's cursor fetched $(fetched), expected 500"
finish
