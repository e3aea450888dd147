# One bad value must not block everything: table b holds one value that cannot be stored as it is
# (invalid UTF-8 in a TEXT column; a NUL byte inside text, which PostgreSQL cannot hold). The run
# exits 1, the summary counts the error for b (and only b), names table, column and row, and the
# good tables a and c land in full in both destinations. Nothing of b is altered to fit.
source "$E2E_LIB"
pg_database
export SRC="$WORK/source.sqlite"
case_run() {  # case_run LABEL SQL-THAT-FILLS-b
  rm -f "$SRC" "$DB" "$WORK/summary.json"
  psql "$PG_DSN" -qAtc "drop table if exists a, b, c" >/dev/null
  sqlite3 "$SRC" "create table a (id integer primary key, v text);
                  with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
                  insert into a select i, 'a' || i from n;
                  create table b (id integer primary key, v text);
                  insert into b values (1, 'fine'), (2, 'also fine');
                  $2;
                  create table c (id integer primary key, v text);
                  insert into c values (1, 'c1'), (2, 'c2');"
  run sync --no-progress --summary-location "$WORK/summary.json" config.yml
  expect_status 1
  expect_out "table b: "
  expect_out "$3"
  expect_pg "select count(*) from a" "1000"
  expect_pg "select count(*) from c" "2"
  expect_sql "$DB" "select count(*) from a" "1000"
  expect_sql "$DB" "select count(*) from c" "2"
  # b: the batch holding the bad value is refused everywhere, nothing altered.
  expect_pg "select count(*) from b" "0"
  expect_sql "$DB" "select count(*) from b" "0"
  for pair in 1 2; do
    line=$(sed -n "${pair}p" "$WORK/summary.json")
    echo "$line" > "$WORK/pair.json"
    [[ $(json_field "$WORK/pair.json" '$.errors_per_table.b') == 1 ]] || fail "$1: errors_per_table.b is not 1 in [$line]"
    [[ $(json_field "$WORK/pair.json" '$.errors_per_table.a') == 0 ]] || fail "$1: errors_per_table.a is not 0 in [$line]"
  done
}
case_run "invalid UTF-8" "insert into b values (3, cast(x'FF' as text))" "column v, row 2: the text is not valid UTF-8"
case_run "NUL in text" "insert into b values (3, 'a' || char(0) || 'b')" "destination pg: "
finish
