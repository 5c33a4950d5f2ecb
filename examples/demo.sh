#!/usr/bin/env bash
# The main job: a real MLServer serving a scikit-learn iris model, ModelWatch in front of it, and
# example traffic through the sidecar, printed as it goes. Stops on Ctrl-C, or after
# DEMO_SECONDS seconds when that is set.
#
#   client ──▶ modelwatch :8080 ──libcurl──▶ MLServer :9080
#   admin: http://127.0.0.1:9464/metrics (Prometheus), /readyz, /healthz
#   history: modelwatch.db (SQLite), read with `modelwatch query` or the sqlite3 shell
#   drift: against examples/iris-baseline.json; after DEMO_SHIFT_AFTER requests (default 12) the
#   petal length of the traffic grows by 2 cm, and `modelwatch drift` shows it
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bash .ci/setup.sh
echo "demo: building modelwatch (release)"
swift build -c release --product modelwatch
binary="$(swift build -c release --show-bin-path)/modelwatch"

work=$(mktemp -d /tmp/modelwatch-demo.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

wait_for() {  # url, what
    for _ in $(seq 1 240); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.5
    done
    echo "demo: $2 did not come up; see $work" >&2
    exit 1
}

echo "demo: training the iris model and starting MLServer on 127.0.0.1:9080"
.venv/bin/python Tests/IntegrationTests/Fixtures/mlserver_iris.py "$work/models" 9080 9081 9082
(cd "$work/models" && PATH="$repo/.venv/bin:$PATH" exec "$repo/.venv/bin/mlserver" start . > "$work/mlserver.log" 2>&1) &
pids+=($!)
wait_for http://127.0.0.1:9080/v2/health/ready MLServer

echo "demo: starting modelwatch (data port 127.0.0.1:8080, admin port 127.0.0.1:9464)"
"$binary" serve --config examples/modelwatch.yaml > "$work/modelwatch.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:9464/readyz "modelwatch readiness"
echo "demo: /readyz says $(curl -s http://127.0.0.1:9464/readyz)"
echo
echo "demo: sending predictions through the sidecar (Ctrl-C to stop); metrics: curl -s http://127.0.0.1:9464/metrics"
echo "demo: try it yourself:"
echo "  curl -s -X POST http://127.0.0.1:8080/v2/models/iris/infer -H 'content-type: application/json' \\"
echo "    -d '{\"inputs\":[{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[5.1,3.5,1.4,0.2]}]}'"
echo

# Each request is a batch of five iris rows, read from scikit-learn's iris data in turn.
.venv/bin/python -c 'from sklearn.datasets import load_iris
for row in load_iris().data: print(",".join(str(v) for v in row))' | shuf --random-source=<(yes) > "$work/rows.csv"
mapfile -t rows < "$work/rows.csv"
shift_after=${DEMO_SHIFT_AFTER:-12}
deadline=$(( $(date +%s) + ${DEMO_SECONDS:-31536000} ))
count=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ "$count" -eq "$shift_after" ]; then
        echo "demo: from now on the petal length of the traffic is 2 cm longer than in the baseline (drift)"
    fi
    batch=""
    for offset in 0 1 2 3 4; do
        row=${rows[$(( (count * 5 + offset) % ${#rows[@]} ))]}
        if [ "$count" -ge "$shift_after" ]; then
            row=$(awk -F, -v OFS=, '{ $3 = $3 + 2; print }' <<< "$row")
        fi
        batch="$batch${batch:+,}$row"
    done
    body="{\"id\":\"demo-$count\",\"inputs\":[{\"name\":\"input-0\",\"shape\":[5,4],\"datatype\":\"FP32\",\"data\":[$batch]}]}"
    answer=$(curl -s -w ' [HTTP %{http_code}, %{time_total}s]' -X POST http://127.0.0.1:8080/v2/models/iris/infer \
        -H 'content-type: application/json' -d "$body")
    echo "predict 5 rows -> $answer"
    if [ $((count % 10)) -eq 9 ]; then
        # A malformed request: MLServer's own 4xx passes through the sidecar untouched.
        echo "bad request -> $(curl -s -w ' [HTTP %{http_code}]' -X POST http://127.0.0.1:8080/v2/models/iris/infer \
            -H 'content-type: application/json' -d '{"inputs":[{"name":"input-0","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}')"
        # What the sidecar counted so far (all of it: curl -s http://127.0.0.1:9464/metrics).
        echo "metrics:"
        curl -s http://127.0.0.1:9464/metrics | grep -E '^modelwatch_(requests_total|predictions_total|payload_decode_failures_total|request_duration_seconds_(sum|count))' \
            | sed 's/^/  /'
        # The same counter as recorded in the SQLite history (examples/modelwatch.yaml: storage.path).
        echo "history (modelwatch query --db modelwatch.db, last 4 samples):"
        "$binary" query --db modelwatch.db 'modelwatch_requests_total{model="iris",code="200"}' --start now-1m | tail -n 4 | sed 's/^/  /'
        echo "drift gauges (updated each minute):"
        curl -s http://127.0.0.1:9464/metrics | grep -E '^modelwatch_(feature_drift\{.*statistic="wasserstein_norm"|dataset_drift_share)' | sed 's/^/  /'
    fi
    count=$((count + 1))
    sleep 1
done

# A graceful stop seals the live minute into the store; then the file alone tells the drift.
kill -TERM "${pids[1]}" 2>/dev/null || true
wait "${pids[1]}" 2>/dev/null || true
echo
echo "demo: drift of the last 5 minutes, from the store file (modelwatch drift --db modelwatch.db --model iris --window 5m):"
"$binary" drift --db modelwatch.db --model iris --window 5m --config examples/modelwatch.yaml
