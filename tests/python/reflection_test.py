#!/usr/bin/python3
"""Server reflection (grpc.reflection.v1alpha) as a generic tool speaks it,
against the real ledger-server: each ledger port and the plaintext health
port. The files it sends must be the API's .proto files exactly as protoc
describes them with their comments (--include_source_info), each followed by
what it imports, so tools can show the rules the comments state.

  /usr/bin/python3 tests/python/reflection_test.py \
      --server build/service/ledger-server --proto_root proto
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import unittest

import grpc

from ledger_server import GRPC_PROTO_ROOT, Servers

HEALTH_LINE = re.compile(r"health listening on \S*:(\d+)")
REFLECTION_PROTO = "grpc/reflection/v1alpha/reflection.proto"
LEDGER_PROTO = "ledger/v1/ledger.proto"
HEALTH_PROTO = "grpc/health/v1/health.proto"
TIMESTAMP_PROTO = "google/protobuf/timestamp.proto"
NOT_FOUND, INVALID_ARGUMENT = grpc.StatusCode.NOT_FOUND.value[0], \
    grpc.StatusCode.INVALID_ARGUMENT.value[0]


def generate_reflection_stubs(out_dir):
    """reflection_pb2 and reflection_pb2_grpc, importable (top-level: a
    `grpc.reflection` package would hide behind grpcio's own `grpc`)."""
    directory, name = os.path.split(os.path.join(GRPC_PROTO_ROOT, REFLECTION_PROTO))
    subprocess.run(["protoc", f"-I{directory}", f"--python_out={out_dir}",
                    f"--grpc_python_out={out_dir}",
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", name],
                   check=True)
    sys.path.insert(0, out_dir)


def protoc_files(proto_root, out_dir):
    """File name -> FileDescriptorProto, serialized, as protoc writes the API's
    files with their comments and imports."""
    from google.protobuf import descriptor_pb2
    out = os.path.join(out_dir, "api.pb")
    subprocess.run(["protoc", f"-I{proto_root}", f"-I{GRPC_PROTO_ROOT}", "--include_imports",
                    "--include_source_info", f"--descriptor_set_out={out}",
                    LEDGER_PROTO, HEALTH_PROTO, REFLECTION_PROTO], check=True)
    with open(out, "rb") as data:
        files = descriptor_pb2.FileDescriptorSet.FromString(data.read()).file
    return {file.name: file.SerializeToString() for file in files}


class ReflectionTest(unittest.TestCase):
    addresses = None  # port name -> address, set by main()
    expected_files = None  # from protoc_files, set by main()

    def ask(self, address, *requests):
        import reflection_pb2
        import reflection_pb2_grpc
        with grpc.insecure_channel(address) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            return list(stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(**request) for request in requests]),
                timeout=10))

    def files(self, response):
        from google.protobuf import descriptor_pb2
        sent = response.file_descriptor_response.file_descriptor_proto
        return [descriptor_pb2.FileDescriptorProto.FromString(file).name for file in sent]

    def test_list_services_names_what_each_port_serves(self):
        ledger_ports = ["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
                        "ledger.v1.Ledger"]
        expected = {"coroutine": ledger_ports, "thread": ledger_ports,
                    "health": ["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"]}
        for port, address in self.addresses.items():
            with self.subTest(port=port):
                [response] = self.ask(address, {"list_services": ""})
                self.assertEqual([service.name for service in
                                  response.list_services_response.service], expected[port])

    def test_a_symbol_s_file_comes_as_protoc_wrote_it_comments_included_then_its_imports(self):
        for port in ("coroutine", "thread"):
            for symbol in ("ledger.v1.Ledger", "ledger.v1.Ledger.Transfer", "ledger.v1.Account",
                           "ledger.v1.Account.balance", "ledger.v1.TransferResult"):
                with self.subTest(port=port, symbol=symbol):
                    [response] = self.ask(self.addresses[port], {"file_containing_symbol": symbol})
                    sent = response.file_descriptor_response.file_descriptor_proto
                    self.assertEqual(list(sent), [self.expected_files[LEDGER_PROTO],
                                                  self.expected_files[TIMESTAMP_PROTO]])
        [response] = self.ask(self.addresses["health"],
                              {"file_containing_symbol": "grpc.health.v1.Health.Check"})
        self.assertEqual(list(response.file_descriptor_response.file_descriptor_proto),
                         [self.expected_files[HEALTH_PROTO]])

    def test_the_comments_are_there(self):
        from google.protobuf import descriptor_pb2
        [response] = self.ask(self.addresses["coroutine"], {"file_by_filename": LEDGER_PROTO})
        ledger = descriptor_pb2.FileDescriptorProto.FromString(
            response.file_descriptor_response.file_descriptor_proto[0])
        # Service 0, method 1 (GetAccount): path 6, 0, 2, 1.
        [get_account] = [location for location in ledger.source_code_info.location
                         if list(location.path) == [6, 0, 2, 1]]
        self.assertTrue(get_account.leading_comments.startswith(
            " The account's committed state. INVALID_ARGUMENT for a bad id; NOT_FOUND\n"),
            get_account.leading_comments)

    def test_one_stream_answers_each_request_in_turn_and_errors_do_not_end_it(self):
        requests = [
            {"host": "ledger.example", "file_by_filename": HEALTH_PROTO},
            {"file_containing_symbol": "ledger.v1.NoSuchThing"},
            {"file_by_filename": "no/such.proto"},
            {"all_extension_numbers_of_type": "ledger.v1.Account"},
            {"all_extension_numbers_of_type": "ledger.v1.NoSuchThing"},
            {"file_containing_extension": {"containing_type": "ledger.v1.Account",
                                           "extension_number": 100}},
            {},
            {"list_services": ""},
        ]
        for port in ("coroutine", "thread"):
            with self.subTest(port=port):
                responses = self.ask(self.addresses[port], *requests)
                self.assertEqual(len(responses), len(requests))
                import reflection_pb2
                for request, response in zip(requests, responses):
                    self.assertEqual(response.original_request,
                                     reflection_pb2.ServerReflectionRequest(**request))
                self.assertEqual(responses[0].valid_host, "ledger.example")
                self.assertEqual(self.files(responses[0]), [HEALTH_PROTO])
                errors = [(r.error_response.error_code, r.error_response.error_message)
                          for r in (responses[1], responses[2], responses[4], responses[5],
                                    responses[6])]
                self.assertEqual(errors, [
                    (NOT_FOUND, "symbol ledger.v1.NoSuchThing not found"),
                    (NOT_FOUND, "file no/such.proto not found"),
                    (NOT_FOUND, "type ledger.v1.NoSuchThing not found"),
                    (NOT_FOUND, "extension 100 of ledger.v1.Account not found"),
                    (INVALID_ARGUMENT, "the request asks nothing")])
                numbers = responses[3].all_extension_numbers_response
                self.assertEqual((numbers.base_type_name, list(numbers.extension_number)),
                                 ("ledger.v1.Account", []))
                self.assertEqual(len(responses[7].list_services_response.service), 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True, help="path of ledger-server")
    parser.add_argument("--proto_root", required=True, help="the project's proto/ directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out_dir, Servers() as servers:
        generate_reflection_stubs(out_dir)
        ReflectionTest.expected_files = protoc_files(args.proto_root, out_dir)
        server = servers.start(args.server, ["--health_port=0"])
        [health_port] = [int(match.group(1)) for line in server.log_lines
                         if (match := HEALTH_LINE.search(line))]
        ReflectionTest.addresses = {mode: server.address(mode) for mode in server.modes}
        ReflectionTest.addresses["health"] = f"127.0.0.1:{health_port}"
        passed = unittest.main(argv=[sys.argv[0]], exit=False).result.wasSuccessful()
    return 0 if passed and servers.stopped_cleanly else 1


if __name__ == "__main__":
    sys.exit(main())
