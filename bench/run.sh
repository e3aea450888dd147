#!/usr/bin/env bash
# `make bench`: Quarry's throughput and peak memory next to the raw speed of the destination's own
# bulk path, measured in the same run on the same rows (the test source's test_inventory table:
# 14 columns shaped like a cloud inventory plus the 4 bookkeeping columns), and the ratio.
#
#   SQLite:     test → sqlite     vs a plain C loop of prepared single-row inserts
#                                    (bench/sqlite_plain_loop.cc, same pragmas, 10k-row transactions)
#   PostgreSQL: test → postgresql vs a plain libpq binary-COPY loop (bench/pg_copy_loop.cc,
#                                    one COPY per 10k rows), on a throwaway local server
#
# usage: bench/run.sh [BUILD_DIR]
# env:   BENCH_PLAN     SQLite items ROWS:MODE[,MODE]
#                       (default "1000000:overwrite-delete-stale,append 10000000:append"; the
#                       upsert modes at 10M rows take ~10 minutes a run on 2 cores because random
#                       primary keys make SQLite's index writes dominate — opt in with
#                       BENCH_PLAN="10000000:overwrite-delete-stale")
#        BENCH_PG_PLAN  PostgreSQL items, same form (default
#                       "1000000:append,overwrite-delete-stale 5000000:append";
#                       empty: skip PostgreSQL)
#        BENCH_PGPG     PostgreSQL → PostgreSQL: "ROWS:TABLES" (default "6000000:22", ~1 GB; the
#                       target is under 2 minutes), next to psql's binary COPY TO | COPY FROM
#                       per table; empty: skip
#        BENCH_GRPC     rows for test → sqlite (append) through the CloudQuery plugin protocol:
#                       the test source run as a `registry: local` plugin (`quarry plugin serve
#                       test` behind a unix socket, records as Arrow IPC over gRPC), next to the
#                       same sync in-process; target ratio >= 0.7 (default 1000000; empty: skip);
#                       plus, for information, the sqlite destination as a local plugin
#        BENCH_WIDE     wide rows and huge values, for peak memory: "MIB:ROWS[,MIB:ROWS…]" per
#                       shape, each ROWS and 10×ROWS rows of MIB-MiB text values read by the
#                       sqlite source into sqlite (and PostgreSQL), with the default batch limits
#                       and with batch_size 10 + batch_size_bytes 1MiB (default "1:100 8:12";
#                       empty: skip). Target: peak RSS flat (within 10% + 16 MiB) as rows grow
#                       10×, and under 400 MiB.
#        BENCH_RUNS     runs per measurement (default 3; the median is reported)
# Targets: ratio >= 0.8; SQLite peak RSS < 200 MiB, PostgreSQL < 256 MiB; flat as rows grow.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
quarry="$build/src/quarry/cli/quarry"
sqlite_loop="$build/bench/sqlite_plain_loop"
pg_loop="$build/bench/pg_copy_loop"
plan=${BENCH_PLAN-"1000000:overwrite-delete-stale,append 10000000:append"}
pg_plan=${BENCH_PG_PLAN-"1000000:append,overwrite-delete-stale 5000000:append"}
pgpg=${BENCH_PGPG-"6000000:22"}
grpc_rows=${BENCH_GRPC-1000000}
wide=${BENCH_WIDE-"1:100 8:12"}
runs=${BENCH_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench.XXXXXX")
pg_dir=""
cleanup() {
  [[ -n "$pg_dir" ]] && "$root/scripts/pg-test-server" stop "$pg_dir" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
med() { printf '%s\n' "$@" | median; }                                  # med VALUES...
rate() { awk -v r="$1" -v s="$2" 'BEGIN{printf "%.0f", r/s}'; }        # rate ROWS SECS
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }    # ratio_of A B

# measure CMD...: runs CMD under /usr/bin/time; sets SECS and RSS_KB.
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    echo "bench: command failed: $*" >&2; cat "$work/err" >&2; exit 1; }
  read -r SECS RSS_KB <"$work/time"
}

# bytes KIND: the size of the data written (SQLite file, or the PostgreSQL table with indexes).
bytes() {
  if [[ $1 == sqlite ]]; then stat -c %s "$work/b.db"; else
    psql "$PG_DSN" -qAtc "select pg_total_relation_size('test_inventory')"; fi
}

reset_target() {
  if [[ $1 == sqlite ]]; then rm -f "$work"/b.db*; else
    PGOPTIONS='-c client_min_messages=warning' psql "$PG_DSN" -qAtc \
      "drop table if exists test_inventory; drop table if exists quarry_state" >/dev/null; fi
}

# config KIND ROWS MODE [SOURCE_REGISTRY SOURCE_PATH [DEST_REGISTRY DEST_PATH]]: the Quarry config
# for one measurement (the test source and the KIND destination, built-in unless given).
config() {
  local dest_path
  dest_path=$([[ $1 == sqlite ]] && echo sqlite || echo postgresql)
  cat <<YAML
kind: source
spec:
  name: bench
  registry: ${4:-cloudquery}
  path: ${5:-test}
  tables: [test_inventory]
  destinations: [dest]
  spec:
    num_rows: $2
---
kind: destination
spec:
  name: dest
  registry: ${6:-cloudquery}
  path: ${7:-$dest_path}
  write_mode: $3
  spec:
    connection_string: "$([[ $1 == sqlite ]] && echo "$work/b.db" || echo "$PG_DSN")"
YAML
}

printf '%-10s %-9s %-23s %14s %9s %10s %14s %9s %10s %7s\n' dest rows mode quarry_rows/s MB/s \
  peak_RSS loop_rows/s MB/s peak_RSS ratio
declare -A rss_by
status=0

run_plan() {  # run_plan KIND PLAN RSS_LIMIT_MIB
  local kind=$1 plan=$2 limit=$3 item rows modes mode loop_mode i order side
  for item in $plan; do
    rows=${item%%:*}
    modes=${item#*:}
    for mode in ${modes//,/ }; do
      loop_mode=upsert
      [[ "$mode" == append ]] && loop_mode=append
      config "$kind" "$rows" "$mode" >"$work/bench.yml"
      local q_rate=() q_mbs=() q_rss=() l_rate=() l_mbs=() l_rss=()
      for ((i = 0; i < runs; i++)); do
        # Alternate the order so neither side always runs on a warmer machine.
        order="loop quarry"
        (( i % 2 == 1 )) && order="quarry loop"
        for side in $order; do
          reset_target "$kind"
          if [[ $side == loop ]]; then
            if [[ $kind == sqlite ]]; then
              measure "$sqlite_loop" "$work/b.db" "$rows" 1 "$loop_mode"
            else
              measure "$pg_loop" "$PG_DSN" "$rows" 1 "$loop_mode"
            fi
            l_rate+=("$(rate "$rows" "$SECS")")
            l_mbs+=("$(awk -v b="$(bytes "$kind")" -v s="$SECS" 'BEGIN{printf "%.1f", b/s/1e6}')")
            l_rss+=("$((RSS_KB / 1024))")
          else
            measure "$quarry" sync --no-progress "$work/bench.yml"
            q_rate+=("$(rate "$rows" "$SECS")")
            q_mbs+=("$(awk -v b="$(bytes "$kind")" -v s="$SECS" 'BEGIN{printf "%.1f", b/s/1e6}')")
            q_rss+=("$((RSS_KB / 1024))")
          fi
        done
      done
      local qr lr qm ratio
      qr=$(med "${q_rate[@]}")
      lr=$(med "${l_rate[@]}")
      qm=$(med "${q_rss[@]}")
      ratio=$(ratio_of "$qr" "$lr")
      printf '%-10s %-9s %-23s %14.0f %9s %7s MiB %14.0f %9s %7s MiB %7s\n' "$kind" "$rows" \
        "$mode" "$qr" "$(med "${q_mbs[@]}")" "$qm" "$lr" \
        "$(med "${l_mbs[@]}")" "$(med "${l_rss[@]}")" "$ratio"
      echo "           quarry rows/s per run: ${q_rate[*]}; loop: ${l_rate[*]}; quarry RSS MiB: ${q_rss[*]}"
      rss_by["$kind/$mode/$rows"]=$qm
      if awk -v r="$ratio" 'BEGIN{exit !(r < 0.8)}'; then
        echo "           MISS: ratio $ratio < 0.8"; status=1
      fi
      if (( qm >= limit )); then echo "           MISS: peak RSS ${qm} MiB >= ${limit} MiB"; status=1; fi
    done
  done
}

run_plan sqlite "$plan" 200

# test → sqlite with the source behind the plugin protocol, next to the same sync in-process.
grpc_run() {
  local rows=$1 i side order
  printf '#!/bin/sh\n[ "$1" = serve ] && shift\nexec /usr/bin/time -f %%M -o "%s" "%s" plugin serve test "$@"\n' \
    "$work/plugin_rss" "$(cd "$(dirname "$quarry")" && pwd)/quarry" >"$work/test-plugin"
  chmod +x "$work/test-plugin"
  printf '#!/bin/sh\n[ "$1" = serve ] && shift\nexec "%s" plugin serve sqlite "$@"\n' \
    "$(cd "$(dirname "$quarry")" && pwd)/quarry" >"$work/sqlite-plugin"
  chmod +x "$work/sqlite-plugin"
  config sqlite "$rows" append >"$work/grpc-cloudquery.yml"
  config sqlite "$rows" append local "$work/test-plugin" >"$work/grpc-local.yml"
  config sqlite "$rows" append cloudquery test local "$work/sqlite-plugin" >"$work/grpc-dest.yml"
  local in_rate=() in_rss=() rpc_rate=() rpc_rss=() plug_rss=() l_rate=() d_rate=() d_rss=()
  for ((i = 0; i < runs; i++)); do
    order="cloudquery local dest loop"
    (( i % 2 == 1 )) && order="loop dest local cloudquery"
    for side in $order; do
      reset_target sqlite
      if [[ $side == loop ]]; then
        measure "$sqlite_loop" "$work/b.db" "$rows" 1 append
        l_rate+=("$(rate "$rows" "$SECS")")
        continue
      fi
      measure "$quarry" sync --no-progress "$work/grpc-$side.yml"
      [[ "$(sqlite3 "$work/b.db" 'select count(*) from test_inventory')" == "$rows" ]] || {
        echo "bench: $side sync did not write $rows rows" >&2; exit 1; }
      if [[ $side == dest ]]; then
        d_rate+=("$(rate "$rows" "$SECS")")
        d_rss+=("$((RSS_KB / 1024))")
      elif [[ $side == local ]]; then
        rpc_rate+=("$(rate "$rows" "$SECS")")
        rpc_rss+=("$((RSS_KB / 1024))")
        plug_rss+=("$(( $(tail -n 1 "$work/plugin_rss") / 1024 ))")
      else
        in_rate+=("$(rate "$rows" "$SECS")")
        in_rss+=("$((RSS_KB / 1024))")
      fi
    done
  done
  local ir rr lr ratio
  ir=$(med "${in_rate[@]}")
  rr=$(med "${rpc_rate[@]}")
  lr=$(med "${l_rate[@]}")
  ratio=$(ratio_of "$rr" "$ir")
  echo
  printf '%-10s %-9s %-23s %14s %10s %14s %10s %14s %7s\n' dest rows mode grpc_rows/s RSS \
    inproc_rows/s RSS loop_rows/s ratio
  printf '%-10s %-9s %-23s %14.0f %6s MiB %14.0f %6s MiB %14.0f %7s\n' sqlite "$rows" \
    "append, source via gRPC" "$rr" "$(med "${rpc_rss[@]}")" "$ir" \
    "$(med "${in_rss[@]}")" "$lr" "$ratio"
  echo "           gRPC rows/s per run: ${rpc_rate[*]}; in-process: ${in_rate[*]}; loop: ${l_rate[*]};" \
    "plugin process peak RSS MiB: ${plug_rss[*]}; gRPC/loop $(ratio_of "$rr" "$lr")"
  if awk -v r="$ratio" 'BEGIN{exit !(r < 0.7)}'; then
    echo "           MISS: gRPC/in-process ratio $ratio < 0.7"; status=1
  fi
  # The other direction, for information (no target): the sqlite destination as a local plugin.
  # Each batch is one Write stream the plugin must finish before Quarry goes on.
  local dr
  dr=$(med "${d_rate[@]}")
  printf '%-10s %-9s %-23s %14.0f %6s MiB %14.0f %6s MiB %14.0f %7s\n' sqlite "$rows" \
    "append, dest via gRPC" "$dr" "$(med "${d_rss[@]}")" "$ir" \
    "$(med "${in_rss[@]}")" "$lr" "$(ratio_of "$dr" "$ir")"
  echo "           dest via gRPC rows/s per run: ${d_rate[*]}"
}
[[ -n "$grpc_rows" ]] && grpc_run "$grpc_rows"
if [[ -n "$pg_plan" || -n "$pgpg" ]]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench-pg.XXXXXX")
  PG_DSN=$("$root/scripts/pg-test-server" start "$pg_dir" | tail -n 1)
  export PG_DSN
fi
[[ -n "$pg_plan" ]] && run_plan postgresql "$pg_plan" 256

# PostgreSQL → PostgreSQL: TABLES tables holding ROWS rows in all, copied by Quarry (postgresql
# source → postgresql destination) and by psql's binary COPY pipes, table by table.
pgpg_run() {
  local total=${1%%:*} tables=${1#*:} per i src dst sql
  per=$(( total / tables ))
  src="${PG_DSN/dbname=postgres/dbname=bench_src}"
  dst="${PG_DSN/dbname=postgres/dbname=bench_dst}"
  export PGOPTIONS='-c client_min_messages=warning'
  psql "$PG_DSN" -qAtc "drop database if exists bench_src" -c "create database bench_src" >/dev/null
  for ((i = 1; i <= tables; i++)); do
    sql+="create table t$i (id bigint primary key, account text, region text, arn text, name text,
      created timestamptz, updated timestamptz, tags jsonb, public boolean, size bigint,
      cost double precision);
    insert into t$i select g, (100000000000 + g % 5000)::text, 'region-' || (g % 8),
      'arn:aws:ec2:region-' || (g % 8) || ':instance/i-' || md5(g::text), 'name-' || g,
      timestamptz '2024-01-01' + g * interval '1 second', now(),
      jsonb_build_object('team', 'team-' || (g % 6), 'env', 'prod'), g % 7 = 0, g * 1000,
      g / 100.0 from generate_series(1, $per) g;"
  done
  echo "pg→pg: loading $tables tables × $per rows into the source database…"
  psql "$src" -qAt -c "$sql" >/dev/null
  psql "$src" -qAtc "vacuum analyze" >/dev/null
  local bytes
  bytes=$(psql "$src" -qAtc "select sum(pg_total_relation_size(c.oid)) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'")
  cat >"$work/pgpg.yml" <<YAML
kind: source
spec:
  name: bench
  path: postgresql
  tables: ["*"]
  destinations: [dest]
  spec:
    connection_string: "$src"
---
kind: destination
spec:
  name: dest
  path: postgresql
  spec:
    connection_string: "$dst"
YAML
  local q_secs=() q_rss=() l_secs=() r
  for ((r = 0; r < runs; r++)); do
    psql "$PG_DSN" -qAtc "drop database if exists bench_dst" -c "create database bench_dst" >/dev/null
    measure "$quarry" sync --no-progress "$work/pgpg.yml"
    q_secs+=("$SECS")
    q_rss+=("$((RSS_KB / 1024))")
    psql "$PG_DSN" -qAtc "drop database if exists bench_dst" -c "create database bench_dst" >/dev/null
    pg_dump -s "$src" | psql "$dst" -qAt >/dev/null
    local start end
    start=$(date +%s.%N)
    for ((i = 1; i <= tables; i++)); do
      psql "$src" -qAtc "\copy t$i to stdout with (format binary)" |
        psql "$dst" -qAtc "\copy t$i from stdin with (format binary)" >/dev/null
    done
    end=$(date +%s.%N)
    l_secs+=("$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')")
  done
  local qs ls
  qs=$(printf '%s
' "${q_secs[@]}" | median)
  ls=$(printf '%s
' "${l_secs[@]}" | median)
  printf '%-10s %-9s %-23s %14.0f %9.1f %7s MiB %14.0f %9.1f %7s     %7s
' pg→pg "$total"     "$tables tables" "$(awk -v r="$total" -v s="$qs" 'BEGIN{print r/s}')"     "$(awk -v b="$bytes" -v s="$qs" 'BEGIN{print b/s/1e6}')"     "$(printf '%s
' "${q_rss[@]}" | median)" "$(awk -v r="$total" -v s="$ls" 'BEGIN{print r/s}')"     "$(awk -v b="$bytes" -v s="$ls" 'BEGIN{print b/s/1e6}')" "-"     "$(awk -v a="$ls" -v b="$qs" 'BEGIN{printf "%.2f", a/b}')"
  echo "           source $((bytes / 1000000)) MB; quarry seconds per run: ${q_secs[*]}; psql COPY pipes: ${l_secs[*]}"
  if awk -v s="$qs" 'BEGIN{exit !(s >= 120)}'; then echo "           MISS: ${qs}s >= 120s"; status=1; fi
  if (( $(printf '%s
' "${q_rss[@]}" | median) >= 256 )); then echo "           MISS: peak RSS >= 256 MiB"; status=1; fi
}
[[ -n "$pgpg" ]] && pgpg_run "$pgpg"

# Wide rows and huge values: peak RSS must stay flat when the table grows 10× — memory is bounded
# by the batch limits (rows and bytes) and the channel depth, never by row size × rows.
wide_config() {  # wide_config DEST_KIND BATCH_EXTRA
  cat <<YAML
kind: source
spec:
  name: wide
  path: sqlite
  tables: [w]
  destinations: [dest]
  spec:
    connection_string: "$work/wide_src.db"
---
kind: destination
spec:
  name: dest
  path: $1
  write_mode: append
  spec:
    connection_string: "$([[ $1 == sqlite ]] && echo "$work/wide_dst.db" || echo "$PG_DSN")"
$2
YAML
}
wide_run() {  # wide_run MIB ROWS
  local mib=$1 rows=$2 n kind limits label
  printf '%-10s %-9s %-23s %14s %10s %10s\n' dest rows "value size / limits" "peak RSS" "(10×rows)" verdict
  for kind in sqlite postgresql; do
    [[ $kind == postgresql && -z "${PG_DSN:-}" ]] && continue
    for limits in default small; do
      local extra="" rss=()
      [[ $limits == small ]] && extra=$'    batch_size: 10\n    batch_size_bytes: 1MiB'
      for n in "$rows" "$((rows * 10))"; do
        rm -f "$work"/wide_src.db*
        sqlite3 "$work/wide_src.db" "create table w (id integer primary key, v text);
          with recursive k(i) as (select 1 union all select i + 1 from k where i < $n)
          insert into w select i, printf('%.*c', $((mib * 1048576)), char(65 + i % 26)) from k"
        wide_config "$kind" "$extra" >"$work/wide.yml"
        local r one=()
        for ((r = 0; r < runs; r++)); do
          rm -f "$work"/wide_dst.db*
          [[ $kind == postgresql ]] && psql "$PG_DSN" -qAtc "drop table if exists w" >/dev/null
          measure "$quarry" sync --no-progress "$work/wide.yml"
          one+=("$((RSS_KB / 1024))")
        done
        rss+=("$(med "${one[@]}")")
        echo "           $kind ${mib} MiB × $n rows, $limits limits: peak RSS MiB per run ${one[*]}"
      done
      label="${mib} MiB values, $limits"
      local verdict=flat
      if (( rss[1] > rss[0] + rss[0] / 10 + 16 )) || (( rss[1] >= 400 )); then
        verdict=MISS; status=1
      fi
      printf '%-10s %-9s %-23s %10s MiB %6s MiB %10s\n' "$kind" "$rows" "$label" "${rss[0]}" \
        "${rss[1]}" "$verdict"
    done
  done
  rm -f "$work"/wide_src.db* "$work"/wide_dst.db*
}
for shape in $wide; do wide_run "${shape%%:*}" "${shape#*:}"; done

# Memory must not grow with the table: compare each mode's largest run with its smallest.
for key in "${!rss_by[@]}"; do
  prefix=${key%/*}
  small="" large=""
  for k in "${!rss_by[@]}"; do
    [[ "${k%/*}" == "$prefix" ]] || continue
    r=${k##*/}
    if [[ -z "$small" ]] || (( r < small )); then small=$r; fi
    if [[ -z "$large" ]] || (( r > large )); then large=$r; fi
  done
  [[ "$small" != "$large" && "${key##*/}" == "$large" ]] || continue
  a=${rss_by["$prefix/$small"]} b=${rss_by["$prefix/$large"]}
  if (( b > a + a / 10 + 8 )); then
    echo "MISS: $prefix peak RSS grows with rows: ${a} MiB at $small, ${b} MiB at $large"; status=1
  else
    echo "flat: $prefix peak RSS ${a} MiB at $small rows, ${b} MiB at $large rows"
  fi
done
exit $status
