#!/usr/bin/python3
"""Five thousand idle connections to each mode's port, each a real TCP
connection through the HTTP/2 handshake (preface, SETTINGS both ways and
acknowledged), cost the server a bounded amount of memory: its resident set
(VmRSS) grows by less than BYTES_PER_CONNECTION for each. Measured on the
development machine (2 cores, Release build): about 20 KiB per connection in
either mode; the bound is three times that. The server keeps serving while
they are open, and gives every socket back once they close."""
import resource
import sys
import time
import unittest

import raw_h2
from robustness_world import (MODES, World, accounts, main, open_account, open_fds,
                              start_server, stub, transfer_request, wait_until)

CONNECTIONS = 5000
BYTES_PER_CONNECTION = 64 * 1024
SPARE_FILES = 256  # this process's own files, and the server's


def raise_file_limit():
    """Raises this process's RLIMIT_NOFILE (which the server inherits) to
    what the connections need; False if the hard limit is lower."""
    needed = CONNECTIONS + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        return False
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return True


class ManyConnectionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not raise_file_limit():
            raise unittest.SkipTest(
                f"the hard limit on open files (ulimit -Hn: "
                f"{resource.getrlimit(resource.RLIMIT_NOFILE)[1]}) is below the "
                f"{CONNECTIONS + SPARE_FILES} this test needs")

    def test_each_idle_connection_costs_a_bounded_amount_of_memory(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                # A server of its own, so one mode's memory is not another's.
                self.server = start_server(modes=[mode])
                try:
                    self.check_mode(mode)
                finally:
                    self.assertTrue(self.server.stop(), "ledger-server did not stop cleanly")

    def check_mode(self, mode):
        ledger = stub(self.server, mode)
        payer = open_account(ledger, 100, "payer")
        payee = open_account(ledger, 0, "payee")
        fds_before = open_fds(self.server)
        time.sleep(0.5)  # what the calls above allocated settles
        rss_before = self.server.resident_bytes()

        connections = []
        try:
            for _ in range(CONNECTIONS):
                connections.append(raw_h2.Connection(self.server.ports[mode]))
            for connection in connections:
                connection.server_settings()
            wait_until(lambda: open_fds(self.server) >= fds_before + CONNECTIONS, 30,
                       f"the server holds all {CONNECTIONS} connections")
            time.sleep(0.5)
            grown = self.server.resident_bytes() - rss_before
            per_connection = grown / CONNECTIONS
            print(f"{mode} mode: {CONNECTIONS} idle connections, VmRSS "
                  f"{rss_before / 2**20:.1f} -> {(rss_before + grown) / 2**20:.1f} MiB, "
                  f"{per_connection / 1024:.1f} KiB per connection", file=sys.stderr)
            self.assertLess(per_connection, BYTES_PER_CONNECTION)

            # Served while they are open, on a connection of its own.
            receipt = ledger.Transfer(transfer_request(payer, payee, 30), timeout=10)
            self.assertEqual((receipt.from_balance, receipt.to_balance), (70, 30))
            self.assertEqual(stub(self.server, mode).GetAccount(
                World.pb.GetAccountRequest(id=payee), timeout=10).balance, 30)
        finally:
            for connection in connections:
                connection.close()
        wait_until(lambda: open_fds(self.server) <= fds_before + 2, 30,
                   "the server gave back the connections' sockets")
        self.assertEqual(accounts(ledger, [payer, payee]), {payer: (70, 2), payee: (30, 2)})


if __name__ == "__main__":
    sys.exit(main(__doc__))
