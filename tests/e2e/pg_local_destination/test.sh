# A destination behind the plugin protocol: `quarry plugin serve postgresql` as a `registry:
# local` plugin, written to by Quarry with migrate, insert and delete-stale messages. The rows,
# the protocol's type mapping in PostgreSQL, upserts, and stale rows deleted over the wire.
source "$E2E_LIB"
pg_database
export WORK MODE=overwrite-delete-stale ROWS=20
printf '#!/bin/sh\n[ "$1" = serve ] && shift\nexec "%s" plugin serve postgresql "$@"\n' "$QUARRY" > "$WORK/pg-plugin"
chmod +x "$WORK/pg-plugin"
run sync --no-progress --summary-location "$WORK/s.jsonl" config.yml
expect_status 0
expect_pg "select count(*), count(distinct _cq_id), min(_cq_source_name) from test_some_table" "40|40|test"
expect_pg "select column_name || ':' || data_type from information_schema.columns where table_name = 'test_testdata_table' and column_name in ('uint64','json','uuid','int64_list','timestamp','mac','inet','binary') order by column_name" $'binary:bytea\ninet:inet\nint64_list:ARRAY\njson:jsonb\nmac:macaddr\ntimestamp:timestamp without time zone\nuint64:numeric\nuuid:uuid'
expect_pg "select uint64, json->'nested'->>'ok', utf8_list[2], mac from test_testdata_table where client_id = 0" '18000000000000000000|true|y "quoted"|08:00:2b:01:02:03'
expect_pg "select string_agg(a.attname, ',' order by a.attname) from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = 'test_some_table'::regclass and i.indisprimary" "client_id,resource_id"
[[ $(json_field "$WORK/s.jsonl" '$.resources_per_table.test_some_table') == 40 ]] || fail "rows written not counted"

# Fewer rows: upserted, then the older ones deleted by the delete-stale message.
export ROWS=5
run sync --no-progress config.yml
expect_status 0
expect_pg "select count(*), count(distinct _cq_sync_time) from test_some_table" "10|1"
expect_pg "select max(resource_id) from test_some_table" "9"
finish
