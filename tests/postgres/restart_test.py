#!/usr/bin/python3
"""PostgreSQL restarted under ledger-server while transfers are in flight.

The test starts a cluster of its own (never the fixture's, which other tests
use meanwhile) and one ledger-server serving both modes on it, with a pool of
two connections per mode so that most calls queue for a connection. For each
mode: 256 transfers between the test's accounts start at once, and
PostgreSQL is restarted (`pg_ctl restart -m fast`) while they are in flight.
Then, with the database back, whatever the timing was:
  (a) every transfer the client saw succeed is in the journal exactly once,
      as its receipt says;
  (b) every call that failed, failed with UNAVAILABLE or DEADLINE_EXCEEDED; one
      whose message does not say the outcome is unknown did not commit; retried
      with the same request_id, each returns the original receipt if it had
      committed, or commits it now; after the retries every request_id is in
      the journal exactly once;
  (c) the accounts' total is what it was, and each account's balance and
      version are what its journal entries make them (checked in SQL);
  (d) the same server serves again: health is SERVING, and new transfers
      succeed at once in both modes.
How many calls succeeded and how each failed is printed, so a reader sees
where the restart landed; only what holds for every landing is asserted.

Run by CTest (test postgres_restart); by hand:
  /usr/bin/python3 tests/postgres/restart_test.py --server build/service/ledger-server \\
      --proto_root proto --local_cluster deploy/postgres/local_cluster.sh
"""
import argparse
import collections
import os
import random
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ledger_server import MODES, LedgerServer, generate_stubs, health_status  # noqa: E402
from throwaway_cluster import ThrowawayCluster  # noqa: E402

ACCOUNTS = 16
INITIAL_BALANCE = 10_000
CALLS = 256
# 256 transfers of at most 10 cannot take an account below zero, so every
# transfer is valid and none may fail for lack of funds.
MOST_AMOUNT = 10
POOL_SIZE = 2
CALL_DEADLINE = 15  # seconds: far longer than a restart; a call that outlives it is reported
RETRY_DEADLINE = 30
HEALTH_WAIT = 30
UNKNOWN_OUTCOME = "whether it committed is unknown"

RUN_TAG = uuid.uuid4().hex[:6]


def receipt_fields(receipt):
    committed_micros = receipt.committed_at.seconds * 1_000_000 + receipt.committed_at.nanos // 1000
    return (receipt.sequence, receipt.request_id, receipt.from_id, receipt.to_id, receipt.amount,
            receipt.from_balance, receipt.to_balance, committed_micros)


class HealthWatcher:
    """Polls health on one port while the database restarts, to print what it saw
    (not asserted: a fast restart may fall between two of the server's probes)."""

    def __init__(self, address):
        self.address = address
        self.seen = collections.Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self):
        while not self.stop.is_set():
            self.seen[health_status(self.address, timeout=2)] += 1
            self.stop.wait(0.1)

    def finish(self):
        self.stop.set()
        self.thread.join(10)
        return dict(self.seen)


class RestartTest(unittest.TestCase):
    cluster = None
    server = None

    @classmethod
    def setUpClass(cls):
        import grpc
        from ledger.v1 import ledger_pb2, ledger_pb2_grpc
        cls.grpc, cls.pb = grpc, ledger_pb2
        cls.channels = {mode: grpc.insecure_channel(cls.server.address(mode)) for mode in MODES}
        cls.stubs = {mode: ledger_pb2_grpc.LedgerStub(channel)
                     for mode, channel in cls.channels.items()}

    @classmethod
    def tearDownClass(cls):
        for channel in cls.channels.values():
            channel.close()

    def test_coroutine_mode(self):
        self.check_restart_under_load("coroutine")

    def test_thread_mode(self):
        self.check_restart_under_load("thread")

    # The steps of one mode's run.

    def check_restart_under_load(self, mode):
        stub = self.stubs[mode]
        tag = f"restart-{RUN_TAG}-{mode}"
        accounts = [f"{tag}-{i:02d}" for i in range(ACCOUNTS)]
        for account in accounts:
            stub.OpenAccount(self.pb.OpenAccountRequest(id=account, initial_balance=INITIAL_BALANCE),
                             timeout=RETRY_DEADLINE)
        seed = random.randrange(1 << 32)
        print(f"\n{mode} mode: {CALLS} transfers among {ACCOUNTS} accounts, seed {seed}",
              file=sys.stderr)
        requests = self.make_transfers(tag, accounts, random.Random(seed))

        outcomes = self.transfer_while_restarting(mode, requests)
        journal = self.journal(tag)
        self.check_calls(requests, outcomes, journal)
        self.retry_failed(stub, requests, outcomes, journal)

        # (d) The same server serves again, in both modes.
        for serving in MODES:
            self.assertEqual(self.wait_for_health(serving), "SERVING",
                             f"{serving} mode's health after the restart")
        for serving in MODES:
            request = self.pb.TransferRequest(request_id=f"{tag}-after-{serving}",
                                              from_id=accounts[0], to_id=accounts[1], amount=1)
            receipt = self.stubs[serving].Transfer(request, timeout=RETRY_DEADLINE)
            self.assertEqual((receipt.request_id, receipt.amount), (request.request_id, 1))
            requests.append(request)

        self.check_journal_and_balances(tag, accounts, requests)

    def make_transfers(self, tag, accounts, rng):
        requests = []
        for i in range(CALLS):
            payer, payee = rng.sample(accounts, 2)
            requests.append(self.pb.TransferRequest(
                request_id=f"{tag}-t{i:03d}", from_id=payer, to_id=payee,
                amount=rng.randint(1, MOST_AMOUNT)))
        return requests

    def transfer_while_restarting(self, mode, requests):
        """Starts every transfer, restarts PostgreSQL at once, and waits for all
        of them: request_id -> ("OK", receipt) or (code name, message)."""
        stub = self.stubs[mode]
        health = HealthWatcher(self.server.address(mode))
        calls = [stub.Transfer.future(request, timeout=CALL_DEADLINE) for request in requests]
        started = time.monotonic()
        done_before = sum(call.done() for call in calls)
        self.cluster.restart()
        restart_seconds = time.monotonic() - started
        done_during = sum(call.done() for call in calls)
        outcomes = {}
        for request, call in zip(requests, calls):
            try:
                outcomes[request.request_id] = ("OK", call.result())
            except self.grpc.RpcError as error:
                outcomes[request.request_id] = (error.code().name, error.details() or "")
        seen_health = health.finish()

        kinds = collections.Counter(
            "UNAVAILABLE (outcome unknown)" if code == "UNAVAILABLE" and UNKNOWN_OUTCOME in message
            else code for code, message in outcomes.values())
        print(f"{mode} mode: restart took {restart_seconds:.1f} s; calls finished when it began: "
              f"{done_before}, when it returned: {done_during}; outcomes: {dict(kinds)}; "
              f"health seen meanwhile: {seen_health}", file=sys.stderr)
        examples = {}
        for code, message in outcomes.values():
            if code != "OK":
                examples.setdefault((code, UNKNOWN_OUTCOME in message), message)
        for (code, _), message in sorted(examples.items()):
            print(f"  e.g. {code}: {message}", file=sys.stderr)
        return outcomes

    def check_calls(self, requests, outcomes, journal):
        """(a) and the first half of (b), on the journal as the calls left it."""
        counts = collections.Counter(row[1] for row in journal)
        by_request = {row[1]: row for row in journal}
        issued = {request.request_id for request in requests}
        self.assertEqual({rid for rid in counts if rid not in issued}, set(),
                         "journal entries no call of this test asked for")
        self.assertEqual({rid: n for rid, n in counts.items() if n != 1}, {},
                         "request_ids in the journal more than once")
        unexpected = {rid: outcome for rid, outcome in outcomes.items()
                      if outcome[0] not in ("OK", "UNAVAILABLE", "DEADLINE_EXCEEDED")}
        self.assertEqual(unexpected, {}, "calls that failed with other codes")
        for request in requests:
            code, result = outcomes[request.request_id]
            if code == "OK":
                self.assertIn(request.request_id, by_request,
                              f"{request.request_id} succeeded but is not in the journal")
                self.assertEqual(receipt_fields(result), by_request[request.request_id],
                                 f"{request.request_id}: receipt and journal differ")
            elif code == "UNAVAILABLE" and UNKNOWN_OUTCOME not in result:
                self.assertNotIn(request.request_id, by_request,
                                 f"{request.request_id} failed with '{result}', which does not "
                                 "say the outcome is unknown, yet it committed")

    def retry_failed(self, stub, requests, outcomes, journal):
        """The second half of (b): each failed call retried once with its
        request_id must succeed, with the original receipt if it had committed."""
        before = {row[1]: row for row in journal}
        failed = [request for request in requests if outcomes[request.request_id][0] != "OK"]
        retries = [stub.Transfer.future(request, timeout=RETRY_DEADLINE) for request in failed]
        recommitted = 0
        for request, retry in zip(failed, retries):
            try:
                receipt = retry.result()
            except self.grpc.RpcError as error:
                self.fail(f"retry of {request.request_id} ({outcomes[request.request_id][0]}) "
                          f"failed with {error.code().name}: {error.details()}")
            if request.request_id in before:
                self.assertEqual(receipt_fields(receipt), before[request.request_id],
                                 f"retry of {request.request_id}, which had committed, did not "
                                 "return the original receipt")
                recommitted += 1
            else:
                self.assertEqual(
                    (receipt.request_id, receipt.from_id, receipt.to_id, receipt.amount),
                    (request.request_id, request.from_id, request.to_id, request.amount))
        print(f"  retried {len(failed)} failed calls: {recommitted} had committed (the original "
              f"receipt came back), {len(failed) - recommitted} committed now", file=sys.stderr)

    def check_journal_and_balances(self, tag, accounts, requests):
        """After the retries: each request_id once, as asked, and (c)."""
        journal = self.journal(tag)
        counts = collections.Counter(row[1] for row in journal)
        self.assertEqual(counts, collections.Counter(r.request_id for r in requests),
                         "the journal is not each request_id exactly once")
        by_request = {row[1]: row for row in journal}
        for request in requests:
            self.assertEqual(by_request[request.request_id][2:5],
                             (request.from_id, request.to_id, request.amount))

        like = f"'{tag}-%'"
        [(total,)] = self.cluster.query(f"SELECT sum(balance) FROM accounts WHERE id LIKE {like}")
        self.assertEqual(int(total), ACCOUNTS * INITIAL_BALANCE, "money created or destroyed")
        rows = self.cluster.query(f"""
            SELECT a.id, a.balance,
                   a.initial_balance
                   + coalesce((SELECT sum(amount) FROM transfers WHERE to_id = a.id), 0)
                   - coalesce((SELECT sum(amount) FROM transfers WHERE from_id = a.id), 0),
                   a.version,
                   1 + (SELECT count(*) FROM transfers WHERE from_id = a.id OR to_id = a.id)
            FROM accounts a WHERE a.id LIKE {like} ORDER BY a.id""")
        self.assertEqual([row[0] for row in rows], sorted(accounts))
        expected = {account: INITIAL_BALANCE for account in accounts}
        for request in requests:
            expected[request.from_id] -= request.amount
            expected[request.to_id] += request.amount
        for account, balance, from_journal, version, journal_version in rows:
            self.assertEqual(int(balance), int(from_journal),
                             f"{account}: balance is not initial + credits - debits")
            self.assertEqual(int(version), int(journal_version),
                             f"{account}: version is not 1 + its journal entries")
            self.assertEqual(int(balance), expected[account],
                             f"{account}: balance is not what the requests make it")

    # Helpers.

    def journal(self, tag):
        """The journal entries of the test's accounts, as receipt_fields() tuples."""
        rows = self.cluster.query(f"""
            SELECT sequence, convert_from(request_id, 'UTF8'), from_id, to_id, amount,
                   from_balance, to_balance,
                   (extract(epoch FROM committed_at) * 1000000)::bigint
            FROM transfers WHERE from_id LIKE '{tag}-%' OR to_id LIKE '{tag}-%'""")
        return [(int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[6]), int(r[7]))
                for r in rows]

    def wait_for_health(self, mode):
        deadline = time.monotonic() + HEALTH_WAIT
        while True:
            status = health_status(self.server.address(mode))
            if status == "SERVING" or time.monotonic() > deadline:
                return status
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    parser.add_argument("--local_cluster", required=True,
                        help="path of deploy/postgres/local_cluster.sh")
    args = parser.parse_args()
    cluster = ThrowawayCluster(args.local_cluster, prefix="ledger-restart-")
    result, stopped_cleanly = None, False
    try:
        with tempfile.TemporaryDirectory(prefix="ledger-restart-stubs-") as stubs:
            generate_stubs(args.proto_root, stubs)
            cluster.start()
            server = LedgerServer(
                args.server, ["--store=postgres", f"--postgres_dsn={cluster.dsn}",
                              f"--postgres_pool_size={POOL_SIZE}"], startup_timeout=60)
            RestartTest.cluster, RestartTest.server = cluster, server
            try:
                result = unittest.main(argv=[sys.argv[0]], exit=False).result
            finally:
                stopped_cleanly = server.stop()
    finally:
        cluster.remove()
    return 0 if result.wasSuccessful() and stopped_cleanly else 1


if __name__ == "__main__":
    sys.exit(main())
