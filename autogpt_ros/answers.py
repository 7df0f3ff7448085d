"""Which object a plan language v2 target means, and answers about what the robot sees.

A target (colour, shape, ``select``, ``near``) is matched against the objects of the
latest camera frame and those fusion_node remembers (in the odometry frame); an object
in view and a remembered one less than ``SAME_OBJECT_M`` apart are one object.
``select`` picks among the matches: nearest / farthest by distance, leftmost /
rightmost by bearing from the robot's current heading; ``near`` keeps the match
closest to any object the reference target matches.  :func:`answer` turns a question
(colour, shape, distance, count, visible) into the sentence the robot says.  Pure
Python.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from autogpt_ros.frames import wrap

SAME_OBJECT_M = 0.5


@dataclass
class Known:
    """An object the robot knows of: in view now, or remembered."""

    color: Optional[str]
    shape: Optional[str]
    x: float  # odometry frame, m
    y: float
    bearing: float  # rad from the robot's heading, positive left
    distance: Optional[float]  # m (None: in view without a distance)
    in_view: bool

    def name(self) -> str:
        return " ".join(w for w in (self.color, self.shape or "object") if w)


def known_objects(visible: Iterable, remembered: Iterable, pose: Tuple[float, float, float]) -> List[Known]:
    """Objects in view (DetectedObject-like: color, shape, bearing_rad, distance_m) and
    remembered ones (Remembered-like: color, shape, x, y), as one list."""
    px, py, yaw = pose
    out: List[Known] = []
    for o in visible:
        d = o.distance_m
        b = o.bearing_rad
        x = px + (d or 0.0) * math.cos(yaw + b)
        y = py + (d or 0.0) * math.sin(yaw + b)
        out.append(Known(o.color, o.shape, x, y, b, d, True))
    for r in remembered:
        if any(k.in_view and k.distance is not None and (k.color, k.shape) == (r.color, r.shape) and math.hypot(k.x - r.x, k.y - r.y) < SAME_OBJECT_M for k in out):
            continue
        dx, dy = r.x - px, r.y - py
        out.append(Known(r.color, r.shape, r.x, r.y, wrap(math.atan2(dy, dx) - yaw), math.hypot(dx, dy), False))
    return out


def _matches(k: Known, t) -> bool:
    return (t.color is None or k.color == t.color) and (t.shape is None or k.shape == t.shape)


def resolve(target, objects: Sequence[Known]) -> List[Known]:
    """The objects ``target`` can mean, the one it means first (``select``), or [] when
    none matches (or the ``near`` reference is unknown)."""
    hits = [k for k in objects if _matches(k, target)]
    if target.near is not None:
        refs = resolve(target.near, objects)
        if not refs:
            return []
        hits = [k for k in hits if k not in refs]
        hits.sort(key=lambda k: min(math.hypot(k.x - r.x, k.y - r.y) for r in refs))
        return hits[:1] if target.select is None else _select(hits, target.select)
    if target.select:
        return _select(hits, target.select)
    return sorted(hits, key=lambda k: k.distance if k.distance is not None else 1e9)


def _select(hits: List[Known], select: str) -> List[Known]:
    far = lambda k: k.distance if k.distance is not None else -1.0  # noqa: E731
    key = {"nearest": lambda k: k.distance if k.distance is not None else 1e9, "farthest": lambda k: -far(k),
           "leftmost": lambda k: -k.bearing, "rightmost": lambda k: k.bearing}[select]
    return sorted(hits, key=key)


def _where(k: Known) -> str:
    if k.distance is None:
        return "in view"
    deg = math.degrees(k.bearing)
    side = "ahead" if abs(deg) < 10 else (f"{abs(deg):.0f} degrees to the {'left' if deg > 0 else 'right'}")
    return f"{k.distance:.1f} m away, {side}" + ("" if k.in_view else " (remembered, not in view now)")


def _plural(name: str, n: int) -> str:
    if n == 1:
        return name
    return name + "es" if name.endswith("x") else name + "s"


def answer(question: str, target, objects: Sequence[Known]) -> str:
    """The sentence that answers ``question`` about ``target``."""
    what = target.label() if hasattr(target, "label") else "object"
    hits = resolve(target, objects)
    if question == "count":
        in_view = [k for k in hits if k.in_view]
        n = len(in_view)
        name = " ".join(w for w in (target.color, target.shape or "object") if w)
        more = len(hits) - n
        extra = f", and I remember {more} more out of view" if more else ""
        return f"I can see {n} {_plural(name, n)}{extra}." if n else (f"I cannot see any {_plural(name, 2)} now{extra}." if more else f"I cannot see any {_plural(name, 2)}.")
    if not hits:
        if target.near is not None and not resolve(target.near, objects):
            return f"I do not know where the {target.near.label()} is."
        return "No, I do not see a " + what + "." if question == "visible" else f"I do not see a {what}, so I cannot tell."
    k = hits[0]
    if question == "visible":
        return f"Yes: a {k.name()}, {_where(k)}." if k.in_view else f"Not in view now; I remember a {k.name()} {_where(k).replace(' (remembered, not in view now)', '')}."
    if question == "color":
        if len({h.color for h in hits}) > 1 and target.select is None and target.near is None:
            return f"I know {len(hits)} {_plural(target.shape or 'object', len(hits))}: " + ", ".join(f"a {h.name()} ({_where(h)})" for h in hits[:4]) + "."
        return f"The {what} is {k.color or 'of a colour I cannot name'}."
    if question == "shape":
        if len({h.shape for h in hits}) > 1 and target.select is None and target.near is None:
            return f"I know {len(hits)} {target.color or ''} objects: ".replace("  ", " ") + ", ".join(f"a {h.name()} ({_where(h)})" for h in hits[:4]) + "."
        return f"The {what} is a {k.shape or 'shape I cannot name'}."
    if question == "distance":
        if k.distance is None:
            return f"I see the {what} but cannot tell how far it is."
        return f"The {k.name()} is {_where(k)}."
    raise ValueError(f"unknown question {question!r}")


SUMMARY_MIN_SEEN = 3  # a remembered object seen fewer times is left out of a summary (a glimpse, often a misreading)
SUMMARY_SAME_M = 1.0  # two remembered objects of one label this close are counted once


def summary(remembered: Iterable) -> str:
    """What exploring found, from the object memory (Remembered-like: color, shape, x, y,
    seen_count): "I found a red box, 2 blue balls and a green cylinder."  Only what was seen
    at least ``SUMMARY_MIN_SEEN`` times; entries of one colour within ``SUMMARY_SAME_M`` of
    each other are one object, named by the entry seen most often (distance errors at range
    split one object in two, and shapes are misread at range more often than colours)."""
    kept: List = []
    for r in sorted(remembered, key=lambda r: -getattr(r, "seen_count", 1)):
        if getattr(r, "seen_count", SUMMARY_MIN_SEEN) < SUMMARY_MIN_SEEN:
            continue
        # one label, or one colour with another shape (the shape misread at range), within a metre: one object,
        # named as it was seen most often
        if any(k.color == r.color and math.hypot(k.x - r.x, k.y - r.y) < SUMMARY_SAME_M for k in kept):
            continue
        kept.append(r)
    counts = {}
    for r in kept:
        name = " ".join(w for w in (r.color, r.shape or "object") if w)
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "I did not find any objects."
    parts = [f"{'an' if n[0] in 'aeiou' else 'a'} {n}" if c == 1 else f"{c} {_plural(n, c)}" for n, c in counts.items()]
    return "I found " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]) + "."
