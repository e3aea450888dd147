# A plugin process that dies mid-sync (kill -9) fails the run cleanly — exit 1, an error naming
# the plugin, no hang — and the next run completes with every row exactly once. Once for a
# `registry: local` destination, once for a `registry: local` source.
source "$E2E_LIB"
export WORK
for p in test sqlite; do
  printf '#!/bin/sh\n[ "$1" = serve ] && shift\necho $$ > "%s/%s.pid"\nexec "%s" plugin serve %s "$@"\n' \
    "$WORK" "$p" "$QUARRY" "$p" > "$WORK/$p-plugin"
  chmod +x "$WORK/$p-plugin"
done
# kill_plugin_mid_sync NAME: runs a sync, kills plugin NAME once rows are arriving, waits.
kill_plugin_mid_sync() {
  rm -f "$WORK/$1.pid"
  "$QUARRY" sync --no-progress config.yml >"$WORK/stdout" 2>"$WORK/stderr" &
  local qpid=$! i
  for i in $(seq 300); do
    [[ -f "$WORK/$1.pid" ]] && [[ "$(sqlite3 "$DB" 'select count(*) from test_inventory' 2>/dev/null || echo 0)" -gt 0 ]] && break
    sleep 0.02
  done
  kill -9 "$(cat "$WORK/$1.pid")"
  local start=$SECONDS
  wait $qpid
  STATUS=$?
  OUT=$(cat "$WORK/stdout")
  ERR=$(cat "$WORK/stderr")
  (( SECONDS - start < 20 )) || fail "quarry took $((SECONDS - start)) s to notice the dead plugin"
}

export SRC_REGISTRY=cloudquery SRC_PATH=test DST_REGISTRY=local DST_PATH="$WORK/sqlite-plugin"
kill_plugin_mid_sync sqlite
expect_status 1
expect_out "Error: destination sink: write test_inventory: "
expect_out "(the plugin process was killed by signal 9"
have=$(sqlite3 "$DB" "select count(*) from test_inventory")
(( have < 400000 )) || fail "the destination plugin was killed too late ($have rows already)"
run sync --no-progress config.yml
expect_status 0
expect_sql "$DB" "select count(*), count(distinct id) from test_inventory" "400000|400000"

rm -f "$DB"
export SRC_REGISTRY=local SRC_PATH="$WORK/test-plugin" DST_REGISTRY=cloudquery DST_PATH=sqlite
kill_plugin_mid_sync test
expect_status 1
expect_out "Error: source feed: sync: "
expect_out "(the plugin process was killed by signal 9"
run sync --no-progress config.yml
expect_status 0
expect_sql "$DB" "select count(*), count(distinct id) from test_inventory" "400000|400000"
finish
