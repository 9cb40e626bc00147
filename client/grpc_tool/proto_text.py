"""Descriptors as proto-like text, for `describe`: what a caller needs to
write a request (names, types, field numbers, streaming kinds), each under
its comment from the .proto where the server's reflection sends comments
(`comments`: proto_comments.leading_comments of the files, merged)."""
from google.protobuf.descriptor import FieldDescriptor

from proto_comments import enum_value_key

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


def _commented(comments, key, indent, lines):
    """`lines` under the comment on `key`, if it has one."""
    text = comments.get(key)
    if not text:
        return lines
    return [f"{indent}//{line}".rstrip() for line in text.rstrip("\n").split("\n")] + lines


def _members(blocks):
    """The lines of a body's members, a blank line between two members when
    either has a comment, as a commented .proto is laid out."""
    lines = []
    for i, block in enumerate(blocks):
        if i and (len(block) > 1 or len(blocks[i - 1]) > 1):
            lines.append("")
        lines += block
    return lines


def method_line(method):
    request = ("stream " if method.client_streaming else "") + "." + method.input_type.full_name
    response = ("stream " if method.server_streaming else "") + "." + method.output_type.full_name
    return f"rpc {method.name}({request}) returns ({response});"


def service_text(service, comments):
    lines = _commented(comments, service.full_name, "", [f"service {service.full_name} {{"])
    lines += _members([_commented(comments, method.full_name, "  ", ["  " + method_line(method)])
                       for method in service.methods])
    return "\n".join(lines + ["}"])


def enum_text(enum, comments, indent=""):
    lines = _commented(comments, enum.full_name, indent, [f"{indent}enum {enum.name} {{"])
    lines += _members([_commented(comments, enum_value_key(enum.full_name, value.name),
                                  indent + "  ", [f"{indent}  {value.name} = {value.number};"])
                       for value in enum.values])
    return "\n".join(lines + [f"{indent}}}"])


def _is_synthetic(oneof):
    # A proto3 `optional` field sits alone in a oneof protoc names after it;
    # protobuf 4.21's Python descriptors have no flag for that.
    return len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name


def message_text(message, comments, indent="", full_name=True):
    name = message.full_name if full_name else message.name
    lines = _commented(comments, message.full_name, indent, [f"{indent}message {name} {{"])
    inner = indent + "  "

    def field_block(field, field_indent):
        return _commented(comments, field.full_name, field_indent,
                          [f"{field_indent}{_field_line(field)}"])

    # Fields of a real oneof print inside it, once, where its first field is.
    blocks = []
    for field in message.fields:
        oneof = field.containing_oneof
        if oneof is not None and not _is_synthetic(oneof):
            if field is oneof.fields[0]:
                block = _commented(comments, oneof.full_name, inner,
                                   [f"{inner}oneof {oneof.name} {{"])
                block += _members([field_block(member, inner + "  ") for member in oneof.fields])
                blocks.append(block + [f"{inner}}}"])
            continue
        block = field_block(field, inner)
        if oneof is not None:
            block[-1] = block[-1].replace(inner, f"{inner}optional ", 1)
        blocks.append(block)
    for nested in message.nested_types:
        if not nested.GetOptions().map_entry:
            blocks.append(message_text(nested, comments, inner, full_name=False).split("\n"))
    for enum in message.enum_types:
        blocks.append(enum_text(enum, comments, inner).split("\n"))
    return "\n".join(lines + _members(blocks) + [f"{indent}}}"])


def describe(descriptor, comments):
    """The text for any descriptor ReflectionPool.find returns, under the
    comments `comments` has for it (full name -> text)."""
    kind = type(descriptor).__name__
    if kind == "ServiceDescriptor":
        return service_text(descriptor, comments)
    if kind == "MethodDescriptor":
        return "\n".join(_commented(comments, descriptor.full_name, "", [method_line(descriptor)]))
    if kind == "EnumDescriptor":
        return enum_text(descriptor, comments)
    return message_text(descriptor, comments)
