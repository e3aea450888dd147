# SQLite → SQLite with table and column names outside [A-Za-z0-9_] (spaces, quotes, capitals,
# dots, other scripts): they sync in full and incrementally (by a cursor column with a space in
# its name) under their exact names, patterns match them, and `quarry tables` documents them.
# A table Quarry cannot sync (name not UTF-8, a column named _cq_id) is a table error naming it;
# the other tables still sync.
source "$E2E_LIB"
export SRC="$WORK/shop.sqlite"
sqlite3 "$SRC" <<'SQL'
create table "t q" ("Customer Name" text, "a""b" integer primary key, "é" real, "x.y" text);
insert into "t q" values ('Ann', 1, 1.5, 'dot'), ('Bob', 2, null, null);
create table "tébl" ("Order ID" text primary key, "up dated" integer not null, "select" text)
  without rowid;
insert into "tébl" values ('o1', 10, 'a'), ('o2', 20, 'b'), ('o3', 20, 'c'), ('o4', 30, 'd');
create table "t""q" (id integer primary key, "Mixed Case" text);
insert into "t""q" values (1, 'from');
create table "t ignored" (id integer);
create table reserved (_cq_id text, v integer);
insert into reserved values ('x', 1);
SQL
printf 'create table "bad\xff" (id integer); insert into "bad\xff" values (1);' | sqlite3 "$SRC"

run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
expect_sql "$DB" 'select "Customer Name", "a""b", "é", "x.y" from "t q" order by 2' \
  $'Ann|1|1.5|dot\nBob|2||'
expect_sql "$DB" 'select "Order ID", "up dated", "select" from "tébl" order by 1' \
  $'o1|10|a\no2|20|b\no3|20|c\no4|30|d'
expect_sql "$DB" 'select id, "Mixed Case" from "t""q"' "1|from"
# The destination's tables and columns carry the exact names.
expect_sql "$DB" "select name from sqlite_master where type = 'table' and name not like '\_%' escape '\' order by name" \
  $'quarry_state\nt q\nt"q\ntébl'
expect_sql "$DB" "select group_concat(name, ',') from pragma_table_info('t q') where name not like '\_cq%' escape '\'" \
  'Customer Name,a"b,é,x.y'
expect_sql "$DB" "select value from quarry_state where key = 'shop:tébl' order by version desc limit 1" "30"

# Incremental: only the rows past the saved cursor come, into the same quoted table.
sqlite3 "$SRC" "insert into \"tébl\" values ('o5', 40, 'e'), ('o6', 40, 'f'); update \"tébl\" set \"select\" = 'z' where \"Order ID\" = 'o1';"
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
[[ $(json_field "$WORK/summary.jsonl" '$.fetched_per_table."tébl"') == 2 ]] ||
  fail "second run fetched $(json_field "$WORK/summary.jsonl" '$.fetched_per_table."tébl"') rows of tébl, expected 2"
expect_sql "$DB" 'select count(*), max("up dated"), min("select") from "tébl"' "6|40|a"
expect_sql "$DB" "select value from quarry_state where key = 'shop:tébl' order by version desc limit 1" "40"

# Every table selected: the two that cannot sync are table errors naming them; the rest sync.
run sync all.yml
expect_status 1
expect_out 'table bad\xff: the table name is not valid UTF-8'
expect_out 'table reserved: column _cq_id: the name _cq_id is reserved'
expect_sql "$DB2" 'select count(*) from "t q"' "2"
expect_sql "$DB2" 'select count(*) from "tébl"' "6"
expect_sql "$DB2" "select count(*) from sqlite_master where name like 'bad%' or name = 'reserved'" "0"

# Docs: every name as it is in JSON; Markdown escapes markup and links to percent-encoded pages.
run tables config.yml --output-dir "$WORK/docs"
expect_status 0
expect_file_contains "$WORK/docs/__tables.json" '"name": "t\"q"'
expect_file_contains "$WORK/docs/__tables.json" '"name": "Customer Name"'
run tables config.yml --format markdown --output-dir "$WORK/md"
expect_status 0
expect_file_contains "$WORK/md/README.md" '- [t q](t%20q.md)'
expect_file_contains "$WORK/md/README.md" '- [tébl](t%C3%A9bl.md) (Incremental)'
expect_file_contains "$WORK/md/t q.md" '| Customer Name | `utf8` |'
expect_file_contains "$WORK/md/t q.md" 'The primary key for this table is **a"b**.'
expect_file_contains "$WORK/md/tébl.md" 'each sync fetches only rows past its cursor (up dated)'
[[ -f "$WORK/md/t\"q.md" ]] || fail "no page t\"q.md"
expect_file_contains "$WORK/md/t q.md" '| _cq_id | `uuid` |'

finish
