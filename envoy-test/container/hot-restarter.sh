#!/bin/sh
# Hot restart of Envoy inside one container, after Envoy's restarter/hot-restarter.py: runs
# epoch 0; SIGHUP starts the next epoch (--restart-epoch N, the same --base-id, so the new
# process finds the old one's shared memory and domain sockets); SIGTERM/SIGINT stops every
# epoch. It runs as the container's PID 1 (EnvoyContainer with hotRestart), so the container
# lives across epochs. ENVOY_CONFIG, BASE_ID and ENVOY_ARGS come from the environment. Each
# epoch's pid is written to /tmp/envoy-epoch-N.pid.
epoch=0
pids=""
start_epoch() {
  # shellcheck disable=SC2086 # ENVOY_ARGS is a list of options
  envoy -c "$ENVOY_CONFIG" --restart-epoch "$epoch" --base-id "$BASE_ID" $ENVOY_ARGS &
  echo "$!" > "/tmp/envoy-epoch-$epoch.pid"
  pids="$pids $!"
  epoch=$((epoch + 1))
}
stop_all() {
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  wait
  exit 0
}
trap start_epoch HUP
trap stop_all TERM INT
start_epoch
while :; do
  alive=""
  for p in $pids; do
    s=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)
    [ -n "$s" ] && [ "$s" != Z ] && alive="$alive $p"
  done
  pids="$alive"
  [ -z "$pids" ] && exit 1
  sleep 1 &
  wait $!
done
