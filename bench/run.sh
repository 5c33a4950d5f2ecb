#!/usr/bin/env bash
# Data-plane benchmark: wrk against the same fast backend directly, through nginx, and through
# ModelWatch, in one run on this machine; prints throughput, p50/p99 latency and the ratios.
# ModelWatch runs as deployed: every request is decoded and counted by its analysis pipeline.
#
# Usage: bench/run.sh [seconds per run (default 10)] [connections (default 32)] [rounds (default 2)]
# Needs nginx-light and wrk (bash .ci/setup.sh installs them). Builds ModelWatch in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
rounds=${3:-2}
work=$(mktemp -d /tmp/modelwatch-bench.XXXXXX)
out=bench/out
mkdir -p "$out"

source bench/lib.sh
backend_port=$(free_port); nginx_port=$(free_port); modelwatch_port=$(free_port); admin_port=$(free_port)
plain_port=$(free_port); plain_admin_port=$(free_port)

swift build -c release --product modelwatch >/dev/null
binary=$(swift build -c release --show-bin-path)/modelwatch

write_backend "$backend_port"
mkdir -p "$work/proxy"
cat > "$work/proxy/nginx.conf" <<CONF
worker_processes auto;
daemon off;
error_log $work/proxy/error.log warn;
pid $work/proxy/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/proxy/body;
    proxy_temp_path $work/proxy/proxy;
    keepalive_requests 1000000;
    upstream model { server 127.0.0.1:$backend_port; keepalive 128; }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://model;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            client_body_buffer_size 64k;
        }
    }
}
CONF
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

declare -A total_rps total_p50 total_p99
targets="direct nginx modelwatch plain"
for target in $targets; do total_rps[$target]=0; total_p50[$target]=0; total_p99[$target]=0; done
for round in $(seq 1 "$rounds"); do
    for target in $targets; do
        case $target in
            direct) port=$backend_port ;; nginx) port=$nginx_port ;; modelwatch) port=$modelwatch_port ;; plain) port=$plain_port ;;
        esac
        read -r rps p50 p99 < <(measure "$port")
        echo "round $round  $target: $rps req/s  p50 ${p50} ms  p99 ${p99} ms" >&2
        total_rps[$target]=$(python3 -c "print(${total_rps[$target]} + $rps)")
        total_p50[$target]=$(python3 -c "print(${total_p50[$target]} + $p50)")
        total_p99[$target]=$(python3 -c "print(${total_p99[$target]} + $p99)")
    done
done

python3 - "$rounds" "$duration" "$connections" \
    "${total_rps[direct]}" "${total_p50[direct]}" "${total_p99[direct]}" \
    "${total_rps[nginx]}" "${total_p50[nginx]}" "${total_p99[nginx]}" \
    "${total_rps[modelwatch]}" "${total_p50[modelwatch]}" "${total_p99[modelwatch]}" \
    "${total_rps[plain]}" "${total_p50[plain]}" "${total_p99[plain]}" <<'PY' | tee "$out/latest.md"
import sys
rounds, duration, connections = int(sys.argv[1]), sys.argv[2], sys.argv[3]
v = [float(x) / rounds for x in sys.argv[4:]]
rows = {"direct": v[0:3], "nginx": v[3:6], "modelwatch": v[6:9], "modelwatch, analysis off": v[9:12]}
print(f"wrk -t1 -c{connections} -d{duration}s, POST /v2/models/iris/infer, mean of {rounds} rounds")
print()
print("| target | req/s | p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
for name, (rps, p50, p99) in rows.items():
    print(f"| {name} | {rps:.0f} | {p50:.3f} | {p99:.3f} |")
direct, nginx, mw = rows["direct"], rows["nginx"], rows["modelwatch"]
added_nginx = nginx[2] - direct[2]
added_mw = mw[2] - direct[2]
print()
print(f"- throughput: modelwatch / nginx = {mw[0] / nginx[0]:.2f}x (target >= 0.90x); modelwatch / direct = {mw[0] / direct[0]:.2f}x")
print(f"- added p99: modelwatch {added_mw:.3f} ms vs nginx {added_nginx:.3f} ms = {added_mw / added_nginx if added_nginx > 0 else float('inf'):.2f}x (target <= 1.20x)")
plain = rows["modelwatch, analysis off"]
print(f"- analysis off: throughput / nginx = {plain[0] / nginx[0]:.2f}x, added p99 {plain[2] - direct[2]:.3f} ms; analysis on costs {100 * (1 - mw[0] / plain[0]):.0f}% of throughput")
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
