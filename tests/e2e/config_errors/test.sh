# Each class of bad configuration: exit status 2, a message naming file, line and key, and the
# destination untouched (the SQLite file is never created).
source "$E2E_LIB"
check() {  # check FILE "expected message"
  run sync "$1"
  expect_status 2
  expect_out "Error: $2"
  [[ ! -e "$DB" ]] || fail "$1: the destination was touched"
}
check unknown_key.yml 'unknown_key.yml:6:3: source "test": tabels: unknown key (did you mean "tables"?)'
check wrong_type.yml 'wrong_type.yml:6:3: source "test": skip_dependent_tables: expected true or false'
check duplicate_name.yml 'duplicate_name.yml:10:3: source "test": name: source name "test" is already used at duplicate_name.yml:3:3'
check missing_destination.yml 'missing_destination.yml:6:18: source "test": destinations: no destination is named "postgres" (destinations: sqlite)'
check pattern_matches_nothing.yml 'pattern_matches_nothing.yml:5:3: source "test": tables: pattern "nope_*" matches no table (tables: test_some_table, test_sub_table, test_testdata_table, test_inventory, test_events)'
check unknown_spec_option.yml 'unknown_spec_option.yml:8:5: source "test": spec.num_rowz: unknown option (known options: concurrency, fail_immediately, new_events_per_run, num_clients, num_events, num_rows, num_sub_cols, num_sub_rows, required_env, seed)'
check missing_env.yml 'missing_env.yml:8:15: environment variable "QUARRY_E2E_UNSET_VARIABLE" is not set'
check unknown_plugin.yml 'unknown_plugin.yml:4:3: source "test": path: unknown source plugin "cloudquery/aws" (available: postgresql, sqlite, test)'
check bad_write_mode.yml 'bad_write_mode.yml:14:3: destination "sqlite": write_mode: unknown write_mode "upsert-maybe" (use overwrite-delete-stale, overwrite, append)'
check invalid_yaml.yml 'invalid_yaml.yml:6:3: invalid YAML'
check no_destination.yml 'no_destination.yml: at least one source and one destination are required'
# Hostile input: refused as a config error quickly and in little memory, never a crash.
ulimit -v 1048576  # 1 GiB of address space; the alias bomb would need 4 GB and more
check alias_bomb.yml 'alias_bomb.yml:14:49: source "test": spec.a5.7: alias *a4 expands the document to more than 1000000 values'
check deep_nesting.yml 'deep_nesting.yml:8:135: source "test": spec.x.0.?.0.?.0.?...: nesting too deep (more than 256 levels of lists and mappings)'
check num_rows_too_large.yml 'num_rows_too_large.yml:8:5: source "test": spec.num_rows: 18446744073709551615 is too large (the maximum is 9223372036854775807)'
check batch_size_too_large.yml 'batch_size_too_large.yml:14:5: destination "sqlite": spec.batch_size: 18446744073709551615 is too large (the maximum is 9223372036854775807)'
check fail_on_write_too_large.yml 'fail_on_write_too_large.yml:14:5: destination "flaky": spec.fail_on_write: 18446744073709551615 is too large (the maximum is 9223372036854775807)'
check batch_timeout_too_large.yml 'batch_timeout_too_large.yml:14:5: destination "sqlite": spec.batch_timeout: "999999999999999999999...99999999s" is too large (the maximum is 2562047h)'
check name_too_long.yml 'name_too_long.yml:3:3: source: name: must be at most 200 bytes, got 300'
check name_control_character.yml 'name_control_character.yml:3:3: source: name: must not contain control characters (0x0a at byte 5)'
sed 's/path: test/path: te\x00st/' unknown_key.yml >"$WORK/nul_byte.yml"
check "$WORK/nul_byte.yml" "$WORK/nul_byte.yml:4:11: the file contains a NUL byte; a configuration file must be UTF-8 text"
sed 's/path: test/path: te\xff\xfest/' unknown_key.yml >"$WORK/not_utf8.yml"
check "$WORK/not_utf8.yml" "$WORK/not_utf8.yml:4:11: the file is not valid UTF-8 text (byte 0xff)"
truncate -s 40M "$WORK/huge.yml"
check "$WORK/huge.yml" "$WORK/huge.yml: the file is larger than 32 MiB (the limit for a configuration file)"
# validate-config reports the same errors.
run validate-config unknown_spec_option.yml
expect_status 2
expect_out 'spec.num_rowz: unknown option'
run sync does_not_exist.yml
expect_status 2
expect_out 'does_not_exist.yml'
finish
