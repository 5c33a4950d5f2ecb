#!/usr/bin/env bash
# Fetches Prometheus's own PromQL test files (promql/testdata/*.test) from Debian's source package
# `prometheus` (bookworm, 2.42) into .peers/prometheus, which git ignores. Nothing fetched here is
# ever committed: the ModelWatchQueryTests runner reads the files from that folder at test time.
# Adds a deb-src entry next to the existing apt sources when none exists. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

destination=".peers/prometheus"
find_testdata() { find "$destination" -maxdepth 4 -type d -path '*/promql/testdata' 2>/dev/null | head -n 1; }

testdata="$(find_testdata || true)"
if [ -n "$testdata" ]; then
    echo "fetch-promql-tests: testdata at $testdata"
    exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

sources_file="/etc/apt/sources.list.d/modelwatch-src.sources"
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    echo "fetch-promql-tests: adding deb-src entries in $sources_file"
    # Same URIs, suites, components and keyring as the binary entries, with Types: deb-src.
    entries=""
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        entries+="$(sed -e '/^#/d' -e 's/^Types:.*/Types: deb-src/' "$file")"$'\n\n'
    done
    if [ -z "$entries" ]; then
        entries=$'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
    printf '%s' "$entries" | $sudo tee "$sources_file" >/dev/null
    $sudo apt-get update -qq
elif ! apt-cache showsrc prometheus >/dev/null 2>&1; then
    $sudo apt-get update -qq
fi

command -v dpkg-source >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null

mkdir -p "$destination"
(cd "$destination" && apt-get source -qq prometheus >/dev/null)

testdata="$(find_testdata || true)"
if [ -z "$testdata" ]; then
    echo "fetch-promql-tests: no promql/testdata found under $destination" >&2
    exit 1
fi
echo "fetch-promql-tests: testdata at $testdata"
