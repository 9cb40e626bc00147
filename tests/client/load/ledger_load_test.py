"""ledger-load end to end: the real binary against the real ledger-server, both
started as a user starts them, each on free loopback ports.

Run one test with: ledger_load_test.py --load ... --server ... --proto_root ...
--source_dir ... LedgerLoadTest.test_name (CTest does, once per test).
"""
import argparse
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

ARGS = None
SVG = "{http://www.w3.org/2000/svg}"
MODES = ("coroutine", "thread")


class LoadProcess:
    """ledger-load as a child process. Its log goes on to ours, so a failing test
    shows what it said; `wait_for` waits for a log line matching a pattern."""

    def __init__(self, flags, env=None):
        self.process = subprocess.Popen([ARGS.load, *flags], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)
        self.log = []
        self.changed = threading.Condition()
        self.stdout = ""
        self.stdout_reader = threading.Thread(target=self._read_stdout, daemon=True)
        self.stdout_reader.start()
        self.log_reader = threading.Thread(target=self._read_log, daemon=True)
        self.log_reader.start()

    def _read_stdout(self):
        self.stdout = self.process.stdout.read()

    def _read_log(self):
        for line in self.process.stderr:
            sys.stderr.write("[load] " + line)
            with self.changed:
                self.log.append(line)
                self.changed.notify_all()
        with self.changed:
            self.log.append(None)  # the end
            self.changed.notify_all()

    def wait_for(self, pattern, timeout=30):
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.log:
                    if line is None:
                        raise AssertionError(f"ledger-load ended without logging /{pattern}/")
                    if re.search(pattern, line):
                        return line
                if not self.changed.wait(deadline - time.monotonic()):
                    raise AssertionError(f"ledger-load did not log /{pattern}/ in {timeout} s")

    def finish(self, timeout=60):
        """Waits for the exit; returns (exit code, stdout, the whole log)."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"ledger-load did not finish within {timeout} s")
        self.stdout_reader.join(10)
        self.log_reader.join(10)
        self.process.stdout.close()
        self.process.stderr.close()
        return code, self.stdout, "".join(line for line in self.log if line)


def run_load(flags, timeout=60, env=None):
    return LoadProcess(flags, env).finish(timeout)


def calls_at_least(result, nanos):
    """Calls that took at least `nanos`, from the JSON histogram's buckets (a
    bucket counts when it lies wholly above; they are 0.8 % wide)."""
    return sum(count for low, _high, count in result["latency"]["buckets_ns"] if low >= nanos)


class LedgerLoadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ledger-load-test-")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            try:
                os.kill(server.process.pid, signal.SIGCONT)  # never leave it stopped
            except ProcessLookupError:
                pass
            self.assertTrue(server.stop(), "ledger-server did not exit 0 on SIGTERM")
        self.tmp.cleanup()

    def start_server(self, *flags):
        server = LedgerServer(ARGS.server, extra_flags=flags)
        self.servers.append(server)
        return server

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def target(self, server, mode="coroutine"):
        return f"--target=127.0.0.1:{server.ports[mode]}"

    # (a) Open loop measures from each call's due time, so a stalled server
    # shows in the percentiles; a closed loop hides it behind a few calls.
    def test_open_loop_latency_counts_a_stall_for_every_call_due_during_it(self):
        server = self.start_server()
        rate, concurrency = 200, 4
        common = [self.target(server), "--accounts=50", "--warmup=0.5s", "--duration=5s",
                  "--connections=2"]
        open_loop = LoadProcess(common + [f"--rate={rate}", "--arrivals=constant",
                                          "--json=" + self.path("open.json")])
        # The same schedule, but this client itself may have only a few calls
        # in flight (as with a small connection pool): during the stall the
        # calls due wait in the client, not at the server, and their latency
        # must still run from their due time.
        held_back = LoadProcess(common + [f"--rate={rate}", "--arrivals=constant",
                                          f"--max_outstanding={concurrency}",
                                          "--json=" + self.path("held_back.json")])
        closed_loop = LoadProcess(common + [f"--concurrency={concurrency}",
                                            "--json=" + self.path("closed.json")])
        open_loop.wait_for("running: open loop")
        held_back.wait_for("running: open loop")
        closed_loop.wait_for("running: closed loop")
        # All are 1 s into their measured 5 s; the same 2 s stall hits all
        # three. The stall is timed from just after the stop to just before
        # the resume, so the server was stopped for all of it (and perhaps a
        # little longer): the bounds below hold however late this process runs.
        time.sleep(1.5)
        os.kill(server.process.pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        try:
            time.sleep(2.0)
        finally:
            stall = time.monotonic() - stopped_at
            os.kill(server.process.pid, signal.SIGCONT)
        for load in (open_loop, held_back, closed_loop):
            code, _, log = load.finish()
            self.assertEqual(code, 0, log)
        with open(self.path("open.json")) as f:
            opened = json.load(f)
        with open(self.path("held_back.json")) as f:
            held = json.load(f)
        with open(self.path("closed.json")) as f:
            closed = json.load(f)

        slow = 1_000_000_000  # ns: half the stall
        open_slow = calls_at_least(opened, slow)
        held_slow = calls_at_least(held, slow)
        closed_slow = calls_at_least(closed, slow)
        # Every call due in the first half of the stall waits at least 1 s
        # (one more or less for where the schedule's ticks fall).
        expected_slow = rate * (stall - 1.0) - 1
        print(f"stall {stall:.3f} s; calls of 1 s or more: open loop {open_slow} of "
              f"{opened['calls']} (expected {expected_slow:.0f}), held back to {concurrency} in "
              f"flight {held_slow} of {held['calls']}, closed loop {closed_slow} of "
              f"{closed['calls']}; p99 {opened['latency']['p99_ms']:.0f} ms, "
              f"{held['latency']['p99_ms']:.0f} ms, {closed['latency']['p99_ms']:.1f} ms",
              file=sys.stderr)

        for result in (opened, held, closed):
            self.assertEqual(result["errors"], 0)
            self.assertTrue(result["ledger_check"]["conserved"])
            # Every call in flight when the server stopped waited out the stall.
            self.assertGreaterEqual(result["latency"]["max_ms"], 1900)

        # Open loop: the schedule did not wait for the server. Exactly rate x
        # duration calls were due in the measured window, and each one due
        # during the stall reports what it waited. More than those may be
        # slow while the backlog drains, but not many more.
        self.assertEqual(opened["calls"], rate * 5)
        self.assertGreaterEqual(opened["latency"]["p99_ms"], 1000)
        self.assertGreaterEqual(open_slow, expected_slow)
        self.assertLessEqual(open_slow, expected_slow + 0.5 * rate)

        # Held back to a few calls in flight: the same schedule and the same
        # slow calls, though most of them waited in this client for a slot
        # (and a little longer while the backlog drained). Measured from when
        # they were sent instead of when they were due, they would look fast.
        self.assertEqual(held["calls"], rate * 5)
        self.assertEqual(held["peak_in_flight"], concurrency)
        self.assertGreaterEqual(held["latency"]["p99_ms"], 1000)
        self.assertGreaterEqual(held_slow, expected_slow)
        # At most those due during the stall and the second after it, while
        # four at a time drained the backlog.
        self.assertLessEqual(held_slow, rate * (stall + 1.0))

        # Closed loop: the workers stopped with the server, so the stall
        # counts once per call in flight, however long it lasts (a busy
        # machine may add a slow call of its own, never hundreds).
        self.assertGreaterEqual(closed_slow, concurrency)
        self.assertGreater(closed["calls"], 100 * concurrency)
        self.assertLess(closed["latency"]["p99_ms"], 1000)
        self.assertGreaterEqual(open_slow, 10 * closed_slow)

    # (b) --compare: both modes at each level in three alternating rounds,
    # each figure as the median and range of the rounds, as JSON, Markdown
    # and SVG.
    def test_compare_writes_both_modes_at_every_level(self):
        server = self.start_server("--threads=2", "--workers=2")
        out_dir = self.path("compare")
        levels = [4, 16]
        code, table, log = run_load([
            "--compare", self.target(server, "coroutine"),
            f"--thread_target=127.0.0.1:{server.ports['thread']}",
            f"--metrics=127.0.0.1:{server.metrics_port}", "--levels=4,16", "--duration=1.5s",
            "--warmup=0.25s", "--accounts=50", "--connections=2",
            "--out_dir=" + out_dir])
        self.assertEqual(code, 0, log)
        # Three rounds by default. The modes take turns, and the one that
        # goes first alternates from round to round and level to level, so
        # drift of the machine hits both alike.
        order = re.findall(r"(\d+) in flight, (\w+) mode, round (\d)/3:", log)
        self.assertEqual(order, [
            ("4", "coroutine", "1"), ("4", "thread", "1"), ("4", "thread", "2"),
            ("4", "coroutine", "2"), ("4", "coroutine", "3"), ("4", "thread", "3"),
            ("16", "thread", "1"), ("16", "coroutine", "1"), ("16", "coroutine", "2"),
            ("16", "thread", "2"), ("16", "thread", "3"), ("16", "coroutine", "3")])

        with open(os.path.join(out_dir, "compare.json")) as f:
            result = json.load(f)
        self.assertEqual(result["levels"], levels)
        self.assertEqual(result["settings"]["rounds"], 3)
        self.assertEqual(result["settings"]["cores_online"], os.cpu_count())
        self.assertNotEqual(result["settings"]["load_cpus"], "")
        self.assertEqual(result["settings"]["placement"], "")
        rows = {(row["concurrency"], row["mode"]): row for row in result["rows"]}
        self.assertEqual(len(result["rows"]), 4)
        self.assertEqual(set(rows), {(level, mode) for level in levels for mode in MODES})
        for (level, mode), row in rows.items():
            where = f"{mode} at {level}"
            self.assertEqual(row["rounds"], 3, where)
            self.assertEqual(len(row["by_round"]), 3, where)
            figures = row["figures"]
            for name, spread in figures.items():
                self.assertEqual(spread["rounds"], 3, f"{where}: {name}")
                self.assertLessEqual(spread["min"], spread["median"], f"{where}: {name}")
                self.assertLessEqual(spread["median"], spread["max"], f"{where}: {name}")
            # The median of three is one of the rounds' own values.
            self.assertIn(figures["throughput"]["median"],
                          [run["throughput"] for run in row["by_round"]], where)
            self.assertEqual(figures["throughput"]["min"],
                             min(run["throughput"] for run in row["by_round"]), where)
            self.assertGreater(figures["throughput"]["min"], 0, where)
            self.assertEqual(figures["errors"], {"median": 0, "min": 0, "max": 0, "rounds": 3},
                             where)
            totals = row["totals"]
            self.assertEqual(totals["calls"], sum(run["calls"] for run in row["by_round"]), where)
            self.assertEqual(totals["errors"], 0, where)
            self.assertEqual(totals["status_codes"], {"OK": totals["calls"]}, where)
            self.assertEqual(totals["peak_in_flight"], level, where)
            self.assertEqual(row["error_kinds"], [], where)
            for run in row["by_round"]:
                latency = run["latency"]
                self.assertLessEqual(latency["p50_ms"], latency["p99_ms"], where)
                self.assertLessEqual(latency["p99_ms"], latency["p999_ms"], where)
                self.assertLessEqual(latency["p999_ms"], latency["max_ms"], where)
                self.assertGreater(run["server"]["samples"], 0, where)
            self.assertGreater(figures["resident_memory_bytes_max"]["min"], 1 << 20, where)
            # The server's own count of the threads serving each mode.
            if mode == "coroutine":
                self.assertEqual(figures["mode_threads_max"],
                                 {"median": 4, "min": 4, "max": 4, "rounds": 3},
                                 where)  # 2 queue + 2 worker threads
            else:
                self.assertGreaterEqual(figures["mode_threads_max"]["min"], 1, where)
        verdicts = {(d["concurrency"], d["figure"]): d for d in result["differences"]}
        self.assertEqual(set(verdicts), {(level, figure) for level in levels
                                         for figure in rows[(4, "coroutine")]["figures"]})
        for (level, figure), difference in verdicts.items():
            coroutine = rows[(level, "coroutine")]["figures"][figure]
            thread = rows[(level, "thread")]["figures"][figure]
            apart = coroutine["min"] > thread["max"] or thread["min"] > coroutine["max"]
            self.assertEqual(difference["verdict"] != "no clear difference", apart,
                             (level, figure))
        # No call failed: both modes' error counts are the same.
        self.assertEqual(verdicts[(4, "errors")]["verdict"], "no clear difference")
        self.assertIsNone(verdicts[(4, "errors")]["ratio"])
        self.assertTrue(result["ledger_check"]["conserved"])

        with open(os.path.join(out_dir, "compare.md")) as f:
            markdown = f.read()
        self.assertIn(table.strip(), markdown)  # stdout's table is the file's
        table_rows = [line for line in markdown.splitlines() if line.startswith("|")]
        header = [cell.strip() for cell in table_rows[0].strip("|").split("|")]
        self.assertEqual(header, ["in flight", "figure", "coroutine", "thread",
                                  "coroutine ÷ thread"])
        body = [[cell.strip() for cell in line.strip("|").split("|")] for line in table_rows[2:]]
        figures = ["calls/s", "p50", "p99", "p99.9", "errors", "threads", "RSS"]
        self.assertEqual([(cells[0], cells[1]) for cells in body],
                         [(str(level), figure) for level in levels for figure in figures])
        for cells in body:
            self.assertEqual(len(cells), len(header))
            if cells[1] == "errors":
                self.assertEqual(cells[2:], ["0", "0", "no clear difference"])
            if cells[1] == "calls/s":
                # The median, then the range of the rounds.
                self.assertRegex(cells[2], r"^\d+( \(\d+–\d+\))?$")
        self.assertIn("How to read it: each cell is the median of the mode's 3 round(s)",
                      markdown)
        self.assertIn("No call failed.", markdown)
        self.assertIn(f"- cores: {os.cpu_count()} online; ledger-load ran on cores ", markdown)
        self.assertIn("the servers' placement was not given (--placement)", markdown)

        svg = ET.parse(os.path.join(out_dir, "compare.svg")).getroot()
        self.assertEqual(svg.tag, SVG + "svg")
        series = {(line.get("data-panel"), line.get("data-mode")): line
                  for line in svg.iter(SVG + "polyline")}
        self.assertEqual(set(series), {(panel, mode) for panel in ("p99", "throughput")
                                       for mode in MODES})
        for line in series.values():
            self.assertEqual(len(line.get("points").split()), len(levels))
        points = list(svg.iter(SVG + "circle"))
        self.assertEqual(len(points), 2 * len(MODES) * len(levels))
        key = {"p99": "p99_ms", "throughput": "throughput"}
        for point in points:
            row = rows[(int(point.get("data-concurrency")), point.get("data-mode"))]
            expected = row["figures"][key[point.get("data-panel")]]["median"]
            self.assertAlmostEqual(float(point.get("data-value")), expected,
                                   delta=expected * 1e-4)
        ranges = [line for line in svg.iter(SVG + "line") if line.get("class") == "range"]
        self.assertEqual(len(ranges), len(points))
        for bar in ranges:
            row = rows[(int(bar.get("data-concurrency")), bar.get("data-mode"))]
            spread = row["figures"][key[bar.get("data-panel")]]
            self.assertAlmostEqual(float(bar.get("data-min")), spread["min"],
                                   delta=spread["min"] * 1e-4)
            self.assertAlmostEqual(float(bar.get("data-max")), spread["max"],
                                   delta=spread["max"] * 1e-4)

    # (b2) Failed calls are counted by code and message and explained: a
    # thread mode allowed 2 threads refuses most of 16 calls in flight with
    # gRPC's own RESOURCE_EXHAUSTED, and the report says which limit that is.
    def test_compare_explains_the_errors_of_a_mode_at_its_thread_limit(self):
        server = self.start_server("--threads=2", "--workers=2", "--max_threads=2")
        out_dir = self.path("compare")
        code, _, log = run_load([
            "--compare", self.target(server, "coroutine"),
            f"--thread_target=127.0.0.1:{server.ports['thread']}", "--levels=16",
            "--duration=1.5s", "--warmup=0.1s", "--accounts=50", "--connections=1",
            "--placement=shared with the test's other processes", "--out_dir=" + out_dir])
        self.assertEqual(code, 0, log)
        with open(os.path.join(out_dir, "compare.json")) as f:
            result = json.load(f)
        rows = {row["mode"]: row for row in result["rows"]}
        self.assertEqual(rows["coroutine"]["error_kinds"], [])
        thread = rows["thread"]
        self.assertGreater(thread["totals"]["errors"], 0)
        self.assertEqual(thread["totals"]["status_codes"]["ResourceExhausted"],
                         thread["totals"]["errors"])
        self.assertEqual([(kind["code"], kind["message_kind"], kind["count"])
                          for kind in thread["error_kinds"]],
                         [("RESOURCE_EXHAUSTED", "Server Threadpool Exhausted",
                           thread["totals"]["errors"])])
        self.assertEqual(thread["figures"]["errors"]["median"],
                         sorted(run["errors"] for run in thread["by_round"])[1])
        self.assertEqual(result["settings"]["placement"], "shared with the test's other processes")
        with open(os.path.join(out_dir, "compare.md")) as f:
            markdown = f.read()
        self.assertIn(f"- 16 in flight, thread mode: {thread['totals']['errors']} of "
                      f"{thread['totals']['calls']} calls failed in 3 round(s)", markdown)
        self.assertIn(f"  - {thread['totals']['errors']} × RESOURCE_EXHAUSTED: Server "
                      "Threadpool Exhausted — thread mode reached --max_threads", markdown)
        self.assertIn("ledger-load ran on cores ", markdown)
        self.assertIn("; shared with the test's other processes\n", markdown)
        self.assertTrue(result["ledger_check"]["conserved"])

    # (c) Ten thousand calls in flight on one client thread, and money conserved.
    def test_ten_thousand_calls_in_flight_on_one_client_thread(self):
        # Every store call takes 12 s. The 10,000 workers each start their
        # first call within the 10 s measured window (one client thread needs
        # 1 to 4 s for that on a 2-core machine busy with other work), and
        # none of those calls returns before 12 s: so every call is at the
        # server before the first one returns, the server's gauge reads 10,000
        # for seconds rather than an instant, and the scrapes every 250 ms see
        # it. No worker starts a second call, since the window has closed.
        server = self.start_server("--store_latency=12s")
        result_path = self.path("ten_thousand.json")
        code, summary, log = run_load([
            self.target(server), "--concurrency=10000", "--duration=10s", "--warmup=0",
            "--mix=get:1", "--accounts=2", "--connections=4",
            f"--metrics=127.0.0.1:{server.metrics_port}", "--json=" + result_path], timeout=120)
        self.assertEqual(code, 0, log)
        with open(result_path) as f:
            result = json.load(f)
        self.assertEqual(result["settings"]["client_threads"], 1)
        self.assertEqual(result["peak_in_flight"], 10_000)
        self.assertEqual(result["errors"], 0)
        # Every worker made exactly its first call.
        self.assertEqual(result["calls"], 10_000)
        self.assertEqual(result["status_codes"], {"OK": result["calls"]})
        # The server saw them all at once, by its own gauge.
        self.assertEqual(result["server"]["max_inflight_calls"]["coroutine"], 10_000)
        self.assertTrue(result["ledger_check"]["conserved"])
        self.assertTrue(result["ledger_check"]["passed"])
        self.assertIn("money conserved", summary)

    # The money check fails the run when the total of its accounts changes,
    # unless --shared_accounts says others may move money too.
    def test_money_check_fails_when_others_move_money(self):
        import grpc
        generate_stubs(ARGS.proto_root, self.tmp.name)
        from ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc

        server = self.start_server()
        channel = grpc.insecure_channel(f"127.0.0.1:{server.ports['coroutine']}")
        ledger = ledger_pb2_grpc.LedgerStub(channel)
        prefix = f"check-{uuid.uuid4().hex[:8]}-"
        outside = prefix + "outside"
        ledger.OpenAccount(pb.OpenAccountRequest(id=outside, initial_balance=1_000_000))
        for index in range(3):
            ledger.OpenAccount(pb.OpenAccountRequest(id=f"{prefix}{index}",
                                                     initial_balance=1_000_000))

        for shared, amount in ((False, 500), (True, 700)):
            result_path = self.path(f"check-{shared}.json")
            flags = [self.target(server), "--existing", f"--account_prefix={prefix}",
                     "--accounts=3", "--duration=1.5s", "--warmup=0", "--mix=transfer:1",
                     "--json=" + result_path] + (["--shared_accounts"] if shared else [])
            load = LoadProcess(flags)
            load.wait_for("running:")
            ledger.Transfer(pb.TransferRequest(request_id=str(uuid.uuid4()), from_id=outside,
                                               to_id=f"{prefix}1", amount=amount))
            code, summary, log = load.finish()
            with open(result_path) as f:
                check = json.load(f)["ledger_check"]
            self.assertEqual(check["accounts"], 3)
            self.assertEqual(check["sum_after"] - check["sum_before"], amount)
            self.assertFalse(check["conserved"])
            self.assertEqual(check["shared_accounts"], shared)
            if shared:
                self.assertEqual(code, 0, log)
                self.assertTrue(check["passed"])
            else:
                self.assertEqual(code, 1, log)
                self.assertFalse(check["passed"])
                self.assertIn("MONEY NOT CONSERVED", log)
                self.assertIn(f"(+{amount})", summary)

        # --existing with accounts that are not there: a clear error, exit 1.
        code, _, log = run_load([self.target(server), "--existing",
                                 f"--account_prefix=missing-{prefix}", "--accounts=2"])
        self.assertEqual(code, 1, log)
        self.assertIn("not found", log)
        channel.close()

    # --soak as `make soak` runs it (mode_servers.sh: a server per mode), for
    # 12 s with a sample every 2 s: a line per mode per sample, each total
    # exact, the frames the same at every quiet moment, and the verdict. Its
    # memory is let grow (--soak_memory_tolerance=1): twelve seconds of a
    # fresh server say nothing of leaks, and the rule itself is tested on
    # made-up series (soak_rule_test.cc).
    def test_soak_samples_both_modes_every_period_and_passes(self):
        build = os.path.dirname(os.path.dirname(os.path.dirname(ARGS.load)))
        self.assertEqual(os.path.join(build, "service", "ledger-server"), ARGS.server)
        run = subprocess.run(
            [os.path.join(ARGS.source_dir, "client/load/mode_servers.sh"), build, "--soak",
             "--rate=100", "--duration=12s", "--report_every=2s", "--accounts=50",
             "--connections=2", "--soak_memory_tolerance=1"],
            capture_output=True, text=True, timeout=120)
        sys.stderr.write(run.stderr)
        self.assertEqual(run.returncode, 0, run.stdout)
        total = 50 * 1_000_000
        self.assertRegex(run.stdout, r"(?m)^soak: open loop, 100 calls/s .* per mode, both modes "
                                     r"at once, mix get:20,transfer:50,list:8,stream:8,open:4,"
                                     r"import:4,audit:6, 50 accounts per mode; a sample every 2s "
                                     r"of load for 12s$")
        samples = {mode: [] for mode in MODES}
        for at, mode, rest in re.findall(r"(?m)^\s*(\d+m\d\ds)  (coroutine|thread)\s+(.*)$",
                                         run.stdout):
            samples[mode].append((at, rest))
        for mode in MODES:
            where = f"{mode}: {run.stdout}"
            self.assertEqual([at for at, _ in samples[mode]],
                             ["0m00s", "0m02s", "0m04s", "0m06s", "0m08s", "0m10s", "0m12s"], where)
            self.assertTrue(samples[mode][0][1].startswith("before load"), where)
            frames, transfers = set(), []
            for at, rest in samples[mode]:
                columns = re.fullmatch(
                    r"(?:before load|(?P<rate>[\d.]+) calls/s  p99 +\S+ \w+  errors (?P<errors>\d+))"
                    r"  rss (?P<rss>[\d.]+) MiB  threads (?P<threads>\d+)(?: \(max \d+\))?  "
                    r"frames (?P<frames>\d+)  transfers (?P<transfers>\d+)  total (?P<total>\d+)",
                    rest)
                self.assertIsNotNone(columns, f"{at} {mode}: {rest}")
                self.assertEqual(int(columns["total"]), total, f"{at} {where}")
                self.assertGreater(float(columns["rss"]), 1, f"{at} {where}")
                if at != "0m00s":
                    self.assertGreater(float(columns["rate"]), 0, f"{at} {where}")
                    self.assertEqual(columns["errors"], "0", f"{at} {where}")
                frames.add(int(columns["frames"]))
                transfers.append(int(columns["transfers"]))
            # Sampled with no call in flight, the frames are the accepts
            # standing ready (none in thread mode), the same every time.
            self.assertEqual(len(frames), 1, where)
            self.assertEqual(frames.pop() > 0, mode == "coroutine", where)
            self.assertEqual(transfers[0], 0, where)
            self.assertEqual(transfers, sorted(transfers), where)
            self.assertGreater(transfers[-1], 0, where)
            self.assertRegex(
                run.stdout,
                rf"(?m)^verdict  {mode} +total {total} at all 7 samples; thirds: warm-up to "
                r"0m04s, middle 0m06s to 0m08s, last 0m10s to 0m12s; memory: .*; frames: ")
        self.assertNotIn("FAILED", run.stdout)
        self.assertTrue(run.stdout.endswith(
            "soak passed: every total held, and memory and coroutine frames did not keep "
            "growing\n"), run.stdout)

    # A soak of both modes in one server: money moved into one of thread
    # mode's accounts from outside fails the soak, naming the mode, the
    # sample and the difference; coroutine mode's total held.
    def test_soak_fails_when_a_total_changes(self):
        import grpc
        generate_stubs(ARGS.proto_root, self.tmp.name)
        from ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc

        server = self.start_server()
        prefix = f"soak-{uuid.uuid4().hex[:8]}-"
        soak = LoadProcess([
            "--soak", self.target(server), f"--thread_target=127.0.0.1:{server.ports['thread']}",
            f"--metrics=127.0.0.1:{server.metrics_port}", f"--account_prefix={prefix}",
            "--accounts=5", "--rate=50", "--duration=8s", "--report_every=2s"])
        soak.wait_for("soak running: 8s of load")
        with grpc.insecure_channel(f"127.0.0.1:{server.ports['coroutine']}") as channel:
            ledger = ledger_pb2_grpc.LedgerStub(channel)
            ledger.OpenAccount(pb.OpenAccountRequest(id=prefix + "outside",
                                                     initial_balance=1_000))
            ledger.Transfer(pb.TransferRequest(request_id=str(uuid.uuid4()),
                                               from_id=prefix + "outside",
                                               to_id=prefix + "thread-1", amount=700))
        code, stdout, log = soak.finish()
        self.assertEqual(code, 1, log)
        failures = re.findall(r"(?m)^FAILED   (\w+) +(.*)$", stdout)
        self.assertGreater(len(failures), 0, stdout)
        for mode, failure in failures:
            self.assertEqual(mode, "thread", stdout)
            self.assertRegex(failure, r"^the total changed: 5000700 at 0m0[2468]s where the "
                                      r"accounts were opened with 5000000 \(\+700\)$")
        self.assertRegex(stdout, r"(?m)^verdict  coroutine  total 5000000 at all 5 samples; ")
        self.assertTrue(stdout.endswith(f"soak FAILED: {len(failures)} reason(s) above\n"),
                        stdout)

    # Over TLS with an admin token (from LEDGER_TOKEN, as a user should pass
    # it): the run opens funded accounts, conserves money, and never shows the
    # token; --compare uses the same credentials for both ports. A token
    # without the admin role cannot open funded accounts, and the run says so.
    def test_tls_with_an_admin_token_conserves_money(self):
        pki = make_pki(self.path("pki"))
        admin_token, user_token = new_token(), new_token()
        tokens = write_tokens_file(self.path("tokens"), {admin_token: ("load-admin", ["admin"]),
                                                         user_token: ("load-user", [])})
        server = self.start_server(f"--tls_cert_file={pki.server_cert}",
                                   f"--tls_key_file={pki.server_key}",
                                   f"--auth_tokens_file={tokens}")
        tls = [f"--tls_ca_file={pki.ca}"]
        as_admin = dict(os.environ, LEDGER_TOKEN=admin_token)
        result_path = self.path("tls.json")
        code, summary, log = run_load(
            [self.target(server), *tls, "--accounts=20", "--duration=2s", "--warmup=0.2s",
             "--concurrency=16", "--connections=2", "--json=" + result_path], env=as_admin)
        self.assertEqual(code, 0, log)
        self.assertIn("(TLS, bearer token)", log)
        with open(result_path) as f:
            written = f.read()
        result = json.loads(written)
        self.assertEqual(result["settings"]["security"], "TLS, bearer token")
        self.assertGreater(result["calls"], 0)
        self.assertEqual(result["errors"], 0)
        self.assertTrue(result["ledger_check"]["conserved"])
        self.assertIn("money conserved", summary)

        out_dir = self.path("compare")
        code, table, compare_log = run_load([
            "--compare", self.target(server, "coroutine"), *tls,
            f"--thread_target=127.0.0.1:{server.ports['thread']}", "--levels=4",
            "--duration=0.5s", "--warmup=0.1s", "--rounds=1", "--accounts=10",
            "--connections=1", "--out_dir=" + out_dir], env=as_admin)
        self.assertEqual(code, 0, compare_log)
        with open(os.path.join(out_dir, "compare.json")) as f:
            compared = json.load(f)
        self.assertEqual(compared["settings"]["security"], "TLS, bearer token")
        self.assertEqual({row["mode"]: row["totals"]["errors"] for row in compared["rows"]},
                         {"coroutine": 0, "thread": 0})
        self.assertTrue(compared["ledger_check"]["conserved"])

        code, _, denied_log = run_load([self.target(server), *tls, "--accounts=2"],
                                       env=dict(os.environ, LEDGER_TOKEN=user_token))
        self.assertEqual(code, 1, denied_log)
        self.assertIn("opening funded accounts needs a token with the admin role, or --existing",
                      denied_log)
        code, _, unknown_log = run_load([self.target(server), *tls, "--accounts=2", "--token="])
        self.assertEqual(code, 1, unknown_log)
        self.assertIn("UNAUTHENTICATED", unknown_log)
        # The wrong CA: the run says why it could not connect, not only that it did not.
        other = make_pki(self.path("other-pki"))
        code, _, wrong_ca_log = run_load([self.target(server), f"--tls_ca_file={other.ca}",
                                          "--connect_timeout=2s"], env=as_admin)
        self.assertEqual(code, 1, wrong_ca_log)
        self.assertIn("certificate verify failed", wrong_ca_log)
        for text in (log, summary, written, compare_log, table, denied_log, unknown_log,
                     wrong_ca_log, *(open(path).read() for path in glob.glob(out_dir + "/*"))):
            self.assertNotIn(admin_token, text)
            self.assertNotIn(user_token, text)

    # Flags: --help explains each one; bad ones end with exit code 2 and say why.
    def test_flags_are_explained_and_bad_ones_refused(self):
        defined = set()
        # Its own flags, and the connection flags it shares with `ledger`.
        for source in glob.glob(os.path.join(ARGS.source_dir, "client/load/*.cc")) + [
                os.path.join(ARGS.source_dir, "client/common/connection_flags.cc")]:
            with open(source) as f:
                defined |= set(re.findall(r"ABSL_FLAG\([^,]+,\s*(\w+),", f.read()))
        self.assertGreater(len(defined), 20)
        run = subprocess.run([ARGS.load, "--help"], capture_output=True, text=True)
        self.assertEqual((run.returncode, run.stderr), (0, ""))
        explained = set(re.findall(r"^  --(\w+)\b", run.stdout, re.MULTILINE))
        self.assertEqual(explained, defined)

        bad = {
            "--concurrency=0": "--concurrency=0 must be 1 to",
            "--concurrency=many": "Illegal value 'many' specified for flag 'concurrency'",
            "--no_such_flag=1": "unknown flag --no_such_flag",
            "--mix=get:1,fetch:2": "unknown operation 'fetch'",
            "--arrivals=burst": "not one of poisson, constant",
            "--rate=-5": "--rate=-5 must be",
            "--duration=0": "--duration must be positive",
            "--accounts=1": "--accounts=1 must be 2",
            "--account_prefix=a/b": "account ids are",
            "--existing": "--existing needs the --account_prefix",
            "--levels=16": "--levels applies only with --compare",
            "--placement=x": "--placement applies only with --compare",
            "--metrics=host:99999": "is not host or host:port",
            "stray": "unexpected argument 'stray'",
            "--tls_ca_file=/no/such/ca.pem": "--tls_ca_file: cannot read /no/such/ca.pem",
            "--tls_cert_file=c.pem": "--tls_cert_file needs --tls_key_file",
            "--tls_server_name=ledger.test": "--tls_server_name applies only over TLS",
            "--soak": "--soak needs --metrics",
            "--report_every=1m": "--report_every applies only with --soak",
            "--soak_frames_tolerance=3": "--soak_frames_tolerance applies only with --soak",
            "--thread_target=localhost:1": "--thread_target applies only with --compare or --soak",
            "--import_transfers=0": "--import_transfers=0 must be 1 to 10000",
        }
        for flags, message in bad.items():
            result = subprocess.run([ARGS.load, *flags.split()], capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, f"{flags}: {result.stderr}")
            self.assertIn(message, result.stderr, flags)
        for flags, message in {
                "--rate=10 --concurrency=5": "--concurrency is for the closed loop",
                "--requests=10 --duration=2s": "not both",
                "--compare --rate=100": "--rate does not apply to --compare",
                "--compare --levels=8,x": "each level is a number",
                "--compare --rounds=0": "--rounds=0 must be 1 to 100",
                "--soak --compare --metrics=localhost": "give --compare or --soak, not both",
                "--soak --metrics=localhost --report_every=0": "--report_every must be positive",
                "--soak --metrics=localhost --warmup=1s": "the soak's first third is its warm-up",
                "--soak --metrics=localhost --account_prefix=" + "x" * 55:
                    "with --soak, ids such as"}.items():
            result = subprocess.run([ARGS.load, *flags.split()], capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, f"{flags}: {result.stderr}")
            self.assertIn(message, result.stderr, flags)

        # No server there: a clear error, exit 1 (not a usage error).
        result = subprocess.run([ARGS.load, "--target=127.0.0.1:1", "--connect_timeout=1s"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("cannot connect to 127.0.0.1:1", result.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", required=True, help="the ledger-load binary")
    parser.add_argument("--server", required=True, help="the ledger-server binary")
    parser.add_argument("--proto_root", required=True, help="the folder holding ledger/v1/")
    parser.add_argument("--source_dir", required=True, help="the repository's root")
    ARGS, rest = parser.parse_known_args()
    sys.path.insert(0, os.path.join(ARGS.source_dir, "tests", "python"))
    from ledger_server import LedgerServer, generate_stubs  # noqa: E402
    from test_certificates import make_pki, new_token, write_tokens_file  # noqa: E402
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
