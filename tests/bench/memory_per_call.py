#!/usr/bin/python3
"""Resident memory per waiting call, in each mode of ledger-server.

Each round starts one server per mode in turn (alternating, so a drift of the
machine touches both alike), opens the connections and warms them, reads the
server's VmRSS, then starts CALLS GetAccount calls that each wait in the
embedded store for a minute (--store_latency=60s) and reads VmRSS again once
every call is in a handler (ledger_inflight_calls says so). --max_threads is
set above CALLS, so thread mode holds every call in a thread of its own rather
than refusing or queueing some. The difference over CALLS is what one waiting
call costs: in coroutine mode its coroutine frames and gRPC's state for the
call; in thread mode gRPC's state and a thread (its stack pages touched, its
thread-local caches).

A third server, the hand-written completion-queue baseline
(tests/bench/baseline/handwritten_cq_server.cc) with --hold_ms, holds each
GetAccount on a grpc::Alarm and nothing else: what gRPC itself keeps per
waiting call, the floor no serving layer avoids.

Each growth is split by where it lands, from /proc/<pid>/smaps at the same two
moments: malloc's heaps (the main heap and glibc's per-thread arenas), thread
stacks (the mappings the threads' stack pointers are in), and the rest. With
gdb at hand, malloc_info() read from the stopped server also gives the bytes
malloc handed out (its chunks: what was asked, rounded up, with headers),
beside what became resident. And a separate server lists, with a gdb
breakpoint on the frame allocator, every coroutine frame a waiting GetAccount
holds and its size.

Prints each round, then per server the median and range over the rounds, and
the ratio of the medians. Not a test: the figures depend on the machine, the
allocator and gRPC's version; `make bench-memory` runs it.
"""
import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ledger_server import LedgerServer, generate_stubs  # noqa: E402

MODES = ("coroutine", "thread")
ARENA_ALIGNMENT = 64 << 20  # glibc's HEAP_MAX_SIZE on 64-bit: arenas start aligned to it
PARTS = ("heap", "stacks", "other")


class WithoutServerLog:
    """stderr without the server's forwarded log lines, which would bury the
    table; everything else still shows."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if not text.startswith("[server] "):
            self.stream.write(text)

    def flush(self):
        self.stream.flush()


def gauge(server, name, mode=None):
    """A gauge of /metrics: the mode's, or with `mode` None the process's."""
    url = f"http://127.0.0.1:{server.metrics_port}/metrics"
    series = f'{name}{{mode="{mode}"}} ' if mode else f"{name} "
    with urllib.request.urlopen(url, timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(series):
                return float(line.split()[1])
    raise RuntimeError(f"no {series.strip()} on /metrics")


def stack_pointers(pid):
    """Each thread's stack pointer, from /proc/<pid>/task/*/syscall (a thread
    blocked in a system call, as every idle server thread is)."""
    pointers = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = open(f"/proc/{pid}/task/{tid}/syscall").read().split()
        except OSError:
            continue
        if len(fields) >= 9:
            pointers.append(int(fields[7], 16))
    return pointers


def resident_parts(pid):
    """Resident bytes by where they are: malloc's heaps ([heap] and the
    64 MiB-aligned arenas of other threads), thread stacks, and the rest
    (file mappings, large allocations malloc maps one by one, gRPC's own)."""
    pointers = stack_pointers(pid)
    parts = dict.fromkeys(PARTS, 0)
    vma = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                path = fields[5] if len(fields) > 5 else ""
                if path == "[stack]" or any(start <= sp < end for sp in pointers):
                    vma = "stacks"
                elif path == "[heap]" or (not path and start % ARENA_ALIGNMENT == 0):
                    vma = "heap"
                else:
                    vma = "other"
            elif fields[0] == "Rss:":
                parts[vma] += int(fields[1]) * 1024
    return parts


def malloc_in_use(pid, gdb):
    """Bytes malloc has handed out and not taken back (arena chunks in use,
    with their headers, plus chunks it mapped one by one), read with
    malloc_info() from the server stopped under gdb; None without gdb."""
    if not gdb:
        return None
    with tempfile.NamedTemporaryFile(suffix=".xml") as xml:
        subprocess.run(
            [gdb, "-batch", "-p", str(pid), "-ex", f'call (void*)fopen("{xml.name}", "w")',
             "-ex", "call (int)malloc_info(0, $1)", "-ex", "call (int)fclose($1)"],
            check=True, capture_output=True, timeout=120)
        text = open(xml.name).read()
    # The totals after the last arena: free chunks (fast bins, and the rest with
    # each arena's top), chunks mapped one by one, and what the arenas hold.
    totals = text[text.rindex("</heap>"):]
    size = {f"{tag} {kind}": int(value) for tag, kind, value in
            re.findall(r'<(total|system) type="(\w+)"(?: count="\d+")? size="(\d+)"', totals)}
    return (size["system current"] - size["total fast"] - size["total rest"] +
            size["total mmap"])


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_count(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def wait_until_idle(pid, quiet_seconds=1.5, limit=60):
    """Waits until the server has used no CPU for quiet_seconds: the baseline
    has no metric of its calls, but once every call is held it does nothing."""
    deadline = time.monotonic() + limit
    last, since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() - since < quiet_seconds:
        if time.monotonic() > deadline:
            raise RuntimeError("the baseline never went idle")
        time.sleep(0.25)
        now = cpu_ticks(pid)
        if now != last:
            last, since = now, time.monotonic()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Baseline:
    """handwritten_cq_server holding every unary call for --hold_ms."""

    def __init__(self, binary, threads):
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, f"--port={self.port}", f"--threads={threads}", "--hold_ms=600000"],
            stderr=subprocess.DEVNULL)

    def address(self, _mode=None):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        # Its held calls would keep a graceful shutdown waiting for their alarms.
        self.process.kill()
        self.process.wait()


def snapshot(pid, gdb):
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    return {"rss": rss, **resident_parts(pid), "malloc": malloc_in_use(pid, gdb)}


def one_round(args, grpc, pb, pbg, server_kind, gdb):
    """Per waiting call: KiB of resident growth and its parts; and the threads."""
    if server_kind == "baseline":
        server = Baseline(args.baseline, args.threads)
        pid = server.process.pid
    else:
        mode, _, arena_max = server_kind.partition(" ")
        env = dict(os.environ)
        if arena_max:
            env["MALLOC_ARENA_MAX"] = arena_max.split("=")[1]
        server = LedgerServer(args.server, ["--store_latency=60s", f"--threads={args.threads}",
                                            f"--max_threads={args.calls + 64}"],
                              modes=(mode,), env=env)
        pid = server.process.pid
    try:
        options = [("grpc.use_local_subchannel_pool", 1)]
        channels = [grpc.insecure_channel(server.address(mode if server_kind != "baseline"
                                                         else None), options=options)
                    for _ in range(args.connections)]
        stubs = [pbg.LedgerStub(channel) for channel in channels]
        for channel in channels:
            grpc.channel_ready_future(channel).result(timeout=10)
        time.sleep(1)
        before = snapshot(pid, gdb)
        frame_bytes_before = (0 if server_kind == "baseline"
                              else gauge(server, "ledger_coroutine_frame_bytes"))
        waiting = [stubs[i % len(stubs)].GetAccount.future(
            pb.GetAccountRequest(id="waiting"), timeout=300) for i in range(args.calls)]
        if server_kind == "baseline":
            time.sleep(2)
            wait_until_idle(pid)
        else:
            deadline = time.monotonic() + 60
            while gauge(server, "ledger_inflight_calls", mode) < args.calls:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{mode} mode never held {args.calls} calls at once")
                time.sleep(0.1)
            time.sleep(1)  # lets the last handlers touch what they touch
        for call in waiting:
            if call.done():
                raise RuntimeError(f"{server_kind}: a call ended early: {call.exception()}")
        after = snapshot(pid, gdb)
        frame_bytes = (0 if server_kind == "baseline"
                       else gauge(server, "ledger_coroutine_frame_bytes") - frame_bytes_before)
        threads = thread_count(pid)
        for call in waiting:
            call.cancel()
        for channel in channels:
            channel.close()
        per_call = {key: (after[key] - before[key]) / args.calls / 1024
                    for key in before if before[key] is not None}
        per_call["frames"] = frame_bytes / args.calls / 1024
        return per_call, threads
    finally:
        server.stop()


def frame_sizes(args, grpc, pb, pbg, gdb):
    """Every coroutine frame allocated while one GetAccount comes to wait in
    coroutine mode, by the function that allocated it, from a gdb breakpoint
    on the frame allocator (coro/frame_counter.cc)."""
    server = LedgerServer(args.server, ["--store_latency=60s", f"--threads={args.threads}"],
                          modes=("coroutine",))
    script = tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False)
    script.write("set pagination off\n"
                 "break coro::detail::CountedFrame::operator new\n"
                 "commands\nsilent\nprintf \"FRAME %lu\\n\", $rdi\nbt 2\ncontinue\nend\n"
                 "continue\ndetach\nquit\n")
    script.close()
    try:
        channel = grpc.insecure_channel(server.address("coroutine"))
        grpc.channel_ready_future(channel).result(timeout=10)
        debugger = subprocess.Popen([gdb, "-batch", "-p", str(server.process.pid), "-x",
                                     script.name], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        time.sleep(5)  # gdb reads the symbols of every library first
        frame_bytes_before = gauge(server, "ledger_coroutine_frame_bytes")
        call = pbg.LedgerStub(channel).GetAccount.future(pb.GetAccountRequest(id="waiting"),
                                                         timeout=300)
        deadline = time.monotonic() + 30
        while gauge(server, "ledger_inflight_calls", "coroutine") < 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the call never reached its handler")
            time.sleep(0.1)
        time.sleep(1)
        held = gauge(server, "ledger_coroutine_frame_bytes") - frame_bytes_before
        debugger.send_signal(2)  # gdb stops the server, then detaches as told
        output = debugger.communicate(timeout=60)[0]
        call.cancel()
        channel.close()
    finally:
        os.unlink(script.name)
        server.stop()
    # The interrupt itself may end the call (and allocate its Finish frame):
    # what the waiting call holds is the first frames, as many as the frame
    # gauge grew by.
    frames, total = [], 0
    for size, caller in re.findall(r"FRAME (\d+)\n#0 [^\n]*\n#1 +0x[0-9a-f]+ in ([^\n]*)", output):
        if total >= held:
            break
        frames.append((int(size), short_name(caller)))
        total += int(size)
    if total != held:
        raise RuntimeError(f"gdb saw {total} B of frames, the gauge {held:.0f} B:\n{output}")
    return frames


def short_name(caller):
    """A readable name for the coroutine whose ramp allocated a frame, from
    the caller gdb shows (a ramp inlined into another coroutine shows as that
    one's body, `.actor`)."""
    if "AcceptAndServe" in caller:
        if ".actor" in caller:
            return "the handler coroutine AcceptAndServe starts (Admitted's lambda, inlined there)"
        return "coro::detail::AcceptAndServe (the call's Detached frame: ServerCall and handler)"
    name = caller.replace("(anonymous namespace)", "")
    name = re.sub(r"\s*\(.*", "", name)
    return re.sub(r"^coro::Task<.*?> ", "", name)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--baseline", help="path of handwritten_cq_server (left out if not given)")
    parser.add_argument("--proto_root", required=True, help="the repository's proto/ folder")
    parser.add_argument("--calls", type=int, default=2000, help="calls waiting at once")
    parser.add_argument("--connections", type=int, default=20, help="connections they share")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each server once per round")
    parser.add_argument("--threads", type=int, default=2,
                        help="completion-queue threads of coroutine mode and the baseline")
    parser.add_argument("--arena_max", type=int, default=0,
                        help="also thread mode with MALLOC_ARENA_MAX set to this (0: not run)")
    parser.add_argument("--servers", default="coroutine,thread,baseline",
                        help="which to run, of coroutine, thread and baseline (with --baseline)")
    parser.add_argument("--no_gdb", action="store_true",
                        help="leave out malloc_info and the frame listing, which need gdb")
    args = parser.parse_args()
    sys.stderr = WithoutServerLog(sys.stderr)
    gdb = None if args.no_gdb else shutil.which("gdb")
    wanted = args.servers.split(",")
    kinds = [mode for mode in MODES if mode in wanted]
    if args.arena_max:
        kinds.append(f"thread MALLOC_ARENA_MAX={args.arena_max}")
    if args.baseline and "baseline" in wanted:
        kinds.append("baseline")

    with tempfile.TemporaryDirectory() as stubs:
        generate_stubs(args.proto_root, stubs)
        import grpc
        from ledger.v1 import ledger_pb2, ledger_pb2_grpc
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                    if line.startswith("model name")), platform.machine())
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs "
              f"({cpu}), load average {os.getloadavg()[0]:.1f}; {args.calls} GetAccount calls "
              f"waiting in the embedded store over {args.connections} connections, "
              f"{args.rounds} rounds")
        print(f"# {' '.join(sys.argv)}")
        if gdb and "coroutine" in kinds:
            frames = frame_sizes(args, grpc, ledger_pb2, ledger_pb2_grpc, gdb)
            print("\nCoroutine frames allocated as one GetAccount comes to wait (coroutine mode):")
            for size, name in frames:
                print(f"  {size:5d} B  {name}")
            print(f"  {sum(size for size, _ in frames):5d} B  in {len(frames)} frames, as "
                  "ledger_coroutine_frame_bytes grew (the Detached frame allocated is the next "
                  "call's accept, the same size as this call's)")
        print()
        results = {kind: [] for kind in kinds}
        for round_number in range(1, args.rounds + 1):
            for kind in kinds:
                per_call, threads = one_round(args, grpc, ledger_pb2, ledger_pb2_grpc, kind, gdb)
                results[kind].append(per_call)
                heap_note = (f", malloc in use {per_call['malloc']:.1f}" if "malloc" in per_call
                             else "")
                print(f"round {round_number}: {kind:9} {per_call['rss']:6.1f} KiB per waiting "
                      f"call: heap {per_call['heap']:.1f}, stacks {per_call['stacks']:.1f}, "
                      f"other {per_call['other']:.1f}{heap_note}, coroutine frames "
                      f"{per_call['frames']:.2f} ({threads} threads)", flush=True)
        print()
        columns = ["rss", "heap", "stacks", "other", "malloc", "frames"]
        titles = {"rss": "resident", "heap": "of it malloc heaps", "stacks": "thread stacks",
                  "other": "other", "malloc": "malloc handed out",
                  "frames": "of that, coroutine frames"}
        columns = [c for c in columns if c in results[kinds[0]][0]]
        print("KiB per waiting call, median of the rounds (range of the resident figure):")
        print("| server | " + " | ".join(titles[c] for c in columns) + " | range |")
        print("|---|" + "---:|" * len(columns) + "---|")
        medians = {}
        for kind in kinds:
            medians[kind] = {c: statistics.median(r[c] for r in results[kind]) for c in columns}
            rss = [r["rss"] for r in results[kind]]
            print(f"| {kind} | " + " | ".join(f"{medians[kind][c]:.1f}" for c in columns) +
                  f" | {min(rss):.1f} to {max(rss):.1f} |")
        if "coroutine" in medians and "thread" in medians:
            print(f"\ncoroutine mode / thread mode: "
                  f"{medians['coroutine']['rss'] / medians['thread']['rss']:.2f}")
        if "baseline" in medians and "thread" in medians:
            print(f"baseline (gRPC's floor) / thread mode: "
                  f"{medians['baseline']['rss'] / medians['thread']['rss']:.2f}")


if __name__ == "__main__":
    main()
