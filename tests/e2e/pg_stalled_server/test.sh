# The PostgreSQL server stops answering in the middle of a sync (SIGSTOP: its kernel still takes
# the bytes, so neither TCP nor the server notices): the run gives up after stall_timeout (3s)
# with exit 1 and an error naming the destination; a run started while the server is stopped
# gives up after connect_timeout (2s). Once the server continues, the next run completes with
# nothing lost or duplicated. (A server of its own: stopping the shared one would stall other
# cases.)
source "$E2E_LIB"
scripts=$(cd "$(dirname "$E2E_LIB")/../../scripts" && pwd)
chmod 755 "$WORK"   # the server runs as the postgres user
pgdir="$WORK/pg"
mkdir -p "$pgdir"
PG_DSN=$("$scripts/pg-test-server" start "$pgdir" | tail -n 1) || { echo "cannot start PostgreSQL" >&2; exit 1; }
export PG_DSN
# The server's processes: the postmaster (first line of postmaster.pid) and its children.
server_pids() {
  local pm
  pm=$(head -n 1 "$pgdir/data/postmaster.pid" 2>/dev/null) || return 0
  echo "$pm" $(pgrep -P "$pm")
}
qpid=""
cleanup_case() {
  [[ -n "$qpid" ]] && kill -9 "$qpid" 2>/dev/null
  kill -CONT $(server_pids) 2>/dev/null   # a stopped server cannot be shut down
  "$scripts/pg-test-server" stop "$pgdir" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup_case EXIT
rows() { psql "$PG_DSN" -qAtc "select count(*) from test_events" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
# waits up to $2 seconds for process $1 to exit; sets STATUS (124 when it did not).
wait_exit() {
  local end
  end=$(echo "$(now) + $2" | bc)
  while kill -0 "$1" 2>/dev/null; do
    if (( $(echo "$(now) > $end" | bc) )); then
      STATUS=124
      return
    fi
    sleep 0.05
  done
  wait "$1"
  STATUS=$?
}

# 1. Stopped mid-sync.
"$QUARRY" sync --no-progress config.yml >"$WORK/first.out" 2>&1 &
qpid=$!
for _ in $(seq 1 600); do
  (( $(rows) >= 100000 )) && break
  sleep 0.05
done
(( $(rows) >= 100000 )) || fail "the sync did not get going"
pids=$(server_pids)
kill -STOP $pids
stopped_at=$(now)
wait_exit "$qpid" 30
took=$(echo "$(now) - $stopped_at" | bc)
OUT=$(cat "$WORK/first.out")
echo "first run: exit $STATUS ${took}s after the server stopped"
grep -E "^Error|stall_timeout" "$WORK/first.out" | head -n 5
if [[ "$STATUS" == 124 ]]; then
  fail "quarry still running 30s after the server stopped"
  kill -9 "$qpid" 2>/dev/null
fi
qpid=""
expect_status 1
expect_out "destination pg: "
expect_out "no answer from the PostgreSQL server for 3s (stall_timeout); is it overloaded or stopped?"
expect_out "Sync completed with errors"
(( $(echo "$took >= 2.5 && $took < 13" | bc) )) || fail "gave up after ${took}s, expected 3s and a little"

# 2. Started while the server is stopped: connecting gives up.
started=$(now)
"$QUARRY" sync --no-progress config.yml >"$WORK/second.out" 2>&1 &
qpid=$!
wait_exit "$qpid" 30
took=$(echo "$(now) - $started" | bc)
OUT=$(cat "$WORK/second.out")
echo "second run: exit $STATUS after ${took}s"
grep -E "connect_timeout" "$WORK/second.out" | head -n 3
if [[ "$STATUS" == 124 ]]; then
  fail "quarry still connecting 30s after it started"
  kill -9 "$qpid" 2>/dev/null
fi
qpid=""
expect_status 1
expect_out "destination pg: "
expect_out "no answer within 2s (connect_timeout); is the server overloaded or stopped?"
(( $(echo "$took >= 1.5 && $took < 12" | bc) )) || fail "gave up after ${took}s, expected 2s and a little"

# 3. The server continues: the stopped runs' sessions end (their sockets were closed), and the
# next run completes from the last committed cursor.
kill -CONT $pids
for _ in $(seq 1 200); do
  [[ $(psql "$PG_DSN" -qAtc "select count(*) from pg_stat_activity where application_name = 'quarry'") == 0 ]] && break
  sleep 0.05
done
have=$(rows)
cursor=$(psql "$PG_DSN" -qAtc "select value from quarry_state where key = 'events:test_events#0' order by version desc limit 1")
echo "after the stall: $have rows, cursor ${cursor:-none}"
(( have < 1500000 )) || fail "the stall came too late to test anything"
[[ "${cursor:-0}" == "$have" ]] || fail "cursor ${cursor:-none} does not match the $have rows present"
run sync --no-progress config.yml
expect_status 0
expect_out "Resources: $((1500000 - have))"
expect_pg "select count(*), count(distinct seq), max(seq) from test_events" "1500000|1500000|1499999"
finish
