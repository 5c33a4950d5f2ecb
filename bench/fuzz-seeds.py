"""Writes the fuzz targets' seed corpora into DIRECTORY/<target>/, from our own payloads: the JSON
documents the protocol tests feed the codecs, the YAML the configuration tests load, the example
configuration and baseline, and a few HTTP requests and event streams written here.

Usage: fuzz-seeds.py DIRECTORY
"""

import glob
import hashlib
import os
import re
import sys

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(repo, path), "rb") as handle:
        return handle.read()


def test_sources(pattern):
    return b"\n".join(read(path) for path in sorted(glob.glob(os.path.join(repo, pattern))))


def json_documents():
    sources = test_sources("Tests/ModelWatchProtocolsTests/*.swift") + test_sources("Tests/ModelWatchTests/*.swift")
    return sorted({match for match in re.findall(rb'#"(\{.*?\})"#', sources)})


def yaml_documents():
    sources = test_sources("Tests/ModelWatchTests/Configuration*.swift")
    blocks = re.findall(rb'"""\n(.*?)\n\s*"""', sources, re.S)
    inline = [text.replace(b"\\n", b"\n") for text in re.findall(rb'contents: "(.*?)"\)', sources)]
    return [re.sub(rb"(?m)^ {8,12}", b"", block) for block in blocks if b":" in block] + inline


def event_streams():
    return [
        b'data: {"id":"c","choices":[{"delta":{"content":"Hi"}}]}\n\ndata: {"id":"c","choices":[],'
        b'"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\ndata: [DONE]\n\n',
        b"event: message\r\nid: 1\r\ndata: a\r\ndata: b\r\n\r\n: comment\r\nretry: 10\r\ndata:c\r\r",
        b'data: {"choices":[{"text":"x"}]}\n\ndata: {"choi',
    ]


def http_requests():
    body = b'{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
    post = b"POST /v2/models/iris/infer HTTP/1.1\r\nHost: a\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    return [
        post,
        post + post,
        b"GET /v2/health/ready HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.0\r\n\r\n",
        b"POST /invocations HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-t: 1\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET http://a/ HTTP/1.1\r\nHost: a\r\nexpect: 100-continue\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nx: a\r\n folded\r\nbad : x\r\n\r\n",
        post[:40] + b"\r\n" + b"content-length: 10\r\n\r\n" + b"0123456789" + b"garbage garbage",
        b"HEAD /v1/models/m HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.0\r\n\r\n",
        b"POST /big HTTP/1.1\r\nHost: a\r\nexpect: 100-continue\r\ncontent-length: 100000\r\n\r\n" + b"x" * 200,
        b"PUT /s HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\n\r\n80\r\n" + b"y" * 128 + b"\r\n",
    ]


def proxy_inputs():
    """The data port's request path: a byte scripting the backend (answer, fail, stream or hang,
    with its status and framing), two bytes cutting the requests into three writes, and a byte
    saying which of the backend's heads carry a field that cannot be sent on (none, the first,
    the second, every one; each kind of bad field)."""
    scripts = [0x00, 0x01, 0x02, 0x03, 0x44, 0x86, 0x2A, 0x0C, 0x93, 0xC0]
    bad_fields = [0x00, 0x01, 0x42, 0x9F, 0xFF]
    return [
        bytes([script, 0x10 + index, 0x60, bad_fields[(index + number) % len(bad_fields)]]) + request
        for index, request in enumerate(http_requests())
        for number, script in enumerate(scripts)
    ]


def main():
    out = sys.argv[1]
    documents = json_documents()
    seeds = {
        "json": documents + [read("examples/iris-baseline.json")],
        "sse": event_streams(),
        "configuration": yaml_documents() + [read("examples/modelwatch.yaml")],
        "baseline": [
            read("examples/iris-baseline.json"),
            b"age,city,score\n42,Oslo,0.5\n37,\"Li,ma\",\n29,Pune,NaN\n",
            b'{"age":42,"city":"Oslo"}\n{"age":37,"city":null,"tags":[1,2]}\n',
        ],
        "proxy": proxy_inputs(),
    }
    streams = event_streams()
    for target in ["oip", "tfserving", "mlflow", "openai", "torchserve", "generic"]:
        pairs = [b"\x00" + request + b"\x00" + response for request, response in zip(documents, documents[1:] + documents[:1])]
        pairs += [b"\x01" + request + b"\x00" + stream for request in documents[:8] for stream in streams]
        pairs += [b"\x82" + documents[0] + b"\x00" + b'{"error":"bad"}']
        seeds[target] = pairs
    for target, documents_of_target in seeds.items():
        directory = os.path.join(out, target)
        os.makedirs(directory, exist_ok=True)
        for document in documents_of_target:
            with open(os.path.join(directory, hashlib.sha1(document).hexdigest()), "wb") as handle:
                handle.write(document)
        print(f"seeds: {target}: {len(documents_of_target)}")


if __name__ == "__main__":
    main()
