"""The comments of a .proto file, as protoc's source info in the
FileDescriptorProto that reflection sends: the leading comment of each
service, method, message, field, oneof, enum and enum value, by name."""

# Field numbers of descriptor.proto, which make up a location's path.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM, _MESSAGE_ONEOF = 2, 3, 4, 8
_ENUM_VALUE, _SERVICE_METHOD = 2, 2


def enum_value_key(enum_full_name, value_name):
    """The key of an enum value, whose descriptor has no full name of its own."""
    return f"{enum_full_name}.{value_name}"


def leading_comments(file_proto):
    """Full name (enum values: enum_value_key) -> the leading comment as
    protoc keeps it, one line per line, each with the space after `//`."""
    paths = {}

    def enum(proto, path, full_name):
        paths[full_name] = path
        for i, value in enumerate(proto.value):
            paths[enum_value_key(full_name, value.name)] = path + (_ENUM_VALUE, i)

    def message(proto, path, full_name):
        paths[full_name] = path
        for i, field in enumerate(proto.field):
            paths[f"{full_name}.{field.name}"] = path + (_MESSAGE_FIELD, i)
        for i, oneof in enumerate(proto.oneof_decl):
            paths[f"{full_name}.{oneof.name}"] = path + (_MESSAGE_ONEOF, i)
        for i, nested in enumerate(proto.nested_type):
            message(nested, path + (_MESSAGE_NESTED, i), f"{full_name}.{nested.name}")
        for i, nested in enumerate(proto.enum_type):
            enum(nested, path + (_MESSAGE_ENUM, i), f"{full_name}.{nested.name}")

    scope = f"{file_proto.package}." if file_proto.package else ""
    for i, proto in enumerate(file_proto.message_type):
        message(proto, (_FILE_MESSAGE, i), scope + proto.name)
    for i, proto in enumerate(file_proto.enum_type):
        enum(proto, (_FILE_ENUM, i), scope + proto.name)
    for i, service in enumerate(file_proto.service):
        paths[scope + service.name] = (_FILE_SERVICE, i)
        for j, method in enumerate(service.method):
            paths[f"{scope}{service.name}.{method.name}"] = (_FILE_SERVICE, i, _SERVICE_METHOD, j)

    comments = {tuple(location.path): location.leading_comments
                for location in file_proto.source_code_info.location
                if location.leading_comments}
    return {name: comments[path] for name, path in paths.items() if path in comments}
