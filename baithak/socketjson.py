"""The JSON module Socket.IO packets are read and written with.

python-engine.io's own (engineio.json) refuses an integer literal of more than
100 digits, since reading one costs quadratic time, by raising ValueError
while the packet is decoded: the event never reaches a handler, and its
sender never gets the ack that docs/protocol.md promises for every event.
Here such a literal is read as a float instead (1e+100 or more, or an
infinity), which costs linear time and which every handler refuses like any
other wrong number: no id, coordinate or name is a 101-digit integer.
"""

from __future__ import annotations

import json
from json import dumps
from typing import Any

__all__ = ["dumps", "loads"]

MAX_INT_DIGITS = 100  # engineio.json's limit, sign included


def _parse_int(literal: str) -> int | float:
    return int(literal) if len(literal) <= MAX_INT_DIGITS else float(literal)


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads, reading integers of more than 100 digits as floats."""
    kwargs.setdefault("parse_int", _parse_int)
    return json.loads(text, **kwargs)
