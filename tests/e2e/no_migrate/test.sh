# --no-migrate writes into existing tables only; `migrate` creates them without moving rows.
source "$E2E_LIB"
run sync config.yml --no-migrate
expect_status 1
expect_out "no such table: test_some_table"
run migrate config.yml
expect_status 0
expect_out "Migration completed successfully."
expect_sql "$DB" "select count(*) from test_some_table" "0"
run sync config.yml --no-migrate
expect_status 0
expect_sql "$DB" "select count(*) from test_some_table" "1"
finish
