# A first sync of every test table: row counts, bookkeeping columns, parent links, summary.
source "$E2E_LIB"
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
# The summary line per pair, with CloudQuery's fields and per-table counts.
expect_file_contains "$WORK/summary.jsonl" '"source_name":"test"'
expect_file_contains "$WORK/summary.jsonl" '"destination_name":"sqlite"'
expect_file_contains "$WORK/summary.jsonl" '"resources":702'
expect_file_contains "$WORK/summary.jsonl" '"test_sub_table":300'
expect_file_contains "$WORK/summary.jsonl" '"source_version":"v4.0.0"'
expect_out "Loading spec(s) from config.yml"
expect_out "Starting sync for: test -> [sqlite]"
expect_out "Sync completed successfully. Resources: 702, Errors: 0, Warnings: 0"
expect_sql "$DB" "select count(*) from test_some_table" "100"
expect_sql "$DB" "select count(*) from test_sub_table" "300"
expect_sql "$DB" "select count(*) from test_testdata_table" "2"
expect_sql "$DB" "select count(*) from test_inventory" "100"
# No state backend: the incremental table is synced in full.
expect_sql "$DB" "select count(*) from test_events" "200"
# Bookkeeping columns: one sync time, the source's name, distinct ids.
expect_sql "$DB" "select count(distinct _cq_sync_time), min(_cq_source_name), count(distinct _cq_id) from test_some_table" "1|test|100"
expect_sql "$DB" "select count(*) from test_some_table where _cq_parent_id is not null" "0"
# Every child row points at its parent's _cq_id and carries its resource_id.
expect_sql "$DB" "select count(*) from test_sub_table s join test_some_table p on s._cq_parent_id = p._cq_id and s.parent_resource_id = p.resource_id" "300"
# Types as the protocol reference maps them.
expect_sql "$DB" "select name || ':' || lower(type) from pragma_table_info('test_testdata_table') where name in ('int64','float64','bool','timestamp','binary','uuid','json') order by name" $'binary:blob\nbool:boolean\nfloat64:real\nint64:integer\njson:text\ntimestamp:timestamp\nuuid:text'
expect_sql "$DB" "select uint64, date32, json_extract(json, '\$.nested.ok'), hex(binary), length(uuid), typeof(null_utf8), json_extract(utf8_list, '\$[1]') from test_testdata_table where client_id = 0" '18000000000000000000|2026-11-25|1|0001FF|36|null|y "quoted"'
finish
