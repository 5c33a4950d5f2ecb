#!/usr/bin/env bash
# The main job: a real MLServer serving a scikit-learn iris model, ModelWatch in front of it, and
# example traffic through the sidecar, printed as it goes. Stops on Ctrl-C, after DEMO_SECONDS
# seconds of traffic, or DEMO_SHIFTED_SECONDS seconds after the shift below, whichever is set and
# comes first; then it prints the drift before and after the shift from the store file.
#
#   client ──▶ modelwatch :8080 ──libcurl──▶ MLServer :9080
#   admin: http://127.0.0.1:9464/metrics (Prometheus), /readyz, /healthz
#   history: modelwatch.db (SQLite, new for each run), read with `modelwatch query` or sqlite3
#   drift: against examples/iris-baseline.json. Each request is a batch of iris rows taken in turn,
#   so live traffic has the baseline's distribution. At the first minute boundary at least 30 s
#   into the traffic, the petal length of every row grows by 2 cm. Drift is judged per whole
#   minute, so the minutes before that boundary show no drift and the minutes after it show
#   petal_length drifting (and the predicted labels with it), the other features not.
#   DEMO_SHIFTED_SECONDS=40 shows both and stops by itself, one to two minutes in.
#
# MODELWATCH_BINARY=path uses that binary instead of building a release one (the tests do).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bash .ci/setup.sh demo
if [ -n "${MODELWATCH_BINARY:-}" ]; then
    binary=$MODELWATCH_BINARY
else
    echo "demo: building modelwatch (release)"
    swift build -c release --product modelwatch
    binary="$(swift build -c release --show-bin-path)/modelwatch"
fi
# A fresh history for each run: an old file would mix its minutes into this run's drift windows.
db=modelwatch.db
rm -f "$db" "$db-wal" "$db-shm"

work=$(mktemp -d /tmp/modelwatch-demo.XXXXXX)
mlserver_pid=""
sidecar_pid=""
stop_process() { # pid: SIGTERM, then SIGKILL if it has not exited 5 s later
    kill -TERM "$1" 2>/dev/null || return 0
    (sleep 5 && kill -KILL "$1" 2>/dev/null) &
    local killer=$!
    wait "$1" 2>/dev/null || true
    kill "$killer" 2>/dev/null || true
    wait "$killer" 2>/dev/null || true
}
cleanup() {
    for pid in $sidecar_pid $mlserver_pid; do stop_process "$pid"; done
    rm -rf "$work"
}
trap cleanup EXIT
stop=0
trap 'stop=1' INT TERM

wait_for() { # url, what
    for _ in $(seq 1 240); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.5
    done
    echo "demo: $2 did not come up; its log:" >&2
    tail -n 20 "$3" >&2
    exit 1
}

echo "demo: training the iris model and starting MLServer on 127.0.0.1:9080"
.venv/bin/python Tests/IntegrationTests/Fixtures/mlserver_iris.py "$work/models" 9080 9081 9082
(cd "$work/models" && PATH="$repo/.venv/bin:$PATH" exec "$repo/.venv/bin/mlserver" start . >"$work/mlserver.log" 2>&1) &
mlserver_pid=$!
wait_for http://127.0.0.1:9080/v2/health/ready MLServer "$work/mlserver.log"

echo "demo: starting modelwatch (data port 127.0.0.1:8080, admin port 127.0.0.1:9464, history $db)"
"$binary" serve --config examples/modelwatch.yaml --storage-path "$db" >"$work/modelwatch.log" 2>&1 &
sidecar_pid=$!
wait_for http://127.0.0.1:9464/readyz "modelwatch readiness" "$work/modelwatch.log"
echo "demo: /readyz says $(curl -s http://127.0.0.1:9464/readyz)"
echo
echo "demo: sending predictions through the sidecar (Ctrl-C to stop); metrics: curl -s http://127.0.0.1:9464/metrics"
echo "demo: try it yourself:"
echo "  curl -s -X POST http://127.0.0.1:8080/v2/models/iris/infer -H 'content-type: application/json' \\"
echo "    -d '{\"inputs\":[{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[5.1,3.5,1.4,0.2]}]}'"
echo

# scikit-learn's iris rows in a fixed shuffled order, and the same rows 2 cm longer in petal.
.venv/bin/python -c 'from sklearn.datasets import load_iris
for row in load_iris().data: print(",".join(str(v) for v in row))' | shuf --random-source=<(yes) >"$work/rows.csv"
awk -F, -v OFS=, '{ $3 = $3 + 2; print }' "$work/rows.csv" >"$work/shifted.csv"
mapfile -t rows <"$work/rows.csv"
mapfile -t shifted <"$work/shifted.csv"
batch_rows=10

metrics() { # the exposition lines matching a pattern, indented; a note when there are none yet
    local lines
    lines=$(curl -s http://127.0.0.1:9464/metrics | grep -E "$1" || true)
    if [ -n "$lines" ]; then sed 's/^/  /' <<<"$lines"; else echo "  ($2)"; fi
}

started=$(date +%s)
deadline=$((started + ${DEMO_SECONDS:-31536000}))
# The shift starts on a minute boundary, so every stored minute is wholly before or after it.
shift_at=$(((started + 30 + 59) / 60 * 60))
if [ -n "${DEMO_SHIFTED_SECONDS:-}" ] && [ $((shift_at + DEMO_SHIFTED_SECONDS)) -lt "$deadline" ]; then
    deadline=$((shift_at + DEMO_SHIFTED_SECONDS))
fi
echo "demo: the petal length shifts at $(date -u -d "@$shift_at" +%H:%M:%S) UTC (the first minute boundary 30 s or more from now)"
count=0
shifted_now=0
while [ "$stop" = 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
    if [ "$shifted_now" = 0 ] && [ "$(date +%s)" -ge "$shift_at" ]; then
        shifted_now=1
        echo "demo: from now on the petal length of the traffic is 2 cm longer than in the baseline (drift)"
    fi
    batch=""
    for ((offset = 0; offset < batch_rows; offset++)); do
        index=$(((count * batch_rows + offset) % ${#rows[@]}))
        if [ "$shifted_now" = 1 ]; then row=${shifted[$index]}; else row=${rows[$index]}; fi
        batch="$batch${batch:+,}$row"
    done
    body="{\"id\":\"demo-$count\",\"inputs\":[{\"name\":\"input-0\",\"shape\":[$batch_rows,4],\"datatype\":\"FP32\",\"data\":[$batch]}]}"
    answer=$(curl -s -w ' [HTTP %{http_code}, %{time_total}s]' -X POST http://127.0.0.1:8080/v2/models/iris/infer \
        -H 'content-type: application/json' -d "$body" || echo "(no answer)")
    echo "predict $batch_rows rows -> ${answer:0:160}"
    if [ $((count % 20)) -eq 19 ]; then
        # A malformed request (the JSON stops halfway): MLServer answers 422 and the sidecar counts
        # it as a 422 of the version that serves the model, and as a payload it could not decode.
        echo "malformed request -> $(curl -s -w ' [HTTP %{http_code}]' -X POST http://127.0.0.1:8080/v2/models/iris/infer \
            -H 'content-type: application/json' -d '{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[1,2' || true)"
        echo "metrics (all of them: curl -s http://127.0.0.1:9464/metrics):"
        metrics '^modelwatch_(requests_total|predictions_total|payload_decode_failures_total|request_duration_seconds_(sum|count))' "none yet"
        echo "history (modelwatch query --db $db, last 3 samples of the 200s):"
        ("$binary" query --db "$db" 'modelwatch_requests_total{model="iris",code="200"}' --start now-1m 2>&1 || true) | tail -n 3 | sed 's/^/  /'
        echo "drift gauges (each minute, over the last 5 whole minutes):"
        metrics '^modelwatch_(feature_drift\{.*statistic="psi"|dataset_drift_share)' "none yet: the gauges are set when the first minute closes"
    fi
    count=$((count + 1))
    sleep 0.5
done

# A graceful stop seals the live minute into the store; from then on the file alone tells drift.
stop_process "$sidecar_pid"
sidecar_pid=""
now=$(date +%s)
echo
echo "demo: sent $count predictions; drift judged from the store file alone, with the settings the sidecar used:"
if [ "$now" -le "$shift_at" ]; then
    echo "demo: the run stopped before the shift; the minutes recorded (modelwatch drift --db $db --model iris --window 5m):"
    "$binary" drift --db "$db" --model iris --window 5m
    echo "demo: DEMO_SHIFTED_SECONDS=40 runs long enough to see the shift too"
    exit 0
fi
echo "demo: BEFORE the shift (modelwatch drift --db $db --model iris --at $shift_at --window 5m):"
"$binary" drift --db "$db" --model iris --at "$shift_at" --window 5m
after=$(((now - shift_at + 59) / 60))
echo
echo "demo: AFTER the shift (modelwatch drift --db $db --model iris --window ${after}m):"
"$binary" drift --db "$db" --model iris --window "${after}m"
