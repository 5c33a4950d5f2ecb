#!/usr/bin/env bash
# Soak (issue 18): mixed traffic through a release sidecar for SOAK_SECONDS (default an hour),
# sampling the sidecar's RSS, open file descriptors and threads from /proc every
# SOAK_SAMPLE_SECONDS (60), then a verdict: flat after warm-up, or not.
#
#   traffic.py ──▶ modelwatch ──▶ backend.py ──▶ MLServer (iris)
#                                  └ OpenAI-style SSE streams, 500/503, resets, slow answers
#
# Traffic (bench/soak/traffic.py): good OIP predictions, malformed JSON, SSE streams, backend
# errors and resets, slow clients (a head dribbled in; a head stalled past the header timeout),
# garbage HTTP. Backend restarts: the front backend is killed and restarted every
# SOAK_RESTART_SECONDS (120), MLServer every fourth time.
#
# Verdict, over the samples after SOAK_WARMUP_SECONDS (120): flat when the mean of the last third
# of the samples is within SOAK_RSS_TOLERANCE_PERCENT (10) % of the first third's anonymous RSS
# (the heap; file-backed pages are reported beside it, not judged), within 16
# descriptors, and within 2 threads. Connections open at the instant of a sample move descriptors
# by a few, hence the absolute tolerance.
#
# MODELWATCH_BINARY=path uses that binary instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

seconds=${SOAK_SECONDS:-3600}
sample_every=${SOAK_SAMPLE_SECONDS:-60}
restart_every=${SOAK_RESTART_SECONDS:-120}
warmup=${SOAK_WARMUP_SECONDS:-120}
rss_tolerance=${SOAK_RSS_TOLERANCE_PERCENT:-10}

bash .ci/setup.sh demo
if [ -n "${MODELWATCH_BINARY:-}" ]; then
    binary=$MODELWATCH_BINARY
else
    echo "soak: building modelwatch (release)"
    swift build -c release --product modelwatch
    binary="$(swift build -c release --show-bin-path)/modelwatch"
fi
python=$repo/.venv/bin/python

# The run's files live in the ignored scratch folder .build-soak, away from /tmp's cleaners.
mkdir -p .build-soak
work=$(mktemp -d "$repo/.build-soak/run.XXXXXX")
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mlserver_port=$(free_port)
backend_port=$(free_port)
data_port=$(free_port)
admin_port=$(free_port)
mlserver_pid=""
backend_pid=""
sidecar_pid=""
traffic_pid=""
# The state letter (R, S, Z...) of pid $1 while it is a child of this shell; nothing otherwise.
# A pid that exited and was reaped is free, and a busy machine (pid_max 32768) hands it to
# another process within minutes: signalling it then would hit a stranger.
child_state() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    set -- ${stat##*) } # after the command name: state, parent, ...
    if [ "$2" = "$$" ]; then echo "$1"; fi
}
stop_process() { # pid: SIGTERM, then SIGKILL after 10 s; no helper subshell to race with
    [ -n "$(child_state "$1")" ] || return 0
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        case "$(child_state "$1")" in "" | Z) break ;; esac
        sleep 0.1
    done
    case "$(child_state "$1")" in "" | Z) ;; *) kill -KILL "$1" 2>/dev/null || true ;; esac
    wait "$1" 2>/dev/null || true
}
cleanup() {
    # Only the script itself cleans up: a subshell forked at the instant a signal arrives can
    # still hold this trap, and once ran it, stopping the sidecar and deleting the run mid-soak.
    [ "$BASHPID" = "$$" ] || return 0
    for pid in "$traffic_pid" "$sidecar_pid" "$backend_pid" "$mlserver_pid"; do
        [ -n "$pid" ] && stop_process "$pid"
    done
    rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # url, what, log
    for _ in $(seq 1 240); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.5
    done
    echo "soak: $2 did not come up; its log:" >&2
    tail -n 20 "$3" >&2
    exit 1
}
start_mlserver() {
    (cd "$work/models" && PATH="$repo/.venv/bin:$PATH" exec "$repo/.venv/bin/mlserver" start . >>"$work/mlserver.log" 2>&1) &
    mlserver_pid=$!
    wait_for "http://127.0.0.1:$mlserver_port/v2/health/ready" MLServer "$work/mlserver.log"
}
start_backend() {
    "$python" bench/soak/backend.py "$backend_port" "$mlserver_port" >>"$work/backend.log" 2>&1 &
    backend_pid=$!
    wait_for "http://127.0.0.1:$backend_port/fail/500" "the soak backend" "$work/backend.log"
}

echo "soak: MLServer on $mlserver_port, backend on $backend_port, sidecar data $data_port admin $admin_port"
"$python" Tests/IntegrationTests/Fixtures/mlserver_iris.py "$work/models" "$mlserver_port" "$(free_port)" "$(free_port)"
start_mlserver
start_backend
cat >"$work/modelwatch.yaml" <<YAML
server:
  listen: 127.0.0.1:$data_port
  header_timeout: 5s
  idle_timeout: 30s
admin:
  listen: 127.0.0.1:$admin_port
upstream:
  url: http://127.0.0.1:$backend_port
  timeout: 30s
models:
  names: [iris, soak-llm]
storage:
  path: $work/modelwatch.db
  scrape_interval: 10s
drift:
  window: 5m
  min_samples: 100
  models:
    iris:
      baseline: $repo/examples/iris-baseline.json
      features:
        sepal_length: input-0[0]
        sepal_width: input-0[1]
        petal_length: input-0[2]
        petal_width: input-0[3]
      outputs:
        label: predict
YAML
"$binary" serve --config "$work/modelwatch.yaml" --log-level warning >"$work/modelwatch.log" 2>&1 &
sidecar_pid=$!
wait_for "http://127.0.0.1:$admin_port/healthz" modelwatch "$work/modelwatch.log"

"$python" bench/soak/traffic.py "$data_port" "$seconds" >"$work/traffic.log" 2>&1 &
traffic_pid=$!

# RSS is sampled in its two parts: anonymous memory (the heap: what a leak grows) and file-backed
# pages (the binary, its libraries, and the store file the query readers map, which grows with
# the store until retention bounds it and which the kernel can drop at will).
sample() { # elapsed seconds: one line of the sidecar's memory (KiB), descriptors, threads, store size
    local anon file threads fds store
    anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$sidecar_pid/status")
    file=$(awk '/^RssFile:/ { print $2 }' "/proc/$sidecar_pid/status")
    threads=$(awk '/^Threads:/ { print $2 }' "/proc/$sidecar_pid/status")
    fds=$(find "/proc/$sidecar_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    store=$(($(stat -c %s "$work/modelwatch.db" 2>/dev/null || echo 0) / 1024))
    printf '%8s %10s %10s %6s %8s %9s %6s\n' "$1" "$anon" "$file" "$fds" "$threads" "$store" "$(cut -d' ' -f1 /proc/loadavg)" \
        | tee -a "$work/samples"
}
printf '%8s %10s %10s %6s %8s %9s %6s\n' seconds anon_kib file_kib fds threads store_kib load
started=$(date +%s)
next_sample=$started
next_restart=$((started + restart_every))
restarts=0
while [ "$(date +%s)" -lt $((started + seconds)) ]; do
    now=$(date +%s)
    kill -0 "$sidecar_pid" 2>/dev/null || { echo "soak: the sidecar died; its log:" >&2; tail -n 30 "$work/modelwatch.log" >&2; exit 1; }
    if [ "$now" -ge "$next_sample" ]; then
        sample $((now - started))
        next_sample=$((next_sample + sample_every))
    fi
    if [ "$now" -ge "$next_restart" ]; then
        restarts=$((restarts + 1))
        stop_process "$backend_pid"
        if [ $((restarts % 4)) = 0 ]; then
            echo "soak: restarting MLServer and the backend"
            stop_process "$mlserver_pid"
            start_mlserver
        else
            echo "soak: restarting the backend"
            sleep 2
        fi
        start_backend
        next_restart=$((next_restart + restart_every))
    fi
    sleep 1
done
sample $(($(date +%s) - started))
wait "$traffic_pid" || true
traffic_pid=""
cat "$work/traffic.log"
echo "soak: sidecar log lines: $(wc -l <"$work/modelwatch.log") (warnings and errors)"
curl -s "http://127.0.0.1:$admin_port/metrics" | grep -E '^modelwatch_(requests_total|observations_dropped_total|connections_)' | sed 's/^/soak: /' | head -n 40 || true

awk -v warmup="$warmup" -v tolerance="$rss_tolerance" '
    $1 >= warmup { n++; rss[n] = $2; file[n] = $3; fds[n] = $4; threads[n] = $5; store[n] = $6 }
    function mean(a, from, to,   i, s) { s = 0; for (i = from; i <= to; i++) s += a[i]; return s / (to - from + 1) }
    END {
        if (n < 3) { print "soak: verdict: too few samples after warm-up (" n ") to judge"; exit 0 }
        third = int(n / 3)
        r0 = mean(rss, 1, third); r1 = mean(rss, n - third + 1, n)
        f0 = mean(fds, 1, third); f1 = mean(fds, n - third + 1, n)
        t0 = mean(threads, 1, third); t1 = mean(threads, n - third + 1, n)
        growth = (r1 - r0) * 100 / r0
        flat = growth <= tolerance && f1 - f0 <= 16 && t1 - t0 <= 2
        printf "soak: %d samples after warm-up; first third vs last third: anonymous RSS %.0f -> %.0f KiB (%+.1f%%), fds %.1f -> %.1f, threads %.1f -> %.1f\n", n, r0, r1, growth, f0, f1, t0, t1
        printf "soak: file-backed RSS %.0f -> %.0f KiB while the store file grew %.0f -> %.0f KiB (mapped store pages; not judged)\n", mean(file, 1, third), mean(file, n - third + 1, n), mean(store, 1, third), mean(store, n - third + 1, n)
        printf "soak: verdict: %s (tolerance: anonymous RSS +%d%%, fds +16, threads +2)\n", flat ? "FLAT" : "GROWING", tolerance
    }' "$work/samples"
