#!/usr/bin/python3
"""Server CPU per call of ledger-server and four yardsticks, GetAccount and Transfer apart.

ledger-server in each mode, gRPC's callback API and ledger's coroutine layer
alone are measured against a hand-written gRPC completion-queue server
(tests/bench/baseline/), all under the same load from ledger-load. `make
bench-cpu` runs it; --help lists the settings.

Throughput on a shared machine says little; the CPU a server burns per call
says what its layers cost. Each server runs alone, pinned to core 0 (ledger-load
to core 1) when there are two cores, so the client never takes the server's
CPU. The server's utime+stime from /proc/<pid>/stat is read when ledger-load's
measured window opens and when it closes (timed from its `running:` line), and
divided by the calls ledger-load saw complete in that window
(completed_in_window in its JSON): the same count for every server.

The six servers, all serving OpenAccount, GetAccount and Transfer:
  hand-written     handwritten_cq_server: the classic completion-queue state
                   machine on a map behind a mutex; the first table's
                   denominator
  hand-written-store  handwritten_on_store_server: the same state machine on
                   the product's MemoryStore and rules, one store call per
                   method; the second table's denominator
  callback         callback_server: gRPC's callback API on the same map, on
                   gRPC's own threads
  coroutine-layer  coroutine_layer_server: ledger's coro/ alone (coro::Serve) on
                   the same map, nothing of service/
  coroutine        ledger-server --mode=coroutine (all of it: journal, metrics,
                   limits, auth checks)
  thread           ledger-server --mode=thread
Each method is its own set of rounds; a round runs every server once, the
first one rotating, so slow drifts of a shared machine fall on all alike.
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
DENOMINATOR = "hand-written"
STORE_DENOMINATOR = "hand-written-store"
SERVER_NAMES = [DENOMINATOR, STORE_DENOMINATOR, "callback", "coroutine-layer", "coroutine",
                "thread"]
# Each measured method and the ledger-load mix that calls only it; "mixed" is
# the half-and-half workload that make bench-attribution profiles.
METHOD_MIXES = {"get": "get:100", "transfer": "transfer:100", "mixed": "get:50,transfer:50"}


def comma_list(choices):
    def parse(text):
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if item not in choices]
        if unknown or not items or len(set(items)) != len(items):
            raise argparse.ArgumentTypeError(
                f"{text!r}: give each of {', '.join(choices)} at most once, comma-separated")
        return items
    return parse


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build_dir", default="build")
    parser.add_argument("--servers", type=lambda text: [n for n in text.split(",") if n],
                        default=None,
                        help=f"servers to run, in this order (default: {','.join(SERVER_NAMES)}, "
                             f"and the --server_binary builds); ratios need {DENOMINATOR} "
                             f"(the second table's, {STORE_DENOMINATOR})")
    parser.add_argument("--server_binary", action="append", default=[], metavar="NAME=PATH",
                        help="also run this ledger-server build in each mode, as coroutine-NAME "
                             "and thread-NAME, to compare two builds in one run (repeatable)")
    parser.add_argument("--methods", type=comma_list(list(METHOD_MIXES)),
                        default=["get", "transfer"],
                        help="methods measured apart, each with its own rounds: "
                             + ", ".join(f"{m} (ledger-load --mix={mix})"
                                         for m, mix in METHOD_MIXES.items())
                             + " (default: get,transfer)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds per method; each runs every server once, the first one "
                             "rotating (default: 5)")
    parser.add_argument("--duration", type=int, default=10,
                        help="measured seconds per run (default: 10)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="unmeasured seconds before it (default: 2)")
    parser.add_argument("--concurrency", type=int, default=1000,
                        help="calls in flight (default: 1000)")
    parser.add_argument("--connections", type=int, default=50,
                        help="HTTP/2 connections (default: 50)")
    parser.add_argument("--rate", type=int, default=0,
                        help="open loop at this many calls/s instead, so every server serves "
                             "the same rate (default 0: closed loop at --concurrency)")
    return parser.parse_args()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def known_servers(build_dir, port, extra_binaries=()):
    """Every server by name: the five, and coroutine-NAME and thread-NAME for
    each NAME=PATH of another ledger-server build."""
    server = os.path.join(build_dir, "service", "ledger-server")
    baseline_dir = os.path.join(build_dir, "tests", "bench", "baseline")
    common = ["--host=127.0.0.1", "--store_latency=0", "--metrics_port=0"]
    commands = {
        DENOMINATOR: [os.path.join(baseline_dir, "handwritten_cq_server"), f"--port={port}",
                      "--threads=1"],
        STORE_DENOMINATOR: [os.path.join(baseline_dir, "handwritten_on_store_server"),
                            f"--port={port}", "--threads=1"],
        # No --threads: gRPC runs the callback API's threads (callback_server.cc says how many).
        "callback": [os.path.join(baseline_dir, "callback_server"), f"--port={port}"],
        "coroutine-layer": [os.path.join(baseline_dir, "coroutine_layer_server"),
                            f"--port={port}", "--threads=1"],
        "coroutine": [server, "--mode=coroutine", "--threads=1", f"--port={port}"] + common,
        "thread": [server, "--mode=thread", f"--thread_port={port}"] + common,
    }
    for name, path in (extra.split("=", 1) for extra in extra_binaries):
        commands[f"coroutine-{name}"] = [path] + commands["coroutine"][1:]
        commands[f"thread-{name}"] = [path] + commands["thread"][1:]
    return commands


def server_commands(build_dir, port, names, extra_binaries=()):
    """Name and argv of each server asked for, in the order asked."""
    known = known_servers(build_dir, port, extra_binaries)
    unknown = [name for name in names if name not in known]
    if unknown or len(set(names)) != len(names):
        sys.exit(f"--servers: unknown or repeated {unknown or names}; known: {', '.join(known)}")
    return [(name, known[name]) for name in names]


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


def load_command(args, port, mix, pin):
    return pinned(1, [os.path.join(args.build_dir, "client", "load", "ledger-load"),
                      f"--target=127.0.0.1:{port}", loop_flag(args),
                      f"--connections={args.connections}", f"--mix={mix}",
                      f"--duration={args.duration}s", f"--warmup={args.warmup}s"], pin)


def measure(args, name, server_argv, load_argv, port, pin, during=None):
    """One run: the server under load; its CPU over the window and the calls in it.
    `during(pid, seconds)`, if given, spends the window instead of a sleep (say,
    profiling the server) and returns more fields for the result."""
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
            window = max(0.0, started + args.warmup + args.duration - time.monotonic())
            extra = during(server.pid, window) if during else time.sleep(window) or {}
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
    failed = {code: n for code, n in result["status_codes"].items() if code != "OK"}
    return {"server": name, "calls": calls, "errors": result["errors"], "cpu_s": cpu,
            "window_s": closed - opened, "us_per_call": cpu * 1e6 / calls,
            "failed": failed, "peak_in_flight": result["peak_in_flight"],
            "pid": server.pid, **extra}


def cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def failed_note(run, offered):
    """Why a run's figure is suspect, after its row: the codes of its failed
    calls, or, in an open loop, calls that did not complete in the window (a
    stall: the backlog drains after it, and what it cost the server does not)."""
    notes = [f"{n} {code}" for code, n in sorted(run["failed"].items())]
    if offered and run["calls"] < 0.98 * offered:
        notes.append(f"short of the {offered} calls offered; at most "
                     f"{run['peak_in_flight']} in flight")
    return f"  ({'; '.join(notes)})" if notes else ""


def run_method(args, method, servers, port, pin):
    """Alternating rounds of one method; returns its runs, each with its round."""
    mix = METHOD_MIXES[method]
    load_argv = load_command(args, port, mix, pin)
    print(f"\n## {method} (ledger-load --mix={mix})")
    print(f"load      {' '.join(load_argv)} --json=TMP")
    print("\nround  server            calls  errors  window s  server CPU s  CPU busy  "
          "µs CPU/call")
    runs = []
    for round_index in range(args.rounds):
        shift = round_index % len(servers)
        for name, argv in servers[shift:] + servers[:shift]:
            run = measure(args, name, argv, load_argv, port, pin)
            run["round"] = round_index
            runs.append(run)
            print(f"{round_index + 1:5}  {name:15} {run['calls']:7} {run['errors']:7}  "
                  f"{run['window_s']:8.2f}  {run['cpu_s']:12.2f}  "
                  f"{run['cpu_s'] / run['window_s']:7.0%}  {run['us_per_call']:11.1f}"
                  + failed_note(run, args.rate * args.duration), flush=True)
    return runs


def print_summary(method, servers, runs, denominator_name):
    """Per server: median and range of µs/call; the ratio of its median to the
    denominator's median, with the range of its per-round ratios (each run
    over the denominator's run of the same round)."""
    by_round = {r["round"]: r["us_per_call"] for r in runs if r["server"] == denominator_name}
    denominator = statistics.median(by_round.values()) if by_round else None
    errors = sum(r["errors"] for r in runs)
    print(f"\n{method}: µs server CPU per call, median (min-max) of the rounds; ratio to the "
          f"{denominator_name} median (min-max of the per-round ratios); calls/s median")
    print(f"{'server':15}  {'µs CPU/call':>22}  {'ratio':>17}  {'calls/s':>8}")
    for name, _ in servers:
        mine = [r for r in runs if r["server"] == name]
        costs = [r["us_per_call"] for r in mine]
        median = statistics.median(costs)
        rate = statistics.median(r["calls"] / r["window_s"] for r in mine)
        cost_text = f"{median:.1f} ({min(costs):.1f}-{max(costs):.1f})"
        if denominator:
            ratios = [r["us_per_call"] / by_round[r["round"]] for r in mine]
            ratio_text = f"{median / denominator:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        else:
            ratio_text = f"(no {denominator_name})"
        print(f"{name:15}  {cost_text:>22}  {ratio_text:>17}  {rate:8.0f}")
    if errors:
        print(f"{method}: {errors} calls failed in these runs: their figures are suspect")


def main():
    args = parse_args()
    cores = len(os.sched_getaffinity(0))
    pin = cores >= 2
    port = free_port()
    names = args.servers or SERVER_NAMES + [
        f"{mode}-{extra.split('=', 1)[0]}" for extra in args.server_binary
        for mode in ("coroutine", "thread")]
    servers = server_commands(args.build_dir, port, names, args.server_binary)
    print("# Server CPU per call: ledger-server, gRPC's callback API and coro/ alone against "
          "a hand-written completion-queue server")
    print(f"date      {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine   {os.cpu_count()} cores (nproc {cores}), {cpu_model()}, "
          f"Linux {platform.release()}")
    print("pinning   " + ("servers on core 0 (taskset -c 0), ledger-load on core 1"
                          if pin else "none (fewer than 2 cores)"))
    print(f"settings  methods {','.join(args.methods)}, each in {args.rounds} round(s), each server "
          f"once per round (first one rotating); {args.warmup}s warmup + {args.duration}s "
          "measured; "
          + (f"open loop, {args.rate} calls/s" if args.rate
             else f"closed loop, {args.concurrency} calls in flight")
          + f" over {args.connections} connections, store latency 0")
    print(f"command   {' '.join(sys.argv)}")
    # Other work on a shared machine moves the figures: say how busy it was.
    print("load avg  %.2f %.2f %.2f at the start" % os.getloadavg())
    for name, argv in servers:
        print(f"server    {name:15} {' '.join(pinned(0, argv, pin))}")
    results = [(method, run_method(args, method, servers, port, pin)) for method in args.methods]
    print("\nload avg  %.2f %.2f %.2f at the end" % os.getloadavg())
    for denominator_name in (DENOMINATOR, STORE_DENOMINATOR):
        if any(name == denominator_name for name, _ in servers):
            for method, runs in results:
                print_summary(method, servers, runs, denominator_name)


if __name__ == "__main__":
    main()
