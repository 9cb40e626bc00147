"""A real Prometheus (Debian's) for the tests, and load through ledger-server's
ports so that it has something to scrape. Shared by prometheus_test.py and
tests/deploy/dashboard/dashboard_test.py.
"""
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


def wait_for(condition, timeout, what):
    """Polls condition until it returns something true, and returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def free_loopback_port():
    # Prometheus cannot report a port it picked itself, so we pick one. Another
    # process could take it before Prometheus binds it; then Prometheus exits
    # and the test fails saying so, which is rare enough.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def single_target_config(job, target, interval="1s"):
    """A Prometheus config scraping one target every `interval`."""
    return f"""global:
  scrape_interval: {interval}
  scrape_timeout: {interval}
scrape_configs:
  - job_name: {job}
    static_configs:
      - targets: ["{target}"]
"""


class Prometheus:
    """A private Prometheus with the given config (YAML text), its storage and
    log in work_dir, listening on loopback only."""

    def __init__(self, binary, config_text, work_dir):
        config = os.path.join(work_dir, "prometheus.yml")
        with open(config, "w") as out:
            out.write(config_text)
        self.url = f"http://127.0.0.1:{free_loopback_port()}"
        self.log_path = os.path.join(work_dir, "prometheus.log")
        # No proxy from the environment may stand between us and loopback.
        self.http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with open(self.log_path, "w") as log:
            # setpriv --pdeathsig: if CTest kills this test on timeout, Prometheus
            # dies with it instead of living on, holding its port.
            self.process = subprocess.Popen(
                ["setpriv", "--pdeathsig=KILL", "--", binary,
                 f"--config.file={config}",
                 f"--storage.tsdb.path={os.path.join(work_dir, 'data')}",
                 f"--web.listen-address={self.url.removeprefix('http://')}"],
                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(self._ready, 20, f"Prometheus ready at {self.url}")
        except BaseException:
            self.stop()
            self.print_log()
            raise

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"Prometheus exited with {self.process.returncode}")
        try:
            with self.http.open(f"{self.url}/-/ready", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def query(self, promql):
        """The instant vector of promql now: a list of {"metric": labels, "value": [t, v]}."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        try:
            with self.http.open(url, timeout=5) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:  # A bad query: say why.
            raise AssertionError(f"{promql}: {error.read().decode(errors='replace')}") from None
        assert body["status"] == "success", body
        return body["data"]["result"]

    def target_errors(self):
        """Why the last scrape of each target failed, if it did; for failure messages."""
        with self.http.open(f"{self.url}/api/v1/targets", timeout=5) as response:
            targets = json.load(response)["data"]["activeTargets"]
        return [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets]

    def wait_for_scrape_after(self, when, selector, timeout=10):
        """Waits until every target matching selector was last scraped after `when`
        (a time.time()), so that what happened before is all in Prometheus."""
        def scraped():
            samples = self.query(f"timestamp(up{selector})")
            return samples and all(float(s["value"][1]) > when for s in samples)
        wait_for(scraped, timeout, f"a scrape of {selector} after the load")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def print_log(self):
        with open(self.log_path) as log:
            sys.stderr.write("---- Prometheus log ----\n" + log.read() + "---- end ----\n")


def generate_load(targets, seconds, threads_per_target=4, not_found_every=0, refused_every=0):
    """Transfers and reads through every target ("host:port" -> the mode it
    serves) at once for `seconds`, in threads. With not_found_every=N, every Nth
    round also reads from and transfers from an account that does not exist,
    so NotFound errors show up too (in GetAccount and in Transfer). With
    refused_every=N, every Nth round also transfers from an account with no
    money, which the ledger refuses with FailedPrecondition. Targets that share
    a store must not share account names, so each target opens its own accounts. Returns (calls that succeeded per mode,
    unexpected errors)."""
    import grpc
    from ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc

    channels = {target: grpc.insecure_channel(target) for target in targets}
    stubs = {target: ledger_pb2_grpc.LedgerStub(channel) for target, channel in channels.items()}
    accounts, empty = {}, {}
    for target, stub in stubs.items():
        accounts[target] = [f"load-{uuid.uuid4().hex[:12]}" for _ in range(4)]
        for account in accounts[target]:
            stub.OpenAccount(pb.OpenAccountRequest(id=account, initial_balance=10**12),
                             timeout=10)
        if refused_every:
            empty[target] = f"load-empty-{uuid.uuid4().hex[:12]}"
            stub.OpenAccount(pb.OpenAccountRequest(id=empty[target], initial_balance=0),
                             timeout=10)

    calls = {mode: 0 for mode in set(targets.values())}
    errors = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(target):
        stub, mine, done, rounds = stubs[target], accounts[target], 0, 0
        try:
            while time.monotonic() < deadline:
                payer, payee = random.sample(mine, 2)
                stub.Transfer(pb.TransferRequest(request_id=str(uuid.uuid4()), from_id=payer,
                                                 to_id=payee, amount=1), timeout=10)
                stub.GetAccount(pb.GetAccountRequest(id=payee), timeout=10)
                done += 2
                rounds += 1
                if not_found_every and rounds % not_found_every == 0:
                    for failing in (
                            lambda: stub.GetAccount(pb.GetAccountRequest(id="no-such-account"),
                                                    timeout=10),
                            lambda: stub.Transfer(pb.TransferRequest(
                                request_id=str(uuid.uuid4()), from_id="no-such-account",
                                to_id=payee, amount=1), timeout=10)):
                        try:
                            failing()
                            raise AssertionError("a call on a missing account succeeded")
                        except grpc.RpcError as error:
                            if error.code() != grpc.StatusCode.NOT_FOUND:
                                raise
                if refused_every and rounds % refused_every == 0:
                    try:
                        stub.Transfer(pb.TransferRequest(
                            request_id=str(uuid.uuid4()), from_id=empty[target], to_id=payee,
                            amount=1), timeout=10)
                        raise AssertionError("a transfer from an account with no money succeeded")
                    except grpc.RpcError as error:
                        if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                            raise
        except Exception as error:  # Returned to the caller, for its thread to report.
            with lock:
                errors.append(f"{target} ({targets[target]}): {error!r}")
        with lock:
            calls[targets[target]] += done

    threads = [threading.Thread(target=run, args=(target,))
               for target in targets for _ in range(threads_per_target)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for channel in channels.values():
        channel.close()
    return calls, errors
