# PostgreSQL → PostgreSQL and SQLite with table and column names outside [A-Za-z0-9_] (spaces,
# quotes, capitals, other scripts, a view, a schema with a space): they sync in full and
# incrementally (by a cursor column with a space in its name) under their exact names, and
# `schema.table` patterns match them. A column named _cq_id is a table error naming it.
source "$E2E_LIB"
pg_database source
export SRC_DSN=$PG_DSN
pg_database destination
psql "$SRC_DSN" -qAt -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create table "Order Items" ("Customer Name" text, "a""b" bigint primary key, "é" real,
                            "up dated" timestamptz not null);
insert into "Order Items" values ('Ann', 1, 1.5, '2026-01-01 00:00:00Z'),
  ('Bob', 2, null, '2026-01-02 00:00:00Z'), ('Cy', 3, 2, '2026-01-02 00:00:00Z');
create schema "Sales Dept";
create table "Sales Dept"."tébl" (id int primary key, "select" text);
insert into "Sales Dept"."tébl" values (1, 'from');
create view "My View" as select "Customer Name" as "Who?" from "Order Items" where "a""b" = 1;
create table "t ignored" (id int);
create table reserved (_cq_id uuid, v int);
insert into reserved values (null, 1);
SQL
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
for q in 'select "Customer Name", "a""b", "é", "up dated" from "Order Items" order by 2'; do
  expect_pg "$q" $'Ann|1|1.5|2026-01-01 00:00:00\nBob|2||2026-01-02 00:00:00\nCy|3|2|2026-01-02 00:00:00'
  expect_sql "$DB" "$q" $'Ann|1|1.5|2026-01-01 00:00:00.000000\nBob|2||2026-01-02 00:00:00.000000\nCy|3|2.0|2026-01-02 00:00:00.000000'
done
expect_pg 'select id, "select" from "Sales Dept_tébl"' "1|from"
expect_sql "$DB" 'select id, "select" from "Sales Dept_tébl"' "1|from"
expect_pg 'select "Who?" from "My View"' "Ann"
expect_sql "$DB" 'select "Who?" from "My View"' "Ann"
# The destinations' tables and columns carry the exact names; skipped tables are not there.
expect_pg "select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_schema = 'public' and table_name not like 'quarry%'" \
  'My View,Order Items,Sales Dept_tébl'
expect_pg "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_name = 'Order Items' and column_name not like '\_cq%'" \
  'Customer Name,a"b,é,up dated'
expect_sql "$DB" "select group_concat(name, ',') from pragma_table_info('Order Items') where name not like '\_cq%' escape '\'" \
  'Customer Name,a"b,é,up dated'
expect_sql "$DB" "select count(*) from sqlite_master where name in ('reserved', 't ignored')" "0"
expect_pg "select value from quarry_state where key = 'shop:Order Items' order by version desc limit 1" "2026-01-02 00:00:00+00"

# Incremental: only rows past the saved cursor come, into both destinations.
psql "$SRC_DSN" -qAtc "insert into \"Order Items\" values ('Di', 4, 0, '2026-01-03 00:00:00Z')" >/dev/null
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
[[ $(json_field "$WORK/summary.jsonl" '$.fetched_per_table."Order Items"') == 1 ]] ||
  fail "second run fetched $(json_field "$WORK/summary.jsonl" '$.fetched_per_table."Order Items"') rows of Order Items, expected 1"
expect_pg 'select count(*), max("a""b") from "Order Items"' "4|4"
expect_sql "$DB" 'select count(*), max("a""b") from "Order Items"' "4|4"

# Every table selected: the one with a _cq_id column is a table error naming it; the rest sync.
run sync all.yml
expect_status 1
expect_out 'table reserved: column _cq_id: the name _cq_id is reserved'
expect_sql "$DB2" 'select count(*) from "Order Items"' "4"
expect_sql "$DB2" 'select count(*) from "t ignored"' "0"
expect_sql "$DB2" "select count(*) from sqlite_master where name = 'reserved'" "0"
finish
