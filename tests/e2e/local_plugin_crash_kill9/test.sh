# Crash harness for a CloudQuery-protocol source: an incremental sync of 200k+ rows from a
# `registry: local` plugin (quarry's sqlite source behind `quarry plugin serve`), with its cursor
# in a built-in destination, killed with SIGKILL at a random moment TRIALS times while new rows
# arrive. The plugin's cursor lands only after the rows it covers, so no row is lost; keyed
# upserts mean none is duplicated. And a kill -9 of Quarry takes its plugin down with it.
# Replay a failure with CRASH_SEED=<seed printed below>.
source "$E2E_LIB"
TRIALS=${CRASH_TRIALS:-16}
crash_seed
export WORK SRC="$WORK/source.sqlite"
printf '#!/bin/sh\n[ "$1" = serve ] && shift\necho $$ >> "%s/pids"\nexec "%s" plugin serve sqlite "$@"\n' \
  "$WORK" "$QUARRY" > "$WORK/sqlite-plugin"
chmod +x "$WORK/sqlite-plugin"
add_rows() { sqlite_add_events "$SRC" "$1"; }  # add_rows N: N new events at the source
sqlite3 "$SRC" "create table events (id integer primary key, kind text, body text)"
add_rows 200000
rows() { sqlite3 "$DB" "select count(*) from events" 2>/dev/null || echo 0; }
cursor() { sqlite3 "$DB" "select value from cq_state" 2>/dev/null; }
arrive() {
  add_rows $(( 20000 + RANDOM % 40000 ))
  # The cursor never runs ahead of the rows: every id up to it is at the destination.
  local c
  c=$(cursor)
  if [[ -n "$c" ]]; then
    local have
    have=$(sqlite3 "$DB" "select count(*) from events where id <= $c")
    [[ "$have" == "$c" ]] || fail "cursor $c but only $have rows up to it at the destination"
  fi
}
kill_trials "$TRIALS" 250 rows arrive
run sync --no-progress config.yml
expect_status 0
want=$(sqlite3 "$SRC" "select count(*) || '|' || count(*) || '|' || max(id) from events")
expect_sql "$DB" "select count(*), count(distinct id), max(id) from events" "$want"
expect_sql "$DB" "select value from cq_state" "$(sqlite3 "$SRC" "select max(id) from events")"
# No plugin outlived the Quarry that started it (it gets SIGTERM when Quarry dies, and a served
# plugin whose client is gone stops at once).
for _ in $(seq 50); do
  left=""
  while read -r pid; do pgrep -g "$pid" >/dev/null && left+=" $pid"; done < "$WORK/pids"
  [[ -z "$left" ]] && break
  sleep 0.1
done
[[ -z "$left" ]] || fail "plugin process groups outlived quarry by 5 s:$left"
finish
