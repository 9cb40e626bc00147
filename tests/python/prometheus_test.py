#!/usr/bin/python3
"""ledger-server's metrics as an operator sees them: a real Prometheus scrapes the
real server while calls go through both ports, and the p99 latency query one would
graph gives one finite value per mode.

Run by CTest; by hand:
  /usr/bin/python3 tests/python/prometheus_test.py \
      --server build/service/ledger-server --proto_root proto
"""
import argparse
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request
import uuid

from ledger_server import MODES, LedgerServer, generate_stubs

P99_BY_MODE = ("histogram_quantile(0.99, sum by (le, mode) "
               "(rate(grpc_server_handling_seconds_bucket[30s])))")
JOB = "ledger"
LOAD_SECONDS = 7
THREADS_PER_MODE = 4


def wait_for(condition, timeout, what):
    """Polls condition until it returns something true, and returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def free_loopback_port():
    # Prometheus cannot report a port it picked itself, so we pick one. Another
    # process could take it before Prometheus binds it; then Prometheus exits
    # and the test fails saying so, which is rare enough.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Prometheus:
    """A private Prometheus scraping one target every second, with its own
    config, storage and log in work_dir, listening on loopback only."""

    def __init__(self, binary, target, work_dir):
        config = os.path.join(work_dir, "prometheus.yml")
        with open(config, "w") as out:
            out.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: {JOB}
    static_configs:
      - targets: ["{target}"]
""")
        self.url = f"http://127.0.0.1:{free_loopback_port()}"
        self.log_path = os.path.join(work_dir, "prometheus.log")
        # No proxy from the environment may stand between us and loopback.
        self.http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with open(self.log_path, "w") as log:
            # setpriv --pdeathsig: if CTest kills this test on timeout, Prometheus
            # dies with it instead of living on, holding its port.
            self.process = subprocess.Popen(
                ["setpriv", "--pdeathsig=KILL", "--", binary,
                 f"--config.file={config}",
                 f"--storage.tsdb.path={os.path.join(work_dir, 'data')}",
                 f"--web.listen-address={self.url.removeprefix('http://')}"],
                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(self._ready, 20, f"Prometheus ready at {self.url}")
        except BaseException:
            self.stop()
            self.print_log()
            raise

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"Prometheus exited with {self.process.returncode}")
        try:
            with self.http.open(f"{self.url}/-/ready", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def query(self, promql):
        """The instant vector of promql now: a list of {"metric": labels, "value": [t, v]}."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with self.http.open(url, timeout=5) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def target_errors(self):
        """Why the last scrape of each target failed, if it did; for failure messages."""
        with self.http.open(f"{self.url}/api/v1/targets", timeout=5) as response:
            targets = json.load(response)["data"]["activeTargets"]
        return [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def print_log(self):
        with open(self.log_path) as log:
            sys.stderr.write("---- Prometheus log ----\n" + log.read() + "---- end ----\n")


class PrometheusScrapeTest(unittest.TestCase):
    server = None
    prometheus = None

    def test_p99_latency_per_mode(self):
        # The target is up (scraped once, fine) before any load, so the samples
        # rate() compares span the whole load.
        up = wait_for(lambda: self.prometheus.query(f'up{{job="{JOB}"}}'), 10,
                      "Prometheus's first scrape of ledger-server")
        self.assertEqual([sample["value"][1] for sample in up], ["1"],
                         self.prometheus.target_errors())

        calls = self.generate_load()
        load_ended = time.time()
        for mode in MODES:
            self.assertGreater(calls[mode], 0, f"no call succeeded in {mode} mode")

        # Wait for a scrape that started after the last call, so it counts them all.
        wait_for(lambda: any(float(sample["value"][1]) > load_ended for sample in
                             self.prometheus.query(f'timestamp(up{{job="{JOB}"}})')),
                 10, "a scrape after the load")

        p99 = self.prometheus.query(P99_BY_MODE)
        by_mode = {sample["metric"].get("mode"): float(sample["value"][1]) for sample in p99}
        self.assertEqual(len(p99), len(MODES), p99)
        self.assertEqual(set(by_mode), set(MODES), p99)
        for mode, seconds in by_mode.items():
            self.assertTrue(math.isfinite(seconds) and seconds > 0,
                            f"p99 of {mode} mode is {seconds} s")
        print(f"p99 by mode (s): {by_mode}", file=sys.stderr)

    def generate_load(self):
        """Transfers and reads through both ports at once for LOAD_SECONDS, in
        threads; returns how many calls succeeded per mode."""
        import grpc
        from ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc

        channels = {mode: grpc.insecure_channel(f"127.0.0.1:{self.server.ports[mode]}")
                    for mode in MODES}
        stubs = {mode: ledger_pb2_grpc.LedgerStub(channel) for mode, channel in channels.items()}
        # One store serves both modes, so the accounts are opened once.
        accounts = [f"load-{uuid.uuid4().hex[:12]}" for _ in range(4)]
        for account in accounts:
            stubs["coroutine"].OpenAccount(
                pb.OpenAccountRequest(id=account, initial_balance=10**12), timeout=10)

        calls = {mode: 0 for mode in MODES}
        errors = []
        lock = threading.Lock()
        deadline = time.monotonic() + LOAD_SECONDS

        def run(mode):
            stub, done = stubs[mode], 0
            try:
                while time.monotonic() < deadline:
                    payer, payee = random.sample(accounts, 2)
                    stub.Transfer(pb.TransferRequest(request_id=str(uuid.uuid4()), from_id=payer,
                                                     to_id=payee, amount=1), timeout=10)
                    stub.GetAccount(pb.GetAccountRequest(id=payee), timeout=10)
                    done += 2
            except Exception as error:  # Reported below, on the test's thread.
                with lock:
                    errors.append(f"{mode}: {error!r}")
            with lock:
                calls[mode] += done

        threads = [threading.Thread(target=run, args=(mode,))
                   for mode in MODES for _ in range(THREADS_PER_MODE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for channel in channels.values():
            channel.close()
        self.assertEqual(errors, [])
        return calls


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    parser.add_argument("--prometheus", default="/usr/bin/prometheus", help="path of prometheus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-prometheus-test-") as work_dir:
        stubs = os.path.join(work_dir, "stubs")
        os.mkdir(stubs)
        generate_stubs(args.proto_root, stubs)
        server = LedgerServer(args.server)
        try:
            prometheus = Prometheus(args.prometheus, f"127.0.0.1:{server.metrics_port}",
                                    work_dir)
            PrometheusScrapeTest.server = server
            PrometheusScrapeTest.prometheus = prometheus
            passed = False
            try:
                passed = unittest.main(argv=[sys.argv[0]], exit=False).result.wasSuccessful()
            finally:
                prometheus.stop()
                if not passed:
                    prometheus.print_log()
        finally:
            stopped_cleanly = server.stop()
    return 0 if passed and stopped_cleanly else 1


if __name__ == "__main__":
    sys.exit(main())
