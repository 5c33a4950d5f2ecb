#!/usr/bin/env bash
# Installs everything ModelWatch's build, tests, demo and benchmark need on a fresh Debian machine
# with the Swift toolchain: system libraries (libcurl, SQLite), the real test peers (nginx, wrk, the sqlite3 shell, Prometheus with
# promtool) and the real model servers: MLServer with scikit-learn in .venv (tests and demo), the
# KServe Python server in .venv-kserve (its pins clash with MLServer's), and numpy, scipy and Evidently
# in .venv-oracle (the drift tests' oracle). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

packages=(libcurl4-openssl-dev libsqlite3-dev sqlite3 nginx-light wrk curl prometheus)
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    # No recommends: prometheus would pull in node-exporter and its timers.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import mlserver, mlserver_sklearn, sklearn' >/dev/null 2>&1; then
    echo "setup: installing MLServer and scikit-learn into .venv"
    .venv/bin/pip install -q --disable-pip-version-check -r Tests/IntegrationTests/Fixtures/requirements.txt
fi

if [ ! -x .venv-kserve/bin/python ]; then
    echo "setup: creating .venv-kserve"
    python3 -m venv .venv-kserve
fi
if ! .venv-kserve/bin/python -c 'import kserve, sklearn' >/dev/null 2>&1; then
    echo "setup: installing the KServe Python server into .venv-kserve"
    .venv-kserve/bin/pip install -q --disable-pip-version-check -r Tests/IntegrationTests/Fixtures/kserve-requirements.txt
fi

# The drift-statistics oracle (numpy, scipy, Evidently) the drift accuracy tests compare with.
if [ ! -x .venv-oracle/bin/python ]; then
    echo "setup: creating .venv-oracle"
    python3 -m venv .venv-oracle
fi
if ! .venv-oracle/bin/python -c 'import numpy, scipy, evidently' >/dev/null 2>&1; then
    echo "setup: installing numpy, scipy and Evidently into .venv-oracle"
    .venv-oracle/bin/pip install -q --disable-pip-version-check -r Tests/ModelWatchDriftTests/Oracle/requirements.txt
fi

# The ONNX reference interpreter's oracle (onnx, onnxruntime, scikit-learn, skl2onnx) in .venv-onnx.
bash .ci/setup-onnx.sh
