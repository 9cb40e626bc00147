#!/usr/bin/python3
"""Did a re-run of `make compare` land where earlier runs said it would?

  tests/bench/compare_rerun.py EARLIER.json [EARLIER.json ...] RERUN.json

For every level, mode and figure, the stated range is the lowest to the
highest round of the earlier runs taken together (one run: its own rounds;
several: all their rounds, so the range includes the drift between runs).
Prints each figure whose re-run median falls outside, then the count within,
and does the same for the ratio of the modes' calls/s, p50 and p99, whose
range is that of the per-round ratios (each round runs both modes back to
back). Exit status 0 when every figure and ratio landed within, 1 otherwise.
"""
import json
import statistics
import sys

RATIOS = {"calls/s": lambda r: r["throughput"], "p50": lambda r: r["latency"]["p50_ms"],
          "p99": lambda r: r["latency"]["p99_ms"]}


def rows(path):
    with open(path) as report:
        return {(row["concurrency"], row["mode"]): row for row in json.load(report)["rows"]}


def round_ratios(runs, level):
    ratios = {name: [] for name in RATIOS}
    for run in runs:
        coroutine, thread = run[(level, "coroutine")]["by_round"], run[(level, "thread")]["by_round"]
        for name, figure in RATIOS.items():
            ratios[name] += [figure(c) / figure(t) for c, t in zip(coroutine, thread) if figure(t)]
    return ratios


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    earlier, rerun = [rows(path) for path in sys.argv[1:-1]], rows(sys.argv[-1])
    within = total = 0
    for key, row in sorted(rerun.items()):
        for figure, spread in row["figures"].items():
            low = min(run[key]["figures"][figure]["min"] for run in earlier)
            high = max(run[key]["figures"][figure]["max"] for run in earlier)
            total += 1
            if low <= spread["median"] <= high:
                within += 1
            else:
                print(f"outside: {key[0]:5} {key[1]:9} {figure:26} re-run {spread['median']:.6g} "
                      f"not in {low:.6g}-{high:.6g}")
    print(f"figures within the earlier range: {within} of {total}")
    ratio_within = ratio_total = 0
    for level in sorted({key[0] for key in rerun}):
        earlier_ratios, rerun_ratios = round_ratios(earlier, level), round_ratios([rerun], level)
        for name in RATIOS:
            if not earlier_ratios[name] or not rerun_ratios[name]:
                continue
            low, high = min(earlier_ratios[name]), max(earlier_ratios[name])
            median = statistics.median(rerun_ratios[name])
            ratio_total += 1
            if low <= median <= high:
                ratio_within += 1
            else:
                print(f"outside: {level:5} coroutine/thread {name:8} re-run {median:.3g} "
                      f"not in {low:.3g}-{high:.3g}")
    print(f"coroutine/thread ratios within the earlier range: {ratio_within} of {ratio_total}")
    sys.exit(0 if within == total and ratio_within == ratio_total else 1)


if __name__ == "__main__":
    main()
