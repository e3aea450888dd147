# registry: grpc destination: Quarry writes to the JavaScript SDK's memdb through Write streams.
# memdb cannot be read back (its Read never answers), so the proof is what memdb acknowledges and
# what it refuses: inserts for a table it was never told about fail inside memdb.
source "$E2E_LIB"
start_memdb
# Without migrations memdb has no schema for the table: its insert handler throws, and the sync
# must say so and exit 1 (nothing is acknowledged).
WRITE_MODE=overwrite run sync --no-migrate --summary-location "$WORK/s0.jsonl" config.yml
expect_status 1
expect_out "destination memdb"
[[ "$(json_field "$WORK/s0.jsonl" '$.resources')" == "0" ]] || fail "rows counted as written after a refused insert"
# With migrations: migrate_table then inserts; every row acknowledged.
WRITE_MODE=overwrite run sync --summary-location "$WORK/s1.jsonl" config.yml
expect_status 0
expect_out "Resources: 7, Errors: 0"
[[ "$(json_field "$WORK/s1.jsonl" '$.resources_per_table.test_some_table')" == "7" ]] || fail "memdb did not acknowledge 7 rows"
# Quarry reads the plugin's batch sizes for its own batching, strictly: a number beyond int64 is
# too large (it once became -1).
run sync batch_size_too_large.yml
expect_status 2
expect_out 'batch_size_too_large.yml:16:5: destination "memdb": spec.batch_size: 18446744073709551615 is too large (the maximum is 9223372036854775807)'
# Append sends tables without primary keys (as CloudQuery does for append).
WRITE_MODE=append run sync config.yml
expect_status 0
finish
