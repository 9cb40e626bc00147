"""Descriptors as proto-like text, for `describe`: what a caller needs to
write a request (names, types, field numbers, streaming kinds). Reflection
carries no comments, so none are printed."""
from google.protobuf.descriptor import FieldDescriptor

_SCALAR_NAMES = {
    value: name[len("TYPE_"):].lower()
    for name, value in vars(FieldDescriptor).items()
    if name.startswith("TYPE_") and name not in ("TYPE_MESSAGE", "TYPE_ENUM", "TYPE_GROUP")
}


def _type_name(field):
    if field.message_type is not None:
        return "." + field.message_type.full_name
    if field.enum_type is not None:
        return "." + field.enum_type.full_name
    return _SCALAR_NAMES[field.type]


def _is_map(field):
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _field_line(field):
    if _is_map(field):
        key, value = (field.message_type.fields_by_name[name] for name in ("key", "value"))
        return f"map<{_type_name(key)}, {_type_name(value)}> {field.name} = {field.number};"
    label = "repeated " if field.label == FieldDescriptor.LABEL_REPEATED else ""
    return f"{label}{_type_name(field)} {field.name} = {field.number};"


def method_line(method):
    request = ("stream " if method.client_streaming else "") + "." + method.input_type.full_name
    response = ("stream " if method.server_streaming else "") + "." + method.output_type.full_name
    return f"rpc {method.name}({request}) returns ({response});"


def service_text(service):
    lines = [f"service {service.full_name} {{"]
    lines += ["  " + method_line(method) for method in service.methods]
    return "\n".join(lines + ["}"])


def enum_text(enum, indent=""):
    lines = [f"{indent}enum {enum.name} {{"]
    lines += [f"{indent}  {value.name} = {value.number};" for value in enum.values]
    return "\n".join(lines + [f"{indent}}}"])


def _is_synthetic(oneof):
    # A proto3 `optional` field sits alone in a oneof protoc names after it;
    # protobuf 4.21's Python descriptors have no flag for that.
    return len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name


def message_text(message, indent="", full_name=True):
    lines = [f"{indent}message {message.full_name if full_name else message.name} {{"]
    inner = indent + "  "
    # Fields of a real oneof print inside it, once, where its first field is.
    for field in message.fields:
        oneof = field.containing_oneof
        if oneof is not None and not _is_synthetic(oneof):
            if field is oneof.fields[0]:
                lines.append(f"{inner}oneof {oneof.name} {{")
                lines += [f"{inner}  {_field_line(member)}" for member in oneof.fields]
                lines.append(f"{inner}}}")
            continue
        optional = "optional " if oneof is not None else ""
        lines.append(f"{inner}{optional}{_field_line(field)}")
    for nested in message.nested_types:
        if not nested.GetOptions().map_entry:
            lines.append(message_text(nested, inner, full_name=False))
    for enum in message.enum_types:
        lines.append(enum_text(enum, inner))
    return "\n".join(lines + [f"{indent}}}"])


def describe(descriptor):
    """The text for any descriptor ReflectionPool.find returns."""
    kind = type(descriptor).__name__
    if kind == "ServiceDescriptor":
        return service_text(descriptor)
    if kind == "MethodDescriptor":
        return method_line(descriptor)
    if kind == "EnumDescriptor":
        return enum_text(descriptor)
    return message_text(descriptor)
