#!/usr/bin/env bash
# Installs Debian's libonnx-testdata and creates .venv-onnx with onnx, onnxruntime, scikit-learn and skl2onnx (pinned in
# Tests/ModelWatchReferenceTests/Oracle/requirements.txt): the ONNX reference interpreter's test oracle.
# Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's copy of ONNX 1.12's node tests: older operator versions than the onnx wheel generates.
if ! dpkg -s libonnx-testdata >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "setup: installing libonnx-testdata"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libonnx-testdata >/dev/null
fi

if [ ! -x .venv-onnx/bin/python ]; then
    echo "setup: creating .venv-onnx"
    python3 -m venv .venv-onnx
fi
if ! .venv-onnx/bin/python -c 'import onnx, onnxruntime, sklearn, skl2onnx' >/dev/null 2>&1; then
    echo "setup: installing onnx, onnxruntime, scikit-learn and skl2onnx into .venv-onnx"
    .venv-onnx/bin/pip install -q --disable-pip-version-check -r Tests/ModelWatchReferenceTests/Oracle/requirements.txt
fi
