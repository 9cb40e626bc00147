#!/usr/bin/python3
"""Server CPU per call: ledger-server in each mode against a hand-written gRPC
completion-queue server (tests/bench/baseline/), all under the same load from
ledger-load. `make bench-cpu` runs it; --help lists the settings.

Throughput on a shared machine says little; the CPU a server burns per call
says what its layers cost. Each server runs alone, pinned to core 0 (ledger-load
to core 1) when there are two cores, so the client never takes the server's
CPU. The server's utime+stime from /proc/<pid>/stat is read when ledger-load's
measured window opens and when it closes (timed from its `running:` line), and
divided by the calls ledger-load saw complete in that window
(completed_in_window in its JSON): the same count for every server.
"""
import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build_dir", default="build")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; each runs every server once, the first one rotating")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before it")
    parser.add_argument("--concurrency", type=int, default=1000, help="calls in flight")
    parser.add_argument("--connections", type=int, default=50, help="HTTP/2 connections")
    parser.add_argument("--rate", type=int, default=0,
                        help="open loop at this many calls/s instead, so every server serves "
                             "the same rate (0: closed loop at --concurrency)")
    parser.add_argument("--mix", default="get:50,transfer:50", help="ledger-load --mix")
    parser.add_argument("--server_binary", action="append", default=[], metavar="NAME=PATH",
                        help="also run this ledger-server build in each mode, as coroutine-NAME "
                             "and thread-NAME, to compare two builds in one run (repeatable)")
    return parser.parse_args()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_commands(build_dir, port, extra_binaries=()):
    """Name and argv of each server, the baseline first (the ratios' denominator)."""
    server = os.path.join(build_dir, "service", "ledger-server")
    common = ["--host=127.0.0.1", "--store_latency=0", "--metrics_port=0"]
    commands = [
        ("baseline", [os.path.join(build_dir, "tests", "bench", "baseline",
                                   "handwritten_cq_server"), f"--port={port}", "--threads=1"]),
        ("coroutine", [server, "--mode=coroutine", "--threads=1", f"--port={port}"] + common),
        ("thread", [server, "--mode=thread", f"--thread_port={port}"] + common),
    ]
    for name, path in (extra.split("=", 1) for extra in extra_binaries):
        commands += [(f"coroutine-{name}", [path] + commands[1][1][1:]),
                     (f"thread-{name}", [path] + commands[2][1][1:])]
    return commands


def pinned(core, argv, pin):
    return ["taskset", "-c", str(core)] + argv if pin else argv


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        # Fields after the command name, which may hold spaces: utime, stime are 14 and 15.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not listening on {port} after {timeout}s")


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def loop_flag(args):
    return f"--rate={args.rate}" if args.rate else f"--concurrency={args.concurrency}"


def measure(args, name, server_argv, port, pin):
    """One run: the server under load; its CPU over the window and the calls in it."""
    load_argv = pinned(1, [os.path.join(args.build_dir, "client", "load", "ledger-load"),
                           f"--target=127.0.0.1:{port}", loop_flag(args), f"--connections={args.connections}", f"--mix={args.mix}",
                           f"--duration={args.duration}s", f"--warmup={args.warmup}s"], pin)
    server = subprocess.Popen(pinned(0, server_argv, pin), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        with tempfile.NamedTemporaryFile(suffix=".json") as result_file:
            load = subprocess.Popen(load_argv + [f"--json={result_file.name}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            log = []
            for line in load.stderr:
                log.append(line)
                if " running: " in line:
                    break
            else:
                load.wait()
                raise RuntimeError(f"{name}: ledger-load never started its load:\n{''.join(log)}")
            # The window opens warmup seconds after `running:` and lasts duration.
            started = time.monotonic()
            time.sleep(args.warmup)
            cpu_before, opened = cpu_seconds(server.pid), time.monotonic()
            time.sleep(max(0.0, started + args.warmup + args.duration - time.monotonic()))
            cpu_after, closed = cpu_seconds(server.pid), time.monotonic()
            log += load.stderr.readlines()
            if load.wait() != 0:
                raise RuntimeError(f"{name}: ledger-load failed:\n{''.join(log)}")
            with open(result_file.name) as result_json:
                result = json.load(result_json)
    finally:
        stop(server)
    calls = result["completed_in_window"]
    cpu = cpu_after - cpu_before
    return {"server": name, "calls": calls, "errors": result["errors"], "cpu_s": cpu,
            "window_s": closed - opened, "us_per_call": cpu * 1e6 / calls,
            "load_argv": load_argv}


def cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main():
    args = parse_args()
    cores = len(os.sched_getaffinity(0))
    pin = cores >= 2
    port = free_port()
    servers = server_commands(args.build_dir, port, args.server_binary)
    print(f"# Server CPU per call: ledger-server against a hand-written completion-queue server")
    print(f"date      {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine   {os.cpu_count()} cores (nproc {cores}), {cpu_model()}, "
          f"Linux {platform.release()}")
    print("pinning   " + ("servers on core 0 (taskset -c 0), ledger-load on core 1"
                          if pin else "none (fewer than 2 cores)"))
    print(f"settings  {args.rounds} rounds, each server once per round (first one rotating); "
          f"{args.warmup}s warmup + {args.duration}s measured; "
          + (f"open loop, {args.rate} calls/s" if args.rate
             else f"closed loop, {args.concurrency} calls in flight")
          + f" over {args.connections} connections, mix "
          f"{args.mix}, store latency 0")
    print(f"command   {' '.join(sys.argv)}")
    # Other work on a shared machine moves the figures: say how busy it was.
    print("load avg  %.2f %.2f %.2f at the start" % os.getloadavg())
    for name, argv in servers:
        print(f"server    {name:10} {' '.join(pinned(0, argv, pin))}")
    runs = []
    for round_index in range(args.rounds):
        shift = round_index % len(servers)
        for name, argv in servers[shift:] + servers[:shift]:
            run = measure(args, name, argv, port, pin)
            if not runs:
                print(f"load      {' '.join(run['load_argv'])} --json=TMP")
                print("\nround  server      calls   errors  window s  server CPU s  CPU busy  "
                      "µs CPU/call")
            runs.append(run)
            print(f"{round_index + 1:5}  {name:10} {run['calls']:7} {run['errors']:7}  "
                  f"{run['window_s']:8.2f}  {run['cpu_s']:12.2f}  {run['cpu_s'] / run['window_s']:7.0%}  "
                  f"{run['us_per_call']:11.1f}", flush=True)
    print("load avg  %.2f %.2f %.2f at the end" % os.getloadavg())
    baseline = statistics.median(r["us_per_call"] for r in runs if r["server"] == "baseline")
    print("\nserver      µs server CPU/call: median (min-max)   ratio to baseline median "
          "(min-max)   calls/s median")
    for name, _ in servers:
        costs = [r["us_per_call"] for r in runs if r["server"] == name]
        rates = [r["calls"] / r["window_s"] for r in runs if r["server"] == name]
        median = statistics.median(costs)
        print(f"{name:10}  {median:8.1f} ({min(costs):.1f}-{max(costs):.1f})"
              f"{'':18}{median / baseline:5.2f} ({min(costs) / baseline:.2f}-"
              f"{max(costs) / baseline:.2f}){'':17}{statistics.median(rates):8.0f}")


if __name__ == "__main__":
    main()
