# Helpers for end-to-end cases. A case script sources this file, runs `quarry` with `run`, and
# checks results with the expect_* functions. Each case gets a fresh temporary directory $WORK
# (removed afterwards) and exports DB=$WORK/db.sqlite for configs to use as ${DB}.
set -u
WORK=$(mktemp -d)
export DB="$WORK/db.sqlite"
export DB2="$WORK/db2.sqlite"
trap 'rm -rf "$WORK"' EXIT
FAILURES=0
STATUS=0
OUT=""
ERR=""

# run ARGS...: runs quarry, captures stdout/stderr and the exit status.
run() {
  "$QUARRY" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  STATUS=$?
  OUT=$(cat "$WORK/stdout")
  ERR=$(cat "$WORK/stderr")
}

fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout:" >&2; echo "$OUT" >&2
  echo "--- stderr:" >&2; echo "$ERR" >&2
  FAILURES=$((FAILURES + 1))
}

expect_status() {
  [[ "$STATUS" == "$1" ]] || fail "exit status $STATUS, expected $1"
}

# expect_sql DBFILE "SQL" "expected output"
expect_sql() {
  local got
  got=$(sqlite3 "$1" "$2" 2>&1)
  [[ "$got" == "$3" ]] || fail "sql [$2] on $1 gave [$got], expected [$3]"
}

# expect_out "text": stdout+stderr contain text
expect_out() {
  [[ "$OUT$ERR" == *"$1"* ]] || fail "output does not contain [$1]"
}

expect_no_out() {
  [[ "$OUT$ERR" != *"$1"* ]] || fail "output contains [$1]"
}

# expect_file_contains FILE "text"
expect_file_contains() {
  grep -qF -- "$2" "$1" 2>/dev/null || fail "$1 does not contain [$2]"
}

# json_field FILE PATH: the value at PATH (e.g. '$.a.b') in FILE's last line of JSON.
json_field() {
  tail -n 1 "$1" > "$WORK/last.json"
  sqlite3 :memory: "select json_extract(readfile('$WORK/last.json'), '$2')"
}

finish() {
  if [[ $FAILURES -gt 0 ]]; then
    echo "$FAILURES expectation(s) failed" >&2
    exit 1
  fi
  echo "ok"
  exit 0
}
