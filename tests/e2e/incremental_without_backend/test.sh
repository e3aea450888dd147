# Without backend_options an incremental table is synced in full each time, and stale rows of it
# are deleted like any full table's.
source "$E2E_LIB"
run sync config.yml
expect_status 0
run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*), count(distinct _cq_sync_time) from test_events" "5000|1"
expect_sql "$DB" "select count(*) from sqlite_master where name = 'quarry_state'" "0"
run state show config.yml
expect_status 2
expect_out "no source has backend_options"
finish
