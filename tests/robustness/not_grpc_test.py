#!/usr/bin/python3
"""What is not gRPC, sent to a gRPC port: random bytes, an HTTP/1.1 request,
and a truncated HTTP/2 preface followed by silence or by a close. The server
closes each such connection itself: at once when the bytes cannot be HTTP/2,
and after --handshake_timeout when a peer stops partway through its preface
(gRPC's own default would be 120 s). A client calling concurrently
throughout sees no error, and every socket is given back."""
import os
import sys
import time
import unittest

import raw_h2
from robustness_world import MODES, Bystander, main, open_fds, start_server, wait_until

HANDSHAKE_TIMEOUT = 1.0  # seconds, the server's --handshake_timeout here
# On a loaded 2-core machine a timer may fire late; never this late.
SLACK = 6.0


def closed_by_server(connection, bound, since=None):
    """Reads until the server closes the connection (EOF or reset); returns
    the seconds from `since` (default: now) to the close and the frames the
    server sent, or fails `bound` seconds after `since`."""
    start = time.monotonic() if since is None else since
    frames = []
    while True:
        left = bound - (time.monotonic() - start)
        if left <= 0:
            raise AssertionError(f"the server kept the connection open for {bound} s")
        try:
            got = connection.read_frame(left)
        except TimeoutError:
            continue
        if got is None:
            return time.monotonic() - start, frames
        frames.append(got)


def goaway_reason(frames):
    """The debug text of the server's GOAWAY, if it sent one."""
    for kind, _, _, payload in frames:
        if kind == raw_h2.GOAWAY:
            return payload[8:].decode(errors="replace")
    return None


class NotGrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server([f"--handshake_timeout={HANDSHAKE_TIMEOUT}s"])

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop(), "ledger-server did not stop cleanly on SIGTERM"

    def test_each_mode_closes_what_is_not_grpc_and_serves_on(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.check_mode(mode)

    def check_mode(self, mode):
        port = self.server.ports[mode]
        bystander = Bystander(self.server, mode)
        fds_before = open_fds(self.server)

        def connect():
            return raw_h2.Connection(port, handshake=False)

        for _ in range(20):
            garbage = connect()
            data = os.urandom(4096)
            garbage.send(data if not data.startswith(b"PRI") else b"X" + data)
            elapsed, _ = closed_by_server(garbage, SLACK)
            self.assertLess(elapsed, SLACK)
            garbage.close()

        http1 = connect()
        http1.send(b"GET / HTTP/1.1\r\nHost: ledger\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n")
        elapsed, frames = closed_by_server(http1, SLACK)
        # Its answer, if any, is HTTP/2 frames, never an HTTP/1.1 response.
        self.assertTrue(all(kind in (raw_h2.SETTINGS, raw_h2.WINDOW_UPDATE, raw_h2.GOAWAY)
                            for kind, *_ in frames), frames)
        http1.close()

        stalled = [connect() for _ in range(5)]
        for connection in stalled:
            connection.send(raw_h2.PREFACE[:10])
        sent = time.monotonic()
        for connection in stalled:
            elapsed, frames = closed_by_server(connection, HANDSHAKE_TIMEOUT + SLACK, since=sent)
            # Closed by the handshake timeout: not before it, and saying so.
            self.assertGreaterEqual(elapsed, HANDSHAKE_TIMEOUT * 0.9 - 0.3)
            self.assertEqual(goaway_reason(frames),
                             "Did not receive HTTP/2 settings before handshake timeout")
            connection.close()

        for _ in range(20):
            abandoned = connect()
            abandoned.send(raw_h2.PREFACE[:10])
            abandoned.close()

        wait_until(lambda: open_fds(self.server) <= fds_before, HANDSHAKE_TIMEOUT + SLACK,
                   f"the server gave back every socket ({fds_before} descriptors open before)")
        calls, errors = bystander.stop()
        self.assertEqual(errors, [])
        self.assertGreater(calls, 0)


if __name__ == "__main__":
    sys.exit(main(__doc__))
