#!/usr/bin/python3
"""client/grpc_tool, the generic reflection client, run as a user runs it (a
process, its stdout, stderr and exit code) against the real ledger-server:
each mode's port on one server on the embedded store, then over TLS with a
bearer token read from the environment.

  /usr/bin/python3 tests/python/grpc_tool_test.py \
      --server build/service/ledger-server --tool client/grpc_tool/grpc_tool.py
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

from ledger_server import Servers
from test_certificates import make_pki, new_token, write_tokens_file

LEDGER_METHODS = """\
service ledger.v1.Ledger {
  rpc OpenAccount(.ledger.v1.OpenAccountRequest) returns (.ledger.v1.Account);
  rpc GetAccount(.ledger.v1.GetAccountRequest) returns (.ledger.v1.Account);
  rpc Transfer(.ledger.v1.TransferRequest) returns (.ledger.v1.TransferReceipt);
  rpc ListTransfers(.ledger.v1.ListTransfersRequest) returns (stream .ledger.v1.TransferReceipt);
  rpc ImportTransfers(stream .ledger.v1.TransferRequest) returns (.ledger.v1.ImportSummary);
  rpc TransferStream(stream .ledger.v1.TransferRequest) returns (stream .ledger.v1.TransferResult);
  rpc Audit(.ledger.v1.AuditRequest) returns (.ledger.v1.AuditReport);
}
"""

# Each under its comment from proto/ledger/v1/ledger.proto, which the
# server's reflection sends.
ACCOUNT_MESSAGE = """\
// An account as committed: balance and version always come from the same
// committed state.
message ledger.v1.Account {
  // 1 to 64 characters of [A-Za-z0-9_.-]; never changes.
  string id = 1;

  // In minor units; never below 0.
  int64 balance = 2;

  // Starts at 1 and grows by exactly one with every committed transfer that
  // touches the account, as payer or payee; nothing else changes it.
  uint64 version = 3;

  // The principal that opened the account; only it (or the admin role) may
  // read or debit it. "" for an account opened while the server ran without
  // authentication: then only the admin role may use it. Never changes.
  string owner = 4;
}
"""

GET_ACCOUNT_METHOD = """\
// The account's committed state. INVALID_ARGUMENT for a bad id; NOT_FOUND
// for an unknown one; PERMISSION_DENIED unless the caller owns it or is
// admin.
rpc GetAccount(.ledger.v1.GetAccountRequest) returns (.ledger.v1.Account);
"""

# The tool's exit codes a script sees (its --help): 10 + the gRPC code.
EXIT_USAGE, EXIT_UNKNOWN_SYMBOL = 2, 3
EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_UNAUTHENTICATED = 15, 24, 26


class Tool:
    path = None  # set by main()

    @classmethod
    def run(cls, *args, stdin="", env=None):
        return subprocess.run([sys.executable, cls.path, *args], input=stdin,
                              capture_output=True, text=True, timeout=60, env=env)


class PlaintextTest(unittest.TestCase):
    server = None  # the LedgerServer serving both modes, set by main()

    def ok(self, *args, stdin=""):
        result = Tool.run(*args, stdin=stdin)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        return result.stdout

    def call(self, address, method, request):
        return self.ok("call", address, f"ledger.v1.Ledger/{method}", json.dumps(request))

    def test_list_names_every_service(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                self.assertEqual(self.ok("list", address),
                                 "grpc.health.v1.Health\n"
                                 "grpc.reflection.v1alpha.ServerReflection\n"
                                 "ledger.v1.Ledger\n")

    def test_describe_shows_methods_and_fields_under_their_comments(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                service = self.ok("describe", address, "ledger.v1.Ledger").splitlines()
                self.assertTrue(service[0].startswith("// A ledger of accounts"), service[0])
                self.assertEqual("".join(line + "\n" for line in service
                                         if line and not line.startswith(("//", "  //"))),
                                 LEDGER_METHODS)
                self.assertEqual(self.ok("describe", address, "ledger.v1.Account"), ACCOUNT_MESSAGE)
                self.assertEqual(self.ok("describe", address, "ledger.v1.Ledger.GetAccount"),
                                 GET_ACCOUNT_METHOD)

    def test_open_then_get_prints_the_account(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                alice = f"alice-{mode}"
                self.assertEqual(self.call(address, "OpenAccount", {"id": alice}),
                                 f'{{"id": "{alice}", "version": "1"}}\n')
                self.assertEqual(self.call(address, "GetAccount", {"id": alice}),
                                 f'{{"id": "{alice}", "version": "1"}}\n')
                # protobuf puts the defaults after the fields that are set.
                self.assertEqual(self.ok("--emit_defaults", "call", address,
                                         "ledger.v1.Ledger/GetAccount", "-",
                                         stdin=json.dumps({"id": alice})),
                                 f'{{"id": "{alice}", "version": "1", "balance": "0", '
                                 '"owner": ""}\n')

    def test_a_stream_prints_one_line_per_response(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                payer, payee = f"payer-{mode}", f"payee-{mode}"
                # Only an admin may open an account with money, and without
                # authentication every caller is admin.
                self.call(address, "OpenAccount", {"id": payer, "initialBalance": 1000})
                self.call(address, "OpenAccount", {"id": payee})
                receipts = [json.loads(self.call(address, "Transfer", {
                    "requestId": f"{mode}-{number}", "fromId": payer, "toId": payee,
                    "amount": 100 * number})) for number in (1, 2)]
                self.assertEqual([(r["fromBalance"], r["toBalance"]) for r in receipts],
                                 [("900", "100"), ("700", "300")])
                lines = self.call(address, "ListTransfers", {"accountId": payee}).splitlines()
                self.assertEqual([json.loads(line) for line in lines], receipts)

    def test_client_streaming_reads_json_lines(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                payer, payee = f"importer-{mode}", f"imported-{mode}"
                self.call(address, "OpenAccount", {"id": payer, "initialBalance": 10})
                self.call(address, "OpenAccount", {"id": payee})
                lines = [json.dumps({"requestId": f"import-{mode}-{amount}", "fromId": payer,
                                     "toId": payee, "amount": amount}) for amount in (4, 5, 6)]
                self.assertEqual(self.ok("call", address, "ledger.v1.Ledger/ImportTransfers",
                                         stdin="\n".join(lines) + "\n"),
                                 '{"applied": 2, "rejected": 1}\n')

    def test_a_failed_call_prints_its_code_and_exits_with_it(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                result = Tool.run("call", address, "ledger.v1.Ledger/GetAccount",
                                  '{"id": "nobody"}')
                self.assertEqual((result.returncode, result.stdout), (EXIT_NOT_FOUND, ""))
                self.assertEqual(result.stderr, "NOT_FOUND: account nobody not found\n")

    def test_what_the_server_does_not_know_is_not_called(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                unknown = Tool.run("call", address, "ledger.v1.Ledger/Close", "{}")
                self.assertEqual(unknown.returncode, EXIT_UNKNOWN_SYMBOL)
                self.assertIn("ledger.v1.Ledger has no method Close", unknown.stderr)
                misfit = Tool.run("call", address, "ledger.v1.Ledger/GetAccount", '{"name": "x"}')
                self.assertEqual(misfit.returncode, EXIT_USAGE)
                self.assertIn('no field named "name"', misfit.stderr)

    def test_health(self):
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                self.assertEqual(self.ok("health", address), "SERVING\n")
                unknown = Tool.run("health", address, "no.such.Service")
                self.assertEqual((unknown.returncode, unknown.stdout), (EXIT_NOT_FOUND, ""))

    def test_health_where_nothing_listens(self):
        # A port bound but never listened on refuses every connection.
        with socket.socket() as bound:
            bound.bind(("127.0.0.1", 0))
            result = Tool.run("health", f"127.0.0.1:{bound.getsockname()[1]}")
        self.assertEqual((result.returncode, result.stdout), (EXIT_UNAVAILABLE, ""))
        self.assertTrue(result.stderr.startswith("UNAVAILABLE: "), result.stderr)


class TlsWithTokenTest(unittest.TestCase):
    server = None  # the LedgerServer with TLS and a tokens file, set by main()
    ca_file = None
    token = None

    def test_tls_with_a_token_from_the_environment(self):
        env = dict(os.environ, LEDGER_TEST_TOKEN=self.token)
        for mode in self.server.modes:
            with self.subTest(mode=mode):
                address = self.server.address(mode)
                tls = ["--tls_ca_file", self.ca_file]
                listed = Tool.run(*tls, "--token_env", "LEDGER_TEST_TOKEN", "list", address,
                                  env=env)
                self.assertEqual((listed.returncode, listed.stderr), (0, ""))
                self.assertIn("ledger.v1.Ledger\n", listed.stdout)
                by_header = Tool.run(*tls, "--header", f"Authorization: Bearer {self.token}",
                                     "call", address, "ledger.v1.Ledger/OpenAccount",
                                     json.dumps({"id": f"tls-{mode}"}))
                self.assertEqual((by_header.returncode, by_header.stderr), (0, ""))
                self.assertEqual(json.loads(by_header.stdout)["id"], f"tls-{mode}")
                anonymous = Tool.run(*tls, "call", address, "ledger.v1.Ledger/GetAccount",
                                     json.dumps({"id": f"tls-{mode}"}))
                self.assertEqual(anonymous.returncode, EXIT_UNAUTHENTICATED, anonymous.stderr)
                self.assertTrue(anonymous.stderr.startswith("UNAUTHENTICATED: "))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--tool", required=True, help="path of client/grpc_tool/grpc_tool.py")
    args = parser.parse_args()
    Tool.path = args.tool
    with tempfile.TemporaryDirectory() as secrets, Servers() as servers:
        PlaintextTest.server = servers.start(args.server)
        pki = make_pki(os.path.join(secrets, "pki"))
        TlsWithTokenTest.token = new_token()
        tokens_file = write_tokens_file(os.path.join(secrets, "tokens"), {
            TlsWithTokenTest.token: ("admin", ["admin"])})
        TlsWithTokenTest.server = servers.start(args.server, [
            f"--tls_cert_file={pki.server_cert}", f"--tls_key_file={pki.server_key}",
            f"--auth_tokens_file={tokens_file}"])
        TlsWithTokenTest.ca_file = pki.ca
        passed = unittest.main(argv=[sys.argv[0]], exit=False).result.wasSuccessful()
    return 0 if passed and servers.stopped_cleanly else 1


if __name__ == "__main__":
    sys.exit(main())
