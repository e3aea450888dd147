# append: every sync adds its rows, primary keys are not enforced, nothing is deleted.
source "$E2E_LIB"
run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from test_some_table" "15"
run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*), count(distinct resource_id), count(distinct _cq_sync_time) from test_some_table" "30|15|2"
finish
