"""Models for the shadow-comparison tests, made at test time (no model file is committed).

  shadow_models.py sklearn DIR          (.venv-onnx) a logistic regression on iris, fixed seed:
      DIR/iris.onnx (skl2onnx, probabilities as a tensor), DIR/iris-one-row.onnx (input shape
      fixed at [1, 4]), DIR/params.json, DIR/rows.json
  shadow_models.py mlserver DIR NAME VARIANT HTTP GRPC METRICS    (.venv, MLServer's scikit-learn)
      an MLServer repository in DIR/NAME serving model "iris" rebuilt from params.json;
      VARIANT "v2" shifts one intercept, so it answers differently on a known share of rows,
      written to DIR/expected-v2.json as the rows where v1 and v2 disagree.
  shadow_models.py quantized DIR        (.venv-onnx) an MLP regressor as FP32 ONNX (DIR/mlp.onnx),
      its int8 dynamic quantization (DIR/mlp-int8.onnx), rows (DIR/mlp-rows.json) and the offline
      comparison of the two under onnxruntime (DIR/mlp-offline.json).
"""

import json
import os
import sys

import numpy as np


def sklearn_models(directory):
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=2000).fit(features, labels)
    onnx_model = to_onnx(model, features[:1].astype(np.float32), options={id(model): {"zipmap": False}}, target_opset=15)
    with open(os.path.join(directory, "iris.onnx"), "wb") as handle:
        handle.write(onnx_model.SerializeToString())
    # The same model refusing every batch but one row: a reference that fails on some inputs.
    from skl2onnx.common.data_types import FloatTensorType

    one_row = to_onnx(model, initial_types=[("X", FloatTensorType([1, 4]))], options={id(model): {"zipmap": False}}, target_opset=15)
    with open(os.path.join(directory, "iris-one-row.onnx"), "wb") as handle:
        handle.write(one_row.SerializeToString())
    with open(os.path.join(directory, "params.json"), "w") as handle:
        json.dump({"coef": model.coef_.tolist(), "intercept": model.intercept_.tolist(), "classes": model.classes_.tolist()}, handle)
    generator = np.random.default_rng(20260101)
    low, high = features.min(axis=0), features.max(axis=0)
    rows = np.round(generator.uniform(low, high, size=(1000, 4)), 2)
    with open(os.path.join(directory, "rows.json"), "w") as handle:
        json.dump(rows.tolist(), handle)


def rebuilt(params, variant):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.coef_ = np.array(params["coef"])
    model.intercept_ = np.array(params["intercept"])
    model.classes_ = np.array(params["classes"])
    model.n_features_in_ = model.coef_.shape[1]
    if variant == "v2":
        model.intercept_ = model.intercept_ + np.array([0.0, 1.5, 0.0])
    return model


def mlserver_repository(directory, name, variant, http_port, grpc_port, metrics_port):
    import joblib

    with open(os.path.join(directory, "params.json")) as handle:
        params = json.load(handle)
    repository = os.path.join(directory, name)
    model_directory = os.path.join(repository, "iris")
    os.makedirs(model_directory, exist_ok=True)
    model = rebuilt(params, variant)
    joblib.dump(model, os.path.join(model_directory, "model.joblib"))
    with open(os.path.join(repository, "settings.json"), "w") as handle:
        json.dump(
            {"host": "127.0.0.1", "http_port": http_port, "grpc_port": grpc_port, "metrics_port": metrics_port,
             "parallel_workers": 0, "debug": False},
            handle,
        )
    with open(os.path.join(model_directory, "model-settings.json"), "w") as handle:
        json.dump({"name": "iris", "implementation": "mlserver_sklearn.SKLearnModel", "parameters": {"uri": "./model.joblib", "version": variant}}, handle)
    if variant == "v2":
        with open(os.path.join(directory, "rows.json")) as handle:
            rows = np.array(json.load(handle))
        differing = np.nonzero(rebuilt(params, "v1").predict(rows) != model.predict(rows))[0]
        with open(os.path.join(directory, "expected-v2.json"), "w") as handle:
            json.dump({"differing_rows": differing.tolist()}, handle)


def quantized_models(directory):
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from skl2onnx import to_onnx
    from sklearn.neural_network import MLPRegressor

    generator = np.random.default_rng(7)
    features = generator.normal(size=(2000, 8)).astype(np.float32)
    target = np.sin(features[:, 0]) + features[:, 1] * features[:, 2] + 0.5 * features[:, 3]
    model = MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=300, random_state=0).fit(features, target)
    fp32 = os.path.join(directory, "mlp.onnx")
    int8 = os.path.join(directory, "mlp-int8.onnx")
    with open(fp32, "wb") as handle:
        handle.write(to_onnx(model, features[:1], target_opset=15).SerializeToString())
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
    rows = generator.normal(size=(500, 8)).astype(np.float32)
    with open(os.path.join(directory, "mlp-rows.json"), "w") as handle:
        json.dump(rows.astype(np.float64).tolist(), handle)

    def run(path):
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return np.concatenate([session.run(None, {name: row[None, :]})[0].reshape(-1) for row in rows]).astype(np.float64)

    reference, quantized = run(fp32), run(int8)
    with open(os.path.join(directory, "mlp-offline.json"), "w") as handle:
        json.dump({"reference": reference.tolist(), "quantized": quantized.tolist(), "input": "X" if False else None}, handle)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "sklearn":
        sklearn_models(sys.argv[2])
    elif command == "mlserver":
        mlserver_repository(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
    elif command == "quantized":
        quantized_models(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {command}")
