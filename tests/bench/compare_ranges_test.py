#!/usr/bin/python3
"""compare_ranges.py on reports whose answers are known: the table's medians,
ranges and verdicts, and check's count of figures outside the earlier range
and its exit status."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_ranges.py")


def a_round(throughput, p50, threads):
    return {"calls": 1000, "errors": 0, "throughput": throughput,
            "latency": {"p50_ms": p50, "p99_ms": p50 * 2, "p999_ms": p50 * 3},
            "server": {"max_mode_threads": {"coroutine": threads, "thread": threads},
                       "max_resident_memory_bytes": 100 * 2**20}}


def report(coroutine_rounds, thread_rounds):
    """One level (16 in flight); each mode's rounds as (calls/s, p50 ms, threads)."""
    return {"rows": [
        {"concurrency": 16, "mode": "coroutine", "by_round": [a_round(*r) for r in coroutine_rounds]},
        {"concurrency": 16, "mode": "thread", "by_round": [a_round(*r) for r in thread_rounds]},
    ]}


class CompareRangesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, content):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as out:
            json.dump(content, out)
        return path

    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)

    def test_table_takes_every_round_of_every_run(self):
        one = self.write("1.json", report([(3000, 5, 4), (3100, 5, 4), (3200, 5, 4)],
                                          [(1000, 5.1, 16), (1500, 5.2, 17), (2000, 5.3, 16)]))
        two = self.write("2.json", report([(3300, 5, 4), (3400, 5, 4), (3500, 5, 4)],
                                          [(1000, 5.1, 16), (1500, 5.2, 17), (2000, 5.3, 16)]))
        result = self.run_script("table", one, two)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = {line.split("|")[2].strip(): [cell.strip() for cell in line.split("|")[3:6]]
                 for line in result.stdout.splitlines() if line.startswith("|        16")}
        self.assertIn("Over 2 runs of `make compare`, 6 rounds per mode and level", result.stdout)
        # Medians of six rounds; the ratio is the median of the per-round ratios.
        self.assertEqual(lines["calls/s"], ["3250 (3000–3500)", "1500 (1000–2000)",
                                            "2.17× (1.6×–3.3×)"])
        # 5 ms against 5.1 to 5.3: the ranges are apart, so the ratio is stated.
        self.assertEqual(lines["p50"], ["5 ms", "5.2 ms (5.1 ms–5.3 ms)", "0.962× (0.943×–0.98×)"])
        self.assertEqual(lines["threads"], ["4", "16 (16–17)", "thread higher"])
        self.assertEqual(lines["RSS"][2], "no clear difference")

    def test_check_counts_what_lands_outside(self):
        earlier = self.write("1.json", report([(3000, 5, 4), (3200, 5, 4), (3400, 5, 4)],
                                              [(1000, 6, 16), (1100, 6, 16), (1200, 6, 16)]))
        within = self.write("within.json", report([(3200, 5, 4)] * 3, [(1100, 6, 16)] * 3))
        result = self.run_script("check", earlier, within)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("figures within the earlier runs' range: 14 of 14", result.stdout)
        self.assertIn("ratios within the earlier runs' range: 3 of 3", result.stdout)

        faster = self.write("faster.json", report([(3600, 5, 4)] * 3, [(1100, 6, 16)] * 3))
        result = self.run_script("check", earlier, faster)
        self.assertEqual(result.returncode, 1)
        self.assertIn("outside:    16 coroutine calls/s  re-run 3600 not in 3000–3400",
                      result.stdout)
        self.assertIn("figures within the earlier runs' range: 13 of 14", result.stdout)
        self.assertIn("ratios within the earlier runs' range: 2 of 3", result.stdout)

    def test_a_file_that_is_not_a_report_is_named(self):
        result = self.run_script("check", os.path.join(self.dir.name, "missing.json"),
                                 self.write("x.json", {"rows": []}))
        self.assertEqual(result.returncode, 1)
        self.assertIn("missing.json: not a ledger-load --compare JSON report", result.stderr)


if __name__ == "__main__":
    unittest.main()
