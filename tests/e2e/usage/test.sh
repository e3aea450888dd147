# --help and --version on each command; usage errors exit 2; validate-config.
source "$E2E_LIB"
for cmd in "" sync migrate tables validate-config; do
  run $cmd --help
  expect_status 0
  expect_out "Usage"
  run $cmd --version
  expect_status 0
  expect_out "quarry "
done
run
expect_status 2
run sync
expect_status 2
run frobnicate
expect_status 2
run --log-level loud sync ../quickstart/config.yml
expect_status 2
expect_out 'unknown log level "loud"'
DB="$DB" run validate-config ../quickstart/config.yml
expect_status 0
expect_out "Configuration is valid: 1 source(s), 1 destination(s)."
[[ ! -e "$DB" ]] || fail "validate-config touched the destination"
finish
