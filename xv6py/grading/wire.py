"""The values a kernel process and a grader's worker exchange: JSON, with bytes
as {"$b": BASE64} and tuples as lists (see kserver.py for the protocol)."""

import base64

__all__ = ["encode", "decode"]


def encode(value):
    """A value as JSON data: bytes become {"$b": base64}, tuples lists."""
    if isinstance(value, (bytes, bytearray)):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot send a {type(value).__name__}")


def decode(value):
    """The inverse of encode (lists stay lists)."""
    if isinstance(value, dict):
        if set(value) == {"$b"}:
            return base64.b64decode(value["$b"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
