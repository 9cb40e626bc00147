"""The server's types, as its reflection service describes them: the files
it sends go into a descriptor pool of our own (never protobuf's default pool,
where the tool's own stubs live), each after its dependencies, and message
classes are built from that pool."""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import proto_comments

NOT_FOUND = 5  # grpc.StatusCode.NOT_FOUND, as reflection's error_response carries it


class UnknownSymbol(Exception):
    """The server's reflection does not know the name."""


class ReflectionError(Exception):
    """Reflection answered with an error other than NOT_FOUND."""


def _message_class(descriptor, factory):
    # protobuf 4.21 (Debian 12's python3-protobuf) has only the factory's
    # GetPrototype; later releases replace it with message_factory.GetMessageClass.
    get_message_class = getattr(message_factory, "GetMessageClass", None)
    return get_message_class(descriptor) if get_message_class else factory.GetPrototype(descriptor)


class ReflectionPool:
    def __init__(self, channel, stubs, metadata, timeout):
        self._pb = stubs["reflection_pb2"]
        self._stub = stubs["reflection_pb2_grpc"].ServerReflectionStub(channel)
        self._metadata = metadata
        self._timeout = timeout
        self.pool = descriptor_pool.DescriptorPool()
        self._factory = message_factory.MessageFactory(self.pool)
        self._received = {}  # file name -> serialized FileDescriptorProto, not yet in the pool

    def _ask(self, **request):
        # One request per stream: the tool asks a handful of questions, and
        # each answer is complete on its own.
        responses = self._stub.ServerReflectionInfo(
            iter([self._pb.ServerReflectionRequest(**request)]),
            metadata=self._metadata, timeout=self._timeout)
        response = next(iter(responses))
        if response.HasField("error_response"):
            error = response.error_response
            if error.error_code == NOT_FOUND:
                raise UnknownSymbol(error.error_message or f"not found: {request}")
            raise ReflectionError(f"reflection error {error.error_code}: {error.error_message}")
        return response

    def services(self):
        response = self._ask(list_services="")
        return sorted(service.name for service in response.list_services_response.service)

    def _keep_files(self, response):
        for serialized in response.file_descriptor_response.file_descriptor_proto:
            name = descriptor_pb2.FileDescriptorProto.FromString(serialized).name
            self._received.setdefault(name, serialized)

    def _in_pool(self, name):
        try:
            self.pool.FindFileByName(name)
            return True
        except KeyError:
            return False

    def _add_file(self, name):
        """Adds the file to the pool, its dependencies first, asking the
        server for any file its earlier answers did not include."""
        if self._in_pool(name):
            return
        if name not in self._received:
            self._keep_files(self._ask(file_by_filename=name))
        serialized = self._received[name]
        for dependency in descriptor_pb2.FileDescriptorProto.FromString(serialized).dependency:
            self._add_file(dependency)
        self.pool.AddSerializedFile(serialized)

    def load_symbol(self, symbol):
        """Makes `symbol` (a service, method, message or enum, fully qualified)
        and everything it refers to findable in self.pool."""
        symbol = symbol.lstrip(".")
        try:
            response = self._ask(file_containing_symbol=symbol)
        except UnknownSymbol as unknown:
            raise UnknownSymbol(f"the server's reflection does not know {symbol} ({unknown})")
        self._keep_files(response)
        first = response.file_descriptor_response.file_descriptor_proto[0]
        self._add_file(descriptor_pb2.FileDescriptorProto.FromString(first).name)

    def find(self, symbol):
        """The descriptor of a service, method, message or enum by full name."""
        symbol = symbol.lstrip(".")
        self.load_symbol(symbol)
        for find in (self.pool.FindServiceByName, self.pool.FindMethodByName,
                     self.pool.FindMessageTypeByName, self.pool.FindEnumTypeByName):
            try:
                return find(symbol)
            except KeyError:
                pass
        raise UnknownSymbol(f"{symbol} is in the server's files but is no service, method, "
                            "message or enum")

    def comments(self):
        """The leading comments of every file received so far, by full name
        (proto_comments.leading_comments); empty for a server whose
        reflection sends no source info."""
        comments = {}
        for serialized in self._received.values():
            comments.update(proto_comments.leading_comments(
                descriptor_pb2.FileDescriptorProto.FromString(serialized)))
        return comments

    def message_class(self, descriptor):
        return _message_class(descriptor, self._factory)
