# A new nullable column is added by a safe migration; existing rows stay.
source "$E2E_LIB"
SUB_COLS=1 run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from pragma_table_info('test_sub_table') where name like 'extra_column_%'" "1"
sqlite3 "$DB" "insert into test_sub_table (_cq_id, parent_resource_id, sub_resource_id, data_column) values ('old-row', 999, 0, 'kept')"
SUB_COLS=2 run sync config.yml
expect_status 0
expect_sql "$DB" "select group_concat(name) from pragma_table_info('test_sub_table') where name like 'extra_column_%'" "extra_column_0,extra_column_1"
expect_sql "$DB" "select count(*) from test_sub_table where extra_column_1 is not null" "20"
expect_sql "$DB" "select data_column from test_sub_table where parent_resource_id = 999" "kept"
finish
