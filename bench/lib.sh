# Shared by the data-plane benchmarks (run.sh, rules.sh, shadow.sh, payloads.sh); sourced with
# `work`, `duration` and `connections` set.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# write_backend PORT: nginx's configuration for a fast backend in $work/backend: a fixed OIP v2
# prediction, the size of a small real answer.
write_backend() {
    local backend_port=$1
    local answer='{"model_name":"iris","model_version":"v1","id":"bench","parameters":{},"outputs":[{"name":"predict","shape":[1,1],"datatype":"INT64","parameters":{"content_type":"np"},"data":[0]}]}'
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
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$backend_port;
        location / {
            default_type application/json;
            client_body_buffer_size 64k;
            return 200 '$answer';
        }
    }
}
CONF
}

# write_proxy PORT BACKEND_PORT [DIRECTIVES]: nginx as the reverse proxy to beat, in $work/proxy:
# upstream keep-alive, no response buffering; DIRECTIVES go into its http block.
write_proxy() {
    local port=$1 backend_port=$2 directives=${3:-}
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
    client_body_buffer_size 64k;
    $directives
    upstream model { server 127.0.0.1:$backend_port; keepalive 128; }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://model;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
CONF
}

# A typical OIP v2 request body (101 bytes), as a wrk script and as a file for h2load.
write_request() {
local body='{"id":"bench","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
printf '%s' "$body" > "$work/body.json"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA
}

# Prints "requests/s p50_ms p99_ms" for one wrk run.
measure() {
    wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/v2/models/iris/infer" > "$work/wrk.txt"
    python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit("wrk saw %s failed responses" % errors.group(1))
print("%.0f %.3f %.3f" % (rps, ms("50"), ms("99")))
PY
}


# CPU time in nanoseconds of a process, its threads and its children's (nginx's workers), from
# each thread's /proc schedstat, which counts in nanoseconds rather than clock ticks.
cpu_ns() {
    python3 - "$@" <<'PY'
import os, sys
def tree(pid):
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            children = open(f"/proc/{pid}/task/{task}/children").read().split()
            for child in children:
                pids += tree(child)
    except FileNotFoundError:
        pass
    return pids
for root in sys.argv[1:]:
    total = 0
    for pid in tree(root):
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                total += int(open(f"/proc/{pid}/task/{task}/schedstat").read().split()[0])
        except FileNotFoundError:
            pass
    print(total, end=" ")
print()
PY
}

# CPU time in nanoseconds of one process's threads, split in two: the event loops (threads named
# NIO-*) and every other thread (for ModelWatch: the analysis pipeline, store, drift). Prints
# "loops others".
cpu_split_ns() {
    python3 - "$1" <<'PY'
import os, sys
loops = others = 0
for task in os.listdir(f"/proc/{sys.argv[1]}/task"):
    try:
        name = open(f"/proc/{sys.argv[1]}/task/{task}/comm").read().strip()
        ns = int(open(f"/proc/{sys.argv[1]}/task/{task}/schedstat").read().split()[0])
    except FileNotFoundError:
        continue
    if name.startswith("NIO-"):
        loops += ns
    else:
        others += ns
print(loops, others)
PY
}
