#!/usr/bin/env bash
# The README's test command: set up, check formatting, build, and run every test
# (unit tests and the integration tests against the real modelwatch binary and a real MLServer).
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup.sh
swift format lint --strict --recursive Sources Tests bench/AnalysisBenchmark bench/DecodeBenchmark bench/StoreBenchmark bench/DriftBenchmark bench/ReferenceBenchmark bench/Fuzz Package.swift
swift build
swift build --build-tests
# A hung test must fail the run, not eat CI's 90 minutes.
timeout 1200 swift test --skip-build
