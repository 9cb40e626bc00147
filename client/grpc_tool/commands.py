"""The four commands. Each takes the Context and its operands after TARGET,
prints its result on stdout and returns the exit code; a failed gRPC call
raises grpc.RpcError, which main() reports."""
import json
import sys
from dataclasses import dataclass

from google.protobuf import json_format

import exit_codes
import proto_text
from reflection_pool import ReflectionPool, UnknownSymbol


@dataclass
class Context:
    grpc: object
    channel: object
    stubs: dict
    metadata: tuple
    deadline: float  # seconds, or None
    emit_defaults: bool

    def reflection(self):
        return ReflectionPool(self.channel, self.stubs, self.metadata, self.deadline)


def list_services(context):
    for service in context.reflection().services():
        print(service)
    return exit_codes.SUCCESS


def describe(context, symbol=None):
    reflection = context.reflection()
    symbols = [symbol] if symbol else reflection.services()
    descriptors = [reflection.find(name) for name in symbols]
    comments = reflection.comments()
    print("\n\n".join(proto_text.describe(descriptor, comments) for descriptor in descriptors))
    return exit_codes.SUCCESS


def _find_method(reflection, name):
    # "pkg.Service/Method" as in the gRPC path, or "pkg.Service.Method".
    service_name, slash, method_name = name.lstrip("/").rpartition("/")
    if not slash:
        service_name, _, method_name = name.rpartition(".")
    if not service_name or not method_name:
        raise exit_codes.UsageError(f"{name!r} is not SERVICE/METHOD")
    service = reflection.find(service_name)
    if type(service).__name__ != "ServiceDescriptor":
        raise UnknownSymbol(f"{service_name} is not a service")
    if method_name not in service.methods_by_name:
        raise UnknownSymbol(f"service {service_name} has no method {method_name}")
    return service.methods_by_name[method_name]


def _requests(method, request_class, pool, request_json):
    def parse(text):
        return json_format.Parse(text, request_class(), descriptor_pool=pool)

    if not method.client_streaming:
        if request_json == "-":
            request_json = sys.stdin.read()
        return parse(request_json or "{}")
    if request_json not in (None, "-"):
        return [parse(request_json)]
    return [parse(line) for line in sys.stdin if line.strip()]


def call(context, method_name, request_json=None):
    reflection = context.reflection()
    method = _find_method(reflection, method_name)
    request_class = reflection.message_class(method.input_type)
    response_class = reflection.message_class(method.output_type)
    requests = _requests(method, request_class, reflection.pool, request_json)

    kind = {(False, False): context.channel.unary_unary,
            (False, True): context.channel.unary_stream,
            (True, False): context.channel.stream_unary,
            (True, True): context.channel.stream_stream}
    invoke = kind[method.client_streaming, method.server_streaming](
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString)
    if method.client_streaming:
        requests = iter(requests)
    answer = invoke(requests, metadata=context.metadata, timeout=context.deadline)
    for response in (answer if method.server_streaming else [answer]):
        print(json.dumps(json_format.MessageToDict(
            response, including_default_value_fields=context.emit_defaults,
            descriptor_pool=reflection.pool)), flush=True)
    return exit_codes.SUCCESS


def health(context, service=""):
    pb = context.stubs["health_pb2"]
    stub = context.stubs["health_pb2_grpc"].HealthStub(context.channel)
    response = stub.Check(pb.HealthCheckRequest(service=service),
                          metadata=context.metadata, timeout=context.deadline)
    status = pb.HealthCheckResponse.ServingStatus.Name(response.status)
    print(status)
    return exit_codes.SUCCESS if status == "SERVING" else exit_codes.NOT_SERVING
