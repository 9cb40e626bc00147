#!/usr/bin/python3
"""Malformed fields, in each mode: amounts that are negative, zero or
INT64_MIN in OpenAccount, Transfer, ImportTransfers and TransferStream get
the rules' exact codes and messages (README "The rules",
service/ledger/ledger_rules.cc); ids that are not UTF-8 (which proto3 forbids
in a `string`, and which Python's protobuf refuses to send, so they go as
hand-made bytes) are refused with INTERNAL before the ledger sees them, as
gRPC refuses them (thread mode leaves the parse to gRPC, coroutine mode
parses itself), and each is counted in its mode's metrics; ids of the wrong
characters or length get INVALID_ARGUMENT.
Afterwards nothing moved but the valid transfers: balances, versions and
Audit agree, and the money is all there."""
import sys

from robustness_world import (INT64_MAX, INT64_MIN, MODES, OneServerTest, World, accounts, channel,
                              code_of, main, metrics, new_id, open_account, start_server, stub,
                              transfer_request)

NOT_UTF8 = b"\xff\xfe"  # never valid in UTF-8
PLACEHOLDER = "QQ-placeholder-QQ"


def not_utf8(message):
    """`message` serialized with its PLACEHOLDER string replaced by bytes
    that are not UTF-8 (the lengths kept right)."""
    data = message.SerializeToString()
    placeholder = PLACEHOLDER.encode()
    assert data.count(placeholder) == 1
    return data.replace(placeholder, NOT_UTF8.ljust(len(placeholder), b"\xff"))


class MalformedFieldsTest(OneServerTest):
    def test_python_cannot_even_send_a_string_that_is_not_utf8(self):
        with self.assertRaises(UnicodeEncodeError):
            World.pb.OpenAccountRequest(id="\udcff").SerializeToString()

    def test_amounts_out_of_range_get_the_rules_codes_in_every_mode(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.check_amounts(mode)

    def check_amounts(self, mode):
        pb = World.pb
        ledger = stub(self.server, mode)
        payer = open_account(ledger, 1000, "payer")
        payee = open_account(ledger, 0, "payee")
        rich = open_account(ledger, INT64_MAX - 5, "rich")

        for balance in (-1, INT64_MIN):
            refused = new_id("refused")
            self.assertEqual(
                code_of(ledger.OpenAccount, pb.OpenAccountRequest(id=refused,
                                                                  initial_balance=balance)),
                ("INVALID_ARGUMENT", f"initial_balance must be >= 0, got {balance}"))
            self.assertEqual(code_of(ledger.GetAccount, pb.GetAccountRequest(id=refused))[0],
                             "NOT_FOUND")
        empty = ledger.OpenAccount(pb.OpenAccountRequest(id=new_id("empty"), initial_balance=0),
                                   timeout=10)
        self.assertEqual((empty.balance, empty.version), (0, 1))

        for amount in (0, -1, INT64_MIN):
            request = transfer_request(payer, payee, amount)
            self.assertEqual(code_of(ledger.Transfer, request),
                             ("INVALID_ARGUMENT", f"amount must be > 0, got {amount}"))
            # Nothing was recorded under its request_id: the id is still free.
            retry = transfer_request(payer, payee, 1, request_id=request.request_id)
            self.assertEqual(ledger.Transfer(retry, timeout=10).amount, 1)
        self.assertEqual(code_of(ledger.Transfer, transfer_request(payer, payee, INT64_MAX)),
                         ("FAILED_PRECONDITION",
                          f"insufficient funds: balance 997, amount {INT64_MAX}"))
        self.assertEqual(code_of(ledger.Transfer, transfer_request(payer, rich, 6)),
                         ("FAILED_PRECONDITION", "the payee's balance would overflow"))

        # In a stream each bad amount is refused alone, and the stream goes on.
        amounts = (10, 0, -5, INT64_MIN, 20)
        summary = ledger.ImportTransfers(
            iter([transfer_request(payer, payee, a) for a in amounts]), timeout=10)
        self.assertEqual((summary.applied, summary.rejected), (2, 3))

        requests = [transfer_request(payer, payee, a) for a in amounts]
        results = {r.request_id: r for r in ledger.TransferStream(iter(requests), timeout=10)}
        self.assertEqual(len(results), len(requests))
        for request in requests:
            result = results[request.request_id]
            if request.amount > 0:
                self.assertEqual((result.code, result.receipt.amount), (0, request.amount))
            else:
                self.assertEqual((result.code, result.message),
                                 (3, f"amount must be > 0, got {request.amount}"))

        moved = 3 * 1 + 2 * (10 + 20)
        self.assertEqual(accounts(ledger, [payer, payee, rich, empty.id]), {
            payer: (1000 - moved, 1 + 3 + 4), payee: (moved, 1 + 3 + 4),
            rich: (INT64_MAX - 5, 1), empty.id: (0, 1)})

    def test_ids_that_are_not_utf8_are_refused_before_the_ledger_in_every_mode(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.check_not_utf8(mode)

    def check_not_utf8(self, mode):
        pb = World.pb
        ledger = stub(self.server, mode)
        payer = open_account(ledger, 100, "payer")
        payee = open_account(ledger, 0, "payee")
        raw = channel(self.server, mode)

        def call(method, request):
            return code_of(raw.unary_unary(f"/ledger.v1.Ledger/{method}"), not_utf8(request))[0]

        def refused_as_internal():
            counted = {}
            for (name, labels), value in metrics(self.server).items():
                labels = dict(labels)
                if (name == "grpc_server_handled_total" and labels["mode"] == mode
                        and labels["grpc_code"] == "Internal"):
                    counted[labels["grpc_method"]] = value
            return counted

        before = refused_as_internal()

        self.assertEqual(call("OpenAccount", pb.OpenAccountRequest(id=PLACEHOLDER)), "INTERNAL")
        self.assertEqual(call("OpenAccount", pb.OpenAccountRequest(id=PLACEHOLDER,
                                                                   initial_balance=5)),
                         "INTERNAL")
        self.assertEqual(call("GetAccount", pb.GetAccountRequest(id=PLACEHOLDER)), "INTERNAL")
        self.assertEqual(call("Audit", pb.AuditRequest(account_id=PLACEHOLDER)), "INTERNAL")
        for fields in ({"request_id": PLACEHOLDER, "from_id": payer, "to_id": payee},
                       {"request_id": "r", "from_id": PLACEHOLDER, "to_id": payee},
                       {"request_id": "r", "from_id": payer, "to_id": PLACEHOLDER}):
            self.assertEqual(call("Transfer", pb.TransferRequest(amount=1, **fields)), "INTERNAL")
        listing = raw.unary_stream("/ledger.v1.Ledger/ListTransfers")
        self.assertEqual(
            code_of(lambda request, timeout: list(listing(request, timeout=timeout)),
                    not_utf8(pb.ListTransfersRequest(account_id=PLACEHOLDER)))[0],
            "INTERNAL")
        after = refused_as_internal()
        self.assertEqual({method: after[method] - before.get(method, 0) for method in after},
                         {"OpenAccount": 2, "GetAccount": 1, "Audit": 1, "Transfer": 3,
                          "ListTransfers": 1, "ImportTransfers": 0, "TransferStream": 0})

        # UTF-8, but not an account id: the ledger's own rule.
        for bad_id, message in (
                ("ümlaut", "account id may only contain letters, digits, '_', '.' and '-'"),
                ("a\x00b", "account id may only contain letters, digits, '_', '.' and '-'"),
                ("", "account id must be 1 to 64 characters, got 0"),
                ("a" * 65, "account id must be 1 to 64 characters, got 65")):
            self.assertEqual(code_of(ledger.OpenAccount, pb.OpenAccountRequest(id=bad_id)),
                             ("INVALID_ARGUMENT", message))
            self.assertEqual(code_of(ledger.Transfer, transfer_request(payer, bad_id, 1)),
                             ("INVALID_ARGUMENT", f"to_id: {message}"))

        # The same channel serves on, and nothing moved.
        self.assertEqual(accounts(ledger, [payer, payee]), {payer: (100, 1), payee: (0, 1)})
        raw.close()

    def test_a_flood_of_unparseable_requests_writes_a_line_or_two_to_the_log(self):
        # Protobuf logs a line per message it cannot parse; the server keeps
        # one per 10 s, so a client cannot flood the log. A server of its own,
        # whose log has no such line yet.
        server = start_server(modes=["coroutine"])
        try:
            raw = channel(server, "coroutine")
            for _ in range(200):
                self.assertEqual(code_of(raw.unary_unary("/ledger.v1.Ledger/GetAccount"),
                                         not_utf8(World.pb.GetAccountRequest(id=PLACEHOLDER)))[0],
                                 "INTERNAL")
            raw.close()
        finally:
            self.assertTrue(server.stop(), "ledger-server did not stop cleanly")
        lines = [line for line in server.log_lines if "invalid UTF-8" in line]
        self.assertGreaterEqual(len(lines), 1)
        self.assertLessEqual(len(lines), 3, lines)
        self.assertIn("ledger-server: protobuf (", lines[0])


if __name__ == "__main__":
    sys.exit(main(__doc__))
