#!/usr/bin/python3
"""Does waiting cost coroutine mode throughput? 10,000 calls in flight with the
store answering at once, then with every store call waiting 1 ms.

With 10,000 calls in flight and 1 ms waits, Little's law allows millions of
calls a second, so the wait itself limits nothing: whatever throughput is lost
is what holding 10,000 waiting calls costs the server (timers, frames, gRPC's
state for each call, caches). The goal is at least 0.9 of the zero-latency
throughput in every round.

ledger-server --mode=coroutine --threads=1 runs pinned to core 0 and ledger-load
to core 1 (when there are two cores), as in cpu_per_call.py, so the server's one
core is the limit. Each round runs both store latencies, the first one
alternating; the ratio of a round is its 1 ms throughput over its 0 ms one.
The server's CPU per call (from /proc) is printed beside, to show where a
difference comes from. `make bench-waiting` runs it; --help lists the settings.
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


def server_argv(build_dir, port, latency):
    return [os.path.join(build_dir, "service", "ledger-server"), "--mode=coroutine",
            "--threads=1", f"--port={port}", "--host=127.0.0.1", f"--store_latency={latency}",
            "--metrics_port=0"]


def main():
    args = parse_args()
    cores = len(os.sched_getaffinity(0))
    pin = cores >= 2
    port = bench.free_port()
    latencies = ["0", args.latency]
    load_argv = bench.load_command(args, port, args.mix, pin)
    print(f"# Throughput with {args.concurrency} calls in flight: store latency 0 against "
          f"{args.latency}, coroutine mode")
    print(f"date      {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine   {os.cpu_count()} cores (nproc {cores}), {bench.cpu_model()}")
    print("pinning   " + ("server on core 0 (taskset -c 0), ledger-load on core 1"
                          if pin else "none (fewer than 2 cores)"))
    print(f"settings  {args.rounds} rounds, both latencies per round (first one alternating); "
          f"{args.warmup}s warmup + {args.duration}s measured")
    print(f"command   {' '.join(sys.argv)}")
    print("load avg  %.2f %.2f %.2f at the start" % os.getloadavg())
    for latency in latencies:
        print(f"server    {' '.join(bench.pinned(0, server_argv(args.build_dir, port, latency), pin))}")
    print(f"load      {' '.join(load_argv)} --json=TMP")
    print("\nround  latency    calls  errors   calls/s  µs CPU/call")
    ratios, rates = [], {latency: [] for latency in latencies}
    errors = 0
    for round_index in range(args.rounds):
        order = latencies if round_index % 2 == 0 else latencies[::-1]
        rate = {}
        for latency in order:
            run = bench.measure(args, latency, server_argv(args.build_dir, port, latency),
                                load_argv, port, pin)
            rate[latency] = run["calls"] / run["window_s"]
            rates[latency].append(rate[latency])
            errors += run["errors"]
            print(f"{round_index + 1:5}  {latency:7} {run['calls']:8} {run['errors']:7}  "
                  f"{rate[latency]:8.0f}  {run['us_per_call']:11.1f}", flush=True)
        ratios.append(rate[args.latency] / rate["0"])
    print("load avg  %.2f %.2f %.2f at the end" % os.getloadavg())
    print()
    for latency in latencies:
        values = rates[latency]
        print(f"calls/s at {latency:4}: median {statistics.median(values):.0f} "
              f"({min(values):.0f}-{max(values):.0f})")
    print(f"ratio {args.latency} / 0 per round: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"ratio median {statistics.median(ratios):.2f}, lowest {min(ratios):.2f}: "
          + ("every round meets" if min(ratios) >= GOAL else "misses")
          + f" the goal of >= {GOAL}" + (f"; {errors} calls failed" if errors else ""))


if __name__ == "__main__":
    main()
