# Incremental tables fetch only what is new; --full-refresh and `state reset` start over;
# stale deletion never touches incremental tables; the state commands show and reset cursors.
source "$E2E_LIB"
fetched() {  # fetched TABLE: rows the last sync fetched for TABLE, from its summary line
  json_field "$WORK/summary.jsonl" "\$.fetched_per_table.$1"
}
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
expect_sql "$DB" "select count(*), count(distinct client_id), max(seq) from test_events" "5000|2|2499"
[[ $(fetched test_events) == 5000 ]] || fail "first run fetched $(fetched test_events) events"
run state show config.yml
expect_status 0
expect_out "test                 test_events#0                    2500"
expect_out "test                 arrivals#1                       1"

# Second run: only the 30 new events per client arrive; full tables are fetched whole.
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
[[ $(fetched test_events) == 60 ]] || fail "second run fetched $(fetched test_events) events, expected 60"
[[ $(fetched test_some_table) == 10 ]] || fail "full table not fetched whole"
expect_sql "$DB" "select count(*), max(seq) from test_events" "5060|2529"
# Stale deletion skipped the incremental table: rows of the first sync are still there.
expect_sql "$DB" "select count(distinct _cq_sync_time) from test_events" "2"
expect_sql "$DB" "select count(distinct _cq_sync_time) from test_some_table" "1"

# --full-refresh re-fetches everything, then the cursor goes on.
run sync config.yml --full-refresh --tables 'test_ev*' --summary-location "$WORK/summary.jsonl"
expect_status 0
[[ $(fetched test_events) == 5120 ]] || fail "full refresh fetched $(fetched test_events) events, expected 5120"
expect_sql "$DB" "select count(*) from test_events" "5120"
run sync config.yml --summary-location "$WORK/summary.jsonl"
[[ $(fetched test_events) == 60 ]] || fail "after the refresh the cursor did not go on"

# state reset, then a sync re-fetches all.
run state reset config.yml --table test_events
expect_status 0
expect_out "Reset 2 cursor(s)."
run state show config.yml
expect_no_out "test_events#"
run sync config.yml --summary-location "$WORK/summary.jsonl"
[[ $(fetched test_events) == 5240 ]] || fail "after state reset fetched $(fetched test_events), expected 5240"
expect_sql "$DB" "select count(*) from test_events" "5240"
finish
