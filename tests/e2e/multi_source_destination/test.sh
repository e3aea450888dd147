# Several sources run concurrently; each writes to every destination it names.
source "$E2E_LIB"
run sync config.yml --summary-location "$WORK/summary.jsonl"
expect_status 0
expect_out "Starting sync for: alpha -> [one, two]"
expect_out "Starting sync for: beta -> [two]"
expect_out "Resources: 150, Errors: 0"
expect_sql "$DB" "select count(*), min(_cq_source_name) from test_some_table" "30|alpha"
expect_sql "$DB" "select count(*) from sqlite_master where name = 'test_inventory'" "0"
expect_sql "$DB2" "select count(*) from test_some_table" "30"
expect_sql "$DB2" "select count(*), min(_cq_source_name) from test_inventory" "120|beta"
[[ $(wc -l < "$WORK/summary.jsonl") == 3 ]] || fail "expected 3 summary lines"
finish
