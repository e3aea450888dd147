# `quarry tables` writes CloudQuery-shaped JSON and Markdown docs.
source "$E2E_LIB"
run tables config.yml --output-dir "$WORK/docs"
expect_status 0
expect_file_contains "$WORK/docs/__tables.json" '"name": "test_some_table"'
expect_file_contains "$WORK/docs/__tables.json" '"is_incremental": false'
expect_file_contains "$WORK/docs/__tables.json" '"is_primary_key": true'
expect_file_contains "$WORK/docs/__tables.json" '"name": "test_sub_table"'
[[ $(jq -r '.[0].relations[0].name' "$WORK/docs/__tables.json" 2>/dev/null || python3 -c "import json;print(json.load(open('$WORK/docs/__tables.json'))[0]['relations'][0]['name'])") == test_sub_table ]] || fail "relations do not nest test_sub_table"
run tables config.yml --format markdown --output-dir "$WORK/md"
expect_status 0
expect_file_contains "$WORK/md/README.md" "[test_some_table](test_some_table.md)"
expect_file_contains "$WORK/md/test_some_table.md" "The primary key for this table is **resource_id, client_id**."
expect_file_contains "$WORK/md/test_sub_table.md" "This table depends on [test_some_table](test_some_table.md)."
expect_file_contains "$WORK/md/test_testdata_table.md" '| uuid | `uuid` |'
finish
