"""Certificates and tokens for tests of the ledger's security, made at test time.

Nothing secret is committed: each test run makes its own certificate authority
with the `openssl` command-line tool, in a directory the test owns, and its own
random tokens. Any test (client or server, C++ through its Python driver, or
Python) imports this module:

    pki = make_pki(tmp_dir)                      # a CA and a server certificate
    pki.ca, pki.server_cert, pki.server_key      # PEM file paths
    alice = pki.client_cert("spiffe://ledger.test/alice")   # SAN URI: the principal
    alice.cert, alice.key
    token = new_token()
    write_tokens_file(path, {token: ("alice", ["admin"])},
                      x509={"spiffe://ledger.test/alice": ["admin"]})

The server's certificate carries DNS:localhost and IP:127.0.0.1, so clients
may call 127.0.0.1 or localhost without naming the server; it carries the name
"ledger.test" too, for tests of --tls_server_name. A second make_pki() in
another directory is an unrelated CA, for tests of a wrong CA.
"""
import collections
import hashlib
import os
import re
import secrets
import subprocess

KeyPair = collections.namedtuple("KeyPair", "cert key")

# Days each certificate is valid, from its making: longer than any test runs.
VALID_DAYS = "2"
# An extra name on the server certificate, for --tls_server_name tests.
SERVER_ALT_NAME = "ledger.test"


def _openssl(*args, cwd):
    run = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {run.stderr}")


def _write(path, text):
    with open(path, "w") as file:
        file.write(text)


class Pki:
    """A certificate authority in `directory` and what it signed there."""

    def __init__(self, directory, name="ledger-test-ca"):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.ca = self._path("ca.pem")
        self.ca_key = self._path("ca.key")
        self._new_key(self.ca_key)
        _openssl("req", "-x509", "-new", "-key", self.ca_key, "-out", self.ca,
                 "-days", VALID_DAYS, "-subj", f"/CN={name}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
        server = self._sign("server", "localhost",
                            f"DNS:localhost,DNS:{SERVER_ALT_NAME},IP:127.0.0.1", "serverAuth")
        self.server_cert, self.server_key = server
        self._clients = {}

    def client_cert(self, principal, san="URI"):
        """A client certificate whose first SAN is `principal`, as a URI (the
        default: spiffe://..., https://...) or, with san="DNS", a DNS name: the
        principal the server derives from it. Made once per principal."""
        if san not in ("URI", "DNS"):
            raise ValueError(f"san must be URI or DNS, not {san!r}")
        if (principal, san) not in self._clients:
            stem = "client-" + re.sub(r"[^A-Za-z0-9_.-]", "_", principal) + "-" + san.lower()
            self._clients[principal, san] = self._sign(
                stem, "ledger-test-client", f"{san}:{principal}", "clientAuth")
        return self._clients[principal, san]

    def _path(self, name):
        return os.path.join(self.directory, name)

    def _new_key(self, path):
        # P-256: quick to make, and every TLS stack here (gRPC's BoringSSL or
        # OpenSSL, Python's grpcio) speaks it.
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", path, cwd=self.directory)

    def _sign(self, stem, common_name, subject_alt_names, usage):
        key, request, cert = (self._path(f"{stem}.{ext}") for ext in ("key", "csr", "pem"))
        extensions = self._path(f"{stem}.ext")
        self._new_key(key)
        _openssl("req", "-new", "-key", key, "-out", request, "-subj", f"/CN={common_name}",
                 cwd=self.directory)
        _write(extensions, f"subjectAltName={subject_alt_names}\n"
                           f"extendedKeyUsage={usage}\n"
                           "basicConstraints=critical,CA:FALSE\n"
                           "keyUsage=critical,digitalSignature\n")
        # A random serial each: two certificates of one CA never share one.
        _openssl("x509", "-req", "-in", request, "-CA", self.ca, "-CAkey", self.ca_key,
                 "-set_serial", str(secrets.randbits(63)), "-days", VALID_DAYS,
                 "-extfile", extensions, "-out", cert, cwd=self.directory)
        return KeyPair(cert, key)


def make_pki(directory, name="ledger-test-ca"):
    """A new CA in `directory` (made if missing) with a server certificate;
    client certificates on demand (Pki.client_cert)."""
    return Pki(directory, name)


def new_token():
    """A random bearer token, as `openssl rand -hex 32` makes one."""
    return secrets.token_hex(32)


def token_line(token, principal, roles=()):
    """The tokens file's line of `token`: its SHA-256, never the token itself."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    return " ".join([f"sha256:{digest}", principal, *([",".join(roles)] if roles else [])])


def write_tokens_file(path, tokens, x509=None):
    """Writes the server's --auth_tokens_file: `tokens` maps each token to
    (principal, roles); `x509` maps client-certificate principals to their roles."""
    lines = ["# written by tests/python/test_certificates.py"]
    lines += [token_line(token, principal, roles) for token, (principal, roles) in tokens.items()]
    lines += [f"x509 {principal} {','.join(roles)}" for principal, roles in (x509 or {}).items()]
    _write(path, "\n".join(lines) + "\n")
    return path
