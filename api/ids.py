"""Relay global ids and opaque keyset cursors."""

from __future__ import annotations

import base64
import binascii

from strawberry import relay

from api.errors import bad_input
from domain.errors import InvalidInput
from domain.text import has_control

cursor_length_max = 200
cursor_position_max = 2**63 - 1  # the largest BIGINT on SQLite and PostgreSQL


def global_id(type_name: str, node_id: str) -> relay.GlobalID:
    return relay.GlobalID(type_name, node_id)


def node_id(value: relay.GlobalID, type_name: str, field: str) -> str:
    """The domain id inside a global id of the expected type (else a domain InvalidInput)."""
    if value.type_name != type_name or not value.node_id or has_control(value.node_id):
        raise InvalidInput(field, f"must be the global id of a {type_name}")
    return value.node_id


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def encode_cursor(kind: str, value: str | int) -> str:
    """`base64.urlsafe_b64encode` of "kind:value", without its two layers of Python calls
    (a page of 20 entries encodes 20 cursors)."""
    return (
        binascii.b2a_base64(f"{kind}:{value}".encode(), newline=False).translate(_URLSAFE).decode()
    )


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    """The keyset value inside a cursor of this kind; BAD_USER_INPUT if it is not one."""
    if cursor is None:
        return None
    try:
        if len(cursor) > cursor_length_max:
            raise ValueError
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_input("after", "is not a cursor from this connection") from None
    found, _, value = text.partition(":")
    if found != kind or not value or has_control(value):
        raise bad_input("after", "is not a cursor from this connection")
    return value


def decode_int_cursor(kind: str, cursor: str | None) -> int | None:
    """The position inside an integer cursor: ASCII digits only (`str.isdigit` also takes
    '²'), and small enough for a signed 64-bit column on either store."""
    value = decode_cursor(kind, cursor)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > cursor_position_max:
        raise bad_input("after", "is not a cursor from this connection")
    return int(value)
