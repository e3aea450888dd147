# Every type through the whole protocol: the test source's tables (test_testdata_table has a
# column of every supported type) synced in-process and through `registry: local` (Arrow IPC
# over gRPC, both ways converted) must land identical but for the per-run bookkeeping columns.
# And a plugin's table errors come through as table errors.
source "$E2E_LIB"
export WORK FAIL=false
printf '#!/bin/sh\n[ "$1" = serve ] && shift\nexec "%s" plugin serve test "$@"\n' "$QUARRY" > "$WORK/test-plugin"
chmod +x "$WORK/test-plugin"
run sync --no-progress config.yml
expect_status 0
for t in test_testdata_table test_some_table test_sub_table; do
  cols=$(sqlite3 "$DB2" "select group_concat(name, ', ') from pragma_table_info('$t')
                         where name not in ('_cq_id', '_cq_parent_id', '_cq_source_name', '_cq_sync_time')")
  [[ -n "$cols" ]] || fail "$t: no columns in the in-process copy"
  expect_sql "$DB" "select count(*) from $t" "$(sqlite3 "$DB2" "select count(*) from $t")"
  # Same schema (names, declared types, not-null, keys) …
  expect_sql "$DB" "select group_concat(name || ' ' || type || ' ' || \"notnull\" || ' ' || pk, '; ') from pragma_table_info('$t')" \
    "$(sqlite3 "$DB2" "select group_concat(name || ' ' || type || ' ' || \"notnull\" || ' ' || pk, '; ') from pragma_table_info('$t')")"
  # … and the same values, row for row.
  diff_rows=$(sqlite3 "$DB" "attach '$DB2' as d;
    select (select count(*) from (select $cols from main.$t except select $cols from d.$t))
         + (select count(*) from (select $cols from d.$t except select $cols from main.$t))" 2>&1)
  [[ "$diff_rows" == "0" ]] || fail "$t: $diff_rows rows differ between in-process and the plugin protocol"
done
expect_sql "$DB" "select count(distinct typeof(s._cq_id)), count(*) from test_sub_table s join test_some_table p on s._cq_parent_id = p._cq_id" "1|180"
# Table errors in the plugin are table errors of the run: exit 1, counted, stale rows kept.
FAIL=true run sync --no-progress --summary-location "$WORK/s.jsonl" config.yml
expect_status 1
grep -q '"source_name":"wired"' "$WORK/s.jsonl" || fail "no summary for the wired source"
grep '"source_name":"wired"' "$WORK/s.jsonl" > "$WORK/wired.jsonl"
errors=$(json_field "$WORK/wired.jsonl" '$.errors_per_table.test_some_table')
[[ "$errors" -ge 1 ]] 2>/dev/null || fail "table errors from the plugin not counted: [$errors]"
expect_sql "$DB" "select count(*) from test_some_table" "60"
finish
