# overwrite-delete-stale (the default): rows the second sync did not see are deleted, and the
# summary reports how many.
source "$E2E_LIB"
CLIENTS=2 run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from test_some_table" "20"
expect_sql "$DB" "select count(*) from test_sub_table" "40"
CLIENTS=1 run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
expect_sql "$DB" "select count(*), max(client_id) from test_some_table" "10|0"
expect_sql "$DB" "select count(*) from test_sub_table" "20"
expect_sql "$DB" "select count(distinct _cq_sync_time) from test_some_table" "1"
expect_file_contains "$WORK/summary.jsonl" '"deleted_per_table":{"test_some_table":10,"test_sub_table":20}'
finish
