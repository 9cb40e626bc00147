#!/usr/bin/python3
"""--load_balancing, the flag `ledger` and `ledger-load` share
(client/common/connection_flags.cc), against two real ledger-server processes
and a target naming both, ipv4:127.0.0.1:P1,127.0.0.1:P2, as a headless
Service's DNS name resolves to every pod:

- round_robin: both servers serve calls of one ledger-load run, which together
  are every call it made;
- pick_first (the default): the first address serves every call, the second
  none;
- another value: a usage error (exit 2) naming the policies, from both clients.

Each server's calls are read from its own /metrics (OpenAccount's handled
calls), before and after each run. ledger-load only opens accounts here (mix
open:1), on accounts opened beforehand on both servers alike, so its ledger
check holds whichever server a call reaches.

Run: load_balancing_test.py --cli ledger --load ledger-load --server ledger-server --source_dir DIR
"""
import argparse
import os
import re
import subprocess
import sys
import unittest
import urllib.request

ARGS = None
REQUESTS = 200
PREFIX = "lb-"


def metric_name(constant):
    """A metric's name where it is defined once, contract/metric_names.h."""
    text = open(os.path.join(ARGS.source_dir, "contract/metric_names.h")).read()
    return re.search(rf'\b{constant}\[\] = "([^"]+)";', text).group(1)


def exit_code(constant):
    """A client exit code where it is defined once, client/common/exit_codes.h."""
    text = open(os.path.join(ARGS.source_dir, "client/common/exit_codes.h")).read()
    return int(re.search(rf"\b{constant} = (\d+),", text).group(1))


class LoadBalancingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(ARGS.source_dir, "tests", "python"))
        from ledger_server import LedgerServer
        cls.handled = metric_name("kHandledTotal")
        cls.usage_error, cls.not_found = exit_code("kUsage"), exit_code("kNotFound")
        cls.servers = []
        for _ in range(2):
            cls.servers.append(LedgerServer(ARGS.server, modes=("coroutine",)))
        cls.target = "ipv4:" + ",".join(s.address("coroutine") for s in cls.servers)
        # The same accounts, with the same money, on both ledgers.
        for server in cls.servers:
            for i in range(2):
                cls.cli(f"--target={server.address('coroutine')}", "open", f"{PREFIX}{i}", "1000")

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            server.stop()

    @staticmethod
    def cli(*arguments, expect=0):
        result = subprocess.run([ARGS.cli, *arguments], capture_output=True, text=True, timeout=60)
        if result.returncode != expect:
            raise AssertionError(f"ledger {' '.join(arguments)}: exit {result.returncode}, not "
                                 f"{expect}\n{result.stdout}{result.stderr}")
        return result

    def opened(self, server):
        """OpenAccount calls the server has handled, whatever their code."""
        with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10) as r:
            text = r.read().decode()
        pattern = re.compile(rf'^{self.handled}\{{([^}}]*)\}} (\S+)$', re.M)
        return sum(int(float(value)) for labels, value in pattern.findall(text)
                   if 'grpc_method="OpenAccount"' in labels)

    def load(self, *flags):
        """Calls each server served in one ledger-load run on the two-address target."""
        before = [self.opened(s) for s in self.servers]
        result = subprocess.run(
            [ARGS.load, f"--target={self.target}", "--existing", "--accounts=2",
             f"--account_prefix={PREFIX}", "--mix=open:1", f"--requests={REQUESTS}",
             "--warmup=0s", "--concurrency=2", "--connections=1", *flags],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("money conserved", result.stdout)
        return [self.opened(s) - b for s, b in zip(self.servers, before)]

    def test_round_robin_spreads_calls_over_both_servers(self):
        first, second = self.load("--load_balancing=round_robin")
        self.assertEqual(first + second, REQUESTS)
        self.assertGreater(first, 0, "the first server served no call")
        self.assertGreater(second, 0, "the second server served no call")

    def test_pick_first_sends_every_call_to_the_first_server(self):
        self.assertEqual(self.load("--load_balancing=pick_first"), [REQUESTS, 0])
        self.assertEqual(self.load(), [REQUESTS, 0])  # the default

    def test_the_cli_balances_with_the_same_flag(self):
        before = [self.opened(s) for s in self.servers]
        self.cli(f"--target={self.target}", "--load_balancing=round_robin", "open", "cli-rr", "5")
        self.cli(f"--target={self.target}", "open", "cli-pf", "5")
        after = [self.opened(s) - b for s, b in zip(self.servers, before)]
        self.assertEqual(sum(after), 2)
        # pick_first's account is on the first server; round_robin's on one of the two.
        self.assertEqual([self.has_account(s, "cli-pf") for s in self.servers], [True, False])
        self.assertEqual(sorted(self.has_account(s, "cli-rr") for s in self.servers), [False, True])

    def has_account(self, server, account):
        result = subprocess.run([ARGS.cli, f"--target={server.address('coroutine')}", "get", account],
                                capture_output=True, text=True, timeout=60)
        self.assertIn(result.returncode, (0, self.not_found), result.stdout + result.stderr)
        return result.returncode == 0

    def test_another_policy_is_a_usage_error(self):
        message = "--load_balancing=grpclb is not a policy this client knows: use pick_first or round_robin"
        result = self.cli(f"--target={self.target}", "--load_balancing=grpclb", "health",
                          expect=self.usage_error)
        self.assertIn(message, result.stderr)
        result = subprocess.run([ARGS.load, f"--target={self.target}", "--load_balancing=grpclb"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, self.usage_error, result.stderr)
        self.assertIn(message, result.stderr)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for flag in ("--cli", "--load", "--server", "--source_dir"):
        parser.add_argument(flag, required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
