"""A real KServe Python model server (kserve from PyPI) serving a scikit-learn iris classifier.

It speaks KServe's V1 protocol (TF Serving style): POST /v1/models/iris:predict with
{"instances": [[...4 features...], ...]} answers {"predictions": [class, ...]}.
Usage: kserve_iris.py --http_port PORT. Bound to 127.0.0.1, gRPC off.
"""
import json
import sys

import kserve_loopback  # noqa: F401  (before kserve: binds loopback only)

import kserve  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402


class IrisModel(kserve.Model):
    def __init__(self, name):
        super().__init__(name)
        self.model = None
        self.load()

    def load(self):
        features, labels = load_iris(return_X_y=True)
        self.model = LogisticRegression(max_iter=1000).fit(features, labels)
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None, response_headers=None):
        if isinstance(payload, (bytes, str)):
            payload = json.loads(payload)
        instances = payload["instances"]
        return {"predictions": self.model.predict(instances).tolist()}


if __name__ == "__main__":
    sys.argv += ["--enable_grpc", "false", "--workers", "1"]
    kserve.ModelServer().start([IrisModel("iris")])
