"""The tool's exit codes, defined once: main() exits with them and --help
prints the table from them. A failed gRPC call exits with GRPC_BASE + its
numeric status code, so a script can tell NOT_FOUND (15) from UNAVAILABLE (24)
without parsing stderr, and those never collide with the tool's own codes."""

SUCCESS = 0
FAILURE = 1
USAGE = 2
UNKNOWN_SYMBOL = 3
NOT_SERVING = 4
GRPC_BASE = 10

class UsageError(Exception):
    """A command line or input the tool cannot use: ends it with USAGE."""


TABLE = (
    (SUCCESS, "success; for health: the service is SERVING"),
    (FAILURE, "any other failure (a missing Debian package, a bad reflection answer)"),
    (USAGE, "usage: bad command line, or JSON that does not fit the request type"),
    (UNKNOWN_SYMBOL, "the server's reflection does not know the service, method or symbol"),
    (NOT_SERVING, "health: the server answered, with a status other than SERVING"),
)


def for_grpc_code(code):
    """The exit code of a call that ended with `code` (a grpc.StatusCode)."""
    return GRPC_BASE + code.value[0]


def help_text():
    lines = ["exit codes:"]
    lines += [f"  {code:<3} {meaning}" for code, meaning in TABLE]
    lines.append(f"  {GRPC_BASE}+N the call ended with gRPC status code N, its name and message "
                 "on stderr:")
    lines.append(f"      {GRPC_BASE + 5} NOT_FOUND, {GRPC_BASE + 14} UNAVAILABLE (nothing "
                 f"listens), {GRPC_BASE + 4} DEADLINE_EXCEEDED, ...")
    return "\n".join(lines)
