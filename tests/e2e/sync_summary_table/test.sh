# send_sync_summary: true writes each pair's summary into cloudquery_sync_summaries, a row per sync.
source "$E2E_LIB"
run sync config.yml
expect_status 0
expect_sql "$DB" "select resources, source_name, destination_name, status, json_extract(resources_per_table, '\$.test_some_table') from cloudquery_sync_summaries" "9|test|sqlite|ok|9"
run --log-level debug sync config.yml --log-format json --log-file "$WORK/quarry.log"
expect_status 0
expect_sql "$DB" "select count(*), count(distinct sync_id) from cloudquery_sync_summaries" "2|2"
expect_file_contains "$WORK/quarry.log" '"level":"debug"'
expect_file_contains "$WORK/quarry.log" '"message":"sync started for source test"'
finish
