# The PostgreSQL server restarts (immediate shutdown) in the middle of a sync: the run fails with
# a clear error and exit 1, the saved cursor covers exactly the rows that are there, and the next
# run completes with nothing lost or duplicated. (A server of its own: the restart must not
# disturb other cases.)
source "$E2E_LIB"
scripts=$(cd "$(dirname "$E2E_LIB")/../../scripts" && pwd)
chmod 755 "$WORK"   # the server runs as the postgres user
pgdir="$WORK/pg"
mkdir -p "$pgdir"
PG_DSN=$("$scripts/pg-test-server" start "$pgdir" | tail -n 1) || { echo "cannot start PostgreSQL" >&2; exit 1; }
export PG_DSN
trap '"$scripts/pg-test-server" stop "$pgdir" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
bindir=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
rows() { psql "$PG_DSN" -qAtc "select count(*) from test_events" 2>/dev/null || echo 0; }

"$QUARRY" sync --no-progress config.yml >"$WORK/first.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  (( $(rows) >= 100000 )) && break
  sleep 0.05
done
(( $(rows) >= 100000 )) || fail "the sync did not get going"
runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -m immediate -w restart >/dev/null
wait "$pid"
STATUS=$?
OUT=$(cat "$WORK/first.out")
expect_status 1
expect_out "destination pg: "
expect_out "Sync completed with errors"
have=$(rows)
cursor=$(psql "$PG_DSN" -qAtc "select value from quarry_state where key = 'events:test_events#0' order by version desc limit 1")
echo "after the restart: $have rows, cursor ${cursor:-none}"
grep -E "^Error" "$WORK/first.out"
(( have < 1500000 )) || fail "the restart came too late to test anything"
[[ "${cursor:-0}" == "$have" ]] || fail "cursor ${cursor:-none} does not match the $have rows present"
run sync --no-progress config.yml
expect_status 0
expect_out "Resources: $((1500000 - have))"
expect_pg "select count(*), count(distinct seq), max(seq) from test_events" "1500000|1500000|1499999"
finish
