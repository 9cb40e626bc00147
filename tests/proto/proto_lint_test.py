#!/usr/bin/python3
"""Lints the API in proto/ with buf (npm @bufbuild/buf, installed from the
committed package-lock.json), against proto/buf.yaml: STANDARD plus COMMENTS.

One script, one step per CTest test (tests/proto/CMakeLists.txt):

  npm_ci  installs buf from package-lock.json into the build tree (quick when
          the installed lockfile is the same);
  lint    `buf lint` passes on proto/; and a copy of proto/ with one field's
          comment removed fails with exactly that COMMENT_FIELD finding, so a
          configuration that no longer checks comments cannot pass unnoticed.

Without Node.js or npm, each step reports itself skipped (exit 77), with the
reason, rather than passed.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

# tests/python holds what the Python tests share.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from npm_lockfile import fail, find_tool, install_locked_packages  # noqa: E402

# CTest's SKIP_RETURN_CODE for both steps.
NODE_HINT = ("Node.js and npm run buf from npm: apt-get install nodejs npm "
             "(deploy/install-deps.sh test does), or pass --node/--npm.")
# The field whose comment the negative check removes, and how its comment reads.
UNCOMMENTED_FILE = "ledger/v1/ledger.proto"
UNCOMMENTED_FIELD = "to_id"
UNCOMMENTED_COMMENT = "  // The payee: any existing account other than from_id.\n"



def npm_ci(args):
    install_locked_packages(find_tool(args.npm, "npm", NODE_HINT), args.test_dir,
                            args.work_dir / "npm")


def buf_lint(args, module):
    """buf's findings on the module at `module`, as a list of JSON objects."""
    # @bufbuild/buf's bin/buf is a Node.js script that starts the binary of
    # this platform's package (an optional dependency), so no install script
    # needs to run.
    node = find_tool(args.node, "node", NODE_HINT)
    buf = args.work_dir / "npm/node_modules/@bufbuild/buf/bin/buf"
    if not buf.exists():
        fail(f"{buf} is missing: the proto_npm_ci test installs it")
    result = subprocess.run([node, str(buf), "lint", "--error-format=json"], cwd=module,
                            capture_output=True, text=True, timeout=120)
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    if result.returncode not in (0, 100) or (result.returncode == 100) != bool(findings):
        fail(f"buf lint in {module} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return findings


def lint(args):
    proto = args.source_root / "proto"
    findings = buf_lint(args, proto)
    if findings:
        fail("buf lint on proto/:\n" + "\n".join(
            f"{f['path']}:{f['start_line']}: {f['type']}: {f['message']}" for f in findings))
    print("buf lint: proto/ passes STANDARD and COMMENTS")

    with tempfile.TemporaryDirectory(prefix="ledger-proto-lint.") as scratch:
        copy = pathlib.Path(scratch) / "proto"
        shutil.copytree(proto, copy)
        path = copy / UNCOMMENTED_FILE
        text = path.read_text()
        if text.count(UNCOMMENTED_COMMENT) != 1:
            fail(f"{UNCOMMENTED_FILE} should hold the comment {UNCOMMENTED_COMMENT.strip()!r} "
                 f"once, above field {UNCOMMENTED_FIELD}: update {__file__}")
        path.write_text(text.replace(UNCOMMENTED_COMMENT, ""))
        found = [(f["path"], f["type"], f["message"]) for f in buf_lint(args, copy)]
    expected = [(UNCOMMENTED_FILE, "COMMENT_FIELD",
                 f'Field "{UNCOMMENTED_FIELD}" should have a non-empty comment for documentation.')]
    if found != expected:
        fail(f"with the comment of {UNCOMMENTED_FIELD} removed, buf lint found {found}, "
             f"expected {expected}")
    print(f"buf lint: a field without its comment ({UNCOMMENTED_FIELD}) fails")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["npm_ci", "lint"])
    parser.add_argument("--source_root", type=pathlib.Path, required=True)
    parser.add_argument("--work_dir", type=pathlib.Path, required=True, help="in the build tree")
    parser.add_argument("--node")
    parser.add_argument("--npm")
    args = parser.parse_args()
    args.source_root = args.source_root.resolve()
    args.test_dir = pathlib.Path(__file__).resolve().parent
    args.work_dir = args.work_dir.resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    {"npm_ci": npm_ci, "lint": lint}[args.step](args)
    print(f"proto {args.step}: ok")


if __name__ == "__main__":
    main()
