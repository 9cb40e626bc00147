#!/usr/bin/python3
"""Calls any gRPC server that offers server reflection, from the command line,
with nothing beyond Debian 12's packages: what grpcurl and grpc_health_probe
do, for machines that cannot download them. It knows no service in advance:
every type comes from the server's reflection (grpc.reflection.v1alpha)."""
import argparse
import os
import sys

import exit_codes
import standard_stubs

DESCRIPTION = """\
Calls a gRPC server through its server reflection (grpc.reflection.v1alpha).

commands:
  list TARGET                         the services the server offers, one a line
  describe TARGET [SYMBOL]            a service (its methods, request and response
                                      types, `stream` where one streams), a method,
                                      a message (its fields) or an enum, as proto
                                      text under the .proto's comments where the
                                      server sends them; every service without
                                      SYMBOL
  call TARGET SERVICE/METHOD [JSON|-] calls a method with a request written in
                                      protobuf's JSON mapping (JSON, `-` for stdin,
                                      `{}` when absent) and prints each response
                                      as JSON on one line. A client- or
                                      bidi-streaming method reads its requests
                                      from stdin, one JSON object a line, all of
                                      them before the call starts (or JSON: one)
  health TARGET [SERVICE]             grpc.health.v1 Check: prints the status
                                      (SERVING, NOT_SERVING, ...); SERVICE ""
                                      (the default) is the whole server

TARGET is host:port (or any gRPC target, e.g. dns:///host:port)."""

EXAMPLES = """\
examples:
  %(prog)s list localhost:50051
  %(prog)s describe localhost:50051 ledger.v1.Ledger
  %(prog)s call localhost:50051 ledger.v1.Ledger/GetAccount '{"id": "alice"}'
  TOKEN=... %(prog)s --tls_ca_file ca.pem --token_env TOKEN health ledger.example:443

needs Debian's python3-grpcio, python3-protobuf, protobuf-compiler,
protobuf-compiler-grpc and grpc-proto; run it with /usr/bin/python3.
"""


def parse_flags(argv):
    parser = argparse.ArgumentParser(
        description=DESCRIPTION, epilog=EXAMPLES + "\n" + exit_codes.help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("list", "describe", "call", "health"),
                        help="what to do (see above)")
    parser.add_argument("operands", nargs="*", help="TARGET, then what the command takes")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--plaintext", action="store_true",
                           help="no TLS (the default, unless --tls or --tls_ca_file)")
    transport.add_argument("--tls", action="store_true",
                           help="TLS, trusting the system's certificate authorities")
    parser.add_argument("--tls_ca_file", metavar="PEM",
                        help="TLS, trusting only the certificate authorities in PEM")
    parser.add_argument("--tls_server_name", metavar="NAME",
                        help="with TLS: the name the server's certificate must carry, "
                             "when it is not TARGET's host")
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="metadata sent with every call, reflection and health "
                             "included; repeatable")
    parser.add_argument("--token_env", metavar="VARIABLE",
                        help="sends 'authorization: Bearer <token>' with the token read "
                             "from the environment variable VARIABLE (kept off the "
                             "command line, where other users could read it)")
    parser.add_argument("--deadline", type=float, default=10.0, metavar="SECONDS",
                        help="how long each call may take, streams included; 0 for no "
                             "deadline (default: %(default)s)")
    parser.add_argument("--emit_defaults", action="store_true",
                        help="call: print fields that hold their default value (0, \"\", "
                             "false), which protobuf's JSON mapping leaves out")
    flags = parser.parse_intermixed_args(argv)
    if flags.plaintext and flags.tls_ca_file:
        parser.error("--plaintext and --tls_ca_file exclude each other")
    arity = {"list": (1, 1), "describe": (1, 2), "call": (2, 3), "health": (1, 2)}
    low, high = arity[flags.command]
    if not low <= len(flags.operands) <= high:
        wanted = str(low) if low == high else f"{low} or {high}"
        parser.error(f"{flags.command} takes {wanted} operands, got {len(flags.operands)}")
    return flags


def metadata_from(flags):
    metadata = []
    for header in flags.header:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise exit_codes.UsageError(f"--header {header!r} is not 'NAME: VALUE'")
        # gRPC accepts only lowercase metadata keys; HTTP/2 names are lowercase anyway.
        metadata.append((name.strip().lower(), value.strip()))
    if flags.token_env:
        token = os.environ.get(flags.token_env, "")
        if not token:
            raise exit_codes.UsageError(
                f"--token_env: the environment variable {flags.token_env} is unset or empty")
        metadata.append(("authorization", f"Bearer {token}"))
    return tuple(metadata)


def open_channel(grpc, flags, target):
    if not (flags.tls or flags.tls_ca_file):
        return grpc.insecure_channel(target)
    root_certificates = None
    if flags.tls_ca_file:
        try:
            with open(flags.tls_ca_file, "rb") as pem:
                root_certificates = pem.read()
        except OSError as error:
            raise exit_codes.UsageError(f"--tls_ca_file: {error}")
    options = []
    if flags.tls_server_name:
        options.append(("grpc.ssl_target_name_override", flags.tls_server_name))
    return grpc.secure_channel(
        target, grpc.ssl_channel_credentials(root_certificates=root_certificates), options)


def main(argv):
    flags = parse_flags(argv)
    try:
        grpc = standard_stubs.import_grpc()
        stubs = standard_stubs.load()
    except standard_stubs.MissingDependency as missing:
        print(f"grpc_tool: {missing}", file=sys.stderr)
        return exit_codes.FAILURE
    # Only now that protobuf is known to import.
    import commands
    from reflection_pool import ReflectionError, UnknownSymbol
    from google.protobuf import json_format

    try:
        metadata = metadata_from(flags)
        target, *rest = flags.operands
        with open_channel(grpc, flags, target) as channel:
            context = commands.Context(grpc, channel, stubs, metadata,
                                       flags.deadline or None, flags.emit_defaults)
            run = {"list": commands.list_services, "describe": commands.describe,
                   "call": commands.call, "health": commands.health}[flags.command]
            return run(context, *rest)
    except exit_codes.UsageError as error:
        print(f"grpc_tool: {error}", file=sys.stderr)
        return exit_codes.USAGE
    except json_format.ParseError as error:
        print(f"grpc_tool: the request does not fit its type: {error}", file=sys.stderr)
        return exit_codes.USAGE
    except UnknownSymbol as error:
        print(f"grpc_tool: {error}", file=sys.stderr)
        return exit_codes.UNKNOWN_SYMBOL
    except ReflectionError as error:
        print(f"grpc_tool: {error}", file=sys.stderr)
        return exit_codes.FAILURE
    except grpc.RpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return exit_codes.for_grpc_code(error.code())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
