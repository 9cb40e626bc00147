"""What the robustness tests share: the real ledger-server started as a user
starts it (tests/python/ledger_server.py), stubs generated at test time, its
gauges read from /metrics, a bystander client that keeps calling while a
hostile peer does its worst, and the checks that no money moved.

Each test file is a unittest program run by CTest with --server and
--proto_root (tests/robustness/CMakeLists.txt); by hand:
  /usr/bin/python3 tests/robustness/<name>_test.py \
      --server build/service/ledger-server --proto_root proto
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ledger_server import LedgerServer, generate_stubs  # noqa: E402

MODES = ("coroutine", "thread")
RUN_TAG = uuid.uuid4().hex[:8]
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
# The server under test was built with a sanitizer (CMake sets this): many
# times slower and larger, so floods shrink and memory is not measured.
SANITIZED = bool(os.environ.get("LEDGER_SANITIZED"))


class World:
    args = None
    grpc = pb = pbg = None


def new_id(stem):
    return f"{stem}-{RUN_TAG}-{uuid.uuid4().hex[:6]}"


def start_server(flags=(), **kwargs):
    return LedgerServer(World.args.server, ["--store_latency=0", *flags], **kwargs)


class OneServerTest(unittest.TestCase):
    """Tests that share one server, both modes on the default flags, started
    once for the class and stopped cleanly after it."""

    @classmethod
    def setUpClass(cls):
        cls.server = start_server()

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop(), "ledger-server did not stop cleanly on SIGTERM"


def flag_default(name):
    """A flag's default as `ledger-server --help` states it: the tests take
    defaults from the server, never a copy of their own."""
    text = subprocess.run([World.args.server, "--help"], capture_output=True, text=True).stdout
    match = re.search(rf"--{name} \(.*?\); default: (\S+?);", text, re.S)
    assert match, f"--help states no default for --{name}"
    return match.group(1)


def channel(server, mode, own_connection=True):
    """A channel to `mode`; with `own_connection`, on a TCP connection no other
    channel shares (gRPC otherwise shares one between equal channels)."""
    options = [("grpc.use_local_subchannel_pool", 1)] if own_connection else []
    return World.grpc.insecure_channel(server.address(mode), options=options)


def stub(server, mode, own_connection=True):
    return World.pbg.LedgerStub(channel(server, mode, own_connection))


def metrics(server):
    """Every series of /metrics: {(name, frozenset of label pairs): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics",
                                timeout=10) as response:
        text = response.read().decode()
    series = {}
    for line in text.splitlines():
        if match := re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line):
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
            series[match.group(1), labels] = float(match.group(3))
    return series


def gauge(server, name, mode):
    return metrics(server)[name, frozenset({("mode", mode)})]


def inflight(server, mode):
    return gauge(server, "ledger_inflight_calls", mode)


def mode_threads(server, mode):
    return gauge(server, "ledger_mode_threads", mode)


def open_fds(server):
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


def wait_until(condition, timeout, what):
    """Polls `condition` until it holds; fails saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise AssertionError(f"within {timeout} s: {what}")
        time.sleep(0.1)


def code_of(call, *args, **kwargs):
    """The gRPC code name and message of a call that must fail."""
    try:
        call(*args, **{"timeout": 10, **kwargs})
    except World.grpc.RpcError as error:
        return error.code().name, error.details()
    raise AssertionError(f"{call} succeeded, where it must fail")


def open_account(stub_, balance=0, stem="acct"):
    account_id = new_id(stem)
    stub_.OpenAccount(World.pb.OpenAccountRequest(id=account_id, initial_balance=balance),
                      timeout=10)
    return account_id


def transfer_request(from_id, to_id, amount, request_id=None):
    return World.pb.TransferRequest(request_id=request_id or uuid.uuid4().hex, from_id=from_id,
                                    to_id=to_id, amount=amount)


def accounts(stub_, ids):
    """{id: (balance, version)}, each account's Audit consistent with it."""
    state = {}
    for account_id in ids:
        account = stub_.GetAccount(World.pb.GetAccountRequest(id=account_id), timeout=10)
        audit = stub_.Audit(World.pb.AuditRequest(account_id=account_id), timeout=10)
        assert audit.consistent and audit.balance == account.balance, (account_id, audit)
        state[account_id] = (account.balance, account.version)
    return state


class Bystander:
    """A well-behaved client on its own connection to `mode`, calling in a loop
    (transfers back and forth between two accounts of its own, and reads)
    until stop(); every call must succeed, whatever else reaches the server."""

    def __init__(self, server, mode):
        self.stub = stub(server, mode)
        self.payer = open_account(self.stub, 1000, "bystander")
        self.payee = open_account(self.stub, 0, "bystander")
        self.calls = 0
        self.errors = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        pb = World.pb
        while not self.stopping.is_set():
            try:
                self.stub.Transfer(transfer_request(self.payer, self.payee, 1), timeout=10)
                self.stub.Transfer(transfer_request(self.payee, self.payer, 1), timeout=10)
                self.stub.GetAccount(pb.GetAccountRequest(id=self.payer), timeout=10)
                self.calls += 3
            except World.grpc.RpcError as error:
                self.errors.append(f"{error.code().name}: {error.details()}")
            time.sleep(0.01)

    def stop(self):
        """Stops it; returns (calls made, errors seen), its money checked."""
        self.stopping.set()
        self.thread.join(30)
        state = accounts(self.stub, [self.payer, self.payee])
        assert state[self.payer][0] + state[self.payee][0] == 1000, state
        return self.calls, self.errors


def main(description):
    """Parses the flags, makes the stubs and runs the file's unittest cases."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    World.args, rest = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as stubs:
        generate_stubs(World.args.proto_root, stubs)
        import grpc
        from ledger.v1 import ledger_pb2, ledger_pb2_grpc
        World.grpc, World.pb, World.pbg = grpc, ledger_pb2, ledger_pb2_grpc
        result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1
