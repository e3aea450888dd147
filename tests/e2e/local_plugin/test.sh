# registry: local, with `quarry plugin serve` itself as the external plugin binary for both the
# source and the destination: launch, unix socket, JSON log lines re-logged, clean shutdown.
source "$E2E_LIB"
export WORK
# CloudQuery launches a plugin binary as `<binary> serve --network unix …`. The sqlite wrapper
# does not exec: the plugin is a grandchild, and stopping must still reach it (process group).
# Each wrapper notes its pid: the plugin's process group, checked empty at the end.
printf '#!/bin/sh\n[ "$1" = serve ] && shift\necho $$ >> "%s/pids"\nexec "%s" plugin serve test "$@"\n' "$WORK" "$QUARRY" > "$WORK/quarry-test-plugin"
printf '#!/bin/sh\n[ "$1" = serve ] && shift\necho $$ >> "%s/pids"\n"%s" plugin serve sqlite "$@"\n' "$WORK" "$QUARRY" > "$WORK/quarry-sqlite-plugin"
chmod +x "$WORK/quarry-test-plugin" "$WORK/quarry-sqlite-plugin"
start=$(date +%s%N)
run --log-format json sync --no-progress config.yml
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
# Launch, sync and shutdown take well under the 5 s SIGINT grace: nobody waited for a SIGKILL.
(( elapsed_ms < 4000 )) || fail "the sync with two local plugins took ${elapsed_ms} ms"
expect_no_out "did not stop within"
expect_status 0
expect_out "Resources: 31, Errors: 0"
expect_sql "$DB" "select count(*), count(distinct _cq_id), min(_cq_source_name) from test_some_table" "30|30|local_test"
expect_sql "$DB" "select count(*) from test_testdata_table" "1"
# The plugins' own log lines came back through Quarry's log, tagged with the plugin.
expect_out '"message":"plugin '"$WORK"'/quarry-sqlite-plugin: serving plugin sqlite on unix://'
expect_out '"plugin":"'"$WORK"'/quarry-test-plugin"'
# Both plugins' process groups are empty afterwards.
[[ $(wc -l < "$WORK/pids") == 2 ]] || fail "expected two plugin launches, got $(cat "$WORK/pids")"
while read -r pid; do
  if pgrep -g "$pid" >/dev/null; then fail "plugin process group $pid still has: $(pgrep -ag "$pid")"; fi
done < "$WORK/pids"
# A plugin's warn and error lines count in the run's Warnings and Errors; errors fail the run.
printf '#!/bin/sh\n[ "$1" = serve ] && shift\necho %s\necho %s\nexec "%s" plugin serve test "$@"\n' \
  "'{\"level\":\"warn\",\"message\":\"quota low\"}'" "'{\"level\":\"error\",\"message\":\"region eu-x failed\"}'" \
  "$QUARRY" > "$WORK/quarry-test-plugin"
run sync --no-progress config.yml
expect_status 1
expect_out "Sync completed with errors, see logs for details. Resources: 31, Errors: 1, Warnings: 1"
expect_out "quarry-test-plugin: region eu-x failed"
# A plugin binary that does not exist is a clear error.
sed "s|quarry-test-plugin|no-such-plugin|" config.yml > "$WORK/missing.yml"
run sync "$WORK/missing.yml"
[[ "$STATUS" != "0" ]] || fail "a missing plugin binary did not fail"
# The error points at the `path:` line of the config.
expect_out 'missing.yml:5:3: source "local_test": path: plugin '
expect_out "no-such-plugin: No such file or directory"
finish
