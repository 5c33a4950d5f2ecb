"""The soak's backend: an OpenAI-style streaming server in front of a real MLServer.

Usage: backend.py PORT MLSERVER_PORT

- POST /v1/chat/completions answers like an OpenAI-compatible server: with `"stream": true`, a
  chunked `text/event-stream` of token chunks, a last chunk carrying `usage`, then `[DONE]`.
- /fail/500 and /fail/503 answer a backend error; /fail/reset closes the connection unanswered;
  /fail/slow answers after two seconds.
- everything else is forwarded to MLServer as it came, and its answer returned as it went.
"""

import http.client
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mlserver_port = 0

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def _body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chat(self, body):
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            self._answer(400, b'{"error":"invalid json"}')
            return
        model = request.get("model", "soak-llm") if isinstance(request, dict) else "soak-llm"
        tokens = ["Hello", ",", " soak", " world", "!"]
        usage = {"prompt_tokens": 7, "completion_tokens": len(tokens), "total_tokens": 7 + len(tokens)}
        if not (isinstance(request, dict) and request.get("stream")):
            answer = {"id": "c", "object": "chat.completion", "model": model,
                      "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(tokens)},
                                   "finish_reason": "stop"}], "usage": usage}
            self._answer(200, json.dumps(answer).encode())
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

        def send(data):
            event = f"data: {data}\n\n".encode()
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()

        for token in tokens:
            chunk = {"id": "c", "object": "chat.completion.chunk", "model": model,
                     "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}]}
            send(json.dumps(chunk))
            time.sleep(0.02)
        send(json.dumps({"id": "c", "object": "chat.completion.chunk", "model": model, "choices": [], "usage": usage}))
        send("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _forward(self, body):
        connection = http.client.HTTPConnection("127.0.0.1", self.mlserver_port, timeout=30)
        try:
            headers = {"content-type": self.headers.get("content-type", "application/json")}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            self._answer(response.status, answer, response.getheader("content-type", "application/json"))
        except OSError:
            self._answer(502, b'{"error":"mlserver unreachable"}')
        finally:
            connection.close()

    def _handle(self):
        body = self._body()
        if self.path.startswith("/v1/chat/completions"):
            self._chat(body)
        elif self.path == "/fail/500":
            self._answer(500, b'{"error":"soak: internal error"}')
        elif self.path == "/fail/503":
            self._answer(503, b'{"error":"soak: overloaded"}')
        elif self.path == "/fail/reset":
            self.close_connection = True
            self.connection.close()
        elif self.path == "/fail/slow":
            time.sleep(2)
            self._answer(200, b'{"slow":true}')
        else:
            self._forward(body)

    do_GET = _handle
    do_POST = _handle


def main():
    port, Handler.mlserver_port = int(sys.argv[1]), int(sys.argv[2])
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
