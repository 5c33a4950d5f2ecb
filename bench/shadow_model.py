"""The shadow benchmark's reference: a small scikit-learn decision tree on iris (depth 4),
converted with skl2onnx (labels and probabilities as tensors). Usage: shadow_model.py OUT.onnx
(run with .venv-onnx)."""
import sys

import numpy as np
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

features, labels = load_iris(return_X_y=True)
model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(features, labels)
onnx_model = to_onnx(model, features[:1].astype(np.float32), options={id(model): {"zipmap": False}}, target_opset=15)
with open(sys.argv[1], "wb") as handle:
    handle.write(onnx_model.SerializeToString())
