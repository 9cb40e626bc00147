"""What the security tests share: the PKI and tokens made for the run, the
servers they start, channels with each kind of credential, and the checks
on logs and /metrics (tests/security/security_test.py)."""
import re
import time
import urllib.request
import uuid

from ledger_server import LedgerServer

RUN_TAG = uuid.uuid4().hex[:8]
PRINCIPAL = {"admin": "ops", "alice": "alice", "bob": "bob"}
MTLS_ALICE = "spiffe://ledger.test/alice"
MTLS_ROOT = "spiffe://ledger.test/root"  # a certificate principal with the admin role
MTLS_DNS = "carol.ledger.test"  # a certificate principal named by a SAN DNS name


class World:
    """What the tests share: the PKI, the tokens, the servers, and every token
    ever sent, for the leak check."""
    args = None
    directory = None
    pki = None
    tokens = {}          # role in PRINCIPAL -> token
    sent_tokens = set()  # every token any test sent
    servers = {}         # name -> LedgerServer
    grpc = pb = pbg = None


def new_id(stem):
    return f"{stem}-{RUN_TAG}-{uuid.uuid4().hex[:6]}"


def read(path):
    with open(path, "rb") as file:
        return file.read()


def secure_channel(port, ca=None, client=None, token=None):
    """A TLS channel to 127.0.0.1:port trusting `ca` (default: the test CA),
    with `client` (a KeyPair) for mutual TLS and `token` as the bearer token."""
    grpc = World.grpc
    credentials = grpc.ssl_channel_credentials(
        read(ca or World.pki.ca), client and read(client.key), client and read(client.cert))
    if token is not None:
        World.sent_tokens.add(token)
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token))
    return grpc.secure_channel(f"127.0.0.1:{port}", credentials)


def start_server(name, flags, store="memory", modes=("coroutine", "thread")):
    extra = list(flags)
    if store == "postgres":
        extra += ["--store=postgres", f"--postgres_dsn={World.args.postgres_dsn}"]
    server = LedgerServer(World.args.server, extra, startup_timeout=60, modes=modes)
    World.servers[name] = server
    return server


def tls_flags():
    pki = World.pki
    return [f"--tls_cert_file={pki.server_cert}", f"--tls_key_file={pki.server_key}"]


def code_of(call, *args, **kwargs):
    """The gRPC code of a call that must fail (None if it succeeded), and its message."""
    try:
        call(*args, timeout=10, **kwargs)
    except World.grpc.RpcError as error:
        return error.code().name, error.details()
    return None, ""


def wait_until(condition, timeout=20, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not hold within {timeout} s")


def metrics_url(server):
    """Where the server said /metrics listens (--metrics_host may move it)."""
    return next(match.group(1) for line in server.log_lines
                if (match := re.search(r"metrics listening on (http://\S+/metrics)", line)))


def metrics_text(server, url=None):
    with urllib.request.urlopen(url or metrics_url(server), timeout=10) as response:
        return response.read().decode()


def handled(server, mode, code):
    """grpc_server_handled_total of `code` in `mode`, summed over methods."""
    pattern = re.compile(r'^grpc_server_handled_total\{([^}]*)\} (\d+)', re.M)
    return sum(int(count) for labels, count in pattern.findall(metrics_text(server))
               if f'grpc_code="{code}"' in labels and f'mode="{mode}"' in labels)


def check_no_token_leaked():
    """After every test: no token sent or configured appears in a server's log
    or /metrics. Returns the leaks found."""
    secrets = World.sent_tokens | set(World.tokens.values())
    leaks = []
    for name, server in World.servers.items():
        texts = {"log": "".join(server.log_lines)}
        if server.process.poll() is None:
            texts["/metrics"] = metrics_text(server)
        for where, text in texts.items():
            leaks += [f"{name} {where}" for secret in secrets if secret in text]
    return leaks
