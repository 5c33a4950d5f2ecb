#!/usr/bin/env bash
# PromQL benchmark (issue 12, "How fast"): the same day of data (10 s scrape, 200 series: 40
# counters and a classic histogram) loaded into a real Prometheus 2.42 with `promtool tsdb
# create-blocks-from openmetrics` and into ModelWatch with `modelwatch import`; the same instant
# and 24 h range queries (60 s step) through both HTTP APIs, in one run; prints each side's median,
# the ratio, and the import rate.
#
# Usage: bench/query-vs-prometheus.sh [runs per query (default 7)]
# Needs Debian's prometheus (bash .ci/setup.sh installs it). Builds ModelWatch in release mode.
# Holds /tmp/bench.lock for the whole run so two benchmarks never share the machine; `flock -o`
# keeps the lock out of the servers it starts.
set -euo pipefail
if [ -z "${MODELWATCH_BENCH_LOCKED:-}" ]; then
    exec env MODELWATCH_BENCH_LOCKED=1 flock -o /tmp/bench.lock "$0" "$@"
fi
cd "$(dirname "$0")/.."
runs=${1:-7}
work=$(mktemp -d /tmp/modelwatch-qbench.XXXXXX)
out=bench/out
mkdir -p "$out"
start=1764547200            # 2025-12-01T00:00:00Z: the day the data covers
end=$((start + 86400))
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
prometheus_port=$(free_port); modelwatch_port=$(free_port)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

swift build -c release --product modelwatch >/dev/null
binary=${MODELWATCH_BINARY:-$(swift build -c release --show-bin-path)/modelwatch}

python3 bench/query-data.py "$start" > "$work/day.om"
samples=$(grep -vc '^#' "$work/day.om")
series=$(grep -v '^#' "$work/day.om" | cut -d' ' -f1 | sort -u | wc -l)

seconds() { python3 -c 'import sys, time; print(time.time())'; }
t0=$(seconds)
promtool tsdb create-blocks-from openmetrics "$work/day.om" "$work/prometheus" >/dev/null
t1=$(seconds)
"$binary" import --db "$work/modelwatch.db" "$work/day.om" >/dev/null
t2=$(seconds)

printf 'global:\n  evaluation_interval: 1m\n' > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn \
    > "$work/prometheus.log" 2>&1 & pids+=($!)
"$binary" api --db "$work/modelwatch.db" --listen "127.0.0.1:$modelwatch_port" --log-level warning \
    > "$work/modelwatch.log" 2>&1 & pids+=($!)
for port in $prometheus_port $modelwatch_port; do
    for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/query?query=1" && break; sleep 0.1; done
done

# Prints the median wall time in seconds of `runs` requests (after one warm-up), failing on any error.
median() { # port path query [range]
    local port=$1 path=$2 query=$3 range=${4:-} times=()
    local args=(--data-urlencode "query=$query")
    if [ -n "$range" ]; then args+=(--data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=60")
    else args+=(--data-urlencode "time=$end"); fi
    for run in $(seq 0 "$runs"); do
        local line
        line=$(curl -s -G -o "$work/answer.json" -w '%{http_code} %{time_total}' "${args[@]}" "http://127.0.0.1:$port$path")
        [ "${line%% *}" = 200 ] && grep -q '"status":"success"' "$work/answer.json" \
            || { echo "query failed on port $port: $(head -c 300 "$work/answer.json")" >&2; exit 1; }
        [ "$run" -gt 0 ] && times+=("${line#* }")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# The answers must agree before their times mean anything.
same() { # query [range]
    local query=$1 range=${2:-} args=(--data-urlencode "query=$1")
    if [ -n "$range" ]; then args+=(--data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=60")
        path=/api/v1/query_range; else args+=(--data-urlencode "time=$end"); path=/api/v1/query; fi
    curl -s -G "${args[@]}" "http://127.0.0.1:$prometheus_port$path" > "$work/theirs.json"
    curl -s -G "${args[@]}" "http://127.0.0.1:$modelwatch_port$path" > "$work/ours.json"
    python3 - "$work/theirs.json" "$work/ours.json" <<'PY'
import json, math, sys
def load(path):
    data = json.load(open(path))["data"]["result"]
    return {json.dumps(r["metric"], sort_keys=True): r.get("values") or [r["value"]] for r in data}
theirs, ours = load(sys.argv[1]), load(sys.argv[2])
if theirs.keys() != ours.keys():
    sys.exit(f"series differ: {sorted(theirs)[:3]} vs {sorted(ours)[:3]}")
for key in theirs:
    a, b = theirs[key], ours[key]
    if [t for t, _ in a] != [t for t, _ in b]:
        sys.exit(f"timestamps differ for {key}")
    for (_, x), (_, y) in zip(a, b):
        x, y = float(x), float(y)
        if not (x == y or (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-9 * max(abs(x), abs(y))):
            sys.exit(f"values differ for {key}: {x} vs {y}")
PY
}

rate='sum by (model) (rate(x_total[5m]))'
quantile='histogram_quantile(0.99, sum by (le, model) (rate(x_bucket[5m])))'
rows=()
for query in "$rate" "$quantile"; do
    for kind in instant range; do
        range=; path=/api/v1/query
        [ "$kind" = range ] && { range=1; path=/api/v1/query_range; }
        same "$query" "$range"
        theirs=$(median "$prometheus_port" "$path" "$query" "$range")
        ours=$(median "$modelwatch_port" "$path" "$query" "$range")
        echo "$kind $query: prometheus $theirs s, modelwatch $ours s" >&2
        rows+=("$kind|$query|$theirs|$ours")
    done
done

python3 - "$runs" "$samples" "$series" "$t0" "$t1" "$t2" "${rows[@]}" <<'PY' | tee "$out/query-latest.md"
import sys
runs, samples, series = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t0, t1, t2 = map(float, sys.argv[4:7])
print(f"{series} series x one day at 10 s ({samples} samples); median of {runs} requests per query after one warm-up, through each HTTP API (curl time_total)")
print()
print("| query | Prometheus 2.42 | ModelWatch | ratio | target |")
print("|---|---:|---:|---:|---|")
for row in sys.argv[7:]:
    kind, query, theirs, ours = row.split("|")
    theirs, ours = float(theirs), float(ours)
    ratio = ours / theirs
    what = "instant" if kind == "instant" else "24 h range, 60 s step"
    print(f"| {what}: `{query}` | {theirs * 1000:.1f} ms | {ours * 1000:.1f} ms | {ratio:.2f}x | <= 2x: {'met' if ratio <= 2 else 'not met'} |")
print()
rate = samples / (t2 - t1)
print(f"- `modelwatch import`: {samples} samples in {t2 - t1:.2f} s = {rate:,.0f} samples/s (target >= 300,000: {'met' if rate >= 300000 else 'not met'});"
      f" `promtool tsdb create-blocks-from openmetrics`: {t1 - t0:.2f} s = {samples / (t1 - t0):,.0f} samples/s")
PY
