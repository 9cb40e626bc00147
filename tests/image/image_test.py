#!/usr/bin/python3
"""`make image-test`: the Dockerfile built and run for real, without a daemon.

1. Base images, made once and then reused: `debootstrap --variant=minbase
   bookworm` into a tarball kept in $LEDGER_IMAGE_CACHE (default
   /var/cache/ledger-image, survives between runs), imported with podman as
   docker.io/library/debian:bookworm and :bookworm-slim. No image registry is
   reachable here, so both tags are the SAME minbase tarball: the slim tag is
   only a name the Dockerfile's runtime stage asks for. The imported images
   live in containers storage of the test's own ($LEDGER_IMAGE_CACHE/containers,
   vfs) and are reused too; podman's and buildah's default storage, which
   another use of podman on the machine may have set up with another driver,
   is never touched.
2. `buildah bud --isolation chroot --pull=never -t ledger:<version> .`, the
   project's version (CMakeLists.txt), the tag deploy/k8s runs (the build
   stage compiles the project from scratch, no ccache; its time is printed).
3. ledger-server started from the image with its own entrypoint and user
   (`buildah run`), on free loopback ports; from outside: health SERVING on both
   ports, ledger calls with exact balances, /metrics counts, SIGTERM -> exit 0.
4. Non-root user, no compiler or -dev package in the image, its size printed.
5. The working containers it made are removed, on failure too.

Run as root from the checkout:  tests/image/image_test.py
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import grpc

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tests", "python"))
from ledger_server import GRPC_PROTO_ROOT, MODES, LedgerServer, generate_stubs  # noqa: E402
from project_version import project_version  # noqa: E402

CACHE = os.environ.get("LEDGER_IMAGE_CACHE", "/var/cache/ledger-image")
IMAGE = f"localhost/ledger:{project_version(SOURCE)}"
BASE_TAGS = ("docker.io/library/debian:bookworm", "docker.io/library/debian:bookworm-slim")
# The same storage for both tools, so buildah builds from what podman imported.
STORAGE = ["--storage-driver", "vfs", "--root", os.path.join(CACHE, "containers", "root"),
           "--runroot", os.path.join(CACHE, "containers", "run")]
BUILDAH = ["buildah", *STORAGE]
PODMAN = ["podman", *STORAGE]


def log(message):
    print(f"image-test: {message}", file=sys.stderr, flush=True)


def run(*command, **kwargs):
    kwargs.setdefault("check", True)
    return subprocess.run(list(command), **kwargs)


def output(*command):
    return run(*command, stdout=subprocess.PIPE, text=True).stdout


def ensure_tools():
    missing = [package for tool, package in
               (("debootstrap", "debootstrap"), ("buildah", "buildah"), ("podman", "podman"))
               if shutil.which(tool) is None]
    if missing:
        log(f"installing {' '.join(missing)}")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run("apt-get", "update", "-q", env=env)
        run("apt-get", "install", "-y", "-q", "--no-install-recommends", *missing, env=env)


def clean_like_docker_hub(rootfs):
    """What Docker Hub's debian images add to a debootstrap: apt keeps no .deb
    and no cache, so `apt-get install` in a Dockerfile leaves nothing behind
    (the runtime stage counts on it; without this it carries ~100 MB of .debs)."""
    run("sh", "-c", 'rm -rf "$0"/var/cache/apt/archives/*.deb "$0"/var/cache/apt/*.bin '
        '"$0"/var/lib/apt/lists/*', rootfs)
    clean = ('"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
             '/var/cache/apt/*.bin || true"')
    with open(os.path.join(rootfs, "etc/apt/apt.conf.d/docker-clean"), "w") as conf:
        conf.write(f"DPkg::Post-Invoke {{ {clean}; }};\nAPT::Update::Post-Invoke {{ {clean}; }};\n"
                   'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n')


def ensure_base_images():
    tarball = os.path.join(CACHE, "debian-bookworm-minbase.tar")
    for tag in BASE_TAGS:
        if run(*PODMAN, "image", "exists", tag, check=False).returncode == 0:
            continue
        if not os.path.exists(tarball):
            log(f"debootstrap --variant=minbase bookworm (once; cached in {CACHE})")
            os.makedirs(CACHE, exist_ok=True)
            rootfs = tempfile.mkdtemp(dir=CACHE, prefix="rootfs.")
            try:
                run("debootstrap", "--variant=minbase", "bookworm", rootfs,
                    "http://deb.debian.org/debian")
                os.chmod(rootfs, 0o755)  # mkdtemp's 0700 would become the image's /
                clean_like_docker_hub(rootfs)
                run("tar", "--numeric-owner", "-C", rootfs, "-cf", tarball + ".part", ".")
                os.rename(tarball + ".part", tarball)
            finally:
                run("rm", "-rf", rootfs)
        log(f"podman import {tarball} {tag}")
        run(*PODMAN, "import", tarball, tag, stdout=subprocess.DEVNULL)


def build_image():
    run(*BUILDAH, "rmi", "-f", IMAGE, check=False, capture_output=True)  # vfs copies are big
    started = time.monotonic()
    run(*BUILDAH, "bud", "--isolation", "chroot", "--pull=never", "-t", IMAGE, SOURCE)
    return time.monotonic() - started


def image_config():
    return json.loads(output(*BUILDAH, "inspect", "--type", "image", IMAGE))["OCIv1"]["config"]


def in_container(container, *command):
    return output(*BUILDAH, "run", "--isolation", "chroot", container, "--", *command)


def check_contents(container, config):
    user = config.get("User", "")
    uid = in_container(container, "id", "-u").strip()
    log(f"image User={user!r}, id -u inside: {uid}")
    assert user and user not in ("0", "root") and uid == user and uid != "0", (user, uid)

    packages = in_container(container, "dpkg-query", "-W", "-f=${Package}\\n").split()
    build_tools = {"gcc", "g++", "cpp", "clang", "binutils", "make", "cmake", "ninja-build"}
    bad = sorted(p for p in packages if p.endswith("-dev") or p in build_tools
                 or re.fullmatch(r"(gcc|g\+\+|cpp)-\d+", p))
    assert not bad, f"build packages in the runtime image: {bad}"
    compilers = in_container(container, "sh", "-c",
                             "for c in cc c++ gcc g++ clang; do command -v $c; done; true")
    assert not compilers.strip(), f"compilers in the runtime image: {compilers}"
    log(f"{len(packages)} packages, none of them a compiler or -dev")


class ImageServer(LedgerServer):
    """ledger-server as the image starts it: its Entrypoint, as its User."""

    def __init__(self, container, entrypoint, timeout=30):
        command = [*BUILDAH, "run", "--isolation", "chroot", container, "--", *entrypoint]
        log("starting: " + " ".join(command))
        super().__init__(command, startup_timeout=timeout)

    def server_pids(self):
        # chroot isolation shares the host's PID namespace: the server is a
        # descendant of `buildah run`.
        pids, frontier = [], [self.process.pid]
        while frontier:
            children = run("ps", "-o", "pid=", "--ppid", ",".join(map(str, frontier)),
                           stdout=subprocess.PIPE, text=True, check=False).stdout
            frontier = [int(pid) for pid in children.split()]
            pids += frontier
        return [pid for pid in pids if os.path.exists(f"/proc/{pid}/exe")
                and os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "ledger-server"]

    def stop(self):
        """SIGTERM to ledger-server itself, not to `buildah run`: buildah does not
        pass signals on (it SIGKILLs its child and exits 1); it does pass on the
        server's exit code."""
        try:
            pids = self.server_pids()
            assert len(pids) == 1, f"ledger-server processes under buildah run: {pids}"
            os.kill(pids[0], signal.SIGTERM)
            return self.process.wait(30)
        finally:
            self.kill()
            self.reader.join(5)

    def kill(self):
        if self.process.poll() is None:
            for pid in self.server_pids():
                os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait()


def check_server(server, stubs):
    # The health stubs are generated as grpc/health/v1/ under `stubs`; Debian's
    # python3-grpcio lacks grpc.health, so the grpc package is told to look there.
    grpc.__path__.append(os.path.join(stubs, "grpc"))
    from grpc.health.v1 import health_pb2, health_pb2_grpc
    from ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc

    stub = {}
    for mode in MODES:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.ports[mode]}")
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                           timeout=10).status
        assert status == health_pb2.HealthCheckResponse.SERVING, (mode, status)
        stub[mode] = ledger_pb2_grpc.LedgerStub(channel)
    log("health: SERVING on both ports")

    def balance(mode, account):
        return stub[mode].GetAccount(pb.GetAccountRequest(id=account), timeout=10).balance

    def transfer(mode, source, target, amount):
        return stub[mode].Transfer(pb.TransferRequest(
            request_id=str(uuid.uuid4()), from_id=source, to_id=target, amount=amount),
            timeout=10)

    coro, thread = MODES  # one store behind both ports
    stub[coro].OpenAccount(pb.OpenAccountRequest(id="alice", initial_balance=10_000), timeout=10)
    stub[coro].OpenAccount(pb.OpenAccountRequest(id="bob"), timeout=10)
    receipt = transfer(coro, "alice", "bob", 2_500)
    assert (receipt.from_balance, receipt.to_balance) == (7_500, 2_500), receipt
    assert (balance(coro, "alice"), balance(coro, "bob")) == (7_500, 2_500)
    transfer(thread, "bob", "alice", 500)
    try:
        transfer(thread, "bob", "alice", 1_000_000)
        raise AssertionError("an overdraft went through")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error
    assert (balance(thread, "alice"), balance(thread, "bob")) == (8_000, 2_000)
    log("ledger calls: balances exact on both ports")

    scrape = urllib.request.urlopen(
        f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10).read().decode()
    handled = {}
    for line in scrape.splitlines():
        if line.startswith("grpc_server_handled_total{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            key = (labels["mode"], labels["grpc_method"], labels["grpc_code"])
            handled[key] = float(line.rsplit(" ", 1)[1])
    expected = {(coro, "OpenAccount", "OK"): 2, (coro, "Transfer", "OK"): 1,
                (coro, "GetAccount", "OK"): 2, (thread, "Transfer", "OK"): 1,
                (thread, "Transfer", "FailedPrecondition"): 1, (thread, "GetAccount", "OK"): 2}
    nonzero = {key: value for key, value in handled.items() if value}
    assert nonzero == expected, f"grpc_server_handled_total: {nonzero}, expected {expected}"
    log("metrics: grpc_server_handled_total counts every call")


def main():
    if os.geteuid() != 0:
        sys.exit("image-test: run as root (buildah and podman with vfs storage)")
    started = time.monotonic()
    ensure_tools()
    ensure_base_images()
    log(f"base images ready after {time.monotonic() - started:.0f} s")
    build_seconds = build_image()
    log(f"buildah bud took {build_seconds:.0f} s")

    stubs = tempfile.mkdtemp(prefix="ledger-image-stubs.")
    proto = os.path.join(SOURCE, "proto")
    generate_stubs(proto, stubs)
    run("protoc", f"-I{GRPC_PROTO_ROOT}", f"--python_out={stubs}", f"--grpc_python_out={stubs}",
        "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
        "grpc/health/v1/health.proto")

    containers = []
    try:
        config = image_config()
        log(f"image Entrypoint={config.get('Entrypoint')} User={config.get('User')!r}")
        for _ in range(2):  # one for the server, one to look inside
            containers.append(output(*BUILDAH, "from", "--pull=never", IMAGE).strip())
        check_contents(containers[1], config)
        server = ImageServer(containers[0], config["Entrypoint"])
        try:
            check_server(server, stubs)
        finally:
            code = server.stop()
        assert code == 0, f"ledger-server exited with {code} on SIGTERM, expected 0"
        log("SIGTERM: ledger-server exited 0")
    finally:
        for container in containers:
            run(*BUILDAH, "rm", container, check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(stubs, ignore_errors=True)
    size = output(*BUILDAH, "images", "--format", "{{.Name}}:{{.Tag}} {{.Size}}", IMAGE)
    log(f"image size: {size.strip()}")
    log(f"passed in {time.monotonic() - started:.0f} s (build {build_seconds:.0f} s)")


if __name__ == "__main__":
    main()
