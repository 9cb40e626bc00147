#!/usr/bin/python3
"""Ranges of `make compare` over several runs, and whether a re-run lands in them.

  tests/bench/compare_ranges.py table RUN.json [RUN.json ...]
  tests/bench/compare_ranges.py check EARLIER.json [EARLIER.json ...] RERUN.json

One run's three rounds of 5 s do not bound the next run: this kind of machine
drifts by 10 to 20 % between runs minutes apart. So the figures worth stating
are the ranges over several runs: every round of every run taken together.

`table` prints, for every level, figure and mode, the median of all the runs'
rounds and their lowest and highest, in the layout of ledger-load's table.
The last column is the median of the per-round coroutine/thread ratios (each
round runs both modes back to back) and their range, where the modes' ranges
do not overlap, and "no clear difference" where they do (as in ledger-load).

`check` takes each figure's range over the EARLIER runs' rounds and prints each
one the RERUN's median falls outside of, then the count within; the same for
the ratios of calls/s, p50 and p99, against the range of the per-round
ratios. Exit status 0 when every one landed within, 1 otherwise.
"""
import json
import statistics
import sys


def latency(key):
    return lambda mode, r: r["latency"][key] if r["calls"] else None


# Each figure of the table, by its name there: its value in one round of a
# mode (None where the round has none: no calls, no server metrics).
FIGURES = {
    "calls/s": lambda mode, r: r["throughput"],
    "p50": latency("p50_ms"),
    "p99": latency("p99_ms"),
    "p99.9": latency("p999_ms"),
    "errors": lambda mode, r: r["errors"],
    "threads": lambda mode, r: r.get("server", {}).get("max_mode_threads", {}).get(mode),
    "RSS": lambda mode, r: r.get("server", {}).get("max_resident_memory_bytes"),
}
RATIOS = ["calls/s", "p50", "p99"]  # what the README states as coroutine ÷ thread
MODES = ["coroutine", "thread"]


def load(path):
    """Each (level, mode)'s rounds in a JSON report of ledger-load --compare."""
    try:
        with open(path) as report:
            return {(row["concurrency"], row["mode"]): row["by_round"]
                    for row in json.load(report)["rows"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        sys.exit(f"{path}: not a ledger-load --compare JSON report ({error!r})")


def values(runs, level, mode, name):
    found = [FIGURES[name](mode, r) for run in runs for r in run.get((level, mode), [])]
    return [v for v in found if v is not None]


def ratios(runs, level, name):
    found = []
    for run in runs:
        pairs = zip(run.get((level, "coroutine"), []), run.get((level, "thread"), []))
        for coroutine, thread in pairs:
            c, t = FIGURES[name]("coroutine", coroutine), FIGURES[name]("thread", thread)
            if c is not None and t:
                found.append(c / t)
    return found


def show(name, value):
    if name in ("p50", "p99", "p99.9"):
        return f"{value / 1000:.3g} s" if value >= 1000 else f"{value:.3g} ms"
    if name == "RSS":
        return f"{value / 2**20:.1f} MiB"
    if name == "ratio":
        return f"{value:.3g}×"
    return f"{value:.0f}" if name == "calls/s" else f"{value:.6g}"


def spread(name, found):
    low, high = min(found), max(found)
    middle = show(name, statistics.median(found))
    return middle if low == high else f"{middle} ({show(name, low)}–{show(name, high)})"


def table(paths):
    runs = [load(path) for path in paths]
    levels = sorted({level for run in runs for level, _ in run})
    rounds = sum(len(run[(levels[0], "coroutine")]) for run in runs)
    rows = [["in flight", "figure", *MODES, "coroutine ÷ thread"]]
    for level in levels:
        for name in FIGURES:
            by_mode = [values(runs, level, mode, name) for mode in MODES]
            if not all(by_mode):
                continue
            cells = [spread(name, found) for found in by_mode]
            (c_low, c_high), (t_low, t_high) = [(min(f), max(f)) for f in by_mode]
            if c_low <= t_high and t_low <= c_high:
                verdict = "no clear difference"
            elif name in RATIOS:
                verdict = spread("ratio", ratios(runs, level, name))
            else:
                verdict = "coroutine higher" if c_low > t_high else "thread higher"
            rows.append([str(level), name, *cells, verdict])
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    line = lambda row: "| " + " | ".join(cell.rjust(w) for cell, w in zip(row, widths)) + " |"
    print(f"Over {len(runs)} runs of `make compare`, {rounds} rounds per mode and level:\n")
    print(line(rows[0]))
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in rows[1:]:
        print(line(row))


def landed(label, shown, before, now):
    """Whether the median of `now` lies within the range of `before`; says so if not."""
    median, low, high = statistics.median(now), min(before), max(before)
    if low <= median <= high:
        return True
    print(f"outside: {label} re-run {shown(median)} not in {shown(low)}–{shown(high)}")
    return False


def check(paths):
    earlier, rerun = [load(path) for path in paths[:-1]], load(paths[-1])
    levels = sorted({level for level, _ in rerun})
    figures = [landed(f"{level:5} {mode:9} {name:8}", lambda v, name=name: show(name, v),
                      values(earlier, level, mode, name), values([rerun], level, mode, name))
               for level in levels for mode in MODES for name in FIGURES
               if values(earlier, level, mode, name) and values([rerun], level, mode, name)]
    print(f"figures within the earlier runs' range: {sum(figures)} of {len(figures)}")
    ratio_figures = [landed(f"{level:5} coroutine ÷ thread {name:8}", lambda v: f"{v:.3g}",
                            ratios(earlier, level, name), ratios([rerun], level, name))
                     for level in levels for name in RATIOS
                     if ratios(earlier, level, name) and ratios([rerun], level, name)]
    print(f"coroutine ÷ thread ratios within the earlier runs' range: "
          f"{sum(ratio_figures)} of {len(ratio_figures)}")
    return all(figures) and all(ratio_figures)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "table":
        table(sys.argv[2:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2:]) else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
