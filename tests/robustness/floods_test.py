#!/usr/bin/python3
"""Floods of HTTP/2 control frames, in each mode. Pings without calls beyond
what gRPC's policy allows end the connection with GOAWAY ENHANCE_YOUR_CALM
"too_many_pings" (gRPC's default, which the server keeps). Twenty thousand
calls (five thousand under a sanitizer) opened and reset at once ("rapid
reset") cost the server CPU while they last and leave nothing in flight nor
thread mode's threads up afterwards. A client calling meanwhile sees no
error in coroutine mode. In thread mode it may be refused: when the server
is slower than the flood, gRPC starts a thread for each call it matches
before reading its reset, and that thread waits for the reset to be read, so
the flood can hold every thread of --max_threads for a moment (and up to
~190 MiB was seen on a loaded 2-core machine); meanwhile gRPC refuses other
calls RESOURCE_EXHAUSTED "Server Threadpool Exhausted", the one error the
test lets that client see there."""
import struct
import sys
import threading

import raw_h2
from robustness_world import (MODES, SANITIZED, Bystander, OneServerTest, inflight, main,
                              mode_threads, wait_until)

ENHANCE_YOUR_CALM = 0xb
# gRPC 1.51 parses one connection's frames on one thread at a time, and
# while a flood keeps that connection's work queue from running dry, other
# connections whose work was handed to the same executor thread wait behind
# it: the bystander's response waits as long as the flood takes to parse.
# Under ThreadSanitizer that is about ten times longer (20,000 resets: over
# 10 s in thread mode, the bystander's deadline), so the flood shrinks there.
RESETS = 5_000 if SANITIZED else 20_000
CANCEL = 0x8
THREADS_EXHAUSTED = "RESOURCE_EXHAUSTED: Server Threadpool Exhausted"


class FloodsTest(OneServerTest):
    def test_a_ping_flood_is_told_to_calm_down_and_closed(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                flood = raw_h2.Connection(self.server.ports[mode])
                flood.server_settings()
                flood.send(b"".join(raw_h2.frame(raw_h2.PING, 0, 0, struct.pack(">Q", i))
                                    for i in range(50)))
                frames = []
                while (got := flood.read_frame(10)) is not None:
                    frames.append(got)
                goaways = [payload for kind, _, _, payload in frames if kind == raw_h2.GOAWAY]
                self.assertEqual(len(goaways), 1, frames)
                self.assertEqual(struct.unpack(">I", goaways[0][4:8])[0], ENHANCE_YOUR_CALM)
                self.assertEqual(goaways[0][8:], b"too_many_pings")
                flood.close()

    def test_rapid_resets_leave_nothing_behind(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                bystander = Bystander(self.server, mode)
                threads_before = mode_threads(self.server, mode)
                flood = raw_h2.Connection(self.server.ports[mode])
                flood.server_settings()
                drained = threading.Thread(target=lambda: [
                    None for _ in iter(lambda: flood.read_frame(30), None)], daemon=True)
                drained.start()
                for first in range(1, 2 * RESETS, 1000):
                    flood.send(b"".join(
                        raw_h2.grpc_headers(stream_id, "/ledger.v1.Ledger/ImportTransfers") +
                        raw_h2.frame(raw_h2.RST_STREAM, 0, stream_id, struct.pack(">I", CANCEL))
                        for stream_id in range(first, min(first + 1000, 2 * RESETS), 2)))
                wait_until(lambda: inflight(self.server, mode) == 0, 30,
                           f"{mode} mode's ledger_inflight_calls back to 0")
                if mode == "thread":
                    wait_until(lambda: mode_threads(self.server, mode) <= threads_before + 1, 30,
                               f"thread mode's threads back to {threads_before} (+1)")
                flood.close()
                drained.join(10)
                calls, errors = bystander.stop()
                if mode == "thread":
                    errors = [e for e in errors if e != THREADS_EXHAUSTED]
                self.assertEqual(errors, [])
                self.assertGreater(calls, 0)


if __name__ == "__main__":
    sys.exit(main(__doc__))
