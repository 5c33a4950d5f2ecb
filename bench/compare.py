#!/usr/bin/env python3
"""Compares sidecar builds with each other and with nginx, round by round.

Usage: bench/compare.py [--seconds S] [--rounds N] BINARY [BINARY ...]

Starts one nginx backend (the canned OIP answer of bench/lib.sh), nginx as a reverse proxy, and
for each binary the sidecar as deployed and with analysis and storage off. Each round runs
`wrk -t1 -c32` against every target in turn, and reads each target's CPU time from /proc around
its run. It prints every round, then the median over rounds of each target's throughput, CPU per
request, and its ratios to nginx *in the same round*.

Why rounds and medians: on a shared 2-core host the speed of the whole machine can change by 2x
from one minute to the next (nginx alone measured 86k and 176k req/s in consecutive rounds), so
only ratios taken within one round compare builds fairly. Needs nginx and wrk (bash
.ci/setup.sh installs both); takes rounds x targets x (seconds + 1) seconds. Wrap a run by hand in
`flock /tmp/bench.lock` so that no other measurement overlaps it.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_ticks(pids: list[int]) -> int:
    """User plus system time of every thread of `pids`, in clock ticks."""
    total = 0
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="modelwatch-compare."))
    processes: list[subprocess.Popen] = []
    try:
        backend, proxy = free_port(), free_port()
        # The backend, the proxy and the request body come from the shell helpers every bench shares.
        subprocess.run(
            ["bash", "-c", f"work={work}; source {BENCH}/lib.sh; write_backend {backend}; write_request; write_proxy {proxy} {backend}"],
            check=True,
        )
        for name in ("backend", "proxy"):
            processes.append(subprocess.Popen(["nginx", "-p", f"{work}/{name}", "-c", f"{work}/{name}/nginx.conf"]))
        plain = work / "plain.yaml"
        plain.write_text(f"upstream:\n  url: http://127.0.0.1:{backend}\nanalysis:\n  enabled: false\nstorage:\n  enabled: false\n")

        targets: list[tuple[str, int, list[int]]] = []
        for index, binary in enumerate(args.binaries):
            label = f"{index + 1}:{Path(binary).name}"
            deployed_port, plain_port = free_port(), free_port()
            deployed = subprocess.Popen(
                [binary, "serve", "--upstream", f"http://127.0.0.1:{backend}", "--listen", f"127.0.0.1:{deployed_port}",
                 "--admin-listen", f"127.0.0.1:{free_port()}", "--storage-path", f"{work}/store{index}.db", "--log-level", "warning"])
            bare = subprocess.Popen(
                [binary, "serve", "--config", str(plain), "--listen", f"127.0.0.1:{plain_port}",
                 "--admin-listen", f"127.0.0.1:{free_port()}", "--log-level", "warning"])
            processes += [deployed, bare]
            targets += [(f"{label} deployed", deployed_port, [deployed.pid]), (f"{label} analysis off", plain_port, [bare.pid])]
        time.sleep(1)
        master = int((work / "proxy/nginx.pid").read_text())
        workers = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()]
        targets.insert(0, ("nginx", proxy, workers))

        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in targets}
        for round_number in range(1, args.rounds + 1):
            for name, port, pids in targets:
                url = f"http://127.0.0.1:{port}/v2/models/iris/infer"
                for _ in range(100):
                    answer = subprocess.run(["curl", "-sf", "-o", "/dev/null", "-X", "POST", "-d", f"@{work}/body.json", url])
                    if answer.returncode == 0:
                        break
                    time.sleep(0.1)
                before = cpu_ticks(pids)
                report = subprocess.run(
                    ["wrk", "-t1", "-c32", f"-d{args.seconds}s", "-s", f"{work}/post.lua", url], capture_output=True, text=True
                ).stdout
                used = cpu_ticks(pids) - before
                if "Non-2xx" in report or "Socket errors" in report:
                    raise SystemExit(f"compare: {name} answered with errors:\n{report}")
                requests = int(re.search(r"(\d+) requests in", report).group(1))
                results[name].append((requests / args.seconds, used / CLOCK_TICKS * 1e6 / requests))
                # Whatever a target still does after its run (analysis, store) finishes before the next one.
                time.sleep(1)
            print(f"round {round_number}: " + "  ".join(f"{name} {runs[-1][0]:.0f}/s {runs[-1][1]:.1f}µs" for name, runs in results.items()),
                  flush=True)

        nginx = results["nginx"]
        print(f"\nwrk -t1 -c32 -d{args.seconds}s, {args.rounds} rounds; medians over rounds, ratios to nginx in the same round:\n")
        print("| target | req/s | × nginx | CPU µs/req | CPU × nginx |")
        print("|---|---:|---:|---:|---:|")
        for name, runs in results.items():
            print(f"| {name} | {statistics.median(rate for rate, _ in runs):.0f} "
                  f"| {statistics.median(run[0] / base[0] for run, base in zip(runs, nginx)):.3f} "
                  f"| {statistics.median(cpu for _, cpu in runs):.1f} "
                  f"| {statistics.median(run[1] / base[1] for run, base in zip(runs, nginx)):.2f} |")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
