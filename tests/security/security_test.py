#!/usr/bin/python3
"""Who may reach the ledger, and who may move whose money: the real
ledger-server with TLS, mutual TLS and bearer tokens, called by Debian's
python3-grpcio over real sockets, in both modes, on the embedded store and on
PostgreSQL. Certificates and tokens are made at test time
(tests/python/test_certificates.py).

  transport      a plaintext client, a client trusting the wrong CA, and mutual
                 TLS without a client certificate all fail; rotated
                 certificate files are served without a restart
  authorization  every RPC without a credential is UNAUTHENTICATED; debiting or
                 reading another principal's account and minting without admin
                 are PERMISSION_DENIED and move nothing; a streamed request
                 that breaks ownership is rejected and the stream goes on
  identity       a client certificate's SAN URI or DNS name is the principal,
                 with roles from the tokens file's x509 lines; a presented
                 token wins over the certificate
  tokens file    a changed file applies without a restart; a broken one keeps
                 the tokens before it; a bad file stops the start
  no leaks       after everything, no token is in any server log or /metrics

Run by CTest (fixture `postgres`); by hand:
  /usr/bin/python3 tests/security/security_test.py --server build/service/ledger-server \\
      --proto_root proto --postgres_dsn "$DSN"
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ledger_server import generate_stubs  # noqa: E402
from security_world import (  # noqa: E402
    MTLS_ALICE, MTLS_DNS, MTLS_ROOT, PRINCIPAL, RUN_TAG, World, check_no_token_leaked, code_of,
    handled, metrics_text, metrics_url, new_id, secure_channel, start_server, tls_flags, wait_until)
from test_certificates import make_pki, new_token, write_tokens_file  # noqa: E402


class Authorization:
    """The ownership rules over TLS with bearer tokens; run per mode and store."""
    server_name = None
    mode = None

    @classmethod
    def setUpClass(cls):
        port = World.servers[cls.server_name].ports[cls.mode]
        cls.port = port
        cls.channels = {role: secure_channel(port, token=token)
                        for role, token in World.tokens.items()}
        cls.channels["nobody"] = secure_channel(port)
        cls.stubs = {role: World.pbg.LedgerStub(channel) for role, channel in cls.channels.items()}

    @classmethod
    def tearDownClass(cls):
        for channel in cls.channels.values():
            channel.close()

    def open(self, role, stem, balance=0):
        account_id = new_id(stem)
        account = self.stubs[role].OpenAccount(
            World.pb.OpenAccountRequest(id=account_id, initial_balance=balance), timeout=10)
        self.assertEqual(account.owner, PRINCIPAL[role])
        return account_id

    def fund(self, account_id, amount):
        """The admin mints into a fresh account of its own and pays `account_id`."""
        mint = self.open("admin", "mint", amount)
        self.stubs["admin"].Transfer(World.pb.TransferRequest(
            request_id=new_id("fund"), from_id=mint, to_id=account_id, amount=amount), timeout=10)

    def balance(self, account_id):
        return self.stubs["admin"].GetAccount(
            World.pb.GetAccountRequest(id=account_id), timeout=10).balance

    def test_every_rpc_without_a_credential_is_unauthenticated(self):
        pb, stub = World.pb, self.stubs["nobody"]
        victim = self.open("alice", "victim")
        request = pb.TransferRequest(request_id=new_id("r"), from_id=victim, to_id="x", amount=1)
        calls = {
            "OpenAccount": lambda: stub.OpenAccount(pb.OpenAccountRequest(id=new_id("n")),
                                                    timeout=10),
            "GetAccount": lambda: stub.GetAccount(pb.GetAccountRequest(id=victim), timeout=10),
            "Transfer": lambda: stub.Transfer(request, timeout=10),
            "ListTransfers": lambda: list(stub.ListTransfers(
                pb.ListTransfersRequest(account_id=victim), timeout=10)),
            "ImportTransfers": lambda: stub.ImportTransfers(iter([request]), timeout=10),
            "TransferStream": lambda: list(stub.TransferStream(iter([request]), timeout=10)),
            "Audit": lambda: stub.Audit(pb.AuditRequest(account_id=victim), timeout=10),
        }
        for method, call in calls.items():
            with self.subTest(method=method):
                with self.assertRaises(World.grpc.RpcError) as raised:
                    call()
                self.assertEqual(raised.exception.code(), World.grpc.StatusCode.UNAUTHENTICATED)
                self.assertIn("bearer token", raised.exception.details())

    def test_an_unknown_token_is_unauthenticated(self):
        channel = secure_channel(self.port, token=new_token())
        stub = World.pbg.LedgerStub(channel)
        code, message = code_of(stub.GetAccount, World.pb.GetAccountRequest(id="anything"))
        channel.close()
        self.assertEqual((code, message), ("UNAUTHENTICATED", "unknown bearer token"))

    def test_health_and_reflection_stay_open(self):
        import health_pb2
        import health_pb2_grpc
        response = health_pb2_grpc.HealthStub(self.channels["nobody"]).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=10)
        self.assertEqual(response.status, health_pb2.HealthCheckResponse.SERVING)
        # Debian has no Python reflection stubs: the request is written by hand,
        # ServerReflectionRequest{list_services: ""} (field 7, length 0).
        list_services = self.channels["nobody"].stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=bytes, response_deserializer=bytes)
        answers = list(list_services(iter([b"\x3a\x00"]), timeout=10))
        self.assertEqual(len(answers), 1)
        self.assertIn(b"ledger.v1.Ledger", answers[0])

    def test_the_owner_moves_its_money_and_nobody_else_does(self):
        pb = World.pb
        alice, bob = self.open("alice", "alice"), self.open("bob", "bob")
        self.fund(alice, 100)
        code, message = code_of(self.stubs["bob"].Transfer, pb.TransferRequest(
            request_id=new_id("steal"), from_id=alice, to_id=bob, amount=40))
        self.assertEqual(code, "PERMISSION_DENIED")
        self.assertIn(f"may debit account {alice}", message)
        self.assertEqual((self.balance(alice), self.balance(bob)), (100, 0))

        receipt = self.stubs["alice"].Transfer(pb.TransferRequest(
            request_id=new_id("pay"), from_id=alice, to_id=bob, amount=40), timeout=10)
        self.assertEqual((receipt.from_balance, receipt.to_balance), (60, 40))
        # The admin may debit any account.
        self.stubs["admin"].Transfer(pb.TransferRequest(
            request_id=new_id("refund"), from_id=bob, to_id=alice, amount=5), timeout=10)
        self.assertEqual((self.balance(alice), self.balance(bob)), (65, 35))

    def test_only_the_owner_reads_an_account(self):
        pb = World.pb
        alice = self.open("alice", "private")
        self.fund(alice, 7)
        bob = self.stubs["bob"]
        reads = {
            "GetAccount": lambda: bob.GetAccount(pb.GetAccountRequest(id=alice), timeout=10),
            "ListTransfers": lambda: list(bob.ListTransfers(
                pb.ListTransfersRequest(account_id=alice), timeout=10)),
            "Audit": lambda: bob.Audit(pb.AuditRequest(account_id=alice), timeout=10),
        }
        for method, call in reads.items():
            with self.subTest(method=method):
                with self.assertRaises(World.grpc.RpcError) as raised:
                    call()
                self.assertEqual(raised.exception.code(),
                                 World.grpc.StatusCode.PERMISSION_DENIED)
                self.assertIn(f"may read account {alice}", raised.exception.details())
        owner = self.stubs["alice"]
        self.assertEqual(owner.GetAccount(pb.GetAccountRequest(id=alice), timeout=10).balance, 7)
        self.assertEqual(len(list(owner.ListTransfers(
            pb.ListTransfersRequest(account_id=alice), timeout=10))), 1)
        self.assertTrue(owner.Audit(pb.AuditRequest(account_id=alice), timeout=10).consistent)

    def test_minting_needs_admin(self):
        pb = World.pb
        rich = new_id("rich")
        code, message = code_of(self.stubs["alice"].OpenAccount,
                                pb.OpenAccountRequest(id=rich, initial_balance=1000))
        self.assertEqual(code, "PERMISSION_DENIED")
        self.assertIn("only the admin role may open an account with initial_balance > 0",
                      message)
        code, _ = code_of(self.stubs["admin"].GetAccount, pb.GetAccountRequest(id=rich))
        self.assertEqual(code, "NOT_FOUND")
        minted = self.stubs["admin"].OpenAccount(
            pb.OpenAccountRequest(id=rich, initial_balance=1000), timeout=10)
        self.assertEqual((minted.balance, minted.owner), (1000, PRINCIPAL["admin"]))

    def test_a_streamed_request_that_breaks_ownership_is_rejected_and_the_stream_goes_on(self):
        pb = World.pb
        alice, bob = self.open("alice", "alice"), self.open("bob", "bob")
        self.fund(alice, 100)
        self.fund(bob, 100)

        def requests(tag):
            return [pb.TransferRequest(request_id=new_id(f"{tag}1"), from_id=alice, to_id=bob,
                                       amount=10),
                    pb.TransferRequest(request_id=new_id(f"{tag}2"), from_id=bob, to_id=alice,
                                       amount=50),  # bob's money: denied to alice
                    pb.TransferRequest(request_id=new_id(f"{tag}3"), from_id=alice, to_id=bob,
                                       amount=20)]

        summary = self.stubs["alice"].ImportTransfers(iter(requests("import")), timeout=10)
        self.assertEqual((summary.applied, summary.rejected), (2, 1))
        self.assertEqual((self.balance(alice), self.balance(bob)), (70, 130))

        sent = requests("stream")
        results = {result.request_id: result
                   for result in self.stubs["alice"].TransferStream(iter(sent), timeout=10)}
        self.assertEqual(set(results), {request.request_id for request in sent})
        denied = results[sent[1].request_id]
        self.assertEqual(denied.code, World.grpc.StatusCode.PERMISSION_DENIED.value[0])
        self.assertIn(f"may debit account {bob}", denied.message)
        self.assertFalse(denied.HasField("receipt"))
        for allowed in (sent[0], sent[2]):
            self.assertEqual(results[allowed.request_id].code, 0)
            self.assertTrue(results[allowed.request_id].HasField("receipt"))
        self.assertEqual((self.balance(alice), self.balance(bob)), (40, 160))


class CoroutineAuthorizationTest(Authorization, unittest.TestCase):
    server_name, mode = "tls", "coroutine"


class ThreadAuthorizationTest(Authorization, unittest.TestCase):
    server_name, mode = "tls", "thread"


class CoroutineAuthorizationOnPostgresTest(Authorization, unittest.TestCase):
    server_name, mode = "tls-postgres", "coroutine"


class ThreadAuthorizationOnPostgresTest(Authorization, unittest.TestCase):
    server_name, mode = "tls-postgres", "thread"


class Transport:
    """TLS and mutual TLS as a client meets them; run per mode."""
    mode = None

    def get(self, channel):
        """GetAccount's code through `channel` (UNAVAILABLE when no connection can be made)."""
        stub = World.pbg.LedgerStub(channel)
        code, _ = code_of(stub.GetAccount, World.pb.GetAccountRequest(id="nobody-" + RUN_TAG))
        channel.close()
        return code

    def test_a_plaintext_client_fails_against_a_tls_port(self):
        port = World.servers["tls"].ports[self.mode]
        self.assertEqual(self.get(World.grpc.insecure_channel(f"127.0.0.1:{port}")),
                         "UNAVAILABLE")

    def test_a_client_that_trusts_another_ca_fails(self):
        port = World.servers["tls"].ports[self.mode]
        other = make_pki(os.path.join(World.directory, "other-ca"), name="another-ca")
        self.assertEqual(self.get(secure_channel(port, ca=other.ca, token=World.tokens["alice"])),
                         "UNAVAILABLE")
        # The same call with the right CA reaches the ledger.
        self.assertEqual(self.get(secure_channel(port, token=World.tokens["alice"])), "NOT_FOUND")

    def test_mutual_tls_refuses_a_client_without_a_certificate_or_with_a_foreign_one(self):
        port = World.servers["mtls"].ports[self.mode]
        self.assertEqual(self.get(secure_channel(port, token=World.tokens["admin"])),
                         "UNAVAILABLE")
        other = make_pki(os.path.join(World.directory, "foreign-ca"), name="foreign-ca")
        foreign = other.client_cert(MTLS_ALICE)
        self.assertEqual(self.get(secure_channel(port, client=foreign)), "UNAVAILABLE")
        self.assertEqual(self.get(secure_channel(port, client=World.pki.client_cert(MTLS_ALICE))),
                         "NOT_FOUND")  # reached the ledger, which has no such account


class CoroutineTransportTest(Transport, unittest.TestCase):
    mode = "coroutine"


class ThreadTransportTest(Transport, unittest.TestCase):
    mode = "thread"


class CertificateIdentity:
    """Under mutual TLS the certificate names the principal; run per mode."""
    mode = None

    def stub(self, principal, san="URI", token=None):
        port = World.servers["mtls"].ports[self.mode]
        channel = secure_channel(port, client=World.pki.client_cert(principal, san), token=token)
        self.addCleanup(channel.close)
        return World.pbg.LedgerStub(channel)

    def test_the_certificates_san_is_the_principal(self):
        pb = World.pb
        for principal, san in ((MTLS_ALICE, "URI"), (MTLS_DNS, "DNS")):
            with self.subTest(san=san):
                account = self.stub(principal, san).OpenAccount(
                    pb.OpenAccountRequest(id=new_id("cert")), timeout=10)
                self.assertEqual(account.owner, principal)
                code, _ = code_of(self.stub(principal, san).OpenAccount,
                                  pb.OpenAccountRequest(id=new_id("mint"), initial_balance=5))
                self.assertEqual(code, "PERMISSION_DENIED")

    def test_an_x509_line_gives_a_certificate_principal_the_admin_role(self):
        pb = World.pb
        root = self.stub(MTLS_ROOT)
        mint = root.OpenAccount(pb.OpenAccountRequest(id=new_id("mint"), initial_balance=50),
                                timeout=10)
        self.assertEqual((mint.owner, mint.balance), (MTLS_ROOT, 50))
        alice = self.stub(MTLS_ALICE).OpenAccount(pb.OpenAccountRequest(id=new_id("a")),
                                                  timeout=10)
        receipt = root.Transfer(pb.TransferRequest(request_id=new_id("r"), from_id=mint.id,
                                                   to_id=alice.id, amount=20), timeout=10)
        self.assertEqual(receipt.to_balance, 20)
        # The admin reads anyone's account.
        self.assertEqual(root.GetAccount(pb.GetAccountRequest(id=alice.id), timeout=10).owner,
                         MTLS_ALICE)

    def test_a_presented_token_wins_over_the_certificate(self):
        pb = World.pb
        as_bob = self.stub(MTLS_ALICE, token=World.tokens["bob"])
        account = as_bob.OpenAccount(pb.OpenAccountRequest(id=new_id("t")), timeout=10)
        self.assertEqual(account.owner, PRINCIPAL["bob"])
        unknown = self.stub(MTLS_ALICE, token=new_token())
        code, message = code_of(unknown.GetAccount, pb.GetAccountRequest(id=account.id))
        self.assertEqual((code, message), ("UNAUTHENTICATED", "unknown bearer token"))


class CoroutineCertificateIdentityTest(CertificateIdentity, unittest.TestCase):
    mode = "coroutine"


class ThreadCertificateIdentityTest(CertificateIdentity, unittest.TestCase):
    mode = "thread"


class RotationTest(unittest.TestCase):
    """Files replaced on disk while the server runs, as a Secret is updated."""

    def test_a_rotated_certificate_is_served_without_a_restart(self):
        server = World.servers["rotating"]
        new = make_pki(os.path.join(World.directory, "next-ca"), name="next-ca")

        def reaches(ca, mode):
            channel = secure_channel(server.ports[mode], ca=ca, token=World.tokens["alice"])
            code, _ = code_of(World.pbg.LedgerStub(channel).GetAccount,
                              World.pb.GetAccountRequest(id="nobody-" + RUN_TAG))
            channel.close()
            return code == "NOT_FOUND"

        for mode in server.modes:
            self.assertTrue(reaches(World.pki.ca, mode))
            self.assertFalse(reaches(new.ca, mode))
        # Replaced whole, each by a rename, as the kubelet swaps a Secret's files.
        for source, target in ((new.server_key, World.rotating_key),
                               (new.server_cert, World.rotating_cert)):
            shutil.copy(source, target + ".next")
            os.replace(target + ".next", target)
        for mode in server.modes:
            wait_until(lambda: reaches(new.ca, mode), what=f"{mode} mode serving the new certificate")
            self.assertFalse(reaches(World.pki.ca, mode))

    def test_a_changed_tokens_file_applies_without_a_restart(self):
        server = World.servers["reloading"]  # plaintext: the token travels as metadata
        late = new_token()
        World.sent_tokens.add(late)

        def answer(token, mode):
            channel = World.grpc.insecure_channel(server.address(mode))
            stub = World.pbg.LedgerStub(channel)
            code, _ = code_of(stub.GetAccount, World.pb.GetAccountRequest(id="nobody-" + RUN_TAG),
                              metadata=[("authorization", f"Bearer {token}")])
            channel.close()
            return code

        def replace(text):
            with open(World.reloading_tokens + ".next", "w") as file:
                file.write(text)
            os.replace(World.reloading_tokens + ".next", World.reloading_tokens)

        for mode in server.modes:
            self.assertEqual(answer(World.tokens["bob"], mode), "NOT_FOUND")
            self.assertEqual(answer(late, mode), "UNAUTHENTICATED")
        # bob's token goes, a new one comes.
        write_tokens_file(World.reloading_tokens + ".next", {
            World.tokens["alice"]: ("alice", []), late: ("late", [])})
        os.replace(World.reloading_tokens + ".next", World.reloading_tokens)
        for mode in server.modes:
            wait_until(lambda: answer(late, mode) == "NOT_FOUND",
                       what=f"the new token accepted in {mode} mode")
            self.assertEqual(answer(World.tokens["bob"], mode), "UNAUTHENTICATED")
        self.assertEqual(sum("reloaded: 2 tokens, 0 certificate admins" in line
                             for line in server.log_lines), 1)
        # A file that no longer parses leaves the tokens before it in place.
        replace("sha256:not-a-hash alice\n")
        wait_until(lambda: any("does not parse" in line for line in server.log_lines),
                   what="the broken tokens file reported")
        time.sleep(1)  # five more checks of the unchanged broken file
        broken = [line for line in server.log_lines if "does not parse" in line]
        self.assertEqual(len(broken), 1, broken)  # once per change, not once per check
        self.assertIn("line 1: the SHA-256 of a token is 64 hex digits", broken[0])
        for mode in server.modes:
            self.assertEqual(answer(late, mode), "NOT_FOUND")


class HealthPortTest(unittest.TestCase):
    def test_the_health_port_answers_probes_in_plaintext_and_serves_no_ledger(self):
        import health_pb2
        import health_pb2_grpc
        server = World.servers["tls"]
        port = next(int(match.group(1)) for line in server.log_lines
                    if (match := re.search(r"health listening on \S+:(\d+) \(plaintext", line)))
        with World.grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=10)
            self.assertEqual(response.status, health_pb2.HealthCheckResponse.SERVING)
            code, _ = code_of(World.pbg.LedgerStub(channel).GetAccount,
                              World.pb.GetAccountRequest(id="anything"))
            self.assertEqual(code, "UNIMPLEMENTED")


class MetricsTest(unittest.TestCase):
    def test_refusals_are_counted_by_code_in_both_modes(self):
        server, pb = World.servers["tls"], World.pb
        for mode in server.modes:
            port = server.ports[mode]
            alice = World.pbg.LedgerStub(secure_channel(port, token=World.tokens["alice"]))
            admin = World.pbg.LedgerStub(secure_channel(port, token=World.tokens["admin"]))
            nobody = World.pbg.LedgerStub(secure_channel(port))
            victim = admin.OpenAccount(pb.OpenAccountRequest(id=new_id("v")), timeout=10).id
            refusals = {
                "Unauthenticated": lambda: code_of(nobody.GetAccount,
                                                   pb.GetAccountRequest(id=victim)),
                "PermissionDenied": lambda: code_of(alice.GetAccount,
                                                    pb.GetAccountRequest(id=victim)),
            }
            for code, refuse in refusals.items():
                with self.subTest(mode=mode, code=code):
                    before = handled(server, mode, code)
                    refuse()
                    wait_until(lambda: handled(server, mode, code) == before + 1,
                               what=f"{code} counted once in {mode} mode")


class StartupTest(unittest.TestCase):
    """Security set up wrong stops the start, saying what is wrong."""

    def start_fails(self, flags):
        run = subprocess.run([World.args.server, "--host=127.0.0.1", "--port=0",
                              "--thread_port=0", "--metrics_port=0", *flags],
                             capture_output=True, text=True, timeout=30)
        self.assertNotEqual(run.returncode, 0, run.stderr)
        return run.stderr

    def test_bad_security_settings_stop_the_start(self):
        pki, directory = World.pki, World.directory
        bad_tokens = os.path.join(directory, "bad-tokens")
        with open(bad_tokens, "w") as file:
            file.write("# fine\nsha256:" + "ab" * 32 + " alice superuser\n")
        cases = {
            "line 2: unknown role \"superuser\" (the only role is admin)":
                ["--auth_tokens_file=" + bad_tokens],
            "cannot read " + os.path.join(directory, "missing"):
                ["--auth_tokens_file=" + os.path.join(directory, "missing")],
            f"--tls_key_file={pki.ca_key} is not the key of --tls_cert_file={pki.server_cert}":
                [f"--tls_cert_file={pki.server_cert}", f"--tls_key_file={pki.ca_key}"],
            "--tls_cert_file and --tls_key_file go together":
                [f"--tls_cert_file={pki.server_cert}"],
            "--tls_client_ca_file needs --tls_cert_file":
                [f"--tls_client_ca_file={pki.ca}"],
            f"--tls_cert_file={pki.server_key}: holds no PEM certificate":
                [f"--tls_cert_file={pki.server_key}", f"--tls_key_file={pki.server_key}"],
        }
        for expected, flags in cases.items():
            with self.subTest(flags=flags):
                self.assertIn(expected, self.start_fails(flags))

    def test_metrics_listen_where_metrics_host_says(self):
        server = World.servers["open"]  # --host=127.0.0.1 --metrics_host=127.0.0.2
        self.assertEqual(metrics_url(server), f"http://127.0.0.2:{server.metrics_port}/metrics")
        self.assertIn("grpc_server_handled_total", metrics_text(server))
        with self.assertRaises(OSError):  # refused: nothing listens there
            metrics_text(server, f"http://127.0.0.1:{server.metrics_port}/metrics")

    def test_the_start_up_log_says_what_is_protected(self):
        tls_log = "".join(World.servers["tls"].log_lines)
        self.assertIn("TLS on the gRPC ports", tls_log)
        self.assertIn("authentication on: bearer tokens", tls_log)
        self.assertNotIn("WARNING", tls_log)
        open_log = "".join(World.servers["open"].log_lines)
        self.assertIn("WARNING: authentication is off: anyone who can reach the gRPC ports can "
                      "create money and move it out of any account", open_log)
        self.assertIn("WARNING: TLS is off", open_log)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    parser.add_argument("--postgres_dsn", default=os.environ.get("LEDGER_TEST_POSTGRES_DSN"),
                        help="the database (default: $LEDGER_TEST_POSTGRES_DSN)")
    World.args = parser.parse_args()
    if not World.args.postgres_dsn:
        parser.error("no database: pass --postgres_dsn or set LEDGER_TEST_POSTGRES_DSN")
    with tempfile.TemporaryDirectory() as directory:
        World.directory = directory
        stubs = os.path.join(directory, "stubs")
        os.makedirs(stubs)
        generate_stubs(World.args.proto_root, stubs)
        import grpc
        from ledger.v1 import ledger_pb2, ledger_pb2_grpc
        World.grpc, World.pb, World.pbg = grpc, ledger_pb2, ledger_pb2_grpc
        World.pki = make_pki(os.path.join(directory, "pki"))
        World.tokens = {role: new_token() for role in PRINCIPAL}
        tokens_file = write_tokens_file(
            os.path.join(directory, "tokens"),
            {World.tokens[role]: (PRINCIPAL[role], ["admin"] if role == "admin" else [])
             for role in PRINCIPAL},
            x509={MTLS_ROOT: ["admin"]})
        # The rotating server has files of its own, replaced by its tests.
        World.rotating_cert = shutil.copy(World.pki.server_cert, os.path.join(directory, "r.pem"))
        World.rotating_key = shutil.copy(World.pki.server_key, os.path.join(directory, "r.key"))
        World.reloading_tokens = shutil.copy(tokens_file, os.path.join(directory, "r-tokens"))

        tokens_flag = f"--auth_tokens_file={tokens_file}"
        result, stopped = None, True
        try:
            start_server("tls", tls_flags() + [tokens_flag, "--health_port=0"])
            start_server("tls-postgres", tls_flags() + [tokens_flag], store="postgres")
            start_server("mtls", tls_flags() + [tokens_flag,
                                                f"--tls_client_ca_file={World.pki.ca}"])
            start_server("rotating", [
                f"--tls_cert_file={World.rotating_cert}", f"--tls_key_file={World.rotating_key}",
                tokens_flag, "--tls_reload_interval=1s"])
            start_server("reloading", [f"--auth_tokens_file={World.reloading_tokens}",
                                       "--auth_reload_interval=200ms"])
            start_server("open", ["--metrics_host=127.0.0.2"])
            result = unittest.main(argv=[sys.argv[0]], exit=False).result
            leaks = check_no_token_leaked()
            if leaks:
                print(f"FAIL: a token appears in: {', '.join(leaks)}", file=sys.stderr)
        finally:
            for server in World.servers.values():
                stopped = server.stop() and stopped
        leaks = leaks or check_no_token_leaked()  # the logs again, shutdown included
        if not leaks:
            print("no token in any server log or /metrics", file=sys.stderr)
        return 0 if result and result.wasSuccessful() and stopped and not leaks else 1


if __name__ == "__main__":
    sys.exit(main())
