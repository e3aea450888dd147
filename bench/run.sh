#!/usr/bin/env bash
# `make bench`: test source → SQLite throughput and peak memory, next to a plain C loop of
# prepared SQLite inserts writing the same rows in the same run, and the ratio between them.
#
# usage: bench/run.sh [BUILD_DIR]
# env:   BENCH_PLAN  what to run: ROWS:MODE[,MODE] items
#                    (default "1000000:overwrite-delete-stale,append 10000000:append";
#                    the upsert modes at 10M rows take ~10 minutes a run on 2 cores, because
#                    random primary keys make SQLite's index writes dominate: opt in with
#                    BENCH_PLAN="10000000:overwrite-delete-stale")
#        BENCH_RUNS  runs per measurement       (default 3; the median is reported)
# Targets (issue #2): ratio >= 0.8; peak RSS < 200 MiB, and the same at 10M rows as at 1M.
set -euo pipefail
build=${1:-build}
quarry="$build/src/quarry/cli/quarry"
loop="$build/bench/sqlite_plain_loop"
plan=${BENCH_PLAN:-"1000000:overwrite-delete-stale,append 10000000:append"}
runs=${BENCH_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure CMD...: runs CMD under /usr/bin/time; sets SECS, RSS_KB, DB_BYTES (of $work/b.db).
measure() {
  rm -f "$work"/b.db*
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    echo "bench: command failed: $*" >&2; cat "$work/err" >&2; exit 1; }
  read -r SECS RSS_KB <"$work/time"
  DB_BYTES=$(stat -c %s "$work/b.db")
}

printf '%-9s %-23s %14s %9s %10s %14s %9s %10s %7s\n' rows mode quarry_rows/s MB/s peak_RSS \
  loop_rows/s MB/s peak_RSS ratio
declare -A rss_by_rows
status=0
for item in $plan; do
  rows=${item%%:*}
  modes=${item#*:}
  for mode in ${modes//,/ }; do
    loop_mode=upsert
    [[ "$mode" == append ]] && loop_mode=append
    cat >"$work/bench.yml" <<YAML
kind: source
spec:
  name: bench
  path: test
  tables: [test_inventory]
  destinations: [sqlite]
  spec:
    num_rows: $rows
---
kind: destination
spec:
  name: sqlite
  path: sqlite
  write_mode: $mode
  spec:
    connection_string: $work/b.db
YAML
    q_rate=(); q_mbs=(); q_rss=(); l_rate=(); l_mbs=(); l_rss=()
    for ((i = 0; i < runs; i++)); do
      # Alternate the order so neither side always runs on a warmer machine.
      order="loop quarry"
      (( i % 2 == 1 )) && order="quarry loop"
      for side in $order; do
        if [[ $side == loop ]]; then
          measure "$loop" "$work/b.db" "$rows" 1 "$loop_mode"
          l_rate+=("$(awk -v r="$rows" -v s="$SECS" 'BEGIN{printf "%.0f", r/s}')")
          l_mbs+=("$(awk -v b="$DB_BYTES" -v s="$SECS" 'BEGIN{printf "%.1f", b/s/1e6}')")
          l_rss+=("$((RSS_KB / 1024))")
        else
          measure "$quarry" sync --no-progress "$work/bench.yml"
          q_rate+=("$(awk -v r="$rows" -v s="$SECS" 'BEGIN{printf "%.0f", r/s}')")
          q_mbs+=("$(awk -v b="$DB_BYTES" -v s="$SECS" 'BEGIN{printf "%.1f", b/s/1e6}')")
          q_rss+=("$((RSS_KB / 1024))")
        fi
      done
    done
    qr=$(printf '%s\n' "${q_rate[@]}" | median)
    lr=$(printf '%s\n' "${l_rate[@]}" | median)
    qm=$(printf '%s\n' "${q_rss[@]}" | median)
    ratio=$(awk -v a="$qr" -v b="$lr" 'BEGIN{printf "%.2f", a/b}')
    printf '%-9s %-23s %14.0f %9s %7s MiB %14.0f %9s %7s MiB %7s\n' "$rows" "$mode" "$qr" \
      "$(printf '%s\n' "${q_mbs[@]}" | median)" "$qm" "$lr" \
      "$(printf '%s\n' "${l_mbs[@]}" | median)" "$(printf '%s\n' "${l_rss[@]}" | median)" "$ratio"
    echo "          quarry rows/s per run: ${q_rate[*]}; loop: ${l_rate[*]}; quarry RSS MiB: ${q_rss[*]}"
    rss_by_rows["$rows/$mode"]=$qm
    if awk -v r="$ratio" 'BEGIN{exit !(r < 0.8)}'; then
      echo "          MISS: ratio $ratio < 0.8"; status=1
    fi
    if (( qm >= 200 )); then echo "          MISS: peak RSS ${qm} MiB >= 200 MiB"; status=1; fi
  done
done
echo "peak RSS by rows (MiB, median): $(for k in "${!rss_by_rows[@]}"; do printf '%s=%s ' "$k" "${rss_by_rows[$k]}"; done)"
# Memory must not grow with the table: compare each mode's largest run with its smallest.
for mode in overwrite-delete-stale overwrite append; do
  small="" large=""
  for key in "${!rss_by_rows[@]}"; do
    [[ "${key#*/}" == "$mode" ]] || continue
    r=${key%%/*}
    if [[ -z "$small" ]] || (( r < small )); then small=$r; fi
    if [[ -z "$large" ]] || (( r > large )); then large=$r; fi
  done
  if [[ -n "$small" && "$small" != "$large" ]]; then
    a=${rss_by_rows["$small/$mode"]} b=${rss_by_rows["$large/$mode"]}
    if (( b > a + a / 10 + 8 )); then
      echo "MISS: $mode peak RSS grows with rows: ${a} MiB at $small, ${b} MiB at $large"; status=1
    else
      echo "flat: $mode peak RSS ${a} MiB at $small rows, ${b} MiB at $large rows"
    fi
  fi
done
exit $status
