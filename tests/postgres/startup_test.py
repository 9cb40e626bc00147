#!/usr/bin/python3
"""ledger-server started on PostgreSQL when the database is not there (yet):
  - unreachable until --postgres_connect_timeout: each failed attempt is
    logged, then one line "cannot start: ..." naming PostgreSQL and the
    timeout, and exit status 1; the DSN's password is never printed;
  - unreachable at first, then started (the order Kubernetes may start them
    in): the server waits, comes up and serves both modes;
  - no DSN at all, or an unknown store: exit status 2, saying what is missing;
  - several servers at once on an empty database make the schema once, and
    a database of an older schema is upgraded in place.

Run by CTest (test postgres_startup); by hand:
  /usr/bin/python3 tests/postgres/startup_test.py --server build/service/ledger-server \\
      --proto_root proto --local_cluster deploy/postgres/local_cluster.sh
"""
import argparse
import concurrent.futures
import datetime
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ledger_server import MODES, LedgerServer, generate_stubs, health_status  # noqa: E402
from throwaway_cluster import ThrowawayCluster  # noqa: E402

PASSWORD = "s3cret"
RETRY_LINE = "trying again in"
CANNOT_START = "cannot start:"
WAITING_LINE = "waiting for PostgreSQL"


def logged_at(line):
    """The time at the start of a log line, e.g. 2026-12-02T03:49:46.558Z."""
    return datetime.datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
PORT_FLAGS = ["--host=127.0.0.1", "--port=0", "--thread_port=0", "--metrics_port=0"]


def environment_without_dsn():
    return {name: value for name, value in os.environ.items() if name != "LEDGER_POSTGRES_DSN"}


class StartAfterFirstFailure:
    """Starts a cluster 2 s after the server has logged its first failed attempt
    to reach it: `see` is the server's log-line hook."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.first_failure = threading.Event()
        self.error = None
        self.started = False
        self.thread = threading.Thread(target=self._start, daemon=True)
        self.thread.start()

    def see(self, line):
        if RETRY_LINE in line:
            self.first_failure.set()

    def _start(self):
        if not self.first_failure.wait(90):
            return
        time.sleep(2)
        try:
            self.cluster.start()
            self.started = True
        except Exception as error:  # noqa: BLE001 - reported by join()
            self.error = error

    def join(self):
        """Waits for the start; True if the cluster was started. Raises what
        starting it raised."""
        self.first_failure.set()  # a server that never failed: start now, not in 90 s
        self.thread.join(300)
        if self.error:
            raise self.error
        return self.started


class StartupTest(unittest.TestCase):
    server_binary = None
    local_cluster = None

    def run_server(self, flags, env=None):
        """Runs ledger-server to its exit; returns its status and its output
        (stdout and stderr) as lines."""
        done = subprocess.run([self.server_binary, *PORT_FLAGS, *flags], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=120,
                              env=env if env is not None else environment_without_dsn())
        sys.stderr.write("".join(f"[server] {line}\n" for line in done.stdout.splitlines()))
        return done.returncode, done.stdout.splitlines()

    def check_gives_up(self, flags, env, timeout_text, timeout_seconds):
        status, lines = self.run_server(flags, env)
        self.assertEqual(status, 1, "exit status of a server whose database never answered")
        retries = [line for line in lines if RETRY_LINE in line]
        self.assertGreaterEqual(len(retries), 2, "failed attempts logged")
        cannot_start = [line for line in lines if CANNOT_START in line]
        self.assertEqual(len(cannot_start), 1, f"lines saying '{CANNOT_START}'")
        self.assertEqual(lines[-1], cannot_start[0], "the last line says why it cannot start")
        self.assertIn("PostgreSQL", cannot_start[0])
        self.assertIn(timeout_text, cannot_start[0], "the line names the timeout")
        self.assertNotIn(PASSWORD, "\n".join(lines), "the password was printed")
        # It tried for the whole timeout: from the line that says it waits to
        # the one that says it gives up (timestamps in whole milliseconds).
        waiting = [line for line in lines if WAITING_LINE in line]
        self.assertEqual(len(waiting), 1, f"lines saying '{WAITING_LINE}'")
        tried = logged_at(cannot_start[0]) - logged_at(waiting[0])
        self.assertGreaterEqual(tried, datetime.timedelta(seconds=timeout_seconds, milliseconds=-1),
                                "gave up before --postgres_connect_timeout")

    def test_gives_up_after_the_connect_timeout(self):
        # A socket directory where no server listens.
        with tempfile.TemporaryDirectory(prefix="ledger-no-pg-") as nowhere:
            dsn = f"host={nowhere} port=5432 dbname=ledger user=postgres password={PASSWORD}"
            self.check_gives_up(["--store=postgres", f"--postgres_dsn={dsn}",
                                 "--postgres_connect_timeout=3s"], None, "3s", 3)

    def test_gives_up_with_the_dsn_from_the_environment(self):
        with tempfile.TemporaryDirectory(prefix="ledger-no-pg-") as nowhere:
            env = environment_without_dsn()
            env["LEDGER_POSTGRES_DSN"] = f"postgresql://postgres:{PASSWORD}@/ledger?host={nowhere}"
            self.check_gives_up(["--store=postgres", "--postgres_connect_timeout=2s"], env, "2s", 2)

    def test_waits_for_a_database_that_starts_later(self):
        # The cluster is made first (initdb is slow) and stopped, so the
        # server's wait covers only a start.
        cluster = ThrowawayCluster(self.local_cluster, prefix="ledger-startup-")
        try:
            cluster.start()
            cluster.stop()
            later = StartAfterFirstFailure(cluster)
            try:
                env = environment_without_dsn()
                env["LEDGER_POSTGRES_DSN"] = cluster.dsn
                server = LedgerServer(self.server_binary,
                                      ["--store=postgres", "--postgres_connect_timeout=30s"],
                                      startup_timeout=90, env=env, on_log_line=later.see)
                try:
                    self.assertTrue(later.join(), "the cluster was not started")
                    log = list(server.log_lines)
                    listening = next(i for i, line in enumerate(log) if "listening on" in line)
                    self.assertGreaterEqual(
                        sum(RETRY_LINE in line for line in log[:listening]), 1,
                        "failed attempts logged before the server came up")
                    self.assertFalse(any(CANNOT_START in line for line in log))
                    self.check_serves(server)
                finally:
                    self.assertTrue(server.stop(), "ledger-server did not exit 0 on SIGTERM")
            finally:
                later.join()  # before the cluster goes
        finally:
            cluster.remove()

    def test_servers_starting_at_once_make_the_schema_once(self):
        # Pods of a Deployment start together against an empty database.
        cluster = ThrowawayCluster(self.local_cluster, prefix="ledger-schema-")
        servers = []
        try:
            cluster.start()
            env = environment_without_dsn()
            env["LEDGER_POSTGRES_DSN"] = cluster.dsn
            with concurrent.futures.ThreadPoolExecutor(max_workers=4) as starting:
                servers = list(starting.map(
                    lambda _: LedgerServer(self.server_binary, ["--store=postgres"],
                                           startup_timeout=90, env=env), range(4)))
            for server in servers:
                self.assertFalse(any(CANNOT_START in line for line in server.log_lines))
            # Every schema version applied exactly once, from 1 up, none skipped.
            versions = [int(version) for (version,) in cluster.query(
                "SELECT version FROM ledger_schema_version ORDER BY version")]
            self.assertEqual(versions, list(range(1, len(versions) + 1)))
            self.assertGreaterEqual(len(versions), 2)
            self.check_serves(servers[0])
            self.check_serves(servers[-1])
        finally:
            for server in servers:
                self.assertTrue(server.stop(), "ledger-server did not exit 0 on SIGTERM")
            cluster.remove()

    def test_a_database_from_before_owners_is_upgraded_in_place(self):
        # A database made by a server without account owners (schema
        # version 1), with an account in it: the next server adds the owner
        # column, and the old account belongs to nobody ("").
        import grpc
        from ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc
        cluster = ThrowawayCluster(self.local_cluster, prefix="ledger-upgrade-")
        try:
            cluster.start()
            flags = ["--store=postgres", f"--postgres_dsn={cluster.dsn}"]
            self.assertTrue(LedgerServer(self.server_binary, flags, startup_timeout=90).stop())
            cluster.query("BEGIN; ALTER TABLE accounts DROP COLUMN owner; "
                          "DELETE FROM ledger_schema_version WHERE version > 1; "
                          "INSERT INTO accounts (id, balance, version, initial_balance) "
                          "VALUES ('before-owners', 100, 1, 100); COMMIT")
            server = LedgerServer(self.server_binary, flags, startup_timeout=90)
            try:
                with grpc.insecure_channel(server.address("coroutine")) as channel:
                    account = ledger_pb2_grpc.LedgerStub(channel).GetAccount(
                        pb.GetAccountRequest(id="before-owners"), timeout=30)
            finally:
                self.assertTrue(server.stop())
            self.assertEqual((account.balance, account.version, account.owner), (100, 1, ""))
            versions = cluster.query("SELECT version FROM ledger_schema_version ORDER BY 1")
            self.assertEqual(versions[0], ("1",))
            self.assertGreaterEqual(len(versions), 2)
        finally:
            cluster.remove()

    def check_serves(self, server):
        import grpc
        from ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc
        tag = f"startup-{uuid.uuid4().hex[:8]}"
        for mode in MODES:
            deadline = time.monotonic() + 30
            while (status := health_status(server.address(mode))) != "SERVING":
                self.assertLess(time.monotonic(), deadline, f"{mode} mode's health: {status}")
                time.sleep(0.2)
            with grpc.insecure_channel(server.address(mode)) as channel:
                stub = ledger_pb2_grpc.LedgerStub(channel)
                payer, payee = f"{tag}-{mode}-payer", f"{tag}-{mode}-payee"
                stub.OpenAccount(pb.OpenAccountRequest(id=payer, initial_balance=100), timeout=30)
                stub.OpenAccount(pb.OpenAccountRequest(id=payee, initial_balance=0), timeout=30)
                receipt = stub.Transfer(pb.TransferRequest(
                    request_id=f"{tag}-{mode}", from_id=payer, to_id=payee, amount=40), timeout=30)
                self.assertEqual((receipt.from_balance, receipt.to_balance), (60, 40))

    def test_postgres_without_a_dsn_is_a_usage_error(self):
        status, lines = self.run_server(["--store=postgres"])
        self.assertEqual(status, 2)
        output = "\n".join(lines)
        self.assertIn("--postgres_dsn", output)
        self.assertIn("LEDGER_POSTGRES_DSN", output)

    def test_unknown_store_is_a_usage_error(self):
        status, lines = self.run_server(["--store=nosuch"])
        self.assertEqual(status, 2)
        self.assertIn("--store=nosuch", "\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    parser.add_argument("--local_cluster", required=True,
                        help="path of deploy/postgres/local_cluster.sh")
    args = parser.parse_args()
    StartupTest.server_binary = args.server
    StartupTest.local_cluster = args.local_cluster
    with tempfile.TemporaryDirectory(prefix="ledger-startup-stubs-") as stubs:
        generate_stubs(args.proto_root, stubs)
        result = unittest.main(argv=[sys.argv[0]], exit=False).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
