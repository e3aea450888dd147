#!/usr/bin/env bash
# with_serve.sh QUARRY PLUGIN CMD...: runs `QUARRY plugin serve PLUGIN` on a free loopback port,
# then CMD with every "{addr}" replaced by the server's address; stops the server (SIGINT) and
# exits with CMD's status. Used by ctest to drive Quarry's server with CloudQuery's JS clients.
set -u
quarry=$1 plugin=$2
shift 2
log=$(mktemp)
"$quarry" plugin serve "$plugin" --address 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
addr=""
for _ in $(seq 200); do
  addr=$(grep -oE 'serving plugin [a-z]+ on [0-9.]+:[0-9]+' "$log" | head -n 1 | awk '{print $5}')
  [[ -n "$addr" ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$addr" ]]; then
  echo "with_serve: quarry plugin serve $plugin did not start:" >&2
  cat "$log" >&2
  exit 1
fi
args=()
for a in "$@"; do args+=("${a//\{addr\}/$addr}"); done
"${args[@]}"
status=$?
# The server must still be alive (no crash while serving) and stop cleanly on SIGINT.
if ! kill -0 $pid 2>/dev/null; then
  echo "with_serve: the server died while serving:" >&2
  cat "$log" >&2
  exit 1
fi
kill -INT $pid
wait $pid
server_status=$?
if [[ $server_status -ne 0 ]]; then
  echo "with_serve: the server exited with $server_status after SIGINT" >&2
  cat "$log" >&2
  exit 1
fi
exit $status
