#!/usr/bin/python3
"""Does waiting cost coroutine mode throughput? 10,000 calls in flight with the
store answering at once, then with every store call waiting 1 ms.

With 10,000 calls in flight and 1 ms waits, Little's law allows millions of
calls a second, so the wait itself limits nothing: whatever throughput is lost
is what holding 10,000 waiting calls costs (timers, frames, gRPC's state for
each call, caches). The goal: a run's ratio, the median over its rounds of
the 1 ms throughput over the 0 one, is at least 0.9, in every run.

ledger-server --mode=coroutine --threads=1 runs pinned to core 0 and ledger-load
to core 1 (when there are two cores), as in cpu_per_call.py. Beside it, the
hand-written completion-queue server (--hold_ms: each call waits on an alarm)
shows what waiting costs gRPC itself. Each round runs every server at both
latencies, the first one rotating. The server's CPU per call (from /proc) is
printed beside: where the server's core is not the limit (ledger-load's often
is), it shows what the ratio would be if it were. `make bench-waiting` runs
it; --help lists the settings.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpu_per_call as bench  # noqa: E402  (the same measuring method)

GOAL = 0.9


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build_dir", default="build")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument("--duration", type=int, default=10,
                        help="measured seconds per run (default: 10)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="unmeasured seconds before it (default: 3)")
    parser.add_argument("--concurrency", type=int, default=10000,
                        help="calls in flight (default: 10000)")
    parser.add_argument("--connections", type=int, default=50,
                        help="HTTP/2 connections (default: 50)")
    parser.add_argument("--latency", default="1ms",
                        help="the store latency compared with 0 (default: 1ms)")
    parser.add_argument("--mix", default="get:50,transfer:50",
                        help="ledger-load --mix (default: get:50,transfer:50)")
    args = parser.parse_args()
    args.rate = 0  # closed loop, for cpu_per_call's load_command
    return args


def latency_ms(text):
    """--latency in whole milliseconds, which the hand-written server's --hold_ms takes."""
    if not text.endswith("ms") or not text[:-2].isdigit() or int(text[:-2]) < 1:
        sys.exit(f"--latency: whole milliseconds, like 1ms or 5ms, not {text!r}")
    return int(text[:-2])


def servers(build_dir, port, latency):
    """(server, latency, argv) for each run of a round. ledger-server waits on
    its one store call per GetAccount or Transfer; the hand-written server
    holds each call once on an alarm: it shows what waiting costs gRPC itself,
    with nothing of ours."""
    ledger = [os.path.join(build_dir, "service", "ledger-server"), "--mode=coroutine",
              "--threads=1", f"--port={port}", "--host=127.0.0.1", "--metrics_port=0"]
    hand = [os.path.join(build_dir, "tests", "bench", "baseline", "handwritten_cq_server"),
            f"--port={port}", "--threads=1"]
    return [("coroutine", "0", ledger + ["--store_latency=0"]),
            ("coroutine", latency, ledger + [f"--store_latency={latency}"]),
            (bench.DENOMINATOR, "0", hand + ["--hold_ms=0"]),
            (bench.DENOMINATOR, latency, hand + [f"--hold_ms={latency_ms(latency)}"])]


def main():
    args = parse_args()
    cores = len(os.sched_getaffinity(0))
    pin = cores >= 2
    port = bench.free_port()
    runs = servers(args.build_dir, port, args.latency)
    load_argv = bench.load_command(args, port, args.mix, pin)
    print(f"# Throughput with {args.concurrency} calls in flight: store latency 0 against "
          f"{args.latency}, coroutine mode, and the hand-written server holding each call")
    print(f"date      {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine   {os.cpu_count()} cores (nproc {cores}), {bench.cpu_model()}")
    print("pinning   " + ("server on core 0 (taskset -c 0), ledger-load on core 1"
                          if pin else "none (fewer than 2 cores)"))
    print(f"settings  {args.rounds} rounds, each running every server and latency once "
          f"(the first one rotating); {args.warmup}s warmup + {args.duration}s measured")
    print(f"command   {' '.join(sys.argv)}")
    print("load avg  %.2f %.2f %.2f at the start" % os.getloadavg())
    for name, latency, argv in runs:
        print(f"server    {name} at {latency}: {' '.join(bench.pinned(0, argv, pin))}")
    print(f"load      {' '.join(load_argv)} --json=TMP")
    print("\nround  server        latency    calls  errors   calls/s  µs CPU/call")
    rates = {(name, latency): [] for name, latency, _ in runs}
    cpu = {(name, latency): [] for name, latency, _ in runs}
    errors = 0
    for round_index in range(args.rounds):
        shift = round_index % len(runs)
        for name, latency, argv in runs[shift:] + runs[:shift]:
            run = bench.measure(args, f"{name} at {latency}", argv, load_argv, port, pin)
            rates[(name, latency)].append(run["calls"] / run["window_s"])
            cpu[(name, latency)].append(run["us_per_call"])
            errors += run["errors"]
            print(f"{round_index + 1:5}  {name:13} {latency:7} {run['calls']:8} "
                  f"{run['errors']:7}  {rates[(name, latency)][-1]:8.0f}  "
                  f"{run['us_per_call']:11.1f}", flush=True)
    print("load avg  %.2f %.2f %.2f at the end" % os.getloadavg())
    print()
    figure = None
    for name in dict.fromkeys(name for name, _, _ in runs):
        zero, waiting = (name, "0"), (name, args.latency)
        ratios = [w / z for w, z in zip(rates[waiting], rates[zero])]
        for key in (zero, waiting):
            print(f"{name:13} at {key[1]:4}: calls/s median {statistics.median(rates[key]):.0f} "
                  f"({min(rates[key]):.0f}-{max(rates[key]):.0f}), µs CPU/call median "
                  f"{statistics.median(cpu[key]):.1f} ({min(cpu[key]):.1f}-{max(cpu[key]):.1f})")
        # What the ratio would be if the server's one core were the limit: the
        # load generator, alone on the other core, often is.
        bound = statistics.median(cpu[zero]) / statistics.median(cpu[waiting])
        print(f"{name:13} ratio {args.latency} / 0 per round: "
              + ", ".join(f"{r:.2f}" for r in ratios)
              + f"; median {statistics.median(ratios):.2f}; if its core were the limit "
              f"(µs CPU/call at 0 over at {args.latency}): {bound:.2f}")
        if name == "coroutine":
            figure = statistics.median(ratios), min(ratios)
    median, lowest = figure
    print(f"\nthis run: ledger-server's ratio {median:.2f} (median of the rounds; lowest round "
          f"{lowest:.2f}): " + ("meets" if median >= GOAL else "misses")
          + f" the goal of >= {GOAL}" + (f"; {errors} calls failed" if errors else ""))


if __name__ == "__main__":
    main()
