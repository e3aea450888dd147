# A table that fails keeps its old rows (no stale deletion) and the run exits 1.
source "$E2E_LIB"
FAIL=false run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from test_some_table" "10"
FAIL=true run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 1
expect_out "Sync completed with errors, see logs for details. Resources: 0, Errors: 2"
expect_out "table test_some_table: failing as asked"
expect_out "stale rows kept"
expect_sql "$DB" "select count(*) from test_some_table" "10"
expect_sql "$DB" "select count(*) from test_inventory" "10"
expect_file_contains "$WORK/summary.jsonl" '"errors_per_table":{"test_some_table":1,"test_inventory":1}'
finish
