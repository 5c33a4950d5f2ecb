#!/usr/bin/env bash
# The main job: a real MLServer serving a scikit-learn iris model, ModelWatch in front of it, and
# example traffic through the sidecar, printed as it goes. Stops on Ctrl-C, or after
# DEMO_SECONDS seconds when that is set.
#
#   client ──▶ modelwatch :8080 ──libcurl──▶ MLServer :9080
#   admin: http://127.0.0.1:9464/metrics (Prometheus), /readyz, /healthz
#   history: modelwatch.db (SQLite), read with `modelwatch query` or the sqlite3 shell
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

samples=("5.1,3.5,1.4,0.2" "6.2,3.4,5.4,2.3" "5.9,3.0,4.2,1.5" "4.9,3.0,1.4,0.2" "6.7,3.1,4.4,1.4")
deadline=$(( $(date +%s) + ${DEMO_SECONDS:-31536000} ))
count=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    sample=${samples[$((count % ${#samples[@]}))]}
    body="{\"id\":\"demo-$count\",\"inputs\":[{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[$sample]}]}"
    answer=$(curl -s -w ' [HTTP %{http_code}, %{time_total}s]' -X POST http://127.0.0.1:8080/v2/models/iris/infer \
        -H 'content-type: application/json' -d "$body")
    echo "predict [$sample] -> $answer"
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
    fi
    count=$((count + 1))
    sleep 1
done
