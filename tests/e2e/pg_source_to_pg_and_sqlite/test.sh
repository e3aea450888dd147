# PostgreSQL → PostgreSQL and PostgreSQL → SQLite in one run: every column type maps and
# round-trips; `orders` is incremental by id (cursor kept in the destination PostgreSQL); table
# patterns may name `schema.table`.
source "$E2E_LIB"
pg_database source
export SRC_DSN=$PG_DSN
pg_database destination
psql "$SRC_DSN" -qAt >/dev/null <<'SQL'
create table customers (id bigint primary key, name text not null, vip boolean, joined date,
  balance numeric(12,2), score real, tags text[], meta jsonb, ip inet, mac macaddr,
  uid uuid, avatar bytea, seen timestamptz, small smallint, mid integer);
insert into customers values
  (1, 'Ada', true, '2026-01-02', 1234.50, 1.5, '{a,b}', '{"k": [1, 2]}', '10.0.0.1/32',
   '08:00:2b:01:02:03', '0f8fad5b-d9cb-469f-a165-70867728950e', '\x00ff', '2026-11-25 10:00:00+00', 7, 70000),
  (2, 'Bo', null, null, null, null, null, null, null, null, null, null, null, null, null);
create table orders (id bigint primary key, customer_id bigint, amount double precision, note text);
insert into orders select i, 1 + i % 2, i * 1.5, 'order ' || i from generate_series(1, 2000) i;
create table audit (id bigint primary key);
create schema sales;
create table sales.invoices (id bigint primary key, total numeric);
insert into sales.invoices values (1, 9.99), (2, 19.99);
create table sales.drafts (id bigint primary key);
SQL
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
expect_pg "select name, vip, joined, balance, score, tags[2], meta->'k'->>1, ip, mac, uid, encode(avatar, 'hex'), seen, small, mid from customers where id = 1" \
  "Ada|t|2026-01-02|1234.50|1.5|b|2|10.0.0.1|08:00:2b:01:02:03|0f8fad5b-d9cb-469f-a165-70867728950e|00ff|2026-11-25 10:00:00|7|70000"
expect_pg "select count(*) from customers where id = 2 and vip is null and tags is null" "1"
expect_pg "select count(*), sum(amount) from orders" "2000|3001500"
expect_sql "$DB" "select name, vip, joined, balance, json_extract(meta, '\$.k[1]'), uid, hex(avatar), seen from customers where id = 1" \
  "Ada|1|2026-01-02|1234.50|2|0f8fad5b-d9cb-469f-a165-70867728950e|00FF|2026-11-25 10:00:00.000000"
expect_sql "$DB" "select count(*) from orders" "2000"
# Patterns match schema.table: sales.invoices came (as sales_invoices), sales.drafts and the
# skipped public.audit did not.
expect_pg "select count(*) from sales_invoices" "2"
expect_pg "select count(*) from information_schema.tables where table_name in ('sales_drafts', 'audit', 'drafts')" "0"
# New orders arrive: only they are fetched, into both destinations.
psql "$SRC_DSN" -qAtc "insert into orders select i, 1, i, 'late' from generate_series(2001, 2150) i" >/dev/null
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
[[ $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.orders') == 150 ]] || fail "second run fetched $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.orders') orders, expected 150"
expect_pg "select count(*) from orders" "2150"
expect_sql "$DB" "select count(*) from orders" "2150"
finish
