#!/usr/bin/env python3
"""Which call sites' live heap grew between two moments of a heaptrack recording.

    heaptrack -o /tmp/mw-heap modelwatch serve ...       # record; stop it any way, kill -9 too
    python3 bench/heap-growth.py /tmp/mw-heap.zst 240 1260

heaptrack reports what is live at the end of a run, which in a long-running process is mostly
what is meant to live: caches at their bound, the store's connections. Growth is what a soak
needs to explain, so this cuts the recording at both moments (its event stream marks the time
every so often) and asks `heaptrack_print --diff` what is live at the second and not the first.
A leak shows as one call site gaining a few hundred bytes times the number of exchanges.
"""
import os
import subprocess
import sys
import tempfile


def cut(source, limit_ms, destination):
    """Copies the events up to `limit_ms` into the file `destination`."""
    with open(destination, "wb") as out:
        for line in source:
            # "c <hex milliseconds>": the time since the start, written between events.
            if line.startswith(b"c ") and int(line[2:].strip(), 16) > limit_ms:
                break
            out.write(line)


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: heap-growth.py RECORDING.zst FROM_SECONDS TO_SECONDS [SITES]")
    recording, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    sites = sys.argv[4] if len(sys.argv) > 4 else "15"
    with tempfile.TemporaryDirectory() as scratch:
        raw = os.path.join(scratch, "events")
        with open(raw, "wb") as out:
            subprocess.run(["zstd", "-dcq", recording], stdout=out, check=True)
        before, after = os.path.join(scratch, "before"), os.path.join(scratch, "after")
        for moment, path in ((start, before), (end, after)):
            with open(raw, "rb") as source:
                cut(source, int(moment * 1000), path)
        report = subprocess.run(
            ["heaptrack_print", "-f", after, "-d", before, "--print-peaks=0", "--print-allocators=0",
             "--print-temporary=0", "--print-leaks=1", "-n", sites, "-s", "10"],
            capture_output=True, text=True, check=True)
        print(report.stdout)


if __name__ == "__main__":
    main()
