"""Parameter specifications, as plain data (no rclpy).

Each node lists its parameters as :class:`Param` objects.  The node base turns
them into declared ROS parameters with descriptors (type, range,
description); the launch-file checks and the README's parameter tables read
the same lists, so the documentation cannot drift from the code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str
    range: Optional[Tuple[float, float]] = None  # inclusive (min, max) for numbers
    choices: Optional[Sequence[str]] = None  # allowed values for strings
    type: Optional[str] = None  # "bool" "int" "double" "string" "string_array" "double_array"
    read_only: bool = False

    @property
    def type_name(self) -> str:
        if self.type:
            return self.type
        d = self.default
        if isinstance(d, bool):
            return "bool"
        if isinstance(d, int):
            return "int"
        if isinstance(d, float):
            return "double"
        if isinstance(d, str):
            return "string"
        if isinstance(d, (list, tuple)):
            if d and all(isinstance(x, str) for x in d):
                return "string_array"
            if d and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in d):
                return "double_array"
        raise TypeError(f"parameter {self.name}: give type= for default {d!r}")

    def check(self, value: Any) -> Optional[str]:
        """None when ``value`` is allowed, else the reason it is not."""
        if self.range is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            lo, hi = self.range
            if not (lo <= value <= hi):
                return f"{self.name}={value} is outside [{lo}, {hi}]"
        if self.choices is not None and value not in self.choices:
            return f"{self.name}={value!r} is not one of {list(self.choices)}"
        return None


#: Parameters every node has (declared by the node base).
COMMON = (
    Param("autostart", True, "Configure and activate the lifecycle node on start (false: wait for lifecycle transitions)."),
)


def markdown_table(params: Sequence[Param]) -> str:
    rows = ["| parameter | type | default | description |", "|---|---|---|---|"]
    for p in params:
        extra = ""
        if p.range:
            extra = f" Range [{p.range[0]}, {p.range[1]}]."
        if p.choices:
            extra = " One of: " + ", ".join(f"`{c}`" for c in p.choices) + "."
        rows.append(f"| `{p.name}` | {p.type_name} | `{p.default!r}` | {p.description}{extra} |")
    return "\n".join(rows)
