#!/usr/bin/env python3
"""One day of OpenMetrics text for bench/query-vs-prometheus.sh: 200 series scraped every 10 s.

40 counters x_total{model,instance} (4 models x 10 instances) and a classic histogram x
(4 models x 2 instances x 18 buckets, plus _sum and _count: 160 series). Seeded, so every run
loads the same data. Usage: query-data.py START_SECONDS > day.om
"""
import random
import sys

start = int(sys.argv[1])
scrapes = 8640
interval = 10
models = ["m0", "m1", "m2", "m3"]
bounds = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75",
          "1", "2.5", "5", "7.5", "10", "25", "50", "100", "+Inf"]
rng = random.Random(12)
out = sys.stdout
write = out.write

write("# TYPE x counter\n")
for model in models:
    for instance in range(10):
        labels = f'instance="i{instance}",model="{model}"'
        total = 0
        lines = []
        for scrape in range(scrapes):
            total += rng.randint(0, 40)
            lines.append(f"x_total{{{labels}}} {total} {start + scrape * interval}\n")
        write("".join(lines))

limits = [float(b) for b in bounds[:-1]] + [float("inf")]
for model in models:
    for instance in range(2):
        labels = f'instance="h{instance}",model="{model}"'
        counts = [0] * len(bounds)
        total_sum = 0.0
        series = [[] for _ in range(len(bounds) + 2)]
        for scrape in range(scrapes):
            t = start + scrape * interval
            for _ in range(rng.randint(0, 30)):
                observed = rng.expovariate(4.0)
                total_sum += observed
                for index, limit in enumerate(limits):
                    if observed <= limit:
                        counts[index] += 1
            for index, bound in enumerate(bounds):
                series[index].append(f'x_bucket{{{labels},le="{bound}"}} {counts[index]} {t}\n')
            series[-2].append(f"x_sum{{{labels}}} {round(total_sum, 6)} {t}\n")
            series[-1].append(f"x_count{{{labels}}} {counts[-1]} {t}\n")
        if model == models[0] and instance == 0:
            write("# TYPE x histogram\n")
        for lines in series:
            write("".join(lines))
write("# EOF\n")
