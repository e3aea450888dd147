# registry: grpc against a plugin nobody here wrote: the JavaScript plugin SDK's memdb (npm).
# Every table, its rows, its types, the parent/child link, and the bookkeeping columns Quarry adds.
source "$E2E_LIB"
start_memdb
run sync config.yml
expect_status 0
expect_out "Resources: 11, Errors: 0"
expect_sql "$DB" "select count(*) from table1" "3"
expect_sql "$DB" "select count(*) from table2" "2"
expect_sql "$DB" "select count(*) from table3" "2"
expect_sql "$DB" "select count(*) from table3_child1" "4"
expect_sql "$DB" "select id, json from table1 order by id" 'id-1|{ "a": 1 }
id-2|[1,2,3]
id-3|'
# Types as the plugin declared them: utf8 → text, json → text, int64 → integer, uuid → text.
expect_sql "$DB" "select name, lower(type) from pragma_table_info('table3_child1') order by cid" "_cq_source_name|text
_cq_sync_time|timestamp
_cq_id|text
_cq_parent_id|text
name|text
id|integer
parent_name|text"
expect_sql "$DB" "select typeof(id) from table3_child1 limit 1" "integer"
# Child rows point at their parent's _cq_id.
expect_sql "$DB" "select count(*) from table3_child1 c join table3 p on c._cq_parent_id = p._cq_id and c.parent_name = p.name" "4"
# Quarry adds the orchestrator's columns: one source name and one sync time for the run.
expect_sql "$DB" "select count(distinct _cq_sync_time), min(_cq_source_name), count(*) from table2 where _cq_sync_time is not null" "1|memdb|2"
expect_sql "$DB" "select count(distinct _cq_id) from table1" "3"
# A second sync upserts (primary key _cq_id is random per sync in memdb) and deletes the stale rows.
run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from table1" "3"
# Patterns select from the plugin's tables; a pattern that matches nothing is a config error.
sed 's/tables: \["\*"\]/tables: ["table9*"]/' config.yml > "$WORK/bad.yml"
run sync "$WORK/bad.yml"
expect_status 2
expect_out 'table9*'
finish
