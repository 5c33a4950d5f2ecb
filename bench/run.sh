#!/usr/bin/env bash
# Data-plane benchmark: the same fast backend directly, through nginx, through ModelWatch as
# deployed (analysis and storage on) and through ModelWatch with analysis off, alternating in the
# same rounds on this machine. Prints, per target: throughput and p50/p99 latency at saturation
# (wrk), CPU microseconds per request of each process (proxy and backend, from /proc), and latency
# at fixed rates (h2load --rps); then the ratios to nginx and the load average around the run.
#
# Usage: bench/run.sh [seconds per run (default 10)] [connections (default 32)] [rounds (default 2)] [rates (default "1000 5000")]
# Needs nginx-light, wrk and nghttp2-client (bash .ci/setup.sh installs them). Builds ModelWatch in
# release mode. The machine may be shared: the whole run holds /tmp/bench.lock, so two benchmarks
# never overlap; servers it starts do not inherit the lock.
set -euo pipefail
if [ -z "${MODELWATCH_BENCH_LOCKED:-}" ]; then
    exec env MODELWATCH_BENCH_LOCKED=1 flock -o /tmp/bench.lock "$0" "$@"
fi
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
rounds=${3:-2}
rates=${4:-1000 5000}
work=$(mktemp -d /tmp/modelwatch-bench.XXXXXX)
out=bench/out
mkdir -p "$out"

source bench/lib.sh
backend_port=$(free_port); nginx_port=$(free_port); modelwatch_port=$(free_port); admin_port=$(free_port)
plain_port=$(free_port); plain_admin_port=$(free_port)

swift build -c release --product modelwatch >/dev/null
binary=$(swift build -c release --show-bin-path)/modelwatch

write_backend "$backend_port"
write_proxy "$nginx_port" "$backend_port"
nginx -p "$work/backend" -c "$work/backend/nginx.conf" & backend_pid=$!
nginx -p "$work/proxy" -c "$work/proxy/nginx.conf" & proxy_pid=$!
"$binary" serve --upstream "http://127.0.0.1:$backend_port" --listen "127.0.0.1:$modelwatch_port" \
    --admin-listen "127.0.0.1:$admin_port" --storage-path "$work/modelwatch.db" --log-level warning & modelwatch_pid=$!
# The same binary with the analysis pipeline off: what monitoring costs, measured in the same run.
printf 'upstream:\n  url: http://127.0.0.1:%s\nanalysis:\n  enabled: false\nstorage:\n  enabled: false\n' "$backend_port" > "$work/plain.yaml"
"$binary" serve --config "$work/plain.yaml" --listen "127.0.0.1:$plain_port" \
    --admin-listen "127.0.0.1:$plain_admin_port" --log-level warning & plain_pid=$!
trap 'kill $backend_pid $proxy_pid $modelwatch_pid $plain_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for port in $backend_port $nginx_port $modelwatch_port $plain_port; do
    for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" -X POST -d '{}' && break; sleep 0.1; done
done

write_request

port_of() {
    case $1 in
        direct) echo "$backend_port" ;; nginx) echo "$nginx_port" ;; modelwatch) echo "$modelwatch_port" ;; plain) echo "$plain_port" ;;
    esac
}
pid_of() {
    case $1 in
        direct) echo "$backend_pid" ;; nginx) echo "$proxy_pid" ;; modelwatch) echo "$modelwatch_pid" ;; plain) echo "$plain_pid" ;;
    esac
}

# Prints "requests p50_ms p99_ms seconds" for one wrk run.
saturate() {
    wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/v2/models/iris/infer" > "$work/wrk.txt"
    python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
m = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", text)
seconds = float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit("wrk saw %s failed responses" % errors.group(1))
print("%s %.3f %.3f %.3f" % (m.group(1), ms("50"), ms("99"), seconds))
PY
}

# Prints "p50_ms p99_ms requests" for a fixed rate: 10 connections, each at rate/10 requests/s.
fixed_rate() {
    rm -f "$work/h2load.log"
    h2load --h1 -c10 --rps "$(($2 / 10))" -D "$duration" -d "$work/body.json" -H 'content-type: application/json' \
        --log-file "$work/h2load.log" "http://127.0.0.1:$1/v2/models/iris/infer" > "$work/h2load.txt"
    python3 - "$work/h2load.log" <<'PY'
import sys
rows = [line.split("\t") for line in open(sys.argv[1]) if line.strip()]
bad = sum(1 for row in rows if not row[1].startswith("2"))
if bad:
    sys.exit("h2load saw %d failed responses" % bad)
durations = sorted(int(row[2]) for row in rows)
def pct(p):
    return durations[min(len(durations) - 1, int(p / 100 * len(durations)))] / 1000
print("%.3f %.3f %d" % (pct(50), pct(99), len(durations)))
PY
}

targets="direct nginx modelwatch plain"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$work/saturation.txt"
: > "$work/rates.txt"
for round in $(seq 1 "$rounds"); do
    for target in $targets; do
        read -r backend_before proxy_before < <(cpu_ns "$backend_pid" "$(pid_of "$target")")
        read -r loops_before others_before < <(cpu_split_ns "$(pid_of "$target")")
        read -r requests p50 p99 seconds < <(saturate "$(port_of "$target")")
        read -r backend_after proxy_after < <(cpu_ns "$backend_pid" "$(pid_of "$target")")
        read -r loops_after others_after < <(cpu_split_ns "$(pid_of "$target")")
        echo "$target $requests $seconds $p50 $p99 $((proxy_after - proxy_before)) $((backend_after - backend_before))" \
            "$((loops_after - loops_before)) $((others_after - others_before))" >> "$work/saturation.txt"
        echo "round $round  $target: $requests requests in ${seconds} s  p50 ${p50} ms  p99 ${p99} ms" >&2
    done
    for rate in $rates; do
        for target in $targets; do
            read -r p50 p99 count < <(fixed_rate "$(port_of "$target")" "$rate")
            echo "$rate $target $p50 $p99 $count" >> "$work/rates.txt"
            echo "round $round  $target at $rate/s: p50 ${p50} ms  p99 ${p99} ms ($count requests)" >&2
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$work/saturation.txt" "$work/rates.txt" "$rounds" "$duration" "$connections" "$load_before" "$load_after" <<'PY' | tee "$out/latest.md"
import collections, sys
saturation, rates, rounds, duration, connections, load_before, load_after = sys.argv[1:]
names = {"direct": "direct", "nginx": "nginx", "modelwatch": "modelwatch", "plain": "modelwatch, analysis off"}
rows = collections.defaultdict(lambda: [0.0] * 8)
for line in open(saturation):
    target, requests, seconds, p50, p99, proxy_ns, backend_ns, loops_ns, others_ns = line.split()
    row = rows[target]
    row[0] += float(requests); row[1] += float(seconds); row[2] += float(p50); row[3] += float(p99)
    row[4] += float(proxy_ns); row[5] += float(backend_ns); row[6] += float(loops_ns); row[7] += float(others_ns)
n = int(rounds)
print(f"wrk -t1 -c{connections} -d{duration}s, POST /v2/models/iris/infer (101 bytes), {rounds} rounds alternating targets;")
print(f"load average before {load_before}, after {load_after} (2 cores)")
print()
print("| target | req/s | × nginx | p50 ms | p99 ms | proxy CPU µs/req | backend CPU µs/req |")
print("|---|---:|---:|---:|---:|---:|---:|")
nginx_rps = rows["nginx"][0] / rows["nginx"][1]
for key, name in names.items():
    requests, seconds, p50, p99, proxy_ns, backend_ns, _, _ = rows[key]
    rps = requests / seconds
    proxy = "—" if key == "direct" else f"{proxy_ns / requests / 1000:.1f}"
    print(f"| {name} | {rps:.0f} | {rps / nginx_rps:.2f} | {p50 / n:.3f} | {p99 / n:.3f} | {proxy} | {backend_ns / requests / 1000:.1f} |")
def cpu(key):
    return rows[key][4] / rows[key][0] / 1000
print()
print(f"- CPU per request, modelwatch / nginx = {cpu('modelwatch') / cpu('nginx'):.2f}× (target ≤ 2×); analysis off {cpu('plain') / cpu('nginx'):.2f}×")
for key in ("modelwatch", "plain"):
    requests, loops_ns, others_ns = rows[key][0], rows[key][6], rows[key][7]
    print(f"- {names[key]}: event loops {loops_ns / requests / 1000:.1f} µs/req, other threads (analysis pipeline, store, drift) {others_ns / requests / 1000:.1f} µs/req")
fixed = collections.defaultdict(lambda: [0.0, 0.0, 0])
for line in open(rates):
    rate, target, p50, p99, count = line.split()
    entry = fixed[(int(rate), target)]
    entry[0] += float(p50); entry[1] += float(p99); entry[2] += 1
if fixed:
    print()
    print("Fixed rate (h2load --h1, 10 connections), latency in ms; added = target − direct:")
    print()
    print("| rate/s | target | p50 | p99 | added p99 |")
    print("|---:|---|---:|---:|---:|")
    for rate in sorted({rate for rate, _ in fixed}):
        direct_p99 = fixed[(rate, "direct")][1] / fixed[(rate, "direct")][2]
        for key, name in names.items():
            p50, p99, count = fixed[(rate, key)]
            added = "—" if key == "direct" else f"{(p99 / count - direct_p99) * 1000:.0f} µs"
            print(f"| {rate} | {name} | {p50 / count:.3f} | {p99 / count:.3f} | {added} |")
PY

# Decoding and metrics ran for every request above: did the analysis pipeline keep up?
sleep 1
curl -s "http://127.0.0.1:$admin_port/metrics" | python3 -c '
import re, sys
text = sys.stdin.read()
def total(name, match=""):
    return sum(float(v) for labels, v in re.findall(r"^" + name + r"(\{[^}]*\})? (\S+)$", text, re.M) if match in labels)
answered = total("modelwatch_requests_total", "endpoint=\"infer\"")
dropped = total("modelwatch_observations_dropped_total")
rows = total("modelwatch_predictions_total")
print(f"- analysis pipeline (decoding + metrics on): {answered:.0f} requests counted, {rows:.0f} rows decoded, {dropped:.0f} observations dropped")
' | tee -a "$out/latest.md"
