"""Just enough of the Yjs v1 binary encoding to compare states without a Doc.

Yjs encodings are not canonical, so equality is decided on decoded state
vectors, never on bytes.
"""

from __future__ import annotations

from .errors import BadUpdate


def _read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise BadUpdate("truncated variable-length integer")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def decode_state_vector(state_vector: bytes) -> dict[int, int]:
    """``{client_id: clock}`` from an encoded state vector."""
    count, pos = _read_var_uint(state_vector, 0)
    result: dict[int, int] = {}
    for _ in range(count):
        client, pos = _read_var_uint(state_vector, pos)
        clock, pos = _read_var_uint(state_vector, pos)
        result[client] = clock
    return result


def update_has_structs(update: bytes) -> bool:
    """True when a v1 update carries any inserted content (not only deletes)."""
    count, _ = _read_var_uint(update, 0)
    return count > 0


def covers(state_vector: dict[int, int], other: dict[int, int]) -> bool:
    """True when ``state_vector`` has seen everything ``other`` has."""
    return all(state_vector.get(client, 0) >= clock for client, clock in other.items())
