# pk_mode: cq-id-only keys tables by _cq_id; with deterministic_cq_id a re-sync upserts the
# same ids instead of adding rows.
source "$E2E_LIB"
run sync config.yml
expect_status 0
expect_sql "$DB" "select group_concat(name) from pragma_table_info('test_some_table') where pk > 0" "_cq_id"
ids=$(sqlite3 "$DB" "select group_concat(_cq_id) from (select _cq_id from test_some_table order by resource_id)")
run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from test_some_table" "12"
expect_sql "$DB" "select group_concat(_cq_id) from (select _cq_id from test_some_table order by resource_id)" "$ids"
finish
