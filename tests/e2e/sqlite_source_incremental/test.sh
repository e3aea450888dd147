# SQLite → SQLite: tables and types discovered from the source file; `orders` is incremental by
# updated_at (ties included), `customers` is synced in full.
source "$E2E_LIB"
export SRC="$WORK/shop.sqlite"
sqlite3 "$SRC" <<'SQL'
create table customers (id integer primary key, name text not null, vip boolean, joined date);
create table orders (id integer primary key, customer_id integer, amount real, note text,
                     placed timestamp, updated_at integer not null, tags json);
insert into customers values (1, 'Ada', 1, '2026-01-02'), (2, 'Bo', 0, '2026-03-04');
with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000)
insert into orders select i, 1 + i % 2, i * 1.5, 'order ' || i, '2026-11-25 10:00:00',
                          i / 3, '{"n":' || i || '}' from n;
SQL
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
expect_sql "$DB" "select count(*), sum(amount), max(updated_at) from orders" "5000|18753750.0|1666"
expect_sql "$DB" "select name, vip, joined from customers order by id" $'Ada|1|2026-01-02\nBo|0|2026-03-04'
expect_sql "$DB" "select lower(type) from pragma_table_info('orders') where name in ('amount','placed','tags') order by name" $'real\ntimestamp\ntext'
[[ $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.orders') == 5000 ]] || fail "first run"
# New and updated orders arrive (updated_at moves forward); the next sync fetches only those.
sqlite3 "$SRC" "insert into orders values (5001, 2, 10, 'new', '2026-11-26 09:00:00', 2000, null), (5002, 1, 20, 'new', null, 2000, null); update orders set amount = 0, updated_at = 2001 where id = 7;"
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
[[ $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.orders') == 3 ]] || fail "second run fetched $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.orders') orders, expected 3"
[[ $(json_field "$WORK/summary.jsonl" '$.fetched_per_table.customers') == 2 ]] || fail "customers not synced in full"
expect_sql "$DB" "select count(*), (select amount from orders where id = 7) from orders" "5002|0.0"
run state show config.yml
expect_out "shop                 orders                           2001"
finish
