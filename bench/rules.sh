#!/usr/bin/env bash
# Rule evaluation benchmark (issue 13, "How fast"): two release sidecars in front of the same
# nginx backend, with the same models and series; one evaluates 100 rules (10 groups of 10, every
# 15 s) over its own store, the other none. Over the same period it reads both processes' CPU time
# from /proc (utime + stime) and prints what the rules cost as a share of one core; then wrk
# posts to both, alternating, as bench/run.sh does, for throughput and p99 with rules on and off.
#
# Usage: [MODELS=5] bench/rules.sh [seconds of CPU measurement (default 300)] [wrk seconds (10)] [connections (32)] [rounds (2)]
# Needs nginx-light and wrk (bash .ci/setup.sh installs them). Builds ModelWatch in release mode.
# Holds /tmp/bench.lock for the whole run so two benchmarks never share the machine; `flock -o`
# keeps the lock out of the servers it starts.
set -euo pipefail
if [ -z "${MODELWATCH_BENCH_LOCKED:-}" ]; then
    exec env MODELWATCH_BENCH_LOCKED=1 flock -o /tmp/bench.lock "$0" "$@"
fi
cd "$(dirname "$0")/.."
period=${1:-300}
duration=${2:-10}
connections=${3:-32}
rounds=${4:-2}
work=$(mktemp -d /tmp/modelwatch-rbench.XXXXXX)
out=bench/out
mkdir -p "$out"
source bench/lib.sh
backend_port=$(free_port)
on_port=$(free_port); on_admin=$(free_port); off_port=$(free_port); off_admin=$(free_port)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

swift build -c release --product modelwatch >/dev/null
binary=${MODELWATCH_BINARY:-$(swift build -c release --show-bin-path)/modelwatch}
write_backend "$backend_port"
write_request

# 100 rules in 10 groups of 10: the shapes on-call rule files use (rates, ratios, quantiles,
# over-time functions, plain thresholds) over the sidecar's own series, each with its own
# threshold or window so no two are the same query.
python3 - "$work/rules.yaml" <<'PY'
import sys
shapes = [
    ("record", "sum by (model, version) (rate(modelwatch_requests_total[{w}m]))"),
    ("alert", "sum by (model, version) (rate(modelwatch_requests_total{{code=~\"5..\"}}[{w}m])) / sum by (model, version) (rate(modelwatch_requests_total[{w}m])) > 0.0{t}"),
    ("alert", "histogram_quantile(0.99, sum by (model, le) (rate(modelwatch_request_duration_seconds_bucket[{w}m]))) > {t}"),
    ("alert", "histogram_quantile(0.9, sum by (model, version, le) (rate(modelwatch_upstream_duration_seconds_bucket[{w}m]))) > 0.{t}"),
    ("record", "sum by (model) (rate(modelwatch_request_size_bytes_sum[{w}m])) / sum by (model) (rate(modelwatch_request_size_bytes_count[{w}m]))"),
    ("alert", "modelwatch_upstream_up == 0"),
    ("alert", "increase(modelwatch_observations_dropped_total[{w}m]) > {t}"),
    ("alert", "max_over_time(modelwatch_requests_in_flight[{w}m]) > {t}0"),
    ("alert", "sum by (model) (rate(modelwatch_predictions_total[{w}m])) < 0.{t} and sum by (model) (modelwatch_predictions_total offset {w}m) > 0"),
    ("alert", "avg by (model) (rate(modelwatch_overhead_seconds_sum[{w}m]) / rate(modelwatch_overhead_seconds_count[{w}m])) > 0.0{t}"),
]
lines = ["groups:"]
for group in range(10):
    lines += [f"  - name: bench-{group}", "    interval: 15s", "    rules:"]
    for index, (kind, expression) in enumerate(shapes):
        number = group * 10 + index
        expr = expression.format(w=group % 5 + 1, t=index + 1)
        if kind == "record":
            lines += [f"      - record: bench:rule{number}", f"        expr: '{expr}'"]
        else:
            lines += [f"      - alert: Bench{number}", f"        expr: '{expr}'", "        for: 5m",
                      "        labels: {severity: warning}",
                      "        annotations: {summary: '{{ $labels.model }} at {{ $value | humanize }}'}"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
rules=$(grep -c -E '^      - (alert|record):' "$work/rules.yaml")

nginx -p "$work/backend" -c "$work/backend/nginx.conf" & pids+=($!)
printf 'upstream:\n  url: http://127.0.0.1:%s\nstorage:\n  path: %s\nrules:\n  files: [%s]\n  evaluation_interval: 15s\n' \
    "$backend_port" "$work/on.db" "$work/rules.yaml" > "$work/on.yaml"
printf 'upstream:\n  url: http://127.0.0.1:%s\nstorage:\n  path: %s\n' "$backend_port" "$work/off.db" > "$work/off.yaml"
"$binary" serve --config "$work/on.yaml" --listen "127.0.0.1:$on_port" --admin-listen "127.0.0.1:$on_admin" --log-level warning & on_pid=$!
pids+=($on_pid)
"$binary" serve --config "$work/off.yaml" --listen "127.0.0.1:$off_port" --admin-listen "127.0.0.1:$off_admin" --log-level warning & off_pid=$!
pids+=($off_pid)
for port in $backend_port $on_port $off_port; do
    for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" -X POST -d '{}' && break; sleep 0.1; done
done

# The same series in both: ${MODELS:-5} models × 2 versions, each with its request, size and latency
# histograms (about 100 series a model and version; 5 models give about 1 000 series in all).
for model in $(seq 1 "${MODELS:-5}"); do
    for version in 1 2; do
        for port in $on_port $off_port; do
            curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d @- \
                "http://127.0.0.1:$port/v2/models/m$model/versions/$version/infer" <<< '{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}'
        done
    done
done
sleep 12  # one self-scrape of the store (10 s) with every series in it
series=$(curl -sf "http://127.0.0.1:$on_admin/api/v1/query" --data-urlencode 'query=count({__name__=~".+", __name__!~"bench:.*|ALERTS.*"})' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')

# clock ticks of utime + stime of a process
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
on0=$(cpu $on_pid); off0=$(cpu $off_pid); t0=$(date +%s.%N)
sleep "$period"
on1=$(cpu $on_pid); off1=$(cpu $off_pid); t1=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
evaluation=$(curl -sf "http://127.0.0.1:$on_admin/metrics" | python3 -c '
import re, sys
text = sys.stdin.read()
def total(name):
    return sum(float(v) for v in re.findall(r"^" + name + r"\{[^}]*\} (\S+)$", text, re.M))
count, seconds = total("modelwatch_rule_evaluation_seconds_count"), total("modelwatch_rule_evaluation_seconds_sum")
failures = total("modelwatch_rule_evaluation_failures_total")
print(f"{count:.0f} {seconds:.3f} {failures:.0f}")')
read -r evaluations evaluation_seconds failures <<< "$evaluation"

declare -A total_rps total_p50 total_p99
for target in on off; do total_rps[$target]=0; total_p50[$target]=0; total_p99[$target]=0; done
for round in $(seq 1 "$rounds"); do
    for target in on off; do
        if [ "$target" = on ]; then port=$on_port; else port=$off_port; fi
        read -r rps p50 p99 < <(measure "$port")
        echo "round $round  rules $target: $rps req/s  p50 ${p50} ms  p99 ${p99} ms" >&2
        total_rps[$target]=$(python3 -c "print(${total_rps[$target]} + $rps)")
        total_p50[$target]=$(python3 -c "print(${total_p50[$target]} + $p50)")
        total_p99[$target]=$(python3 -c "print(${total_p99[$target]} + $p99)")
    done
done

python3 - "$rules" "$series" "$period" "$ticks" "$on0" "$on1" "$off0" "$off1" "$t0" "$t1" "$evaluations" "$evaluation_seconds" \
    "$failures" "$load_before" "$load_after" "$rounds" "$duration" "$connections" \
    "${total_rps[on]}" "${total_p50[on]}" "${total_p99[on]}" "${total_rps[off]}" "${total_p50[off]}" "${total_p99[off]}" <<'PY' | tee "$out/rules-latest.md"
import sys
a = sys.argv[1:]
rules, series, period, ticks = int(a[0]), int(a[1]), a[2], int(a[3])
on = (float(a[5]) - float(a[4])) / ticks
off = (float(a[7]) - float(a[6])) / ticks
wall = float(a[9]) - float(a[8])
evaluations, evaluation_seconds, failures = int(a[10]), float(a[11]), int(a[12])
load_before, load_after = a[13], a[14]
rounds, duration, connections = int(a[15]), a[16], a[17]
v = [float(x) / rounds for x in a[18:24]]
print(f"{rules} rules in 10 groups every 15 s over {series} series; CPU over {wall:.0f} s (load average {load_before} before, {load_after} after)")
print()
print("| sidecar | CPU seconds | share of one core |")
print("|---|---:|---:|")
print(f"| rules on | {on:.2f} | {100 * on / wall:.2f}% |")
print(f"| rules off | {off:.2f} | {100 * off / wall:.2f}% |")
print()
cost = 100 * (on - off) / wall
print(f"- rules cost {cost:.2f}% of one core (target < 5%: {'met' if cost < 5 else 'not met'}); {evaluations} group evaluations took {evaluation_seconds:.2f} s in all ({1000 * evaluation_seconds / max(evaluations, 1):.1f} ms each), {failures} rule failures")
print()
print(f"wrk -t1 -c{connections} -d{duration}s, POST /v2/models/iris/infer, mean of {rounds} rounds, alternating")
print()
print("| sidecar | req/s | p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
print(f"| rules on | {v[0]:.0f} | {v[1]:.3f} | {v[2]:.3f} |")
print(f"| rules off | {v[3]:.0f} | {v[4]:.3f} | {v[5]:.3f} |")
print()
print(f"- rules on / off: throughput {v[0] / v[3]:.2f}x, p99 {v[2] / v[5]:.2f}x")
PY
