# migrate_mode: forced rebuilds a table whose schema changed in a lossy way.
source "$E2E_LIB"
sqlite3 "$DB" 'create table test_some_table ("_cq_id" text not null, "resource_id" integer not null, "column2" integer, primary key ("resource_id"))'
sqlite3 "$DB" "insert into test_some_table values ('x', 100, 42)"
MIGRATE_MODE=forced run sync config.yml
expect_status 0
expect_sql "$DB" "select lower(type) from pragma_table_info('test_some_table') where name = 'column2'" "text"
expect_sql "$DB" "select group_concat(name) from pragma_table_info('test_some_table') where pk > 0" "resource_id,client_id"
expect_sql "$DB" "select count(*) from test_some_table" "3"
finish
