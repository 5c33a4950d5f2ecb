#!/usr/bin/env bash
# Creates .venv-onnx with onnx, onnxruntime, scikit-learn and skl2onnx (pinned in
# Tests/ModelWatchReferenceTests/Oracle/requirements.txt): the ONNX reference interpreter's test oracle.
# Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv-onnx/bin/python ]; then
    echo "setup: creating .venv-onnx"
    python3 -m venv .venv-onnx
fi
if ! .venv-onnx/bin/python -c 'import onnx, onnxruntime, sklearn, skl2onnx' >/dev/null 2>&1; then
    echo "setup: installing onnx, onnxruntime, scikit-learn and skl2onnx into .venv-onnx"
    .venv-onnx/bin/pip install -q --disable-pip-version-check -r Tests/ModelWatchReferenceTests/Oracle/requirements.txt
fi
