"""The Python stubs of gRPC's own reflection and health protocols, generated
at start from Debian's grpc-proto with protoc, so the tool needs nothing that
Debian 12 lacks. Each file is compiled from its own directory, so its module
is top-level (`reflection_pb2`): a `grpc.reflection` package would hide behind
grpcio's own `grpc`."""
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

GRPC_PROTO_ROOT = "/usr/share/grpc-proto"
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"
PROTOS = ("grpc/reflection/v1alpha/reflection.proto", "grpc/health/v1/health.proto")


class MissingDependency(Exception):
    """What is missing, with the Debian package that provides it."""


def import_grpc():
    """grpcio and protobuf, or MissingDependency naming their packages."""
    try:
        import grpc
        importlib.import_module("google.protobuf")
    except ImportError as error:
        raise MissingDependency(
            f"{error}; install Debian's python3-grpcio and python3-protobuf "
            "(apt-get install python3-grpcio python3-protobuf) and run with /usr/bin/python3")
    return grpc


def _check_tools(grpc_proto_root):
    if shutil.which("protoc") is None:
        raise MissingDependency("no protoc; install Debian's protobuf-compiler")
    if not os.access(GRPC_PYTHON_PLUGIN, os.X_OK):
        raise MissingDependency(f"no {GRPC_PYTHON_PLUGIN}; install Debian's protobuf-compiler-grpc")
    for proto in PROTOS:
        if not os.path.isfile(os.path.join(grpc_proto_root, proto)):
            raise MissingDependency(
                f"no {proto} under {grpc_proto_root}; install Debian's grpc-proto")


def load(grpc_proto_root=GRPC_PROTO_ROOT):
    """Generates the stubs into a temporary directory and imports them: a dict
    of module name -> module (reflection_pb2, reflection_pb2_grpc, health_pb2,
    health_pb2_grpc). Imported modules stay loaded, so the directory goes."""
    _check_tools(grpc_proto_root)
    with tempfile.TemporaryDirectory(prefix="grpc_tool-") as out_dir:
        for proto in PROTOS:
            directory, name = os.path.split(os.path.join(grpc_proto_root, proto))
            result = subprocess.run(
                ["protoc", f"-I{directory}", f"--python_out={out_dir}",
                 f"--grpc_python_out={out_dir}",
                 f"--plugin=protoc-gen-grpc_python={GRPC_PYTHON_PLUGIN}", name],
                capture_output=True, text=True)
            if result.returncode != 0:
                raise MissingDependency(
                    f"protoc could not compile {proto}: {result.stderr.strip()}")
        sys.path.insert(0, out_dir)
        try:
            return {name: importlib.import_module(name) for name in (
                "reflection_pb2", "reflection_pb2_grpc", "health_pb2", "health_pb2_grpc")}
        finally:
            sys.path.remove(out_dir)
