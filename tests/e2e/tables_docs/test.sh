# `quarry tables` writes CloudQuery-shaped JSON and Markdown docs.
source "$E2E_LIB"
run tables config.yml --output-dir "$WORK/docs"
expect_status 0
expect_file_contains "$WORK/docs/__tables.json" '"name": "test_some_table"'
expect_file_contains "$WORK/docs/__tables.json" '"is_incremental": false'
expect_file_contains "$WORK/docs/__tables.json" '"is_primary_key": true'
expect_file_contains "$WORK/docs/__tables.json" '"name": "test_sub_table"'
tr -d '\n' < "$WORK/docs/__tables.json" > "$WORK/tables.json"
[[ $(json_field "$WORK/tables.json" '$[0].relations[0].name') == test_sub_table ]] || fail "relations do not nest test_sub_table"
[[ $(json_field "$WORK/tables.json" '$[3].is_incremental') == 1 ]] || fail "test_events is not marked incremental"
[[ $(json_field "$WORK/tables.json" '$[3].incremental_keys[0]') == seq ]] || fail "test_events' cursor column is not listed"
run tables config.yml --format markdown --output-dir "$WORK/md"
expect_status 0
expect_file_contains "$WORK/md/README.md" "[test_some_table](test_some_table.md)"
expect_file_contains "$WORK/md/test_some_table.md" "The primary key for this table is **resource_id, client_id**."
expect_file_contains "$WORK/md/test_sub_table.md" "This table depends on [test_some_table](test_some_table.md)."
expect_file_contains "$WORK/md/test_testdata_table.md" '| uuid | `uuid` |'
expect_file_contains "$WORK/md/README.md" "[test_events](test_events.md) (Incremental)"
expect_file_contains "$WORK/md/test_events.md" "This table is **incremental**"
finish
