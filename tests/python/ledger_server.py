"""The real ledger-server for the Python tests, started as a user would start it:
a child process on free loopback ports, which it names in its startup lines.
"""
import re
import signal
import subprocess
import sys
import threading

MODES = ("coroutine", "thread")
MODE_LINE = re.compile(r"(coroutine|thread) mode listening on \S*:(\d+)")
METRICS_LINE = re.compile(r"metrics listening on http://\S*:(\d+)/metrics")


# Where Debian's grpc-proto (deploy/install-deps.sh) puts gRPC's own protos,
# the health protocol's among them; proto/CMakeLists.txt compiles it from there.
GRPC_PROTO_ROOT = "/usr/share/grpc-proto"


def generate_stubs(proto_root, out_dir):
    """Generates the Python stubs of ledger/v1/ledger.proto (under proto_root)
    and of the health protocol (under GRPC_PROTO_ROOT) into out_dir and makes
    them importable (`from ledger.v1 import ledger_pb2, ledger_pb2_grpc`;
    `import health_pb2, health_pb2_grpc`: top-level, since a `grpc.health`
    package would hide behind grpcio's own `grpc`)."""
    for include, proto in ((proto_root, "ledger/v1/ledger.proto"),
                           (f"{GRPC_PROTO_ROOT}/grpc/health/v1", "health.proto")):
        subprocess.run(
            ["protoc", f"-I{include}", f"--python_out={out_dir}",
             f"--grpc_python_out={out_dir}",
             "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", proto],
            check=True)
    sys.path.insert(0, out_dir)


def health_status(address, timeout=5):
    """The server's health (grpc.health.v1, service ""), by name: "SERVING",
    "NOT_SERVING", or the gRPC code's name when the check itself fails."""
    import grpc
    import health_pb2
    import health_pb2_grpc
    with grpc.insecure_channel(address) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError as error:
            return error.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


class LedgerServer:
    """ledger-server in both modes on one store, or in the one mode of `modes`.
    `ports` maps each mode to its gRPC port and `metrics_port` is where /metrics is
    served. Every port is 0 on the command line, so parallel tests never collide;
    the real ones come from the log, whose lines `log_lines` keeps; `on_log_line`,
    if given, sees each line as it comes (on another thread), start-up included.
    """

    def __init__(self, binary, extra_flags=(), startup_timeout=20, modes=MODES, env=None,
                 on_log_line=None):
        # `binary` is a path, or the command that runs the server (a list).
        command = list(binary) if isinstance(binary, (list, tuple)) else [binary]
        self.modes = tuple(modes)
        mode = "both" if set(self.modes) == set(MODES) else self.modes[0]
        self.process = subprocess.Popen(
            [*command, "--host=127.0.0.1", "--port=0", "--thread_port=0", "--metrics_port=0",
             f"--mode={mode}", *extra_flags],
            stderr=subprocess.PIPE, text=True, env=env)
        self.ports = {}
        self.metrics_port = None
        self.log_lines = []
        self.on_log_line = on_log_line
        started = threading.Event()
        self.reader = threading.Thread(target=self._forward_log, args=(started,), daemon=True)
        self.reader.start()
        if not started.wait(startup_timeout) or not self._started():
            self.kill()
            raise RuntimeError(
                f"ledger-server did not say within {startup_timeout} s where each mode and its "
                "metrics listen")

    def _started(self):
        return set(self.ports) == set(self.modes) and self.metrics_port is not None

    def address(self, mode):
        return f"127.0.0.1:{self.ports[mode]}"

    def _forward_log(self, started):
        # The server's log goes on to ours, so a failing test shows what it said.
        for line in self.process.stderr:
            sys.stderr.write("[server] " + line)
            self.log_lines.append(line)
            if self.on_log_line:
                self.on_log_line(line)
            if match := MODE_LINE.search(line):
                self.ports[match.group(1)] = int(match.group(2))
            elif match := METRICS_LINE.search(line):
                self.metrics_port = int(match.group(1))
            if self._started():
                started.set()
        started.set()  # It exited: nothing more will come, stop waiting.

    def resident_bytes(self):
        """The server's resident memory now (VmRSS), in bytes."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc/<pid>/status")

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        """Stops it with SIGTERM, as an operator would; True if it exited 0, as it must."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            print("ledger-server did not exit within 30 s of SIGTERM", file=sys.stderr)
            return False
        finally:
            self.reader.join(5)
            if not self.reader.is_alive():
                self.process.stderr.close()
        if code != 0:
            print(f"ledger-server exited with {code} on SIGTERM, expected 0", file=sys.stderr)
        return code == 0


class Servers:
    """The servers a test program starts, each stopped when the `with` block
    ends, however it ends; `stopped_cleanly` then says whether every one
    exited 0 on SIGTERM, as it must."""

    def __init__(self):
        self.started = []
        self.stopped_cleanly = True

    def start(self, *args, **kwargs):
        server = LedgerServer(*args, **kwargs)
        self.started.append(server)
        return server

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        for server in self.started:
            self.stopped_cleanly = server.stop() and self.stopped_cleanly
