#!/usr/bin/python3
"""The ledger from Node.js: @grpc/grpc-js and @grpc/proto-loader, installed
from the committed package-lock.json, against the real ledger-server over TLS
with bearer tokens, in each mode.

One script, one step per CTest test (tests/node/CMakeLists.txt):

  npm_ci  installs the packages of package-lock.json into the build tree
          (quick when the installed lockfile is the same);
  run     makes a CA, a server certificate and tokens for the run
          (tests/python/test_certificates.py), starts two servers with them
          (the default store latency, and a slow store for deadlines), writes
          where they listen to a JSON file, and runs every *.test.js here with
          Node's own test runner (node --test), which reads that file.

Without Node.js or npm, each step reports itself skipped (exit 77), with the
reason, rather than passed.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ledger_server import GRPC_PROTO_ROOT, LedgerServer  # noqa: E402
from npm_lockfile import fail, find_tool, install_locked_packages, skip  # noqa: E402
from test_certificates import make_pki, new_token, write_tokens_file  # noqa: E402

# CTest's SKIP_RETURN_CODE for both steps.
NODE_MAJOR = 18  # node:test's describe/it and --test-reporter; Debian 12 has 18
NODE_HINT = (f"Node.js {NODE_MAJOR} or newer and npm run the Node client tests: "
             "apt-get install nodejs npm (deploy/install-deps.sh test does), or pass --node/--npm.")
# Each caller's principal, as the tokens file names it; "admin" has the admin role.
PRINCIPALS = {"admin": "ops", "alice": "alice", "bob": "bob"}
# The slow server's store waits this long before every call, so a call with a
# shorter deadline cannot finish in time, however fast the machine.
SLOW_STORE_LATENCY_MS = 200



def npm_ci(args):
    install_locked_packages(find_tool(args.npm, "npm", NODE_HINT), args.test_dir,
                            args.work_dir / "npm")


def node_major(node):
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    try:
        return int(version.lstrip("v").split(".")[0]), version
    except ValueError:
        fail(f"cannot read the version of {node}: {version!r}")


def run(args):
    node = find_tool(args.node, "node", NODE_HINT)
    find_tool(args.npm, "npm", NODE_HINT)  # without npm the packages were never installed
    major, version = node_major(node)
    if major < NODE_MAJOR:
        skip(f"{node} is Node.js {version}. {NODE_HINT}")
    node_modules = args.work_dir / "npm/node_modules"
    if not node_modules.is_dir():
        fail(f"{node_modules} is missing: the node_npm_ci test installs it")
    tests = sorted(str(path) for path in args.test_dir.glob("*.test.js"))
    with tempfile.TemporaryDirectory() as secrets:
        pki = make_pki(os.path.join(secrets, "pki"))
        tokens = {caller: new_token() for caller in PRINCIPALS}
        tokens_file = write_tokens_file(os.path.join(secrets, "tokens"), {
            tokens[caller]: (principal, ["admin"] if caller == "admin" else [])
            for caller, principal in PRINCIPALS.items()})
        secure = [f"--tls_cert_file={pki.server_cert}", f"--tls_key_file={pki.server_key}",
                  f"--auth_tokens_file={tokens_file}"]
        servers = {}
        try:
            servers["ledger"] = LedgerServer(args.server, secure)
            servers["slow"] = LedgerServer(
                args.server, [*secure, f"--store_latency={SLOW_STORE_LATENCY_MS}ms"])
            # The tokens go to Node in a file of this private directory, never
            # on a command line that other users could read.
            config = os.path.join(secrets, "config.json")
            with open(config, "w") as file:
                json.dump({
                    "proto_root": str(args.proto_root), "grpc_proto_root": GRPC_PROTO_ROOT,
                    "ca_file": pki.ca,
                    "tokens": tokens, "principals": PRINCIPALS,
                    "slow_store_latency_ms": SLOW_STORE_LATENCY_MS,
                    "servers": {name: {mode: server.address(mode) for mode in server.modes}
                                for name, server in servers.items()},
                }, file)
            # NODE_PATH lets the tests `require("@grpc/grpc-js")` as any Node
            # program would, from the build tree's node_modules.
            env = {**os.environ, "NODE_PATH": str(node_modules), "LEDGER_NODE_TEST_CONFIG": config}
            result = subprocess.run([node, "--test", "--test-reporter=spec", *tests],
                                    env=env, timeout=args.timeout)
        finally:
            stopped_cleanly = all([server.stop() for server in servers.values()])
    if result.returncode != 0:
        fail("node --test failed (above)")
    if not stopped_cleanly:
        fail("a server did not stop cleanly (above)")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["npm_ci", "run"])
    parser.add_argument("--work_dir", type=pathlib.Path, required=True, help="in the build tree")
    parser.add_argument("--server", help="path of ledger-server (run)")
    parser.add_argument("--proto_root", type=pathlib.Path, help="the repository's proto/ (run)")
    parser.add_argument("--timeout", type=int, default=240, help="seconds node --test may take")
    parser.add_argument("--node")
    parser.add_argument("--npm")
    args = parser.parse_args()
    args.test_dir = pathlib.Path(__file__).resolve().parent
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if args.step == "run":
        if not args.server or not args.proto_root:
            parser.error("run needs --server and --proto_root")
        args.proto_root = args.proto_root.resolve()
        run(args)
    else:
        npm_ci(args)
    print(f"node {args.step}: ok")


if __name__ == "__main__":
    main()
