#!/usr/bin/python3
"""Resident memory per waiting call, in each mode of ledger-server.

Each round starts one server per mode in turn (alternating, so a drift of the
machine touches both alike), opens the connections and warms them, reads the
server's VmRSS, then starts CALLS GetAccount calls that each wait in the
embedded store for a minute (--store_latency=60s) and reads VmRSS again once
every call is in a handler (ledger_inflight_calls says so). --max_threads is
set above CALLS, so thread mode holds every call in a thread of its own rather
than refusing or queueing some. The difference over CALLS is what one waiting
call costs: in coroutine mode its coroutine frames and gRPC's state for the
call; in thread mode gRPC's state and a thread (its stack pages touched, its
thread-local caches).

Prints each round, then per mode the median and range over the rounds, and
the ratio of the medians. Not a test: the figures depend on the machine, the
allocator and gRPC's version; `make bench-memory` runs it.
"""
import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ledger_server import LedgerServer, generate_stubs  # noqa: E402

MODES = ("coroutine", "thread")


class WithoutServerLog:
    """stderr without the server's forwarded log lines, which would bury the
    table; everything else still shows."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if not text.startswith("[server] "):
            self.stream.write(text)

    def flush(self):
        self.stream.flush()


def gauge(server, name, mode=None):
    """A gauge of /metrics: the mode's, or with `mode` None the process's."""
    url = f"http://127.0.0.1:{server.metrics_port}/metrics"
    series = f'{name}{{mode="{mode}"}} ' if mode else f"{name} "
    with urllib.request.urlopen(url, timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(series):
                return float(line.split()[1])
    raise RuntimeError(f"no {series.strip()} on /metrics")


def one_round(args, grpc, pb, pbg, mode):
    """KiB per waiting call, and the mode's threads while they wait."""
    server = LedgerServer(args.server, ["--store_latency=60s",
                                        f"--max_threads={args.calls + 64}"], modes=(mode,))
    try:
        options = [("grpc.use_local_subchannel_pool", 1)]
        channels = [grpc.insecure_channel(server.address(mode), options=options)
                    for _ in range(args.connections)]
        stubs = [pbg.LedgerStub(channel) for channel in channels]
        for channel in channels:
            grpc.channel_ready_future(channel).result(timeout=10)
        time.sleep(1)
        before = server.resident_bytes()
        frame_bytes_before = gauge(server, "ledger_coroutine_frame_bytes")
        waiting = [stubs[i % len(stubs)].GetAccount.future(
            pb.GetAccountRequest(id="waiting"), timeout=120) for i in range(args.calls)]
        deadline = time.monotonic() + 60
        while gauge(server, "ledger_inflight_calls", mode) < args.calls:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{mode} mode never held {args.calls} calls at once")
            time.sleep(0.1)
        time.sleep(1)  # lets the last handlers touch what they touch
        after = server.resident_bytes()
        frame_kib = (gauge(server, "ledger_coroutine_frame_bytes") - frame_bytes_before) / 1024
        threads = gauge(server, "ledger_mode_threads", mode)
        for call in waiting:
            call.cancel()
        for channel in channels:
            channel.close()
        return (after - before) / args.calls / 1024, frame_kib / args.calls, threads
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    parser.add_argument("--calls", type=int, default=2000, help="calls waiting at once")
    parser.add_argument("--connections", type=int, default=20, help="connections they share")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each mode once per round")
    args = parser.parse_args()
    sys.stderr = WithoutServerLog(sys.stderr)

    with tempfile.TemporaryDirectory() as stubs:
        generate_stubs(args.proto_root, stubs)
        import grpc
        from ledger.v1 import ledger_pb2, ledger_pb2_grpc
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                    if line.startswith("model name")), platform.machine())
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs "
              f"({cpu}), load average {os.getloadavg()[0]:.1f}; {args.calls} GetAccount calls "
              f"waiting in the embedded store over {args.connections} connections, "
              f"{args.rounds} rounds")
        print(f"# {' '.join(sys.argv)}")
        results = {mode: [] for mode in MODES}
        frames = {mode: [] for mode in MODES}
        for round_number in range(1, args.rounds + 1):
            for mode in MODES:
                kib, frame_kib, threads = one_round(args, grpc, ledger_pb2, ledger_pb2_grpc, mode)
                results[mode].append(kib)
                frames[mode].append(frame_kib)
                print(f"round {round_number}: {mode:9} {kib:6.1f} KiB per waiting call, "
                      f"{frame_kib:.2f} KiB of it in coroutine frames ({threads:.0f} threads)",
                      flush=True)
        print()
        print("| mode | KiB per waiting call (median) | range | of it in coroutine frames |")
        print("|---|---:|---|---:|")
        for mode in MODES:
            print(f"| {mode} | {statistics.median(results[mode]):.1f} | "
                  f"{min(results[mode]):.1f} to {max(results[mode]):.1f} | "
                  f"{statistics.median(frames[mode]):.2f} |")
        ratio = statistics.median(results["coroutine"]) / statistics.median(results["thread"])
        print(f"\ncoroutine mode / thread mode: {ratio:.2f}")


if __name__ == "__main__":
    main()
