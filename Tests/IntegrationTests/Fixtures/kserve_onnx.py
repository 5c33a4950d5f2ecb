"""A real KServe Python model server (kserve from PyPI) whose custom model runs an ONNX file with
onnxruntime: the optimised (int8) backend of the shadow-comparison test.

It speaks KServe's V1 protocol: POST /v1/models/NAME:predict with {"instances": [[...], ...]}
answers {"predictions": [value, ...]}. Usage: kserve_onnx.py MODEL.onnx NAME --http_port PORT.
Bound to 127.0.0.1, gRPC off.
"""
import sys

import numpy as np

import kserve_loopback  # noqa: F401  (before kserve: binds loopback only)

import kserve  # noqa: E402
import onnxruntime  # noqa: E402


class OnnxModel(kserve.Model):
    def __init__(self, name, path):
        super().__init__(name)
        self.path = path
        self.session = None
        self.load()

    def load(self):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None, response_headers=None):
        instances = np.asarray(payload["instances"], dtype=np.float32)
        name = self.session.get_inputs()[0].name
        outputs = self.session.run(None, {name: instances})[0]
        return {"predictions": outputs.reshape(len(instances), -1)[:, 0].astype(np.float64).tolist()}


if __name__ == "__main__":
    path, name = sys.argv[1], sys.argv[2]
    sys.argv = [sys.argv[0]] + sys.argv[3:] + ["--enable_grpc", "false", "--workers", "1"]
    kserve.ModelServer().start([OnnxModel(name, path)])
