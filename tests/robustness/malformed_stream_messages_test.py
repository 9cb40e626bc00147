#!/usr/bin/python3
"""A message that cannot be parsed (a string field that is not UTF-8) in the
middle of ImportTransfers or TransferStream, in each mode, must end the call
with INVALID_ARGUMENT naming it: what came before it stands, nothing after it
is applied, and the client learns that its stream was not taken whole. The
metrics count the messages the server read, the malformed one included.

gRPC's C++ server reports such a message to the handler exactly as it
reports the client's end of stream (Read() returns false), so a handler
that reads typed messages would answer OK and silently drop the rest of the
stream. Both modes therefore read these two methods' requests as raw bytes
and parse them in the handler (service/serving/streamed_requests.h)."""
import sys
import threading

from malformed_fields_test import PLACEHOLDER, not_utf8
from robustness_world import (MODES, OneServerTest, World, accounts, channel, main, metrics,
                              open_account, stub, transfer_request, wait_until)

MALFORMED_SECOND = "request 2 of the stream is not a valid ledger.v1.TransferRequest"


class MalformedStreamMessagesTest(OneServerTest):
    def test_an_unparseable_message_ends_the_stream_with_invalid_argument(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.check_mode(mode)

    def check_mode(self, mode):
        pb = World.pb
        ledger = stub(self.server, mode)
        payer = open_account(ledger, 1000, "payer")
        payee = open_account(ledger, 0, "payee")
        raw = channel(self.server, mode)
        malformed = not_utf8(transfer_request(payer, payee, 1, request_id=PLACEHOLDER))
        balance = lambda: ledger.GetAccount(pb.GetAccountRequest(id=payee), timeout=10).balance

        def import_requests():
            yield transfer_request(payer, payee, 7).SerializeToString()
            wait_until(lambda: balance() == 7, 10, "the import's first transfer landed")
            yield malformed
            yield transfer_request(payer, payee, 100).SerializeToString()
        importing = raw.stream_unary("/ledger.v1.Ledger/ImportTransfers",
                                     response_deserializer=pb.ImportSummary.FromString)
        with self.assertRaises(World.grpc.RpcError) as raised:
            summary = importing(import_requests(), timeout=10)
            self.fail(f"the import ended OK ({summary}) with a malformed message in it")
        self.assertEqual(raised.exception.code().name, "INVALID_ARGUMENT")
        self.assertIn(MALFORMED_SECOND, raised.exception.details())

        first_result = threading.Event()

        def stream_requests():
            yield transfer_request(payer, payee, 5).SerializeToString()
            first_result.wait(10)
            yield malformed
            yield transfer_request(payer, payee, 100).SerializeToString()
        streaming = raw.stream_stream("/ledger.v1.Ledger/TransferStream",
                                      response_deserializer=pb.TransferResult.FromString)
        results = []
        with self.assertRaises(World.grpc.RpcError) as raised:
            for result in streaming(stream_requests(), timeout=10):
                results.append(result)
                first_result.set()
            self.fail(f"the stream ended OK with a malformed message in it: {results}")
        self.assertEqual(raised.exception.code().name, "INVALID_ARGUMENT")
        self.assertIn(MALFORMED_SECOND, raised.exception.details())
        self.assertEqual([(r.code, r.receipt.amount) for r in results], [(0, 5)])

        self.assertEqual(accounts(ledger, [payer, payee]), {payer: (1000 - 12, 3),
                                                            payee: (12, 3)})
        # Each call read two messages (the third was never read) and ended
        # INVALID_ARGUMENT; only the stream's one result was sent.
        for method, sent in (("ImportTransfers", 0), ("TransferStream", 1)):
            self.assertEqual(self.counted("grpc_server_msg_received_total", method, mode), 2)
            self.assertEqual(self.counted("grpc_server_msg_sent_total", method, mode), sent)
            self.assertEqual(self.counted("grpc_server_handled_total", method, mode,
                                          grpc_code="InvalidArgument"), 1)
            self.assertEqual(self.counted("grpc_server_handled_total", method, mode,
                                          grpc_code="OK"), 0)
        raw.close()

    def counted(self, name, method, mode, **labels):
        """The value of the one series `name` of `method` in `mode` with `labels`."""
        wanted = {("grpc_method", method), ("mode", mode), *labels.items()}
        values = [value for (series, have), value in metrics(self.server).items()
                  if series == name and wanted <= have]
        self.assertEqual(len(values), 1, f"{name} {sorted(wanted)}")
        return values[0]


if __name__ == "__main__":
    sys.exit(main(__doc__))
