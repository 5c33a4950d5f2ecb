#!/usr/bin/env bash
# Shadow-comparison benchmark (issue 16, "How fast"): wrk against the same fast backend through
# two ModelWatch sidecars in one run, alternating: one with shadowing off, one comparing 10% of
# requests with a small tree model (a depth-4 decision tree, skl2onnx) on one inference thread.
# Prints throughput and latency of both, observations dropped, comparisons, skips, comparisons per
# second per inference thread and the reference's cost per comparison; then one saturation run
# (every request sampled) for the most one inference thread compares per second.
#
# Usage: bench/shadow.sh [seconds per run (default 10)] [connections (default 32)] [rounds (default 2)]
# Needs nginx-light and wrk (bash .ci/setup.sh installs them) and .venv-onnx. Builds ModelWatch in
# release mode. Holds /tmp/bench.lock for the whole run; `flock -o` keeps it out of the servers.
set -euo pipefail
if [ -z "${MODELWATCH_BENCH_LOCKED:-}" ]; then
    exec env MODELWATCH_BENCH_LOCKED=1 flock -o /tmp/bench.lock "$0" "$@"
fi
cd "$(dirname "$0")/.."
source bench/lib.sh
duration=${1:-10}
connections=${2:-32}
rounds=${3:-2}
work=$(mktemp -d /tmp/modelwatch-shadow-bench.XXXXXX)
out=bench/out
mkdir -p "$out"
backend_port=$(free_port)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

swift build -c release --product modelwatch >/dev/null
binary=${MODELWATCH_BINARY:-$(swift build -c release --show-bin-path)/modelwatch}
.venv-onnx/bin/python bench/shadow_model.py "$work/tree.onnx"

write_backend "$backend_port"
nginx -p "$work/backend" -c "$work/backend/nginx.conf" & pids+=($!)

# Starts a sidecar with an optional shadow section; sets $port and $admin.
start_sidecar() {
    local name=$1 shadow=$2
    port=$(free_port); admin=$(free_port)
    printf 'upstream:\n  url: http://127.0.0.1:%s\nstorage:\n  path: %s\n%s' "$backend_port" "$work/$name.db" "$shadow" > "$work/$name.yaml"
    "$binary" serve --config "$work/$name.yaml" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" --log-level warning & pids+=($!)
    for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$admin/healthz" && break; sleep 0.1; done
}
shadow_section() {
    printf 'shadow:\n  models:\n    iris:\n      reference: %s\n      sample: %s\n      threads: 1\n      queue_capacity: 1024\n      outputs:\n        label: predict\n' "$work/tree.onnx" "$1"
}
start_sidecar off ""; off_port=$port; off_admin=$admin
start_sidecar shadowed "$(shadow_section 0.1)"; on_port=$port; on_admin=$admin
start_sidecar saturated "$(shadow_section 1)"; full_port=$port; full_admin=$admin

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
    counter = counter + 1
    -- Rows differ from request to request, as live traffic does.
    local body = string.format('{"id":"bench","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[%.1f,3.5,%.1f,0.2]}]}', 4.5 + (counter % 30) / 10, 1.0 + (counter % 50) / 10)
    return wrk.format(nil, nil, nil, body)
end
LUA

metrics() { curl -s "http://127.0.0.1:$1/metrics" > "$work/$2.metrics"; }

declare -A total_rps total_p50 total_p99
for target in off on; do total_rps[$target]=0; total_p50[$target]=0; total_p99[$target]=0; done
for round in $(seq 1 "$rounds"); do
    for target in off on; do
        case $target in off) port=$off_port ;; on) port=$on_port ;; esac
        read -r rps p50 p99 < <(measure "$port")
        echo "round $round  shadow $target: $rps req/s  p50 ${p50} ms  p99 ${p99} ms" >&2
        total_rps[$target]=$(python3 -c "print(${total_rps[$target]} + $rps)")
        total_p50[$target]=$(python3 -c "print(${total_p50[$target]} + $p50)")
        total_p99[$target]=$(python3 -c "print(${total_p99[$target]} + $p99)")
    done
done
sleep 2
metrics "$off_admin" off; metrics "$on_admin" on
# Saturation: every request sampled, one inference thread; what it compared in the run is its ceiling.
read -r full_rps _ _ < <(measure "$full_port")
sleep 2
metrics "$full_admin" full

python3 - "$work" "$rounds" "$duration" "$connections" "$full_rps" \
    "${total_rps[off]}" "${total_p50[off]}" "${total_p99[off]}" "${total_rps[on]}" "${total_p50[on]}" "${total_p99[on]}" <<'PY' | tee "$out/shadow-latest.md"
import re, sys
work, rounds, duration, connections, full_rps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
v = [float(x) / rounds for x in sys.argv[6:]]
def total(name, path, match=""):
    text = open(f"{work}/{path}.metrics").read()
    return sum(float(x) for labels, x in re.findall(r"^" + name + r"(\{[^}]*\})? (\S+)$", text, re.M) if match in labels)
print(f"wrk -t1 -c{connections} -d{duration:.0f}s, POST /v2/models/iris/infer, mean of {rounds} rounds, alternating")
print()
print("| sidecar | req/s | p50 ms | p99 ms | observations dropped |")
print("|---|---:|---:|---:|---:|")
print(f"| shadowing off | {v[0]:.0f} | {v[1]:.3f} | {v[2]:.3f} | {total('modelwatch_observations_dropped_total', 'off'):.0f} |")
print(f"| 10% shadowed to a depth-4 tree, 1 inference thread | {v[3]:.0f} | {v[4]:.3f} | {v[5]:.3f} | {total('modelwatch_observations_dropped_total', 'on'):.0f} |")
print()
compared = sum(total("modelwatch_shadow_comparisons_total", "on", f'result="{r}"') for r in ("match", "mismatch", "error"))
skipped = total("modelwatch_shadow_skipped_total", "on")
answered = total("modelwatch_requests_total", "on", 'endpoint="infer"')
seconds = total("modelwatch_reference_inference_seconds_sum", "on")
runs = total("modelwatch_reference_inference_seconds_count", "on")
print(f"- throughput with 10% shadowed / shadowing off = {v[3] / v[0]:.3f}x (target >= 0.95x)")
print(f"- shadowed sidecar: {answered:.0f} requests, {compared:.0f} compared ({100 * compared / max(answered, 1):.1f}%), {skipped:.0f} skipped; {compared / (rounds * duration):.0f} comparisons/s on one inference thread")
print(f"- reference cost: {1e6 * seconds / max(runs, 1):.1f} µs per comparison (mean of modelwatch_reference_inference_seconds)")
full_compared = sum(total("modelwatch_shadow_comparisons_total", "full", f'result="{r}"') for r in ("match", "mismatch", "error"))
full_skipped = total("modelwatch_shadow_skipped_total", "full")
full_seconds = total("modelwatch_reference_inference_seconds_sum", "full")
full_runs = total("modelwatch_reference_inference_seconds_count", "full")
print(f"- saturation (every request sampled, 1 thread): {full_rps:.0f} req/s proxied, {full_compared / duration:.0f} comparisons/s, {full_skipped:.0f} skipped as queue_full, {1e6 * full_seconds / max(full_runs, 1):.1f} µs per inference, observations dropped {total('modelwatch_observations_dropped_total', 'full'):.0f}")
PY
