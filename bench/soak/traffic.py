"""The soak's clients: mixed traffic through the sidecar's data port until a deadline.

Usage: traffic.py DATA_PORT SECONDS

Each kind of client runs in its own thread and counts its outcomes, printed at the end:
good OIP predictions, malformed JSON, OpenAI-style streams, backend errors, slow clients (the
head dribbled a byte at a time, some stalling past the header timeout) and garbage HTTP.
"""

import collections
import http.client
import json
import random
import socket
import sys
import threading
import time

outcomes = collections.Counter()
lock = threading.Lock()


def count(kind, outcome):
    with lock:
        outcomes[f"{kind} {outcome}"] += 1


def request(port, kind, method, path, body, pause, deadline, headers=None):
    connection = None
    while time.time() < deadline:
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(method, path, body=body(), headers=headers or {"content-type": "application/json"})
            response = connection.getresponse()
            response.read()
            count(kind, response.status)
            if response.getheader("connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as error:
            count(kind, type(error).__name__)
            if connection is not None:
                connection.close()
            connection = None
        time.sleep(pause)


def iris_rows():
    rows = [[round(random.uniform(4.3, 7.9), 1), round(random.uniform(2.0, 4.4), 1),
             round(random.uniform(1.0, 6.9), 1), round(random.uniform(0.1, 2.5), 1)] for _ in range(10)]
    return json.dumps({"inputs": [{"name": "input-0", "shape": [10, 4], "datatype": "FP32",
                                   "data": [v for row in rows for v in row]}]})


def malformed():
    good = iris_rows()
    return random.choice([good[: random.randrange(1, len(good))], good.replace(":", "", 1), "{\"inputs\": [NaN,,]}", "\x00\xff"])


def stream():
    return json.dumps({"model": "soak-llm", "stream": random.random() < 0.8,
                       "messages": [{"role": "user", "content": "hi"}]})


def raw(port, kind, payloads, pause, deadline):
    while time.time() < deadline:
        payload, dribble, stall = random.choice(payloads)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                if dribble:
                    for index in range(len(payload)):
                        sock.sendall(payload[index:index + 1])
                        time.sleep(dribble)
                else:
                    sock.sendall(payload)
                if stall:
                    time.sleep(stall)
                sock.shutdown(socket.SHUT_WR)
                answer = sock.recv(65536)
                count(kind, answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "closed")
        except OSError as error:
            count(kind, type(error).__name__)
        time.sleep(pause)


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    deadline = time.time() + seconds
    good_head = b"POST /v2/models/iris/infer HTTP/1.1\r\nHost: soak\r\ncontent-type: application/json\r\n"
    body = iris_rows().encode()
    whole = good_head + b"content-length: %d\r\n\r\n" % len(body) + body
    threads = [
        threading.Thread(target=request, args=(port, "good", "POST", "/v2/models/iris/infer", iris_rows, 0.02, deadline)),
        threading.Thread(target=request, args=(port, "good", "POST", "/v2/models/iris/infer", iris_rows, 0.05, deadline)),
        threading.Thread(target=request, args=(port, "malformed", "POST", "/v2/models/iris/infer", malformed, 0.5, deadline)),
        threading.Thread(target=request, args=(port, "stream", "POST", "/v1/chat/completions", stream, 0.2, deadline)),
        threading.Thread(target=request, args=(port, "error500", "POST", "/fail/500", lambda: "{}", 1.0, deadline)),
        threading.Thread(target=request, args=(port, "error503", "GET", "/fail/503", lambda: None, 2.0, deadline)),
        threading.Thread(target=request, args=(port, "reset", "GET", "/fail/reset", lambda: None, 2.0, deadline)),
        threading.Thread(target=request, args=(port, "slowbackend", "GET", "/fail/slow", lambda: None, 1.0, deadline)),
        # Slow clients: a whole request dribbled in (answered), and a head that stalls past the
        # sidecar's header timeout (408).
        threading.Thread(target=raw, args=(port, "slowclient", [(whole, 0.005, 0), (good_head, 0.01, 8)], 0.5, deadline)),
        threading.Thread(target=raw, args=(port, "garbage", [
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 4, 0, 0),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 0, 0),
            (b"POST /v2/models/iris/infer HTTP/1.1\r\nHost: s\r\ntransfer-encoding: gzip, chunked\r\n\r\n", 0, 0),
            (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: s\r\n\r\n", 0, 0),
            (b"NOT HTTP AT ALL\r\n\r\n", 0, 0)], 0.5, deadline)),
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    for key in sorted(outcomes):
        print(f"traffic: {key}: {outcomes[key]}")


if __name__ == "__main__":
    main()
