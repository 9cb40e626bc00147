#!/usr/bin/python3
"""The `ledger` command-line client, run as a user runs it, against the real
ledger-server: every subcommand in human and --json output, every exit code
class, input files and standard input.

Run by CTest; by hand:
  /usr/bin/python3 tests/client/cli/ledger_cli_test.py \
      --cli build/client/cli/ledger --server build/service/ledger-server
"""
import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from ledger_server import LedgerServer  # noqa: E402

CLI = None  # the ledger binary, from the command line
SERVER = None  # the ledger-server binary
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
RECEIPT_FIELDS = {"sequence", "requestId", "fromId", "toId", "amount", "fromBalance",
                  "toBalance", "committedAt"}
# Exit codes, as client/common/exit_codes.h defines them (6 and 7, for
# authentication, in ledger_cli_security_test.py).
OK, FAILURE, USAGE, NOT_FOUND, PRECONDITION, UNAVAILABLE = range(6)


def new_id(stem):
    return f"{stem}-{uuid.uuid4().hex[:10]}"


def closed_port():
    """A loopback port nothing listens on: bound once to find it free, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CliTestCase(unittest.TestCase):
    target = None  # host:port of the server these tests call

    def run_cli(self, *args, stdin=None, target=None):
        return subprocess.run(
            [CLI, f"--target={target or self.target}", *args],
            input=stdin, capture_output=True, text=True, timeout=60)

    def ok(self, *args, stdin=None):
        """Runs the client, which must exit 0 with nothing on stderr; returns stdout."""
        run = self.run_cli(*args, stdin=stdin)
        self.assertEqual((run.returncode, run.stderr), (OK, ""), f"ledger {args}: {run.stdout}")
        return run.stdout

    def fails(self, exit_code, *args, stdin=None, target=None):
        """Runs the client, which must exit with exit_code and print nothing on
        stdout; returns stderr."""
        run = self.run_cli(*args, stdin=stdin, target=target)
        self.assertEqual((run.returncode, run.stdout), (exit_code, ""),
                         f"ledger {args}: {run.stderr}")
        self.assertTrue(run.stderr.startswith("ledger: "), run.stderr)
        return run.stderr

    def json_lines(self, *args, stdin=None):
        return [json.loads(line) for line in self.ok("--json", *args, stdin=stdin).splitlines()]

    def balance(self, account):
        [got] = self.json_lines("get", account)
        return int(got["balance"]), int(got["version"])

    def open_accounts(self, **balances):
        ids = {}
        for stem, balance in balances.items():
            ids[stem] = new_id(stem)
            self.ok("open", ids[stem], str(balance))
        return ids

    def write_file(self, name, text):
        path = os.path.join(self.scratch.name, name)
        with open(path, "w") as file:
            file.write(text)
        return path

    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.scratch.cleanup()


class LedgerCliFlow:
    """Every subcommand against one mode's port; run once per mode below."""
    server = None
    mode = None

    def setUp(self):
        super().setUp()
        self.target = f"127.0.0.1:{self.server.ports[self.mode]}"

    def test_open_and_get(self):
        alice, bob = new_id("alice"), new_id("bob")
        self.assertEqual(self.ok("open", alice, "10000"),
                         f"opened {alice}: balance 10000, version 1\n")
        self.assertEqual(self.json_lines("open", bob),
                         [{"id": bob, "balance": "0", "version": "1", "owner": ""}])
        self.assertEqual(self.ok("get", alice), f"{alice}: balance 10000, version 1\n")
        # Opened with authentication off: no owner, and the text says none.
        self.assertEqual(self.json_lines("get", bob),
                         [{"id": bob, "balance": "0", "version": "1", "owner": ""}])

    def test_transfer_prints_its_generated_request_id_and_a_retry_moves_money_once(self):
        ids = self.open_accounts(alice=10_000, bob=0)
        alice, bob = ids["alice"], ids["bob"]
        line = self.ok("transfer", alice, bob, "2500")
        match = re.fullmatch(
            rf"#(\d+) {TIMESTAMP} {alice} -> {bob} 2500 \(balances after: {alice} 7500, "
            rf"{bob} 2500\) request_id (\S+)\n", line)
        self.assertIsNotNone(match, line)
        sequence, request_id = match.group(1), match.group(2)
        self.assertRegex(request_id, UUID4)
        # The retry, with the printed id, returns the same receipt (the JSON one).
        [receipt] = self.json_lines("transfer", alice, bob, "2500", f"--request_id={request_id}")
        self.assertEqual(set(receipt), RECEIPT_FIELDS)
        self.assertRegex(receipt.pop("committedAt"), r"^\d{4}-\d\d-\d\dT[\d:.]+Z$")
        self.assertEqual(receipt, {
            "sequence": sequence, "requestId": request_id, "fromId": alice, "toId": bob,
            "amount": "2500", "fromBalance": "7500", "toBalance": "2500"})
        # The money moved once: each account has one transfer on it.
        self.assertEqual(self.balance(alice), (7500, 2))
        self.assertEqual(self.balance(bob), (2500, 2))
        # Without --request_id each transfer gets its own new id, in --json too.
        [first] = self.json_lines("transfer", alice, bob, "1")
        [second] = self.json_lines("transfer", alice, bob, "1")
        self.assertRegex(first["requestId"], UUID4)
        self.assertRegex(second["requestId"], UUID4)
        self.assertNotEqual(first["requestId"], second["requestId"])
        self.assertNotIn(request_id, (first["requestId"], second["requestId"]))
        self.assertEqual(self.balance(alice), (7498, 4))

    def test_list(self):
        ids = self.open_accounts(payer=1000, payee=0)
        payer, payee = ids["payer"], ids["payee"]
        for amount, request_id in ((100, "list-a"), (200, "list-b"), (300, "list-c")):
            self.ok("transfer", payer, payee, str(amount), f"--request_id={request_id}-{payer}")
        self.ok("transfer", payee, payer, "50", f"--request_id=list-d-{payer}")
        lines = self.ok("list", payer).splitlines()
        self.assertEqual(len(lines), 4, lines)
        expected = [(payer, payee, 100, 900, 100, "a"), (payer, payee, 200, 700, 300, "b"),
                    (payer, payee, 300, 400, 600, "c"), (payee, payer, 50, 550, 450, "d")]
        for line, (source, dest, amount, source_after, dest_after, letter) in zip(lines, expected):
            self.assertRegex(line, rf"^#\d+ {TIMESTAMP} {source} -> {dest} {amount} \(balances "
                                   rf"after: {source} {source_after}, {dest} {dest_after}\) "
                                   rf"request_id list-{letter}-{payer}$")
        receipts = self.json_lines("list", payee, "--limit", "2")
        self.assertEqual([set(r) for r in receipts], [RECEIPT_FIELDS] * 2)
        self.assertEqual([(r["fromId"], r["toId"], r["amount"], r["fromBalance"], r["toBalance"],
                           r["requestId"]) for r in receipts],
                         [(payer, payee, "100", "900", "100", f"list-a-{payer}"),
                          (payer, payee, "200", "700", "300", f"list-b-{payer}")])
        self.assertLess(int(receipts[0]["sequence"]), int(receipts[1]["sequence"]))
        self.assertEqual(len(self.json_lines("list", payee, "--limit=0")), 4)

    def test_audit(self):
        ids = self.open_accounts(audited=1000, other=0)
        audited, other = ids["audited"], ids["other"]
        self.ok("transfer", audited, other, "100")
        self.ok("transfer", audited, other, "250")
        self.ok("transfer", other, audited, "50")
        # The digest, recomputed here from the journal as the README defines it.
        digest = hashlib.sha256(audited.encode()).digest()
        for entry in self.json_lines("list", audited):
            link = f"{entry['sequence']}:{entry['fromId']}:{entry['toId']}:{entry['amount']}"
            digest = hashlib.sha256(digest + link.encode()).digest()
        self.assertEqual(self.ok("audit", audited),
                         f"{audited}: 3 entries, balance 700, consistent, digest {digest.hex()}\n")
        self.assertEqual(self.json_lines("audit", audited), [{
            "accountId": audited, "entries": "3", "balance": "700", "digest": digest.hex(),
            "consistent": True}])
        empty = new_id("empty")
        self.ok("open", empty, "7")
        self.assertEqual(self.json_lines("audit", empty), [{
            "accountId": empty, "entries": "0", "balance": "7",
            "digest": hashlib.sha256(empty.encode()).hexdigest(), "consistent": True}])

    def test_import_from_csv_file_jsonl_file_and_stdin(self):
        ids = self.open_accounts(a=1000, b=0)
        a, b = ids["a"], ids["b"]
        csv = self.write_file("transfers.csv", (
            "request_id,from_id,to_id,amount\n"
            f"csv-1-{a},{a},{b},100\n"
            f",{a},{b},20\n"  # no request_id: the client makes one
            "\n"
            f"csv-3-{a},{b},{a},999999\n"))  # b cannot pay it: rejected, the rest applied
        run = self.run_cli("import", csv)
        self.assertEqual((run.returncode, run.stdout), (OK, "applied 2, rejected 1\n"), run.stderr)
        self.assertEqual(run.stderr,
                         "ledger: 1 of 3 transfers were rejected; `ledger stream` reports each "
                         "one\n")
        self.assertEqual(self.balance(a), (880, 3))
        jsonl = self.write_file("transfers.jsonl", (
            f'{{"requestId": "jsonl-1-{a}", "fromId": "{a}", "toId": "{b}", "amount": "5"}}\n'
            f'{{"from_id": "{a}", "to_id": "{b}", "amount": 6}}\n'))
        self.assertEqual(self.json_lines("import", jsonl), [{"applied": 2, "rejected": 0}])
        self.assertEqual(self.balance(a), (869, 5))
        # Standard input, its format sniffed from the first character.
        self.assertEqual(self.ok("import", stdin=f"request_id,from_id,to_id,amount\n,{a},{b},1\n"),
                         "applied 1, rejected 0\n")
        jsonl = f'\n{{"fromId":"{a}","toId":"{b}","amount":"2"}}\n'
        self.assertEqual(self.ok("import", "-", stdin=jsonl), "applied 1, rejected 0\n")
        # --format names the format of a file whose extension does not.
        other = self.write_file("transfers.txt", f'{{"fromId":"{a}","toId":"{b}","amount":"3"}}\n')
        self.assertEqual(self.ok("import", "--format=jsonl", other), "applied 1, rejected 0\n")
        self.assertEqual(self.balance(a), (863, 8))
        # The CSV file again: csv-1 is a retry, counted as applied but moving
        # nothing; the row without a request_id gets a new one, so it moves again.
        self.assertEqual(self.run_cli("import", csv).stdout, "applied 2, rejected 1\n")
        self.assertEqual(self.balance(a), (843, 9))
        self.assertEqual(self.balance(b), (157, 9))
        receipts = self.json_lines("list", a)
        named = [r["requestId"] for r in receipts if not UUID4.match(r["requestId"])]
        self.assertEqual(sorted(named), sorted([f"csv-1-{a}", f"jsonl-1-{a}"]))
        self.assertEqual(sum(1 for r in receipts if UUID4.match(r["requestId"])), 6)

    def test_stream_prints_a_result_per_request(self):
        ids = self.open_accounts(a=100, b=0)
        a, b = ids["a"], ids["b"]
        path = self.write_file("stream.csv", "amount,to_id,from_id,request_id\n" + "".join(
            f"{amount},{b},{a},s{n}-{a}\n" for n, amount in enumerate((10, 20, 30))))
        lines = sorted(self.ok("stream", path).splitlines(), key=lambda line: line.split()[-1])
        self.assertEqual(len(lines), 3, lines)
        for line, n, amount in zip(lines, range(3), (10, 20, 30)):
            self.assertRegex(line, rf"^ok #\d+ {TIMESTAMP} {a} -> {b} {amount} \(balances after: "
                                   rf"{a} \d+, {b} \d+\) request_id s{n}-{a}$")
        self.assertEqual(self.balance(b), (60, 4))
        # JSON lines in, --json out; one request fails and sets the exit code.
        jsonl = "".join(
            f'{{"requestId":"t{n}-{a}","fromId":"{a}","toId":"{b}","amount":"{amount}"}}\n'
            for n, amount in enumerate((15, 1000, 25)))
        run = self.run_cli("--json", "stream", stdin=jsonl)
        self.assertEqual(run.returncode, PRECONDITION, run.stderr)
        results = {r["requestId"]: r for r in map(json.loads, run.stdout.splitlines())}
        self.assertEqual(set(results), {f"t{n}-{a}" for n in range(3)})
        failed = results.pop(f"t1-{a}")
        self.assertEqual(failed, {"requestId": f"t1-{a}", "code": 9,
                                  "message": failed["message"]})  # no receipt
        self.assertIn("insufficient funds", failed["message"])
        for request_id, result in results.items():
            self.assertEqual((set(result), result["code"], result["message"]),
                             ({"requestId", "receipt", "code", "message"}, 0, ""))
            self.assertEqual(set(result["receipt"]), RECEIPT_FIELDS)
            self.assertEqual(result["receipt"]["requestId"], request_id)
        self.assertEqual(run.stderr,
                         f"ledger: stream: 3 transfers, 3 results, 1 failed; first failure: "
                         f"FAILED_PRECONDITION request_id t1-{a}: {failed['message']}\n")
        self.assertEqual(self.balance(a), (0, 6))
        # Human text for a failed result names its code and request.
        run = self.run_cli("stream", "-",
                           stdin=f"request_id,from_id,to_id,amount\nu-{a},{a},{b},1\n")
        self.assertEqual(run.returncode, PRECONDITION, run.stderr)
        self.assertRegex(run.stdout,
                         rf"^FAILED_PRECONDITION request_id u-{a}: insufficient funds.*\n$")

    def test_health(self):
        self.assertEqual(self.ok("health"), "SERVING\n")
        self.assertEqual(self.json_lines("health"), [{"status": "SERVING"}])

    def test_not_found_exits_3(self):
        ghost = new_id("ghost")
        real = self.open_accounts(real=10)["real"]
        for args in (("get", ghost), ("transfer", real, ghost, "1"), ("list", ghost),
                     ("audit", ghost)):
            self.assertRegex(self.fails(NOT_FOUND, *args), rf"^ledger: NOT_FOUND: .*{ghost}")

    def test_refused_by_the_ledger_state_exits_4(self):
        ids = self.open_accounts(poor=10, rich=0)
        poor, rich = ids["poor"], ids["rich"]
        self.assertRegex(self.fails(PRECONDITION, "transfer", poor, rich, "11"),
                         r"^ledger: FAILED_PRECONDITION: insufficient funds")
        self.assertRegex(self.fails(PRECONDITION, "open", poor, "5"),
                         rf"^ledger: ALREADY_EXISTS: .*{poor}")
        self.ok("transfer", poor, rich, "1", f"--request_id=once-{poor}")
        self.assertRegex(self.fails(PRECONDITION, "transfer", poor, rich, "2",
                                    f"--request_id=once-{poor}"),
                         r"^ledger: ALREADY_EXISTS: ")
        self.assertEqual(self.balance(poor), (9, 2))

    def test_invalid_argument_from_the_server_exits_2(self):
        a = self.open_accounts(a=10)["a"]
        self.assertRegex(self.fails(USAGE, "open", "bad id"), r"^ledger: INVALID_ARGUMENT: ")
        self.assertRegex(self.fails(USAGE, "transfer", a, a, "1"), r"^ledger: INVALID_ARGUMENT: ")
        self.assertRegex(self.fails(USAGE, "open", new_id("negative"), "-5"),
                         r"^ledger: INVALID_ARGUMENT: initial_balance")


class CoroutineModeTest(LedgerCliFlow, CliTestCase):
    mode = "coroutine"


class ThreadModeTest(LedgerCliFlow, CliTestCase):
    mode = "thread"


class UsageTest(CliTestCase):
    """Mistakes on the command line or in the input exit 2 before any call."""
    server = None

    def setUp(self):
        super().setUp()
        self.target = f"127.0.0.1:{self.server.ports['coroutine']}"

    def test_help_lists_every_command_flag_and_exit_code(self):
        run = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual((run.returncode, run.stderr), (OK, ""))
        for command in ("open ID [BALANCE]", "get ID", "transfer FROM TO AMOUNT [--request_id=ID]",
                        "list ACCOUNT [--limit=N]", "import [FILE|-] [--format=csv|jsonl]",
                        "stream [FILE|-] [--format=csv|jsonl]", "audit ACCOUNT", "health"):
            self.assertIn(f"\n  {command}\n", run.stdout)
        for flag in ("--target (default: localhost:50051)", "--deadline (default: 10s)",
                     "--json (default: false)", "--limit (default: 0)", "--request_id",
                     "--format", "--tls_ca_file", "--tls_cert_file", "--tls_key_file",
                     "--tls_server_name", "--token"):
            self.assertIn(f"\n  {flag}\n", run.stdout)
        self.assertIn(
            "Exit codes:\n"
            "  0  success\n"
            "  1  any other failure\n"
            "  2  usage: bad command line, unreadable or malformed input file, or "
            "INVALID_ARGUMENT\n"
            "  3  not found: NOT_FOUND\n"
            "  4  precondition failed: ALREADY_EXISTS, FAILED_PRECONDITION\n"
            "  5  unavailable, retry later: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE\n"
            "  6  unauthenticated, no token or certificate the server knows: UNAUTHENTICATED\n"
            "  7  permission denied, neither the account's owner nor an admin: "
            "PERMISSION_DENIED\n",
            run.stdout)
        self.assertIn("Examples:\n  ledger open alice 10000\n", run.stdout)
        # Only the client's own flags and the connection flags it shares with
        # ledger-load, none of the libraries'.
        flags = run.stdout[run.stdout.index("\nFlags ("):]
        self.assertEqual(len(re.findall(r"^  --", flags, re.M)), 12, flags)

    def test_no_or_unknown_command_prints_usage_and_exits_2(self):
        for args in ((), ("fly",)):
            run = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30)
            self.assertEqual((run.returncode, run.stdout), (USAGE, ""))
            self.assertIn("Usage: ledger [--target=HOST:PORT]", run.stderr)
            self.assertIn("\n  transfer FROM TO AMOUNT [--request_id=ID]\n", run.stderr)
        self.assertIn('ledger: unknown command "fly"\n', run.stderr)

    def test_bad_command_lines_exit_2(self):
        cases = [
            (("get",), "ledger: usage: ledger get ID\n"),
            (("transfer", "a", "b"),
             "ledger: usage: ledger transfer FROM TO AMOUNT [--request_id=ID]\n"),
            (("health", "now"), "ledger: usage: ledger health\n"),
            (("transfer", "a", "b", "12.50"),
             'ledger: AMOUNT "12.50" is not a whole number of minor units (cents)\n'),
            (("open", "a", "lots"),
             'ledger: BALANCE "lots" is not a whole number of minor units (cents)\n'),
            (("--bogus", "get", "a"), "ledger: unknown flag --bogus\n"),
            (("get", "a", "--deadline=soon"),
             "ledger: --deadline=soon: Illegal value 'soon' specified for flag 'deadline'\n"),
            (("--deadline=0s", "get", "a"), "ledger: --deadline must be positive\n"),
            (("get", "a", "--limit=3"), "ledger: --limit does not apply to get\n"),
            (("list", "a", "--limit=-1"), "ledger: --limit=-1 must be 0 (all) or more\n"),
            (("import", "--format=xml", "f"), "ledger: --format=xml is not one of csv, jsonl\n"),
            (("get", "a", "--target"), "ledger: --target needs a value\n"),
            (("--nojson=1", "get", "a"), "ledger: unknown flag --nojson\n"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                stderr = self.fails(USAGE, *args)
                self.assertEqual(stderr, message + "Run 'ledger --help' for every command, flag "
                                                   "and exit code.\n")

    def test_malformed_input_exits_2_naming_file_and_line_and_sends_nothing(self):
        ids = self.open_accounts(a=100, b=0)
        a, b = ids["a"], ids["b"]
        good = f"{a},{b},1"
        cases = [
            ("short.csv", f"request_id,from_id,to_id,amount\n,{good}\n\nx,{a},{b}\n",
             "short.csv:4: expected 4 comma-separated fields (request_id,from_id,to_id,amount), "
             "got 3"),
            ("amount.csv", f"request_id,from_id,to_id,amount\n,{good}\n,{a},{b},ten\n",
             'amount.csv:3: amount "ten" is not a whole number of minor units'),
            ("header.csv", f"id,from,to,amount\n,{good}\n",
             'header.csv:1: expected the CSV header "request_id,from_id,to_id,amount", '
             'got "id,from,to,amount"'),
            ("broken.jsonl", f'{{"fromId":"{a}","toId":"{b}","amount":"1"}}\n{{"fromId": \n',
             "broken.jsonl:2: not a TransferRequest JSON object: "),
            ("misspelt.jsonl",
             f'\n{{"fromId":"{a}","toId":"{b}","amount":"1"}}\n{{"ammount":"1"}}\n',
             "misspelt.jsonl:3: not a TransferRequest JSON object: ammount: Cannot find field."),
        ]
        for name, text, message in cases:
            path = self.write_file(name, text)
            for command in ("import", "stream"):
                with self.subTest(file=name, command=command):
                    stderr = self.fails(USAGE, command, path)
                    self.assertTrue(stderr.startswith(f"ledger: {path}"), stderr)
                    self.assertIn(message, stderr)
        stderr = self.fails(USAGE, "stream",
                            stdin=f"request_id,from_id,to_id,amount\n,{good}\n,{a}\n")
        self.assertTrue(stderr.startswith("ledger: stdin:3: expected 4 comma-separated"), stderr)
        # Nothing was sent: the good lines before the bad ones moved nothing.
        self.assertEqual(self.balance(a), (100, 1))
        missing = os.path.join(self.scratch.name, "missing.csv")
        self.assertEqual(self.fails(USAGE, "import", missing),
                         f"ledger: cannot read {missing}: No such file or directory\n")
        self.assertEqual(self.fails(USAGE, "stream", self.scratch.name),
                         f"ledger: cannot read {self.scratch.name}: Is a directory\n")


class UnavailableTest(CliTestCase):
    """Exit 5: nothing listens, or the server is too slow for the deadline."""

    def test_nothing_listening_exits_5(self):
        target = f"127.0.0.1:{closed_port()}"
        transfers = "request_id,from_id,to_id,amount\nr,a,b,1\n"
        for args, stdin in ((("health",), None), (("get", "a"), None), (("list", "a"), None),
                            (("transfer", "a", "b", "1"), None), (("import",), transfers),
                            (("stream",), transfers)):
            with self.subTest(args=args):
                stderr = self.fails(UNAVAILABLE, *args, target=target, stdin=stdin)
                self.assertTrue(stderr.startswith("ledger: UNAVAILABLE: "), stderr)

    def test_a_deadline_shorter_than_the_store_exits_5(self):
        slow = LedgerServer(SERVER, extra_flags=["--store_latency=2s"])
        try:
            target = f"127.0.0.1:{slow.ports['coroutine']}"
            stderr = self.fails(UNAVAILABLE, "--deadline=200ms", "get", "a", target=target)
            self.assertTrue(stderr.startswith("ledger: DEADLINE_EXCEEDED: "), stderr)
            # A transfer whose outcome is unknown says how to retry it safely.
            stderr = self.fails(UNAVAILABLE, "--deadline=200ms", "transfer", "a", "b", "1",
                                target=target)
            match = re.fullmatch(
                r"ledger: DEADLINE_EXCEEDED: .*\nledger: the transfer may or may not have "
                r"happened; retry it with --request_id=(\S+) to move the money at most once\n",
                stderr)
            self.assertIsNotNone(match, stderr)
            self.assertRegex(match.group(1), UUID4)
        finally:
            self.assertTrue(slow.stop())


def main():
    global CLI, SERVER
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cli", required=True, help="path of the ledger client")
    parser.add_argument("--server", required=True, help="path of ledger-server")
    args = parser.parse_args()
    CLI, SERVER = args.cli, args.server
    server = LedgerServer(SERVER)
    LedgerCliFlow.server = UsageTest.server = server
    try:
        result = unittest.main(argv=[sys.argv[0]], exit=False).result
    finally:
        stopped_cleanly = server.stop()
    return 0 if result.wasSuccessful() and stopped_cleanly else 1


if __name__ == "__main__":
    sys.exit(main())
