# A destination used only as the state backend: cursors go there, data to the source's
# destinations; the second sync fetches only the new events into both.
source "$E2E_LIB"
export STATE_DB="$WORK/state.sqlite"
run sync config.yml
expect_status 0
expect_sql "$STATE_DB" "select value from cursors where key = 'events:test_events#0' order by version desc limit 1" "4500"
expect_sql "$STATE_DB" "select count(*) from sqlite_master where name = 'test_events'" "0"
expect_sql "$DB" "select count(*) from sqlite_master where name = 'cursors'" "0"
run sync config.yml
expect_status 0
expect_out "Resources: 101"
expect_sql "$DB" "select count(*) from test_events" "4600"
expect_sql "$DB2" "select count(*), count(distinct seq) from test_events" "4600|4600"
expect_sql "$STATE_DB" "select value from cursors where key = 'events:test_events#0' order by version desc limit 1" "4600"
finish
