#!/usr/bin/python3
"""Peers that are slow or silent, in each mode, against a server run with
small bounds (the flags below): a TCP connection that never sends is closed
after --handshake_timeout; an HTTP/2 connection with no call after
--max_connection_idle; a call that never sends ends at its deadline; a peer
that stops answering (its pings unacknowledged) is dropped after
--keepalive_time + --keepalive_timeout; a reader that never reads stops the
server at its flow-control window and its call ends at the deadline or when
the connection closes; a connection holds at most --max_concurrent_streams
calls. Afterwards no call is in flight and thread mode's threads are back
down. gRPC's own defaults (120 s handshake, no idle limit, 2 h keepalive,
no stream limit) would fail every one of these."""
import sys
import threading
import time
import unittest

import raw_h2
from robustness_world import (MODES, World, code_of, inflight, main, metrics, mode_threads,
                              open_account, start_server, stub, transfer_request, wait_until)

HANDSHAKE_TIMEOUT = 1.0      # --handshake_timeout
MAX_CONNECTION_IDLE = 2.0    # --max_connection_idle
KEEPALIVE = 1.0              # --keepalive_time and --keepalive_timeout
MAX_STREAMS = 4              # --max_concurrent_streams
DEADLINE = 4.0               # of calls that would wait forever: long enough to see them wait
SLACK = 6.0                  # a loaded 2-core machine's timers may fire late; never this late
RECEIPTS = 2000              # of the account the never-reading peers list

LIST = "/ledger.v1.Ledger/ListTransfers"
IMPORT = "/ledger.v1.Ledger/ImportTransfers"


def closed_after(connection, since, bound):
    """Seconds from `since` until the server closed `connection`, and every
    frame it sent; fails if still open `bound` seconds after `since`."""
    frames = []
    while True:
        left = since + bound - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the server kept the connection open for {bound} s")
        try:
            got = connection.read_frame(left)
        except TimeoutError:
            continue
        if got is None:
            return time.monotonic() - since, frames
        frames.append(got)


def goaway_reason(frames):
    reasons = [payload[8:].decode() for kind, _, _, payload in frames if kind == raw_h2.GOAWAY]
    return reasons[0] if reasons else None


def data_bytes(frames, stream_id):
    return sum(len(payload) for kind, _, stream, payload in frames
               if kind == raw_h2.DATA and stream == stream_id)


class Blocked:
    """A request iterator that sends nothing until release()."""

    def __init__(self):
        self.released = threading.Event()

    def __iter__(self):
        return self

    def __next__(self):
        self.released.wait()
        raise StopIteration

    def release(self):
        self.released.set()


class SlowPeersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server([
            f"--handshake_timeout={HANDSHAKE_TIMEOUT}s",
            f"--max_connection_idle={MAX_CONNECTION_IDLE}s",
            f"--keepalive_time={KEEPALIVE}s", f"--keepalive_timeout={KEEPALIVE}s",
            f"--max_concurrent_streams={MAX_STREAMS}"])
        # One journal for the never-reading peers to list; both modes serve
        # the same store.
        ledger = stub(cls.server, "coroutine")
        cls.busy = open_account(ledger, RECEIPTS, "busy")
        cls.sink = open_account(ledger, 0, "sink")
        summary = ledger.ImportTransfers(
            iter([transfer_request(cls.busy, cls.sink, 1) for _ in range(RECEIPTS)]), timeout=60)
        assert summary.applied == RECEIPTS, summary

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop(), "ledger-server did not stop cleanly on SIGTERM"

    def settled_threads(self, mode):
        """Thread mode's thread count once it has stopped changing (or after
        10 s, if it never does)."""
        if mode != "thread":
            return None
        previous = -1
        for _ in range(20):
            if (now := mode_threads(self.server, mode)) == previous:
                break
            previous = now
            time.sleep(0.5)
        return now

    def assert_all_let_go(self, mode, threads_before):
        """Nothing in flight, and thread mode back to the threads it had."""
        wait_until(lambda: inflight(self.server, mode) == 0, SLACK,
                   f"{mode} mode's ledger_inflight_calls back to 0")
        if threads_before is not None:
            wait_until(lambda: mode_threads(self.server, mode) <= threads_before + 1, SLACK,
                       f"thread mode's threads back to {threads_before} (+1)")

    def list_request(self):
        return World.pb.ListTransfersRequest(account_id=self.busy).SerializeToString()

    # These two wait out a timeout: both modes' connections wait at once.
    def test_a_connection_that_never_sends_is_closed_after_the_handshake_timeout(self):
        silent = {mode: [raw_h2.Connection(self.server.ports[mode], handshake=False)
                         for _ in range(5)] for mode in MODES}
        since = time.monotonic()
        for mode in MODES:
            with self.subTest(mode=mode):
                for connection in silent[mode]:
                    elapsed, frames = closed_after(connection, since, HANDSHAKE_TIMEOUT + SLACK)
                    self.assertGreaterEqual(elapsed, HANDSHAKE_TIMEOUT - 0.2)
                    self.assertEqual(goaway_reason(frames),
                                     "Did not receive HTTP/2 settings before handshake timeout")
                    connection.close()

    def test_an_idle_connection_is_closed_after_max_connection_idle(self):
        idle = {mode: raw_h2.Connection(self.server.ports[mode]) for mode in MODES}
        for connection in idle.values():
            connection.server_settings()
        since = time.monotonic()
        # A gRPC client whose connection is closed as idle just reconnects
        # for its next call.
        clients = {}
        request = World.pb.GetAccountRequest(id=self.busy)
        for mode in MODES:
            channel = World.grpc.insecure_channel(
                self.server.address(mode), options=[("grpc.use_local_subchannel_pool", 1)])
            states = []
            channel.subscribe(states.append)
            ledger = World.pbg.LedgerStub(channel)
            self.assertEqual(ledger.GetAccount(request, timeout=10).balance, 0)
            clients[mode] = channel, states, ledger
        ready = World.grpc.ChannelConnectivity.READY
        for mode in MODES:
            with self.subTest(mode=mode):
                elapsed, frames = closed_after(idle[mode], since, MAX_CONNECTION_IDLE + SLACK)
                self.assertGreaterEqual(elapsed, MAX_CONNECTION_IDLE - 0.2)
                self.assertEqual(goaway_reason(frames), "enter idle")
                idle[mode].close()
                channel, states, ledger = clients[mode]
                wait_until(lambda: ready in states and states[-1] != ready,
                           MAX_CONNECTION_IDLE + SLACK, "the server closed the idle channel")
                self.assertEqual(ledger.GetAccount(request, timeout=10).balance, 0)
                channel.close()

    # Both modes' calls wait out their deadline at once.
    def test_a_call_that_never_sends_ends_at_its_deadline(self):
        threads_before = self.settled_threads("thread")
        blocked, calls = [], {}
        for mode in MODES:
            ledger = stub(self.server, mode)
            blocked += [Blocked() for _ in range(MAX_STREAMS)]
            calls[mode] = [ledger.ImportTransfers.future(b, timeout=DEADLINE)
                           for b in blocked[-MAX_STREAMS:]]
        for mode in MODES:
            with self.subTest(mode=mode):
                wait_until(lambda: inflight(self.server, mode) == MAX_STREAMS, DEADLINE / 2,
                           f"{MAX_STREAMS} silent calls in flight")
        self.assertGreaterEqual(mode_threads(self.server, "thread"), MAX_STREAMS)
        for mode in MODES:
            with self.subTest(mode=mode):
                for call in calls[mode]:
                    self.assertEqual(call.exception(DEADLINE + SLACK).code().name,
                                     "DEADLINE_EXCEEDED")
                self.assert_all_let_go(mode, threads_before if mode == "thread" else None)
        for b in blocked:
            b.release()

    def test_a_peer_that_stops_answering_is_dropped_by_keepalive(self):
        threads_before = self.settled_threads("thread")
        # It opens calls, then reads nothing and acknowledges no ping: a
        # silent import, and a list whose receipts it never reads.
        dead = {}
        for mode in MODES:
            dead[mode] = raw_h2.Connection(self.server.ports[mode])
            dead[mode].server_settings()
            dead[mode].send(raw_h2.grpc_headers(1, IMPORT) + raw_h2.grpc_headers(3, LIST) +
                            raw_h2.grpc_message(3, self.list_request(), end_stream=True))
        since = time.monotonic()
        for mode in MODES:
            with self.subTest(mode=mode):
                elapsed, frames = closed_after(dead[mode], since, 2 * KEEPALIVE + SLACK)
                dead[mode].close()
                # The list was served (its response headers came) until
                # keepalive gave up on the peer; flow control held it to the
                # window the peer granted.
                self.assertTrue(any(kind == raw_h2.HEADERS and stream == 3 and
                                    not flags & raw_h2.END_STREAM
                                    for kind, flags, stream, _ in frames), frames)
                self.assertLessEqual(data_bytes(frames, 3), 65535)
                for stream_id in (1, 3):
                    self.assertEqual(raw_h2.grpc_status(frames, stream_id), 14)  # UNAVAILABLE
                self.assertIn(b"keepalive watchdog timeout", b"".join(f[3] for f in frames))
                self.assertEqual(goaway_reason(frames), None)
                self.assert_all_let_go(mode, threads_before if mode == "thread" else None)

    def test_a_reader_that_goes_away_ends_its_call(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                threads_before = self.settled_threads(mode)
                leaving = raw_h2.Connection(self.server.ports[mode], window=0)
                leaving.server_settings()
                leaving.send(raw_h2.grpc_headers(1, LIST) +
                             raw_h2.grpc_message(1, self.list_request(), end_stream=True))
                wait_until(lambda: inflight(self.server, mode) == 1, SLACK, "its call in flight")
                leaving.close()
                self.assert_all_let_go(mode, threads_before)

    def test_a_reader_that_never_reads_ends_at_its_deadline(self):
        # Alive (it answers pings) but granting no flow-control window: the
        # server may send no receipt at all, and waits until the deadline.
        threads_before = self.settled_threads("thread")
        stalled = {}
        for mode in MODES:
            stalled[mode] = raw_h2.Connection(self.server.ports[mode], window=0)
            stalled[mode].server_settings()
            stalled[mode].answer_pings()
            for stream_id in (1, 3, 5):
                stalled[mode].send(raw_h2.grpc_headers(stream_id, LIST, timeout=DEADLINE) +
                                   raw_h2.grpc_message(stream_id, self.list_request(),
                                                       end_stream=True))
        since = time.monotonic()
        for mode in MODES:
            with self.subTest(mode=mode):
                wait_until(lambda: inflight(self.server, mode) == 3, DEADLINE / 2,
                           "3 calls in flight")
        self.assertGreaterEqual(mode_threads(self.server, "thread"), 3)
        for mode in MODES:
            with self.subTest(mode=mode):
                self.assert_all_let_go(mode, threads_before if mode == "thread" else None)
                self.assertGreaterEqual(time.monotonic() - since, DEADLINE - 0.2)
                frames = stalled[mode].frames
                wait_until(lambda: all(raw_h2.grpc_status(frames, s) is not None
                                       for s in (1, 3, 5)), SLACK, "the calls' trailers")
                for stream_id in (1, 3, 5):
                    self.assertEqual(raw_h2.grpc_status(frames, stream_id), 4)  # DEADLINE_EXCEEDED
                    self.assertEqual(data_bytes(frames, stream_id), 0)
                self.assertFalse(stalled[mode].closed.is_set(), "a live peer keeps its connection")
                stalled[mode].close()

    def test_a_connection_holds_at_most_max_concurrent_streams_calls(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                threads_before = self.settled_threads(mode)
                # A gRPC client queues its calls beyond the limit: the server
                # never sees the fifth until one of the four ends.
                channel = World.grpc.insecure_channel(
                    self.server.address(mode), options=[("grpc.use_local_subchannel_pool", 1)])
                ledger = World.pbg.LedgerStub(channel)
                blocked = [Blocked() for _ in range(MAX_STREAMS)]
                held = [ledger.ImportTransfers.future(b, timeout=60) for b in blocked]
                wait_until(lambda: inflight(self.server, mode) == MAX_STREAMS, SLACK,
                           f"{MAX_STREAMS} calls in flight")
                audits = lambda: sum(v for (name, labels), v in metrics(self.server).items()
                                     if name == "grpc_server_started_total"
                                     and ("grpc_method", "Audit") in labels
                                     and ("mode", mode) in labels)
                audits_before = audits()
                audit = World.pb.AuditRequest(account_id=self.busy)
                self.assertEqual(code_of(ledger.Audit, audit, timeout=1.5)[0],
                                 "DEADLINE_EXCEEDED")
                self.assertEqual(audits(), audits_before, "the queued call reached the server")
                # Another connection is served at once.
                self.assertEqual(stub(self.server, mode).Audit(audit, timeout=10).entries,
                                 RECEIPTS)
                # One call ends: the first connection serves again.
                blocked[0].release()
                self.assertEqual(held[0].result(10).applied, 0)
                self.assertEqual(ledger.Audit(audit, timeout=10).entries, RECEIPTS)
                for b, call in zip(blocked[1:], held[1:]):
                    b.release()
                    self.assertEqual(call.result(10).applied, 0)
                channel.close()

                # A peer that ignores the limit it acknowledged loses its
                # connection, and every call on it ends.
                rude = raw_h2.Connection(self.server.ports[mode])
                self.assertEqual(rude.server_settings()[raw_h2.SETTINGS_MAX_CONCURRENT_STREAMS],
                                 MAX_STREAMS)
                for stream_id in range(1, 2 * MAX_STREAMS, 2):
                    rude.send(raw_h2.grpc_headers(stream_id, IMPORT))
                wait_until(lambda: inflight(self.server, mode) == MAX_STREAMS, SLACK,
                           f"{MAX_STREAMS} raw calls in flight")
                since = time.monotonic()
                rude.send(raw_h2.grpc_headers(2 * MAX_STREAMS + 1, IMPORT))
                elapsed, frames = closed_after(rude, since, SLACK)
                for stream_id in range(1, 2 * MAX_STREAMS + 2, 2):
                    self.assertIn(raw_h2.grpc_status(frames, stream_id), (None, 14), stream_id)
                rude.close()
                self.assert_all_let_go(mode, threads_before)


if __name__ == "__main__":
    sys.exit(main(__doc__))
