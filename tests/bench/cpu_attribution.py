#!/usr/bin/python3
"""Where a server's CPU per call goes: perf samples of ledger-server (each
mode) and of the hand-written baseline under the load of `make bench-cpu`,
split into named pieces. --help lists the settings.

Each server runs alone, pinned to core 0 (ledger-load to core 1) when there
are two cores, as in tests/bench/cpu_per_call.py. Once ledger-load's window
opens, `perf record` samples the server's threads (software cpu-clock event,
which works where hardware counters do not, as in most VMs and containers)
for the window, while the server's utime+stime is read from /proc at both
ends. A piece's µs per call is its share of the samples times the server's
CPU per call over that window (CPU seconds / calls ledger-load completed).

The pieces are listed in PIECES below, each with the symbol, library or
thread patterns that define it and why. A sample belongs to the first piece
in that list that matches it. Pieces of our own code that call into
libraries match on any frame of the sample's call chain (inclusive: the
library time they cause is theirs); the others match on the sampled frame
alone. Debian's gRPC and protobuf are built without frame pointers, so with
--call_graph=fp a chain often stops inside them and their time falls to the
library pieces; --call_graph=dwarf (the default) unwinds through them from
their unwind tables, at more cost to perf than to the server.

Debian's perf is the package linux-perf. Without it, or where the kernel
forbids sampling, the script says so and prints no table.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpu_per_call  # noqa: E402  (same servers, pinning, load and /proc reading)

# (name, how, pattern, why). how: "thread" matches the sampled thread's name,
# "any" any frame's function or library, "leaf" the sampled frame's.
# Patterns are regular expressions searched in "function (library)", where
# function is the symbol's qualified name without template arguments or
# parameter lists (so a lambda that takes an Authenticator is not
# authentication), e.g. "ledger::MemoryStore::GetAccount (/path/ledger-server)".
PIECES = [
    ("gRPC callback-API threads", "thread", r"^nexting_thread",
     "gRPC 1.51 on Linux serves its callback API from a process-wide queue "
     "whose threads ('nexting_thread') poll the server's sockets too; gRPC's "
     "default health service is written to that API"),
    ("metrics: call measures, Prometheus", "any",
     r"ledger::metrics::|prometheus::|libprometheus|libcivetweb",
     "grpc_server_* series counted by each mode's handler wrapper (CallMeasure, "
     "call_metrics.cc), the store and pool histograms, what they call"),
    ("gRPC interceptor machinery", "leaf", r"Interceptor|ServerRpcInfo",
     "gRPC's own instructions that run interceptors (ledger-server installs one, in thread "
     "mode only, for the calls gRPC answers itself); the batches they hold back and resume "
     "are counted where their work lands, mostly gRPC library"),
    ("authentication", "any", r"ledger::security::", "service/security: tokens, TLS identity"),
    ("cancellation watch (thread mode)", "any", r"CancellationWatch",
     "service/serving/cancellation_watch.cc"),
    ("logging", "any", r"ledger::log|FailedCallLog|gpr_log|absl::[^ ]*log_internal",
     "our log lines and gRPC's"),
    ("store timing, simulated I/O wait", "any",
     r"ledger::(TimedStore|SimulatedIoStore|AwaitAlarm|BlockThread)|grpc::Alarm",
     "the store-latency histogram, and the wait --store_latency simulates (none at "
     "0, as here: the store is called directly); gRPC's own work for it lands in "
     "gRPC library"),
    ("ledger rules and store", "any",
     r"ledger::(Ledger|LedgerRules|MemoryStore|Sha256|AuditDigest|ModeStores)|BaselineLedger",
     "service/ledger + the memory store (the baseline: its map, BaselineLedger)"),
    ("health and reflection calls", "any",
     r"grpc::health::|HealthService|HealthCheckService|ReflectionService|grpc::reflection",
     "the calls themselves (few under this load)"),
    ("serving layer, own code", "leaf",
     r"coro::|ledger::[^ ]*(Admitted|StartCoroutineHandlers"
     r"|ThreadHandlers|InflightLimit|CoroutineServer|ThreadServer|ParsedReads|Respond)"
     r"|UnaryCallData|UnimplementedCallData",
     "coro/ and the coroutine handlers, the thread handlers, the baseline's CallData: "
     "their own instructions (what they call is counted where it lands)"),
    ("malloc and free", "leaf",
     r"^(malloc|free|cfree|_int_malloc|_int_free|realloc|calloc|tcache\w*|malloc_consolidate"
     r"|operator new|operator delete|__libc_malloc|__libc_free)[^ ]* \(",
     "any caller's; coroutine frames are among them"),
    ("protobuf", "leaf", r"\(.*libprotobuf", "parsing and serializing messages"),
    ("gRPC library", "leaf", r"\(.*lib(grpc|gpr|upb|address_sorting|re2|absl|cares)",
     "gRPC core and C++ API, with the Abseil mutexes and time it uses"),
    ("kernel", "leaf", r"\(\[kernel", "syscalls: TCP send/receive, epoll, futex, scheduling"),
    ("other", "leaf", r"", "libc string functions, ld.so TLS look-ups, vdso clock, the rest"),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build_dir", default="build")
    parser.add_argument("--servers", default="hand-written,coroutine-layer,coroutine,thread",
                        help="which of cpu_per_call.py's servers to profile, in order")
    parser.add_argument("--server_binary", action="append", default=[], metavar="NAME=PATH",
                        help="another ledger-server build, profiled when --servers names "
                             "coroutine-NAME or thread-NAME (as in cpu_per_call.py)")
    parser.add_argument("--duration", type=int, default=8, help="sampled seconds per server")
    parser.add_argument("--warmup", type=int, default=2, help="unsampled seconds before it")
    parser.add_argument("--concurrency", type=int, default=1000, help="calls in flight")
    parser.add_argument("--connections", type=int, default=50, help="HTTP/2 connections")
    parser.add_argument("--mix", default="get:50,transfer:50", help="ledger-load --mix")
    parser.add_argument("--frequency", type=int, default=999, help="samples/s per busy thread")
    parser.add_argument("--call_graph", default="dwarf", choices=["dwarf", "fp"],
                        help="how perf unwinds the call chains (see above)")
    parser.add_argument("--top", type=int, default=3,
                        help="the most sampled symbols shown under each piece")
    args = parser.parse_args()
    args.rate = 0  # closed loop, for cpu_per_call's load_command
    return args


def perf_usable():
    """None if perf can sample a process here, else why not."""
    perf = shutil.which("perf")
    if perf is None:
        return "perf is not installed (Debian package linux-perf)"
    with tempfile.TemporaryDirectory() as scratch:
        probe = subprocess.run([perf, "record", "-F", "99", "-g", "-o",
                                os.path.join(scratch, "probe.data"), "--", "true"],
                               capture_output=True, text=True)
    if probe.returncode != 0:
        lines = [line for line in probe.stderr.splitlines() if line.strip()]
        return "perf cannot sample here: " + (lines[0] if lines else f"exit {probe.returncode}")
    return None


def call_graph_flags(mode):
    return ["--call-graph", "dwarf,16384"] if mode == "dwarf" else ["-g"]


def profile(args, name, server_argv, port, pin, data_path):
    """One server under load: perf samples over the window, CPU and calls in it."""
    load_argv = cpu_per_call.load_command(args, port, args.mix, pin)

    def sample(pid, seconds):
        threads = sorted(thread_names(pid).items())
        # perf on core 1 with the client: its own work never lands on the server's core.
        # Pinned, it samples core 0 and keeps the server's samples (samples()): one
        # buffer for the core, where -p would map one per thread, too many for the
        # kernel's limit on locked memory with thread mode's thread per call.
        target = ["-C", "0"] if pin else ["-p", str(pid)]
        perf = subprocess.run(
            cpu_per_call.pinned(1, ["perf", "record", "-q", "-F", str(args.frequency)]
                                + call_graph_flags(args.call_graph)
                                + target + ["-o", data_path, "--", "sleep",
                                            str(max(1.0, seconds))], pin),
            capture_output=True, text=True)
        if perf.returncode != 0:
            raise RuntimeError(f"{name}: perf record failed:\n{perf.stderr}")
        return {"threads": threads}

    run = cpu_per_call.measure(args, name, server_argv, load_argv, port, pin, during=sample)
    run["load_argv"] = load_argv
    return run


def thread_names(pid):
    names = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as comm:
                names[comm.read().strip()] += 1
        except OSError:
            pass  # the thread ended meanwhile
    return names


def samples(data_path, pid):
    """(thread name, period, [frame "function (library)", leaf first]) of each
    sample of process `pid`."""
    script = subprocess.run(["perf", "script", "-i", data_path, "--no-inline",
                             "-F", "comm,pid,tid,period,ip,sym,dso"],
                            capture_output=True, text=True, check=True).stdout
    for block in script.split("\n\n"):
        lines = block.strip("\n").splitlines()
        if not lines or lines[0].startswith((" ", "\t")):
            continue
        header = lines[0].split()
        comm, process, period = " ".join(header[:-2]), header[-2].split("/")[0], int(header[-1])
        if process != str(pid):
            continue
        frames = []
        for line in lines[1:]:
            # "    addr symbol+off (library)": drop the address.
            parts = line.strip().split(" ", 1)
            if len(parts) == 2 and parts[1].endswith(")") and " (" in parts[1]:
                symbol, library = parts[1][:-1].rsplit(" (", 1)
                frames.append(f"{function_name(symbol)} ({library})")
        yield comm, period, frames


def function_name(symbol):
    """The qualified name of a symbol, without template arguments or parameter
    lists ("Task<int> coro::X<T>::Y(int) const" -> "coro::X::Y"). perf leaves
    some (coroutine frames) mangled: their outer name is read from the mangling."""
    symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
    if symbol.startswith(("_ZN", "_ZZN")):
        names, rest = [], symbol[symbol.index("N") + 1:]
        while True:
            digits = re.match(r"\d+", rest)
            if not digits:
                break
            length = int(digits.group())
            rest = rest[digits.end():]
            names.append(rest[:length])
            rest = rest[length:]
        return "::".join(names) or symbol
    symbol = symbol.replace("(anonymous namespace)", "{anonymous}")
    symbol = re.sub(r"operator(\(\)|<<|>>|<=|>=|<|>|->)", "operator", symbol)
    kept, depth = [], 0
    for char in symbol:
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(char)
    name = re.sub(r"( const| volatile| noexcept| ?&&?)+$", "", "".join(kept).strip())
    # The return type, if any, stands before the name, separated by a space.
    name = name.replace("operator ", "operator~").split(" ")[-1].replace("operator~", "operator ")
    return name or symbol


def classify(comm, frames):
    leaf = frames[0] if frames else "[unknown] ([unknown])"
    for index, (_, how, pattern, _) in enumerate(PIECES):
        regex = COMPILED[index]
        if how == "thread" and regex.search(comm):
            return index, leaf
        if how == "any" and any(regex.search(frame) for frame in frames):
            return index, leaf
        if how == "leaf" and regex.search(leaf):
            return index, leaf
    return len(PIECES) - 1, leaf


COMPILED = [re.compile(pattern) for _, _, pattern, _ in PIECES]


def table(name, run, data_path, top):
    weight = collections.Counter()
    symbols = collections.defaultdict(collections.Counter)
    for comm, period, frames in samples(data_path, run["pid"]):
        piece, leaf = classify(comm, frames)
        weight[piece] += period
        symbols[piece][leaf[:100]] += period
    total = sum(weight.values())
    print(f"\n## {name}: {run['us_per_call']:.1f} µs server CPU per call ({run['calls']} calls, "
          f"{run['errors']} errors, {run['cpu_s']:.2f} CPU s), {total / 1e9:.2f} s sampled")
    print("threads   " + ", ".join(f"{thread} x{count}" for thread, count in run["threads"]))
    print(f"{'piece':38} {'share':>6} {'µs/call':>8}")
    for index, (piece, _, _, _) in enumerate(PIECES):
        if not weight[index]:
            continue
        share = weight[index] / total
        print(f"{piece:38} {share:6.1%} {share * run['us_per_call']:8.1f}")
        for symbol, count in symbols[index].most_common(top):
            print(f"{'':4}{count / total:6.1%}  {symbol}")
    return {PIECES[i][0]: weight[i] / total * run["us_per_call"] for i in weight}


def main():
    args = parse_args()
    print("# Where the server CPU per call goes: perf samples by piece")
    reason = perf_usable()
    if reason:
        print(f"skipped: {reason}; no table.")
        return
    cores = len(os.sched_getaffinity(0))
    pin = cores >= 2
    port = cpu_per_call.free_port()
    known = cpu_per_call.known_servers(args.build_dir, port, args.server_binary)
    wanted = [name for name in args.servers.split(",") if name]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        sys.exit(f"unknown server(s) {unknown}; known: {sorted(known)}")
    print(f"date      {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine   {os.cpu_count()} cores (nproc {cores}), {cpu_per_call.cpu_model()}")
    print("pinning   " + ("server on core 0, ledger-load and perf on core 1; perf samples "
                          "core 0 and keeps the server's samples" if pin
                          else "none (fewer than 2 cores)"))
    print(f"settings  {args.warmup}s warmup + {args.duration}s sampled at {args.frequency} Hz "
          f"(cpu-clock, call graph {args.call_graph}); closed loop, {args.concurrency} calls in "
          f"flight over {args.connections} connections, mix {args.mix}, store latency 0")
    print(f"command   {' '.join(sys.argv)}")
    print("load avg  %.2f %.2f %.2f at the start" % os.getloadavg())
    print("\npieces (first match wins):")
    for piece, how, pattern, why in PIECES:
        print(f"  {piece}: {how} /{pattern}/ - {why}")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in wanted:
            argv = known[name]
            print(f"\nserver    {name}: {' '.join(cpu_per_call.pinned(0, argv, pin))}")
            data_path = os.path.join(scratch, f"{name}.data")
            run = profile(args, name, argv, port, pin, data_path)
            results[name] = table(name, run, data_path, args.top)
    print("\nload avg  %.2f %.2f %.2f at the end" % os.getloadavg())
    if len(results) > 1:
        names = list(results)
        # What each layer adds over the one below it, where both were profiled.
        steps = [(step, upper, lower) for step, upper, lower in
                 (("layer-hand", "coroutine-layer", "hand-written"),
                  ("server-layer", "coroutine", "coroutine-layer"))
                 if upper in results and lower in results]
        columns = names + [step for step, _, _ in steps]
        for step, upper, lower in steps:
            results[step] = {piece: results[upper].get(piece, 0.0) - results[lower].get(piece, 0.0)
                             for piece in set(results[upper]) | set(results[lower])}
        width = max(len(n) for n in columns) + 2
        print(f"\n## µs per call by piece\n{'piece':38}" + "".join(f"{n:>{width}}" for n in columns))
        for piece, _, _, _ in PIECES:
            row = [results[n].get(piece, 0.0) for n in columns]
            if any(row):
                print(f"{piece:38}" + "".join(f"{value:{width}.1f}" for value in row))
        print(f"{'total':38}" + "".join(f"{sum(results[n].values()):{width}.1f}" for n in columns))
        if steps:
            print("\nlayer-hand: what coro/ adds over the hand-written server (coroutine-layer "
                  "minus hand-written); server-layer: what the rest of ledger-server adds over "
                  "coro/ alone (coroutine minus coroutine-layer). Negative: it spends less "
                  "there. One run each, so only differences well beyond a run's spread (see "
                  "cpu_per_call.py's ranges) mean anything.")

if __name__ == "__main__":
    main()
