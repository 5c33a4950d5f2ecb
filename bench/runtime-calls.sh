#!/usr/bin/env bash
# Swift runtime calls per proxied request (issue 17: "Swift runtime overhead halved"), counted
# rather than timed, so a busy machine does not move the result: uprobes on swift_retain,
# swift_release, swift_allocObject, swift_beginAccess and libc's malloc, counted with `perf stat`
# on the sidecar while h2load sends a fixed number of small OIP requests through it, minus the
# rate counted while it idles.
#
# Usage: bench/runtime-calls.sh [requests (default 20000)] [binary (default: a release build)]
# Prints one line each for the sidecar as deployed and with analysis off. Needs perf, nginx and
# h2load (bash .ci/setup.sh installs the last two) and root, for the probes; it adds the probes
# and removes them when it ends. Counts move by a few per request between runs, with how the
# requests happen to be batched.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-20000}
if [ -n "${2:-}" ]; then
    binary=$2
else
    swift build -c release --product modelwatch >/dev/null
    binary=$(swift build -c release --show-bin-path)/modelwatch
fi
work=$(mktemp -d /tmp/modelwatch-calls.XXXXXX)
duration=0
connections=0
source bench/lib.sh

swift_core=$(ldd "$binary" | awk '/libswiftCore.so/ { print $3 }')
libc=$(ldd "$binary" | awk '/libc.so.6/ { print $3 }')
perf probe -q -x "$swift_core" -a swift_retain -a swift_release -a swift_allocObject -a swift_beginAccess
perf probe -q -x "$libc" -a malloc
events="-e probe_libswiftCore:swift_retain -e probe_libswiftCore:swift_release -e probe_libswiftCore:swift_allocObject"
events="$events -e probe_libswiftCore:swift_beginAccess -e probe_libc:malloc"
backend_pid=""
sidecar_pid="" # the running sidecar's, cleared once it is reaped, so no reused pid is signalled
cleanup() {
    for pid in "$sidecar_pid" "$backend_pid"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
    wait 2>/dev/null || true
    perf probe -q -d 'probe_libswiftCore:*' -d 'probe_libc:malloc' 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

backend_port=$(free_port)
write_backend "$backend_port"
write_request
nginx -p "$work/backend" -c "$work/backend/nginx.conf" &
backend_pid=$!

# count MODE: starts the sidecar (deployed, or plain: analysis and storage off), warms it up,
# then prints the calls per request.
count() {
    local mode=$1 port admin pid
    port=$(free_port)
    admin=$(free_port)
    if [ "$mode" = deployed ]; then
        "$binary" serve --upstream "http://127.0.0.1:$backend_port" --listen "127.0.0.1:$port" \
            --admin-listen "127.0.0.1:$admin" --storage-path "$work/modelwatch.db" --log-level warning &
    else
        printf 'upstream:\n  url: http://127.0.0.1:%s\nanalysis:\n  enabled: false\nstorage:\n  enabled: false\n' "$backend_port" >"$work/plain.yaml"
        "$binary" serve --config "$work/plain.yaml" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" --log-level warning &
    fi
    pid=$!
    sidecar_pid=$pid
    local url="http://127.0.0.1:$port/v2/models/iris/infer"
    for _ in $(seq 1 100); do curl -sf -o /dev/null "$url" -X POST -d @"$work/body.json" && break; sleep 0.1; done
    h2load -n 4000 -c 8 --h1 -d "$work/body.json" -H 'Content-Type: application/json' "$url" >/dev/null
    sleep 1
    # shellcheck disable=SC2086
    perf stat -x, $events -p "$pid" -o "$work/idle.txt" -- sleep 4
    local start end
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    perf stat -x, $events -p "$pid" -o "$work/busy.txt" -- \
        h2load -n "$requests" -c 8 --h1 -d "$work/body.json" -H 'Content-Type: application/json' "$url" >"$work/h2load.txt"
    end=$(date +%s.%N)
    grep -q "succeeded, 0 failed" "$work/h2load.txt" || { echo "runtime-calls: failed requests:" >&2; grep requests: "$work/h2load.txt" >&2; exit 1; }
    python3 - "$work/idle.txt" "$work/busy.txt" "$requests" "$start" "$end" "$mode" <<'PY'
import sys
def counts(path):
    found = {}
    for line in open(path):
        fields = line.strip().split(",")
        if len(fields) > 3 and fields[0].strip().isdigit():
            found[fields[2].split(":")[-1]] = int(fields[0])
    return found
idle, busy = counts(sys.argv[1]), counts(sys.argv[2])
requests, seconds = int(sys.argv[3]), float(sys.argv[5]) - float(sys.argv[4])
names = ["swift_retain", "swift_release", "swift_allocObject", "swift_beginAccess", "malloc"]
per_request = "  ".join(f"{name} {(busy.get(name, 0) - idle.get(name, 0) / 4 * seconds) / requests:.1f}" for name in names)
print(f"{sys.argv[6]:>8}: per request: {per_request}")
PY
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    sidecar_pid=""
}

echo "runtime-calls: $requests requests of 101 bytes, h2load -c 8, $binary"
count deployed
count plain
