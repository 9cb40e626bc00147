#!/usr/bin/python3
"""ledger-server's log as operators read it, from the real server process:
--log_format=json writes every line of a run (start-up, a failed call,
shutdown) as one JSON object with ts, level, logger and msg, and a failed
call's method, code and mode as keys of their own; the default text lines
keep their `<UTC time> ledger-server: <message>` shape; --log_level=warn
leaves only the warnings; an unknown --log_level or --log_format is refused.

  /usr/bin/python3 tests/python/server_log_test.py \
      --server build/service/ledger-server --proto_root proto
"""
import argparse
import json
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from ledger_server import LedgerServer, generate_stubs, health_status

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
TEXT_LINE = re.compile(rf"^{TIMESTAMP} ledger-server: \S.*\n$")
# Bytes that are not UTF-8 in a string field: the request does not parse,
# and the call ends INTERNAL, as gRPC ends it (in thread mode gRPC's own
# parse refuses it, in coroutine mode the server's): a call the server
# failed, logged as such in each mode.
NOT_UTF8_GET_ACCOUNT = b"\x0a\x02\xff\xfe"
UNPARSEABLE = {"thread": "",
               "coroutine": "the request is not a valid ledger.v1.GetAccountRequest (protobuf "
                            "cannot parse it; string fields must be UTF-8)"}
WARNINGS = ("WARNING: TLS is off: ", "WARNING: authentication is off: ")


class Args:
    server = None


def server_command(*flags):
    return [Args.server, "--host=127.0.0.1", *flags]


def fail_a_call_in_each_mode(server):
    """The code and message each mode answered, by mode."""
    import grpc
    answers = {}
    for mode in ("coroutine", "thread"):
        with grpc.insecure_channel(server.address(mode)) as channel:
            with unittest.TestCase().assertRaises(grpc.RpcError) as raised:
                channel.unary_unary("/ledger.v1.Ledger/GetAccount")(NOT_UTF8_GET_ACCOUNT,
                                                                     timeout=10)
        answers[mode] = (raised.exception.code().name, raised.exception.details())
    return answers


def expected_answers():
    return {mode: ("INTERNAL", message) for mode, message in UNPARSEABLE.items()}


class JsonFormatTest(unittest.TestCase):
    def test_every_line_of_a_run_is_a_json_object_and_a_failed_call_has_its_fields(self):
        server = LedgerServer(Args.server, ["--log_format=json"])
        try:
            self.assertEqual(fail_a_call_in_each_mode(server), expected_answers())
        finally:
            self.assertTrue(server.stop(), "ledger-server did not stop cleanly")
        lines = [json.loads(line) for line in server.log_lines]
        for line in lines:
            self.assertTrue({"ts", "level", "logger", "msg"} <= line.keys(), line)
            self.assertRegex(line["ts"], f"^{TIMESTAMP}$")
            self.assertIn(line["level"], ("debug", "info", "warning", "error"))
            self.assertEqual(line["logger"], "ledger-server")
        messages = [line["msg"] for line in lines]
        self.assertTrue(any(m.startswith("coroutine mode listening on ") for m in messages))
        self.assertEqual(messages[-1], "stopped")
        self.assertEqual([line["level"] for line in lines if line["msg"].startswith(WARNINGS)],
                         ["warning", "warning"])

        failed = [line for line in lines if "method" in line]
        self.assertEqual([line["mode"] for line in failed], ["coroutine", "thread"], failed)
        for line in failed:
            mode = line["mode"]
            self.assertEqual(
                {key: line[key] for key in ("level", "method", "code", "status_message", "detail")},
                {"level": "error", "method": "/ledger.v1.Ledger/GetAccount", "code": "INTERNAL",
                 "status_message": UNPARSEABLE[mode], "detail": ""})
            self.assertRegex(line["peer"], r"^ipv4:127\.0\.0\.1:\d+$")
            self.assertIsInstance(line["duration_ms"], float)
            self.assertTrue(line["msg"].startswith(
                f"failed call: method=/ledger.v1.Ledger/GetAccount code=INTERNAL mode={mode} "),
                line["msg"])


class TextFormatTest(unittest.TestCase):
    def test_the_default_lines_are_time_name_and_message(self):
        server = LedgerServer(Args.server)
        try:
            self.assertEqual(fail_a_call_in_each_mode(server), expected_answers())
        finally:
            self.assertTrue(server.stop(), "ledger-server did not stop cleanly")
        for line in server.log_lines:
            self.assertRegex(line, TEXT_LINE)
        for mode in ("coroutine", "thread"):
            self.assertEqual(
                sum(" ledger-server: failed call: method=/ledger.v1.Ledger/GetAccount "
                    f"code=INTERNAL mode={mode} " in line for line in server.log_lines), 1)


def free_port():
    # Freed again at once: the server takes it a moment later.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LevelTest(unittest.TestCase):
    def test_warn_keeps_the_warnings_and_hides_the_start_up_lines(self):
        # With the start-up lines hidden, the ports are chosen here.
        port = free_port()
        flags = [f"--port={port}", f"--thread_port={free_port()}",
                 f"--metrics_port={free_port()}", "--log_level=warn"]
        with tempfile.TemporaryFile("w+") as log:
            process = subprocess.Popen(server_command(*flags), stderr=log)
            try:
                deadline = time.monotonic() + 20
                while health_status(f"127.0.0.1:{port}", timeout=1) != "SERVING":
                    self.assertIsNone(process.poll(), "ledger-server exited")
                    self.assertLess(time.monotonic(), deadline, "ledger-server never served")
                    time.sleep(0.1)
            finally:
                process.send_signal(signal.SIGTERM)
                self.assertEqual(process.wait(30), 0)
            log.seek(0)
            lines = log.readlines()
        sys.stderr.writelines("[server] " + line for line in lines)
        self.assertEqual(len(lines), 2, lines)
        for line, warning in zip(lines, WARNINGS):
            self.assertRegex(line, TEXT_LINE)
            self.assertIn(f" ledger-server: {warning}", line)

    def test_an_unknown_level_or_format_is_refused_naming_the_choices(self):
        for flag, refusal in (
                ("--log_level=loud", "--log_level=loud is not one of debug, info, warn, error"),
                ("--log_format=xml", "--log_format=xml is not one of text, json")):
            with self.subTest(flag=flag):
                run = subprocess.run(server_command("--port=0", flag), capture_output=True,
                                     text=True, timeout=30)
                self.assertEqual(run.returncode, 2)
                self.assertRegex(run.stderr,
                                 rf"^{TIMESTAMP} ledger-server: invalid flag: {re.escape(refusal)}\n$")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--proto_root", required=True)
    args, rest = parser.parse_known_args()
    Args.server = args.server
    generate_stubs(args.proto_root, tempfile.mkdtemp(prefix="server-log-stubs-"))
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
