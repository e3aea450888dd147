# On a terminal (a pseudo-terminal from `script`), sync shows a live progress line on stderr:
# rows, rows/s, elapsed time and the tables receiving rows. Off a terminal it does not.
source "$E2E_LIB"
script -qec "$QUARRY sync config.yml" "$WORK/typescript" >/dev/null 2>&1
STATUS=$?
OUT=$(tr '\r' '\n' < "$WORK/typescript")
expect_status 0
expect_out "Syncing: "
expect_out " rows/s), elapsed "
expect_out "tables: test_inventory"
expect_out "Sync completed successfully. Resources: 400000"
rm -f "$DB"
run sync config.yml
expect_status 0
expect_no_out "Syncing: "
finish
