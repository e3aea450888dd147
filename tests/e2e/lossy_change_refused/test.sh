# A change that would lose data (a column's type, the primary key) is refused in safe mode with
# the list of changes; the table and its rows are untouched; the run exits 1.
source "$E2E_LIB"
sqlite3 "$DB" 'create table test_some_table ("_cq_source_name" text, "_cq_sync_time" timestamp, "_cq_id" text not null, "_cq_parent_id" text, "resource_id" integer not null, "client_id" integer not null, "column2" integer, primary key ("resource_id"))'
sqlite3 "$DB" "insert into test_some_table (_cq_id, resource_id, client_id, column2) values ('x', 100, 0, 42)"
MIGRATE_MODE=safe run sync config.yml
expect_status 1
expect_out "table test_some_table: safe migration refused"
expect_out "change type of column column2: integer -> text"
expect_out "change primary key (resource_id) -> (resource_id, client_id)"
expect_out "migrate_mode: forced"
expect_sql "$DB" "select count(*), max(column2) from test_some_table" "1|42"
expect_sql "$DB" "select lower(type) from pragma_table_info('test_some_table') where name = 'column2'" "integer"
finish
