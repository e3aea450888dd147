# SIGINT and SIGTERM (Ctrl-C, a pod being stopped) at random moments of an incremental sync with
# random chunk and batch sizes: Quarry stops reading, commits what is in flight or discards what
# no cursor covers, releases its locks, prints the summary line ("Sync interrupted by …"), writes
# the summary file with status "interrupted" and exits 130 / 143. After each interrupt the
# destinations obey the same invariants as after a kill -9 (main: exactly the rows up to the
# cursor), the next sync starts at once (locks released), and a second signal exits at once.
# Replay a failure with CRASH_SEED=<seed>.
source "$E2E_LIB"
TRIALS=${CRASH_TRIALS:-8}
crash_seed
export SRC="$WORK/source.sqlite" DB3="$WORK/db3.sqlite"
sqlite3 "$SRC" "create table events (id integer primary key, kind text, body text)"
sqlite_add_events "$SRC" 300000
pick() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }
cursor() {
  local v
  v=$(sqlite3 "$DB" "select value from quarry_state where key = 'feed:events'
                     order by version desc limit 1" 2>/dev/null)
  echo "${v:-0}"
}
interrupted=0
for ((trial = 1; trial <= TRIALS; trial++)); do
  export CHUNK=$(pick 97 7001) BATCH=$(pick 13 4099) BATCH2=$(pick 13 4099) BATCH_BYTES=10485760
  sig=$(( trial % 2 ? 2 : 15 ))
  (( sig == 2 )) && name=SIGINT || name=SIGTERM
  delay_ms=$(pick 50 600)
  rm -f "$WORK/summary.json"
  "$QUARRY" sync --no-progress --summary-location "$WORK/summary.json" config.yml >"$WORK/trial.out" 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' "$delay_ms")"
  sent=$(date +%s%N)
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid"; status=$?
  took_ms=$(( ($(date +%s%N) - sent) / 1000000 ))
  c=$(cursor)
  main=$(sqlite3 "$DB" "select count(*), count(distinct id), coalesce(max(id), 0) from events" 2>/dev/null || echo "0|0|0")
  echo "trial $trial: $name after ${delay_ms}ms (chunk_size=$CHUNK batch_size=$BATCH/$BATCH2): exit $status in ${took_ms}ms, cursor=$c main=[$main]"
  if grep -q "Sync completed successfully" "$WORK/trial.out"; then
    [[ $status == 0 ]] || fail "trial $trial: completed but exit $status"
  elif ! grep -q "Loading spec(s)" "$WORK/trial.out"; then
    # The signal came while the process was still starting (loading its libraries), before
    # Quarry could take it over: the default action ended it, and nothing had been touched.
    [[ $status == $((128 + sig)) ]] || fail "trial $trial: exit $status before start"
    echo "           (the signal came before Quarry started)"
  else
    interrupted=$((interrupted + 1))
    [[ $status == $((128 + sig)) ]] || fail "trial $trial: exit $status after $name, expected $((128 + sig)): $(cat "$WORK/trial.out")"
    grep -q "Sync interrupted by $name. Resources: " "$WORK/trial.out" || fail "trial $trial: no summary line: $(cat "$WORK/trial.out")"
    [[ $(json_field "$WORK/summary.json" '$.status') == interrupted ]] || fail "trial $trial: summary status is not interrupted: $(cat "$WORK/summary.json" 2>&1)"
    (( took_ms < 10000 )) || fail "trial $trial: took ${took_ms}ms to stop"
  fi
  [[ "$main" == "$c|$c|$c" ]] || fail "trial $trial: main (append, backend) holds [$main], expected exactly the $c rows up to the cursor"
  sqlite_add_events "$SRC" "$(pick 1000 20000)"
done
(( interrupted >= TRIALS / 2 )) || fail "only $interrupted of $TRIALS runs were interrupted mid-run"
# A second signal exits at once, without waiting for anything. (Signals are sent once Quarry has
# started: a non-interactive shell starts background jobs with SIGINT ignored, and until Quarry
# takes the signal over, an ignored SIGINT is simply lost.)
"$QUARRY" sync --no-progress config.yml >"$WORK/twice.out" 2>&1 &
pid=$!
wait_for_line "$WORK/twice.out" '(Starting sync for)' >/dev/null
kill -INT "$pid"
wait_for_line "$WORK/twice.out" '(SIGINT: stopping|Sync completed)' >/dev/null
kill -INT "$pid" 2>/dev/null
wait "$pid"; status=$?
[[ $status == 130 ]] || fail "two SIGINTs: exit $status, expected 130: $(cat "$WORK/twice.out")"
# The locks went with the process: the next sync runs, and everything is there exactly once.
run sync --no-progress config.yml
expect_status 0
n=$(sqlite3 "$SRC" "select count(*) from events")
expect_sql "$DB" "select count(*), count(distinct id), max(id) from events" "$n|$n|$n"
expect_sql "$DB3" "select count(*), count(distinct id), max(id) from events" "$n|$n|$n"
finish
