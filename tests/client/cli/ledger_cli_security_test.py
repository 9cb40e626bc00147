#!/usr/bin/python3
"""`ledger` over TLS, mutual TLS and with bearer tokens, run as a user runs it,
against the real ledger-server started with TLS and a tokens file. The
certificates and tokens are made for each run (tests/python/test_certificates.py).

Run by CTest; by hand:
  /usr/bin/python3 tests/client/cli/ledger_cli_security_test.py \
      --cli build/client/cli/ledger --server build/service/ledger-server
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from ledger_server import MODES, LedgerServer  # noqa: E402
from test_certificates import make_pki, new_token, write_tokens_file  # noqa: E402

CLI = None  # the ledger binary, from the command line
SERVER = None  # the ledger-server binary
# Exit codes, as client/common/exit_codes.h defines them.
OK, USAGE, UNAVAILABLE, UNAUTHENTICATED, PERMISSION_DENIED = 0, 2, 5, 6, 7

# Made once per run in main(): the PKI, a CA that signed nothing of the
# server's, and the tokens (token -> principal, roles).
SCRATCH = None
PKI = None
OTHER_PKI = None
ADMIN_TOKEN, ALICE_TOKEN, BOB_TOKEN = new_token(), new_token(), new_token()
# The principal of the client certificate, an admin by the tokens file's x509 line.
OPERATOR = "spiffe://ledger.test/operator"
PEER = "spiffe://ledger.test/peer"  # a certificate principal with no roles


def new_id(stem):
    return f"{stem}-{uuid.uuid4().hex[:10]}"


def tokens_file():
    return write_tokens_file(os.path.join(SCRATCH, "tokens"), {
        ADMIN_TOKEN: ("admin", ["admin"]),
        ALICE_TOKEN: ("alice", []),
        BOB_TOKEN: ("bob", []),
    }, x509={OPERATOR: ["admin"]})


def start_server(*flags):
    return LedgerServer(SERVER, extra_flags=[f"--auth_tokens_file={tokens_file()}", *flags])


def server_flags(tls, client_ca):
    flags = [f"--tls_cert_file={PKI.server_cert}", f"--tls_key_file={PKI.server_key}"] if tls else []
    return flags + ([f"--tls_client_ca_file={PKI.ca}"] if client_ca else [])


class SecurityTestCase(unittest.TestCase):
    """Runs `ledger` against self.target with the given flags and token."""
    target = None
    server = None
    server_tls = False  # the server's TLS: --tls_cert_file and --tls_key_file
    server_client_ca = False  # and --tls_client_ca_file (mutual TLS)

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(*server_flags(cls.server_tls, cls.server_client_ca))

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            assert cls.server.stop(), "ledger-server did not exit 0 on SIGTERM"

    def run_cli(self, *args, token=None, target=None, stdin=None):
        """`token` goes in LEDGER_TOKEN, as a user should pass it; None: no token."""
        env = {k: v for k, v in os.environ.items() if k != "LEDGER_TOKEN"}
        if token is not None:
            env["LEDGER_TOKEN"] = token
        run = subprocess.run([CLI, f"--target={target or self.target}", *args], input=stdin,
                             capture_output=True, text=True, timeout=60, env=env)
        # Whatever happens, no token is ever printed.
        for secret in (ADMIN_TOKEN, ALICE_TOKEN, BOB_TOKEN):
            self.assertNotIn(secret, run.stdout + run.stderr, f"ledger {args} printed a token")
        return run

    def ok(self, *args, **kwargs):
        run = self.run_cli(*args, **kwargs)
        self.assertEqual((run.returncode, run.stderr), (OK, ""), f"ledger {args}: {run.stdout}")
        return run.stdout

    def fails(self, exit_code, *args, **kwargs):
        """The client must exit with exit_code, print nothing on stdout and one
        line on stderr (no log lines of gRPC's own); returns that line."""
        run = self.run_cli(*args, **kwargs)
        self.assertEqual((run.returncode, run.stdout), (exit_code, ""),
                         f"ledger {args}: {run.stderr}")
        self.assertTrue(run.stderr.startswith("ledger: "), run.stderr)
        return run.stderr

    def tls(self, *args):
        return [f"--tls_ca_file={PKI.ca}", *args]


class TlsWithTokensTest(SecurityTestCase):
    """TLS on both ports, bearer tokens: the usual production setup."""
    server_tls = True

    def setUp(self):
        self.target = f"127.0.0.1:{self.server.ports['coroutine']}"

    def test_tls_with_a_token_works_on_both_ports(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                target = f"127.0.0.1:{self.server.ports[mode]}"
                payer, payee = new_id("payer"), new_id("payee")
                self.ok(*self.tls("open", payer, "1000"), token=ADMIN_TOKEN, target=target)
                self.ok(*self.tls("open", payee), token=ADMIN_TOKEN, target=target)
                [receipt] = map(json.loads, self.ok(
                    *self.tls("--json", "transfer", payer, payee, "250"), token=ADMIN_TOKEN,
                    target=target).splitlines())
                self.assertEqual((receipt["fromBalance"], receipt["toBalance"]), ("750", "250"))
                self.assertEqual(self.ok(*self.tls("get", payee), token=ADMIN_TOKEN, target=target),
                                 f"{payee}: balance 250, version 2, owner admin\n")
                self.assertEqual(self.ok(*self.tls("health"), target=target), "SERVING\n")

    def test_a_token_on_the_command_line_works_too_and_is_not_echoed(self):
        account = new_id("flag")
        # --token wins over the environment (which holds a token the server
        # does not know here).
        out = self.ok(*self.tls(f"--token={ALICE_TOKEN}", "--json", "open", account),
                      token=new_token())
        self.assertEqual(json.loads(out)["id"], account)
        self.assertNotIn(ALICE_TOKEN, out)

    def test_the_owner_reads_and_pays_others_are_denied_with_exit_7(self):
        mine, theirs = new_id("alice-own"), new_id("bob-own")
        # Whoever opens an account owns it, and the output says who.
        self.assertEqual(self.ok(*self.tls("open", mine), token=ALICE_TOKEN),
                         f"opened {mine}: balance 0, version 1, owner alice\n")
        self.ok(*self.tls("open", theirs), token=BOB_TOKEN)
        [account] = map(json.loads, self.ok(*self.tls("--json", "get", mine),
                                            token=ALICE_TOKEN).splitlines())
        self.assertEqual(account["owner"], "alice")
        for args in (("get", theirs), ("list", theirs), ("audit", theirs),
                     ("transfer", theirs, mine, "1")):
            with self.subTest(args=args):
                stderr = self.fails(PERMISSION_DENIED, *self.tls(*args), token=ALICE_TOKEN)
                self.assertTrue(stderr.startswith("ledger: PERMISSION_DENIED: "), stderr)
                self.assertNotIn("may or may not have happened", stderr)
        # Only an admin opens an account with money in it.
        self.assertTrue(self.fails(PERMISSION_DENIED, *self.tls("open", new_id("rich"), "5"),
                                   token=ALICE_TOKEN).startswith("ledger: PERMISSION_DENIED: "))
        # A denied request of a stream has code 7, and so has the exit.
        run = self.run_cli(*self.tls("stream", "-"), token=ALICE_TOKEN,
                           stdin=f"request_id,from_id,to_id,amount\n,{theirs},{mine},1\n")
        self.assertEqual(run.returncode, PERMISSION_DENIED, run.stderr)
        self.assertTrue(run.stdout.startswith("PERMISSION_DENIED request_id "), run.stdout)

    def test_no_token_or_an_unknown_one_exits_6(self):
        account = new_id("nobody")
        for token in (None, new_token()):
            with self.subTest(token="none" if token is None else "unknown"):
                stderr = self.fails(UNAUTHENTICATED, *self.tls("open", account), token=token)
                self.assertTrue(stderr.startswith("ledger: UNAUTHENTICATED: "), stderr)
                if token:
                    self.assertNotIn(token, stderr)

    def test_the_server_name_may_differ_from_the_target(self):
        port = self.server.ports["coroutine"]
        # The certificate names localhost, ledger.test and 127.0.0.1.
        self.ok(*self.tls("health"), target=f"localhost:{port}")
        self.ok(*self.tls("--tls_server_name=ledger.test", "health"))
        stderr = self.fails(UNAVAILABLE, *self.tls("--tls_server_name=elsewhere.test", "health"))
        self.assertTrue(stderr.startswith("ledger: UNAVAILABLE: "), stderr)
        self.assertEqual(stderr.count("\n"), 1, stderr)

    def test_a_ca_that_did_not_sign_the_server_fails_with_exit_5_saying_why(self):
        stderr = self.fails(UNAVAILABLE, f"--tls_ca_file={OTHER_PKI.ca}", "get", "alice",
                            token=ADMIN_TOKEN)
        self.assertTrue(stderr.startswith("ledger: UNAVAILABLE: "), stderr)
        self.assertIn("certificate verify failed", stderr)
        self.assertEqual(stderr.count("\n"), 1, stderr)  # gRPC's own log stays out

    def test_plaintext_to_a_tls_server_fails_with_exit_5(self):
        stderr = self.fails(UNAVAILABLE, "get", "alice", token=ADMIN_TOKEN)
        self.assertTrue(stderr.startswith("ledger: UNAVAILABLE: "), stderr)


class MutualTlsTest(SecurityTestCase):
    """A client certificate signed by --tls_client_ca_file is required; its
    SAN URI is the principal, its roles from the tokens file's x509 line."""
    server_tls = server_client_ca = True

    def setUp(self):
        self.target = f"127.0.0.1:{self.server.ports['coroutine']}"

    def mtls(self, principal, *args, pki=None):
        pair = (pki or PKI).client_cert(principal)
        return [f"--tls_ca_file={PKI.ca}", f"--tls_cert_file={pair.cert}",
                f"--tls_key_file={pair.key}", *args]

    def test_a_client_certificate_authenticates_without_a_token(self):
        funded, peer_account = new_id("operator"), new_id("peer")
        self.ok(*self.mtls(OPERATOR, "open", funded, "500"))  # admin by its x509 line
        self.ok(*self.mtls(PEER, "open", peer_account))
        self.ok(*self.mtls(OPERATOR, "transfer", funded, peer_account, "20"))
        self.assertEqual(self.ok(*self.mtls(PEER, "get", peer_account)),
                         f"{peer_account}: balance 20, version 2, owner {PEER}\n")
        # The certificate's principal owns what it opened, and no more.
        self.assertTrue(self.fails(PERMISSION_DENIED, *self.mtls(PEER, "get", funded))
                        .startswith("ledger: PERMISSION_DENIED: "))

    def test_without_a_certificate_the_handshake_fails(self):
        self.fails(UNAVAILABLE, *self.tls("health"), token=ADMIN_TOKEN)

    def test_a_certificate_of_another_ca_is_refused(self):
        self.fails(UNAVAILABLE, *self.mtls(OPERATOR, "health", pki=OTHER_PKI))


class PlaintextWithTokensTest(SecurityTestCase):
    """Authentication without TLS, as on a developer's machine: the token
    still goes with every call."""

    def setUp(self):
        self.target = f"127.0.0.1:{self.server.ports['coroutine']}"

    def test_a_token_works_in_plaintext(self):
        payer, payee = new_id("plain-payer"), new_id("plain-payee")
        self.ok("open", payer, "100", token=ADMIN_TOKEN)
        self.ok("open", payee, token=ADMIN_TOKEN)
        # Every call of a stream carries it too.
        self.assertEqual(self.ok("import", token=ADMIN_TOKEN,
                                 stdin=f"request_id,from_id,to_id,amount\n,{payer},{payee},7\n"),
                         "applied 1, rejected 0\n")
        self.assertEqual(len(self.ok("list", payer, token=ADMIN_TOKEN).splitlines()), 1)
        self.assertTrue(self.fails(UNAUTHENTICATED, "get", payer)
                        .startswith("ledger: UNAUTHENTICATED: "))


class UsageTest(SecurityTestCase):
    """Mistakes in the connection flags exit 2 before any call, and say why."""

    @classmethod
    def setUpClass(cls):
        cls.target = "127.0.0.1:1"  # never called

    def test_bad_connection_flags_exit_2(self):
        missing = os.path.join(SCRATCH, "missing.pem")
        client = PKI.client_cert(OPERATOR)
        cases = [
            ((f"--tls_ca_file={missing}",),
             f"--tls_ca_file: cannot read {missing}: No such file or directory"),
            ((f"--tls_ca_file={PKI.server_key}",),
             f"--tls_ca_file: {PKI.server_key} holds no PEM certificate"),
            ((f"--tls_ca_file={PKI.ca}", f"--tls_cert_file={client.cert}"),
             "--tls_cert_file needs --tls_key_file: a client certificate is no use without its "
             "private key"),
            ((f"--tls_ca_file={PKI.ca}", f"--tls_key_file={client.key}"),
             "--tls_key_file needs --tls_cert_file, the client certificate the key belongs to"),
            ((f"--tls_cert_file={client.cert}", f"--tls_key_file={client.key}"),
             "--tls_cert_file needs --tls_ca_file: a client certificate is presented over TLS, "
             "and TLS needs the CA that signed the server's certificate"),
            (("--tls_server_name=ledger.test",),
             "--tls_server_name applies only over TLS, which --tls_ca_file turns on"),
        ]
        for flags, message in cases:
            with self.subTest(flags=flags):
                stderr = self.fails(USAGE, *flags, "health")
                self.assertEqual(stderr, f"ledger: {message}\nRun 'ledger --help' for every "
                                         "command, flag and exit code.\n")

    def test_a_token_a_header_cannot_carry_is_refused_without_showing_it(self):
        stderr = self.fails(USAGE, "health", token=ADMIN_TOKEN + " \n")
        self.assertIn("LEDGER_TOKEN holds a character a bearer token cannot", stderr)

    def test_help_explains_the_flags_without_showing_the_token(self):
        run = self.run_cli("--help", token=ADMIN_TOKEN)
        self.assertEqual((run.returncode, run.stderr), (OK, ""))
        for flag in ("tls_ca_file", "tls_cert_file", "tls_key_file", "tls_server_name", "token"):
            self.assertIn(f"\n  --{flag}\n", run.stdout)
        self.assertIn("LEDGER_TOKEN", run.stdout)


def main():
    global CLI, SERVER, SCRATCH, PKI, OTHER_PKI
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cli", required=True, help="path of the ledger client")
    parser.add_argument("--server", required=True, help="path of ledger-server")
    args, rest = parser.parse_known_args()
    CLI, SERVER = args.cli, args.server
    with tempfile.TemporaryDirectory(prefix="ledger-cli-security-") as scratch:
        SCRATCH = scratch
        PKI = make_pki(os.path.join(scratch, "pki"))
        OTHER_PKI = make_pki(os.path.join(scratch, "other-pki"), name="another-ca")
        result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
