#!/usr/bin/env bash
# CPU per request with real payload sizes: nginx, ModelWatch as deployed and ModelWatch with
# analysis off, in front of the same nginx backend, alternating in the same rounds. Payloads:
#
#   oip-1x4      OIP v2, one iris row (FP32 [1,4]); answer INT64 [1,1]
#   oip-32x16    OIP v2, FP32 [32,16]; answer INT64 [32,1]
#   oip-64x784   OIP v2, FP32 [64,784] (an MNIST batch, about 420 KB); answer FP32 [64,10]
#   chat-stream  OpenAI chat completion with "stream": true; answer a 40-event SSE stream with usage
#
# The backend is nginx serving canned answers (a 40-event stream arrives as one body, not paced).
#
# Prints, per payload and target: throughput, CPU µs per request of the proxy process and, for
# ModelWatch, how much of it the event loops and the other threads (the analysis pipeline) spent.
#
# Usage: bench/payloads.sh [seconds per run (default 5)] [connections (default 16)] [rounds (default 2)]
# Needs nginx-light and wrk. Builds ModelWatch in release mode. Holds /tmp/bench.lock for the whole
# run; `flock -o` keeps it out of the servers it starts.
set -euo pipefail
if [ -z "${MODELWATCH_BENCH_LOCKED:-}" ]; then
    exec env MODELWATCH_BENCH_LOCKED=1 flock -o /tmp/bench.lock "$0" "$@"
fi
cd "$(dirname "$0")/.."
duration=${1:-5}
connections=${2:-16}
rounds=${3:-2}
work=$(mktemp -d /tmp/modelwatch-bench.XXXXXX)
out=bench/out
mkdir -p "$out"

source bench/lib.sh
backend_port=$(free_port); nginx_port=$(free_port); modelwatch_port=$(free_port); admin_port=$(free_port)
plain_port=$(free_port); plain_admin_port=$(free_port)

swift build -c release --product modelwatch >/dev/null
binary=$(swift build -c release --show-bin-path)/modelwatch

# Request bodies (files wrk reads) and the backend's canned answers (nginx `return` strings).
python3 - "$work" <<'PY'
import json, os, random, sys
work = sys.argv[1]
random.seed(7)
def oip(rows, columns):
    data = [round(random.uniform(0, 8), 4) for _ in range(rows * columns)]
    return {"id": "bench", "inputs": [{"name": "input-0", "shape": [rows, columns], "datatype": "FP32", "data": data}]}
def answer(model, shape, datatype, data):
    return {"model_name": model, "model_version": "v1", "id": "bench", "parameters": {},
            "outputs": [{"name": "predict", "shape": shape, "datatype": datatype, "data": data}]}
requests = {
    "oip-1x4": oip(1, 4),
    "oip-32x16": oip(32, 16),
    "oip-64x784": oip(64, 784),
    "chat-stream": {"model": "chat", "stream": True, "stream_options": {"include_usage": True},
                    "messages": [{"role": "user", "content": "Say something about monitoring models in production."}]},
}
answers = {
    "oip-1x4": answer("small", [1, 1], "INT64", [0]),
    "oip-32x16": answer("medium", [32, 1], "INT64", [random.randrange(3) for _ in range(32)]),
    "oip-64x784": answer("large", [64, 10], "FP32", [round(random.random(), 5) for _ in range(640)]),
}
for name, body in requests.items():
    open(f"{work}/{name}.json", "w").write(json.dumps(body, separators=(",", ":")))
# The backend serves each answer as a file at the request's path (see its nginx.conf).
paths = {"oip-1x4": "v2/models/small/infer", "oip-32x16": "v2/models/medium/infer",
         "oip-64x784": "v2/models/large/infer", "chat-stream": "v1/chat/completions"}
def write_answer(name, text):
    path = f"{work}/answers/{paths[name]}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)
for name, body in answers.items():
    write_answer(name, json.dumps(body, separators=(",", ":")))
chunks = []
for i in range(40):
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "chat",
             "choices": [{"index": 0, "delta": {"content": f"token{i} "}, "finish_reason": None}]}
    chunks.append("data: " + json.dumps(chunk, separators=(",", ":")) + "\n\n")
usage = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "chat", "choices": [],
         "usage": {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52}}
chunks.append("data: " + json.dumps(usage, separators=(",", ":")) + "\n\ndata: [DONE]\n\n")
write_answer("chat-stream", "".join(chunks))
PY

# nginx's workers may run as another user (nobody, when started as root).
chmod -R a+rX "$work"
mkdir -p "$work/backend"
cat > "$work/backend/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $work/backend/error.log warn;
pid $work/backend/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/backend/body;
    client_max_body_size 16m;
    client_body_buffer_size 1m;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$backend_port;
        root $work/answers;
        # A POST to a static file is refused with 405; answering it with the file instead makes
        # nginx a backend with canned answers of any size.
        error_page 405 =200 \$uri;
        location /v2/ { default_type application/json; }
        location /v1/ { default_type text/event-stream; }
    }
}
CONF
write_proxy "$nginx_port" "$backend_port" "client_max_body_size 16m; proxy_request_buffering off;"
nginx -p "$work/backend" -c "$work/backend/nginx.conf" & backend_pid=$!
nginx -p "$work/proxy" -c "$work/proxy/nginx.conf" & proxy_pid=$!
"$binary" serve --upstream "http://127.0.0.1:$backend_port" --listen "127.0.0.1:$modelwatch_port" \
    --admin-listen "127.0.0.1:$admin_port" --storage-path "$work/modelwatch.db" --log-level warning & modelwatch_pid=$!
printf 'upstream:\n  url: http://127.0.0.1:%s\nanalysis:\n  enabled: false\nstorage:\n  enabled: false\n' "$backend_port" > "$work/plain.yaml"
"$binary" serve --config "$work/plain.yaml" --listen "127.0.0.1:$plain_port" \
    --admin-listen "127.0.0.1:$plain_admin_port" --log-level warning & plain_pid=$!
trap 'kill $backend_pid $proxy_pid $modelwatch_pid $plain_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for port in $backend_port $nginx_port $modelwatch_port $plain_port; do
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/v2/models/small/infer" -X POST -d @"$work/oip-1x4.json" && break
        sleep 0.1
    done
done

path_of() {
    case $1 in
        oip-1x4) echo /v2/models/small/infer ;; oip-32x16) echo /v2/models/medium/infer ;;
        oip-64x784) echo /v2/models/large/infer ;; chat-stream) echo /v1/chat/completions ;;
    esac
}
port_of() { case $1 in nginx) echo "$nginx_port" ;; modelwatch) echo "$modelwatch_port" ;; plain) echo "$plain_port" ;; esac; }
pid_of() { case $1 in nginx) echo "$proxy_pid" ;; modelwatch) echo "$modelwatch_pid" ;; plain) echo "$plain_pid" ;; esac; }

payloads="oip-1x4 oip-32x16 oip-64x784 chat-stream"
targets="nginx modelwatch plain"
: > "$work/results.txt"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$rounds"); do
    for payload in $payloads; do
        cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open("$work/$payload.json", "rb")
wrk.body = file:read("*a")
file:close()
LUA
        for target in $targets; do
            pid=$(pid_of "$target")
            read -r total_before < <(cpu_ns "$pid")
            read -r loops_before others_before < <(cpu_split_ns "$pid")
            wrk -t1 -c"$connections" -d"${duration}s" -s "$work/post.lua" "http://127.0.0.1:$(port_of "$target")$(path_of "$payload")" > "$work/wrk.txt"
            read -r total_after < <(cpu_ns "$pid")
            read -r loops_after others_after < <(cpu_split_ns "$pid")
            if grep -q "Non-2xx" "$work/wrk.txt"; then
                echo "payloads: $target answered non-2xx for $payload:" >&2
                curl -si "http://127.0.0.1:$(port_of "$target")$(path_of "$payload")" -X POST -d @"$work/$payload.json" | head -20 >&2
                exit 1
            fi
            requests=$(grep -oP '\d+(?= requests in)' "$work/wrk.txt")
            echo "$payload $target $requests $((total_after - total_before)) $((loops_after - loops_before)) $((others_after - others_before))" >> "$work/results.txt"
            echo "round $round  $payload  $target: $requests requests" >&2
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# Every exchange was decoded: the deployed sidecar counted the predictions and the streamed tokens.
metrics=$(curl -sf "http://127.0.0.1:$admin_port/metrics")

python3 - "$work/results.txt" "$duration" "$connections" "$rounds" "$load_before" "$load_after" <<'PY' | tee "$out/payloads.md"
import collections, sys
results, duration, connections, rounds, load_before, load_after = sys.argv[1:]
rows = collections.defaultdict(lambda: [0, 0, 0, 0])
for line in open(results):
    payload, target, requests, total, loops, others = line.split()
    row = rows[(payload, target)]
    row[0] += int(requests); row[1] += int(total); row[2] += int(loops); row[3] += int(others)
print(f"wrk -t1 -c{connections} -d{duration}s per payload and target, {rounds} rounds alternating; load average before {load_before}, after {load_after} (2 cores)")
print()
print("| payload | target | req/s | CPU µs/req | × nginx | event loops µs/req | other threads µs/req |")
print("|---|---|---:|---:|---:|---:|---:|")
seconds = float(duration) * int(rounds)
for payload in ("oip-1x4", "oip-32x16", "oip-64x784", "chat-stream"):
    nginx = rows[(payload, "nginx")]
    nginx_cpu = nginx[1] / nginx[0] / 1000
    for target, name in (("nginx", "nginx"), ("modelwatch", "modelwatch"), ("plain", "modelwatch, analysis off")):
        requests, total, loops, others = rows[(payload, target)]
        cpu = total / requests / 1000
        split = ("—", "—") if target == "nginx" else (f"{loops / requests / 1000:.1f}", f"{others / requests / 1000:.1f}")
        print(f"| {payload} | {name} | {requests / seconds:.0f} | {cpu:.1f} | {cpu / nginx_cpu:.2f} | {split[0]} | {split[1]} |")
PY
echo
echo "$metrics" | grep -E '^modelwatch_predictions_total|^modelwatch_llm_tokens_total|^modelwatch_observations_dropped_total' || true
