# overwrite mode: a second run upserts by primary key; no duplicates, values updated.
source "$E2E_LIB"
SEED=1 run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from test_some_table" "20"
before=$(sqlite3 "$DB" "select column2 from test_some_table where resource_id = 7")
first_time=$(sqlite3 "$DB" "select _cq_sync_time from test_some_table where resource_id = 7")
SEED=2 run sync config.yml
expect_status 0
expect_sql "$DB" "select count(*) from test_some_table" "20"
after=$(sqlite3 "$DB" "select column2 from test_some_table where resource_id = 7")
[[ "$before" != "$after" && -n "$after" ]] || fail "column2 was not updated ($before -> $after)"
expect_sql "$DB" "select count(*) from test_some_table where _cq_sync_time = '$first_time'" "0"
finish
