#!/usr/bin/python3
"""The ledger from another language: Debian's python3-grpcio, with stubs
generated from proto/ledger/v1/ledger.proto, against the real ledger-server:
each mode on the embedded store (one server serving both), and each mode on
PostgreSQL (a server per mode, both on the one database, as pods share it).
Then over TLS with bearer tokens, as the README shows it, against a server
with a certificate and tokens made for the run (test_certificates.py).

The database outlives the test and other tests use it at the same time, so
every account and request id the tests make up carries this run's random tag.

Run by CTest, whose fixture `postgres` starts the database and sets
LEDGER_TEST_POSTGRES_DSN; by hand, with a database of your own (`make postgres`
prints its DSN):
  /usr/bin/python3 tests/python/python_client_test.py \
      --server build/service/ledger-server --proto_root proto --postgres_dsn "$DSN"
"""
import argparse
import os
import sys
import tempfile
import unittest
import uuid

from ledger_server import Servers, generate_stubs
from test_certificates import make_pki, new_token, write_tokens_file

# Unique across runs and processes sharing the database.
RUN_TAG = uuid.uuid4().hex[:8]


class LedgerContract:
    """The tests, run once per mode and store by the subclasses below."""
    servers = {}  # (store, mode) -> the LedgerServer serving that mode on that store
    store = None
    mode = None

    @classmethod
    def setUpClass(cls):
        import grpc
        from ledger.v1 import ledger_pb2, ledger_pb2_grpc
        cls.grpc, cls.pb = grpc, ledger_pb2
        cls.channel = grpc.insecure_channel(cls.servers[cls.store, cls.mode].address(cls.mode))
        cls.stub = ledger_pb2_grpc.LedgerStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def new_id(self, stem):
        return f"{stem}-{RUN_TAG}-{uuid.uuid4().hex[:8]}"

    def open(self, account_id, balance):
        return self.stub.OpenAccount(
            self.pb.OpenAccountRequest(id=account_id, initial_balance=balance), timeout=10)

    def code_of(self, call, *args):
        with self.assertRaises(self.grpc.RpcError) as raised:
            call(*args, timeout=10)
        return raised.exception.code()

    def test_open_transfer_and_read_back(self):
        alice, bob = self.new_id("alice"), self.new_id("bob")
        account = self.open(alice, 10_000)
        self.assertEqual((account.id, account.balance, account.version), (alice, 10_000, 1))
        self.open(bob, 0)
        request = self.pb.TransferRequest(
            request_id=str(uuid.uuid4()), from_id=alice, to_id=bob, amount=2_500)
        receipt = self.stub.Transfer(request, timeout=10)
        self.assertEqual((receipt.from_id, receipt.to_id, receipt.amount), (alice, bob, 2_500))
        self.assertEqual((receipt.from_balance, receipt.to_balance), (7_500, 2_500))
        self.assertGreater(receipt.sequence, 0)
        self.assertGreater(receipt.committed_at.seconds, 0)
        # A retry returns the same receipt and moves nothing.
        self.assertEqual(self.stub.Transfer(request, timeout=10), receipt)
        got = self.stub.GetAccount(self.pb.GetAccountRequest(id=bob), timeout=10)
        self.assertEqual((got.balance, got.version), (2_500, 2))

    def test_errors_arrive_as_grpc_status_codes(self):
        StatusCode = self.grpc.StatusCode
        payer, payee = self.new_id("payer"), self.new_id("payee")
        self.open(payer, 10)
        self.open(payee, 0)
        self.assertEqual(self.code_of(self.stub.GetAccount, self.pb.GetAccountRequest(
            id=self.new_id("ghost"))), StatusCode.NOT_FOUND)
        self.assertEqual(self.code_of(self.stub.OpenAccount, self.pb.OpenAccountRequest(
            id="bad id", initial_balance=1)), StatusCode.INVALID_ARGUMENT)
        self.assertEqual(self.code_of(self.stub.OpenAccount, self.pb.OpenAccountRequest(
            id=payer, initial_balance=1)), StatusCode.ALREADY_EXISTS)
        self.assertEqual(self.code_of(self.stub.Transfer, self.pb.TransferRequest(
            request_id=self.new_id("r"), from_id=payer, to_id=payee, amount=11)),
            StatusCode.FAILED_PRECONDITION)
        self.assertEqual(self.code_of(self.stub.Audit, self.pb.AuditRequest(
            account_id=self.new_id("ghost"))), StatusCode.NOT_FOUND)

    def test_streams(self):
        a, b = self.new_id("stream-a"), self.new_id("stream-b")
        self.open(a, 100)
        self.open(b, 0)
        requests = [self.pb.TransferRequest(request_id=str(uuid.uuid4()), from_id=a, to_id=b,
                                            amount=amount) for amount in (10, 20, 1000)]
        results = list(self.stub.TransferStream(iter(requests), timeout=10))
        self.assertEqual(sorted(r.request_id for r in results),
                         sorted(r.request_id for r in requests))
        codes = {r.request_id: r.code for r in results}
        self.assertEqual(codes[requests[2].request_id], self.grpc.StatusCode.FAILED_PRECONDITION.value[0])
        summary = self.stub.ImportTransfers(iter([
            self.pb.TransferRequest(request_id=str(uuid.uuid4()), from_id=b, to_id=a, amount=5),
            self.pb.TransferRequest(request_id=str(uuid.uuid4()), from_id=b, to_id=a, amount=0),
        ]), timeout=10)
        self.assertEqual((summary.applied, summary.rejected), (1, 1))
        listed = list(self.stub.ListTransfers(self.pb.ListTransfersRequest(account_id=a), timeout=10))
        # The stream's two transfers may commit in either order; the import's comes last.
        amounts = [r.amount for r in listed]
        self.assertEqual((sorted(amounts[:2]), amounts[2:]), ([10, 20], [5]))
        self.assertEqual([r.sequence for r in listed], sorted(r.sequence for r in listed))

    def test_audit_digest_matches_an_independent_sha256(self):
        # _sha256 is CPython's own SHA-256, not OpenSSL's (which the server uses).
        import _sha256
        a, b = self.new_id("audit-a"), self.new_id("audit-b")
        self.open(a, 1_000)
        self.open(b, 0)
        for amount in (100, 250):
            self.stub.Transfer(self.pb.TransferRequest(
                request_id=str(uuid.uuid4()), from_id=a, to_id=b, amount=amount), timeout=10)
        self.stub.Transfer(self.pb.TransferRequest(
            request_id=str(uuid.uuid4()), from_id=b, to_id=a, amount=50), timeout=10)
        journal = list(self.stub.ListTransfers(self.pb.ListTransfersRequest(account_id=a), timeout=10))
        h = _sha256.sha256(a.encode()).digest()
        for entry in journal:
            link = f"{entry.sequence}:{entry.from_id}:{entry.to_id}:{entry.amount}".encode()
            h = _sha256.sha256(h + link).digest()
        report = self.stub.Audit(self.pb.AuditRequest(account_id=a), timeout=10)
        self.assertEqual(report.digest, h.hex())
        self.assertEqual((report.account_id, report.entries, report.balance, report.consistent),
                         (a, 3, 700, True))
        empty = self.new_id("audit-empty")
        self.open(empty, 7)
        report = self.stub.Audit(self.pb.AuditRequest(account_id=empty), timeout=10)
        self.assertEqual(report.digest, _sha256.sha256(empty.encode()).hexdigest())
        self.assertEqual((report.entries, report.balance, report.consistent), (0, 7, True))


class TlsWithTokenTest(unittest.TestCase):
    """grpc.ssl_channel_credentials and grpc.access_token_call_credentials, as
    in the README, against a server with TLS and a tokens file, each mode."""
    server = None  # the LedgerServer with TLS, set by main()
    ca_file = None
    tokens = {}  # name -> token: "admin" (role admin), "alice" (no role)

    def stub(self, mode, token):
        import grpc
        from ledger.v1 import ledger_pb2_grpc
        with open(self.ca_file, "rb") as ca:
            credentials = grpc.composite_channel_credentials(
                grpc.ssl_channel_credentials(root_certificates=ca.read()),
                grpc.access_token_call_credentials(token))
        channel = grpc.secure_channel(self.server.address(mode), credentials)
        self.addCleanup(channel.close)
        return ledger_pb2_grpc.LedgerStub(channel)

    def test_the_readme_flow_over_tls_with_a_token(self):
        from ledger.v1 import ledger_pb2 as pb
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                ledger = self.stub(mode, self.tokens["admin"])
                alice, bob = f"alice-{RUN_TAG}-{mode}", f"bob-{RUN_TAG}-{mode}"
                ledger.OpenAccount(pb.OpenAccountRequest(id=alice, initial_balance=10_000),
                                   timeout=10)
                ledger.OpenAccount(pb.OpenAccountRequest(id=bob), timeout=10)
                receipt = ledger.Transfer(pb.TransferRequest(
                    request_id=str(uuid.uuid4()), from_id=alice, to_id=bob, amount=2_500),
                    timeout=10)
                self.assertEqual((receipt.from_balance, receipt.to_balance), (7_500, 2_500))
                got = ledger.GetAccount(pb.GetAccountRequest(id=bob), timeout=10)
                self.assertEqual((got.balance, got.version), (2_500, 2))

    def test_an_unknown_token_and_a_stranger_are_refused(self):
        import grpc
        from ledger.v1 import ledger_pb2 as pb
        account = f"admins-{RUN_TAG}"
        self.stub("coroutine", self.tokens["admin"]).OpenAccount(
            pb.OpenAccountRequest(id=account, initial_balance=1), timeout=10)
        for token, code in ((new_token(), grpc.StatusCode.UNAUTHENTICATED),
                            (self.tokens["alice"], grpc.StatusCode.PERMISSION_DENIED)):
            with self.assertRaises(grpc.RpcError) as raised:
                self.stub("coroutine", token).GetAccount(pb.GetAccountRequest(id=account),
                                                         timeout=10)
            self.assertEqual(raised.exception.code(), code)


class CoroutineModeTest(LedgerContract, unittest.TestCase):
    store, mode = "memory", "coroutine"


class ThreadModeTest(LedgerContract, unittest.TestCase):
    store, mode = "memory", "thread"


class CoroutineModeOnPostgresTest(LedgerContract, unittest.TestCase):
    store, mode = "postgres", "coroutine"


class ThreadModeOnPostgresTest(LedgerContract, unittest.TestCase):
    store, mode = "postgres", "thread"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    parser.add_argument("--postgres_dsn", default=os.environ.get("LEDGER_TEST_POSTGRES_DSN"),
                        help="the database of the PostgreSQL tests "
                             "(default: $LEDGER_TEST_POSTGRES_DSN)")
    args = parser.parse_args()
    if not args.postgres_dsn:
        parser.error("no database for the PostgreSQL tests: pass --postgres_dsn, or set "
                     "LEDGER_TEST_POSTGRES_DSN (ctest does, through its fixture `postgres`)")
    with tempfile.TemporaryDirectory() as stubs, tempfile.TemporaryDirectory() as secrets, \
            Servers() as servers:
        generate_stubs(args.proto_root, stubs)
        pki = make_pki(os.path.join(secrets, "pki"))
        tokens = {"admin": new_token(), "alice": new_token()}
        tokens_file = write_tokens_file(os.path.join(secrets, "tokens"), {
            tokens["admin"]: ("admin", ["admin"]), tokens["alice"]: ("alice", [])})
        TlsWithTokenTest.server = servers.start(args.server, [
            f"--tls_cert_file={pki.server_cert}", f"--tls_key_file={pki.server_key}",
            f"--auth_tokens_file={tokens_file}"])
        TlsWithTokenTest.ca_file, TlsWithTokenTest.tokens = pki.ca, tokens
        on_memory = servers.start(args.server)
        for mode in on_memory.modes:
            LedgerContract.servers["memory", mode] = on_memory
            LedgerContract.servers["postgres", mode] = servers.start(
                args.server, ["--store=postgres", f"--postgres_dsn={args.postgres_dsn}"],
                startup_timeout=60, modes=[mode])
        passed = unittest.main(argv=[sys.argv[0]], exit=False).result.wasSuccessful()
    return 0 if passed and servers.stopped_cleanly else 1


if __name__ == "__main__":
    sys.exit(main())
