"""Prepares a real MLServer model repository serving a scikit-learn iris classifier.

Usage: mlserver_iris.py DIRECTORY HTTP_PORT GRPC_PORT METRICS_PORT

Writes DIRECTORY/settings.json (bound to 127.0.0.1, parallel_workers 0) and
DIRECTORY/iris/{model.joblib,model-settings.json}; then `mlserver start DIRECTORY` serves it.
"""

import json
import os
import sys

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def main() -> None:
    directory, http_port, grpc_port, metrics_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    model_directory = os.path.join(directory, "iris")
    os.makedirs(model_directory, exist_ok=True)
    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(features, labels)
    joblib.dump(model, os.path.join(model_directory, "model.joblib"))
    with open(os.path.join(directory, "settings.json"), "w") as handle:
        json.dump(
            {
                "host": "127.0.0.1",
                "http_port": http_port,
                "grpc_port": grpc_port,
                "metrics_port": metrics_port,
                "parallel_workers": 0,
                "debug": False,
            },
            handle,
        )
    with open(os.path.join(model_directory, "model-settings.json"), "w") as handle:
        json.dump(
            {
                "name": "iris",
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib", "version": "v1"},
            },
            handle,
        )


if __name__ == "__main__":
    main()
