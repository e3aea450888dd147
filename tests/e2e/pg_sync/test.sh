# The test source into a real PostgreSQL server: every table, the protocol's type mapping,
# upserts on a second run, incremental events with the cursor kept in PostgreSQL.
source "$E2E_LIB"
pg_database
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
expect_pg "select count(*) from test_some_table" "100"
expect_pg "select count(*) from test_sub_table" "300"
expect_pg "select count(*) from test_inventory" "100"
expect_pg "select count(*) from test_events" "3000"
expect_pg "select count(*) from test_sub_table s join test_some_table p on s._cq_parent_id = p._cq_id" "300"
expect_pg "select column_name || ':' || data_type from information_schema.columns where table_name = 'test_testdata_table' and column_name in ('uint64','json','uuid','int64_list','timestamp','mac','inet','binary') order by column_name" $'binary:bytea\ninet:inet\nint64_list:ARRAY\njson:jsonb\nmac:macaddr\ntimestamp:timestamp without time zone\nuint64:numeric\nuuid:uuid'
expect_pg "select uint64, json->'nested'->>'ok', utf8_list[2] from test_testdata_table where client_id = 0" '18000000000000000000|true|y "quoted"'
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
[[ $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.test_events') == 50 ]] || fail "second run fetched $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.test_events') events, expected 50"
expect_pg "select count(*), count(distinct (seq, client_id)) from test_events" "3050|3050"
expect_pg "select count(*) from test_some_table" "100"
run state show config.yml
expect_out "test_events#0                    1525"
finish
