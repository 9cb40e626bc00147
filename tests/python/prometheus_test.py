#!/usr/bin/python3
"""ledger-server's metrics as an operator sees them: a real Prometheus scrapes the
real server while calls go through both ports, and the p99 latency query one would
graph gives one finite value per mode.

Run by CTest; by hand:
  /usr/bin/python3 tests/python/prometheus_test.py \
      --server build/service/ledger-server --proto_root proto
"""
import argparse
import math
import os
import sys
import tempfile
import time
import unittest

from ledger_server import MODES, LedgerServer, generate_stubs
from prometheus_server import Prometheus, generate_load, single_target_config, wait_for

P99_BY_MODE = ("histogram_quantile(0.99, sum by (le, mode) "
               "(rate(grpc_server_handling_seconds_bucket[30s])))")
JOB = "ledger"
LOAD_SECONDS = 7
THREADS_PER_MODE = 4


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

        calls, errors = generate_load(
            {f"127.0.0.1:{self.server.ports[mode]}": mode for mode in MODES},
            LOAD_SECONDS, THREADS_PER_MODE)
        load_ended = time.time()
        self.assertEqual(errors, [])
        for mode in MODES:
            self.assertGreater(calls[mode], 0, f"no call succeeded in {mode} mode")

        # Wait for a scrape that started after the last call, so it counts them all.
        self.prometheus.wait_for_scrape_after(load_ended, f'{{job="{JOB}"}}')

        p99 = self.prometheus.query(P99_BY_MODE)
        by_mode = {sample["metric"].get("mode"): float(sample["value"][1]) for sample in p99}
        self.assertEqual(len(p99), len(MODES), p99)
        self.assertEqual(set(by_mode), set(MODES), p99)
        for mode, seconds in by_mode.items():
            self.assertTrue(math.isfinite(seconds) and seconds > 0,
                            f"p99 of {mode} mode is {seconds} s")
        print(f"p99 by mode (s): {by_mode}", file=sys.stderr)


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
            prometheus = Prometheus(
                args.prometheus,
                single_target_config(JOB, f"127.0.0.1:{server.metrics_port}"), work_dir)
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
