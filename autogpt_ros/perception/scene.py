"""The scene sentence the language node reads: what is seen, roughly where."""
from __future__ import annotations

import math
from typing import Iterable, Optional


def direction_words(bearing_rad: float) -> str:
    d = math.degrees(bearing_rad)
    a = abs(d)
    side = "left" if d > 0 else "right"
    if a < 5:
        return "ahead"
    if a < 15:
        return f"ahead slightly {side}"
    if a < 60:
        return f"to the {side}"
    return f"far to the {side}"


def describe_object(label: str, bearing_rad: float, distance_m: Optional[float]) -> str:
    where = direction_words(bearing_rad)
    article = "an" if label[:1] in "aeiou" else "a"
    if distance_m is None:
        return f"{article} {label} {where}"
    return f"{article} {label} {distance_m:.1f} m {where}"


def scene_sentence(objects: Iterable) -> str:
    """One plain-English sentence; nearest first.  ``objects`` have label, bearing_rad, distance_m."""
    objs = sorted(objects, key=lambda o: (o.distance_m is None, o.distance_m or 0.0))
    if not objs:
        return "I see nothing."
    parts = [describe_object(o.label, o.bearing_rad, o.distance_m) for o in objs]
    if len(parts) == 1:
        return f"I see {parts[0]}."
    return "I see " + ", ".join(parts[:-1]) + " and " + parts[-1] + "."
