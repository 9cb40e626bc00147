#!/usr/bin/python3
"""A message larger than --max_message_bytes (default from --help) ends its
call with RESOURCE_EXHAUSTED before it reaches the ledger, on each mode's
port and on the health port; gRPC 1.51 answers exactly that code, with
"Received message larger than max (<size> vs. <limit>)". The server is
unaffected: a normal call right after succeeds on the same channel and on a
new one, a client calling all along sees no error, and no money moved but
what the well-formed calls moved. Metadata over gRPC's 8 KiB is refused
alike, and gRPC 1.51 closes that call's connection with it."""
import re
import sys
import threading
import unittest

import raw_h2

from robustness_world import (MODES, Bystander, World, accounts, code_of, flag_default,
                              main, open_account, start_server, stub, transfer_request,
                              wait_until)


class OversizedMessagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.limit = int(flag_default("max_message_bytes"))
        cls.server = start_server(["--health_port=0"])
        health = [m for line in cls.server.log_lines
                  if (m := re.search(r"health listening on \S*:(\d+)", line))]
        cls.health_port = int(health[0].group(1))

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop(), "ledger-server did not stop cleanly on SIGTERM"

    def assert_too_large(self, code_and_message, size):
        code, message = code_and_message
        self.assertEqual(code, "RESOURCE_EXHAUSTED", message)
        self.assertIn(f"Received message larger than max ({size} vs. {self.limit})", message)

    def test_every_mode_refuses_what_is_larger_than_the_limit(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.check_mode(mode)

    def check_mode(self, mode):
        pb = World.pb
        bystander = Bystander(self.server, mode)
        ledger = stub(self.server, mode)
        payer = open_account(ledger, 1000, "payer")
        payee = open_account(ledger, 0, "payee")
        before = accounts(ledger, [payer, payee])
        big_id = "a" * (self.limit + 100)  # serialized: the id, its tag and length

        request = pb.OpenAccountRequest(id=big_id)
        self.assert_too_large(code_of(ledger.OpenAccount, request), request.ByteSize())
        request = pb.GetAccountRequest(id=big_id)
        self.assert_too_large(code_of(ledger.GetAccount, request), request.ByteSize())
        request = transfer_request(payer, payee, 1, request_id=big_id)
        self.assert_too_large(code_of(ledger.Transfer, request), request.ByteSize())
        # A message of exactly the limit (the id, its tag and a 3-byte length)
        # reaches the ledger, whose rules refuse the id.
        at_limit = pb.GetAccountRequest(id="a" * (self.limit - 4))
        self.assertEqual(at_limit.ByteSize(), self.limit)
        self.assertEqual(code_of(ledger.GetAccount, at_limit),
                         ("INVALID_ARGUMENT", f"account id must be 1 to 64 characters, got "
                                              f"{self.limit - 4}"))

        # In a stream: what came before stands, the stream ends there, and
        # nothing sent after it is applied.
        first = transfer_request(payer, payee, 7)
        oversized = transfer_request(payer, payee, 1, request_id=big_id)
        after = transfer_request(payer, payee, 100)
        applied = lambda: ledger.GetAccount(pb.GetAccountRequest(id=payee), timeout=10).balance == 7

        def import_requests():
            yield first
            wait_until(applied, 10, "the import's first transfer landed")
            yield oversized
            yield after
        self.assert_too_large(code_of(ledger.ImportTransfers, import_requests()),
                              oversized.ByteSize())

        results = []
        first_result = threading.Event()

        def stream_requests():
            yield transfer_request(payer, payee, 5)
            first_result.wait(10)
            yield oversized
            yield transfer_request(payer, payee, 100)
        responses = ledger.TransferStream(stream_requests(), timeout=10)
        with self.assertRaises(World.grpc.RpcError) as raised:
            for result in responses:
                results.append(result)
                first_result.set()
        self.assertEqual([(r.code, r.receipt.amount) for r in results], [(0, 5)])
        self.assert_too_large((raised.exception.code().name, raised.exception.details()),
                              oversized.ByteSize())

        # The same channel serves on, a new one too, and only 7 + 5 moved.
        self.assertEqual(ledger.GetAccount(pb.GetAccountRequest(id=payer), timeout=10).balance,
                         1000 - 12)
        fresh = stub(self.server, mode)
        self.assertEqual(accounts(fresh, [payer, payee]),
                         {payer: (before[payer][0] - 12, before[payer][1] + 2),
                          payee: (before[payee][0] + 12, before[payee][1] + 2)})
        calls, errors = bystander.stop()
        self.assertEqual(errors, [])
        self.assertGreater(calls, 0)

    def test_metadata_over_8_kib_is_refused_and_costs_its_connection(self):
        # gRPC's limit (GRPC_ARG_MAX_METADATA_SIZE, 8 KiB by default, which the
        # server keeps). gRPC 1.51 takes it for an error of the connection:
        # every call on it ends with the same RESOURCE_EXHAUSTED, and it is
        # closed. Other connections see nothing of it.
        message = b"received initial metadata size exceeds limit"
        for mode in MODES:
            with self.subTest(mode=mode):
                bystander = Bystander(self.server, mode)
                peer = raw_h2.Connection(self.server.ports[mode])
                peer.server_settings()
                peer.send(raw_h2.grpc_headers(1, "/ledger.v1.Ledger/ImportTransfers"))
                peer.send(raw_h2.grpc_headers(3, "/ledger.v1.Ledger/GetAccount",
                                              metadata=[("x-padding", "p" * 12 * 1024)]))
                frames = []
                while (got := peer.read_frame(10)) is not None:
                    frames.append(got)
                peer.close()
                for stream_id in (1, 3):
                    self.assertEqual(raw_h2.grpc_status(frames, stream_id), 8)  # RESOURCE_EXHAUSTED
                trailers = [payload for kind, flags, stream, payload in frames
                            if kind == raw_h2.HEADERS and stream == 3]
                self.assertIn(message, trailers[0])
                ledger = stub(self.server, mode)
                self.assertEqual(code_of(ledger.GetAccount, World.pb.GetAccountRequest(id="none"))[0],
                                 "NOT_FOUND")
                calls, errors = bystander.stop()
                self.assertEqual(errors, [])
                self.assertGreater(calls, 0)

    def test_the_health_port_refuses_what_is_larger_than_the_limit(self):
        import health_pb2
        import health_pb2_grpc
        with World.grpc.insecure_channel(f"127.0.0.1:{self.health_port}") as health:
            check = health_pb2_grpc.HealthStub(health).Check
            request = health_pb2.HealthCheckRequest(service="s" * (self.limit + 100))
            self.assert_too_large(code_of(check, request), request.ByteSize())
            self.assertEqual(check(health_pb2.HealthCheckRequest(service=""), timeout=10).status,
                             health_pb2.HealthCheckResponse.SERVING)


if __name__ == "__main__":
    sys.exit(main(__doc__))
