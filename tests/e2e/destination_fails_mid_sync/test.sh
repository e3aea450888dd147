# A destination that fails mid-sync (the `test` destination failing its 4th write) leaves the
# cursor where the last good write put it; the sync exits 1; the next run catches up with nothing
# lost or duplicated.
source "$E2E_LIB"
FAIL_OPTION="fail_on_write: 4" run sync config.yml
expect_status 1
expect_out "destination flaky: save cursor: injected failure on write 4 (fail_on_write)"
expect_out "Sync completed with errors"
# test_events checkpoints every 1,000 rows: three writes landed, each with its cursor.
expect_sql "$DB" "select count(*), max(seq) from test_events" "3000|2999"
expect_sql "$DB" "select value from quarry_state where key = 'events:test_events#0' order by version desc limit 1" "3000"
FAIL_OPTION="" run sync config.yml
expect_status 0
expect_out "Resources: 7000"
expect_sql "$DB" "select count(*), count(distinct seq), max(seq) from test_events" "10000|10000|9999"
finish
