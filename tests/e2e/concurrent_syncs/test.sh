# Overlapping syncs of one config without backend_options: PAIRS times, the same `quarry sync`
# starts twice, a random fraction of a second apart, with a random batch_size. Two syncs of one
# source into one destination must never interleave (one's delete-stale would remove rows the
# other re-wrote with an older sync time): the second is refused at once with a clear error and
# writes nothing, or they did not overlap and both succeed. After every pair the destination
# holds exactly the source's rows. Replay a failure with CRASH_SEED=<seed>.
# TARGET=postgresql (tests/e2e/pg_concurrent_syncs) runs the same against PostgreSQL.
source "$E2E_LIB"
config="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/config.yml"
use_target "${TARGET:-sqlite}"
PAIRS=${CONCURRENT_PAIRS:-10}
crash_seed
export SRC="$WORK/source.sqlite"
sqlite3 "$SRC" "create table ev (id integer primary key, kind text, body text);
                create table full_t (id integer primary key, v text);
                with recursive n(i) as (select 1 union all select i + 1 from n where i < 150000)
                insert into ev select i, 'k' || (i % 7), hex(randomblob(12)) from n;
                with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000)
                insert into full_t select i, 'v' || i from n;"
pick() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }
refused=0
for ((pair = 1; pair <= PAIRS; pair++)); do
  export BATCH=$(pick 100 5000)
  gap_ms=$(pick 0 400)
  "$QUARRY" sync --no-progress "$config" >"$WORK/a.out" 2>&1 &
  a=$!
  sleep "0.$(printf '%03d' "$gap_ms")"
  "$QUARRY" sync --no-progress "$config" >"$WORK/b.out" 2>&1 &
  b=$!
  wait "$a"; sa=$?
  wait "$b"; sb=$?
  echo "pair $pair: batch_size=$BATCH second start after ${gap_ms}ms: exit $sa and $sb"
  for run in a:$sa b:$sb; do
    name=${run%%:*} status=${run##*:}
    if [[ $status != 0 ]]; then
      grep -q "another sync of the same source is writing to this destination" "$WORK/$name.out" ||
        fail "pair $pair: run $name exited $status without the fencing message: $(cat "$WORK/$name.out")"
      refused=$((refused + 1))
    fi
  done
  [[ $sa == 0 || $sb == 0 ]] || fail "pair $pair: both runs failed"
  expect_target "select count(*), count(distinct id), max(id) from ev" "150000|150000|150000"
  expect_target "select count(*), count(distinct id), max(id) from full_t" "20000|20000|20000"
  # Every row carries the sync time of the last sync: its delete-stale left no older row.
  expect_target "select count(distinct _cq_sync_time) from ev" "1"
done
echo "$refused of $PAIRS second runs were refused while the first ran"
(( refused > 0 )) || fail "no run overlapped another: the test proved nothing"
finish
