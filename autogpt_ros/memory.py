"""Memory of objects seen, in the odometry frame.

One piece of code shared by fusion (tracking the goal's target when it leaves
the view) and the reasoning node's grounding ("have I seen a red box?").
A detection is turned into a position in the odometry frame from the robot's
odometry pose at the image time; later queries give its bearing and distance
from wherever the robot is now.  Pure Python.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple


def wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


@dataclass
class Sighting:
    """What perception reports about one object (a subset of DetectedObject)."""

    color: Optional[str]
    shape: Optional[str]
    bearing: float  # rad, positive left, from the camera
    distance: float  # m, camera to the object's visible surface
    confidence: float = 1.0


@dataclass
class Remembered:
    color: Optional[str]
    shape: Optional[str]
    x: float  # odometry frame
    y: float
    last_seen: float  # seconds
    seen_count: int = 1

    def relative(self, pose: Tuple[float, float, float], offset: float = 0.0) -> Tuple[float, float]:
        """(bearing, distance) from a pose (x, y, yaw); ``offset`` moves the origin forward (camera)."""
        px, py, yaw = pose
        ox, oy = px + offset * math.cos(yaw), py + offset * math.sin(yaw)
        dx, dy = self.x - ox, self.y - oy
        return wrap(math.atan2(dy, dx) - yaw), math.hypot(dx, dy)

    def matches(self, color: Optional[str], shape: Optional[str]) -> bool:
        return (color is None or self.color == color) and (shape is None or self.shape == shape)


class ObjectMemory:
    """Objects seen so far; the same object seen again updates its entry."""

    def __init__(self, merge_radius: float = 0.5, camera_offset: float = 0.0) -> None:
        self.merge_radius = merge_radius
        self.camera_offset = camera_offset  # camera ahead of the base origin, metres
        self.objects: List[Remembered] = []

    def clear(self) -> None:
        self.objects.clear()

    def to_odom(self, s: Sighting, pose: Tuple[float, float, float]) -> Tuple[float, float]:
        px, py, yaw = pose
        cx, cy = px + self.camera_offset * math.cos(yaw), py + self.camera_offset * math.sin(yaw)
        return cx + s.distance * math.cos(yaw + s.bearing), cy + s.distance * math.sin(yaw + s.bearing)

    def observe(self, sightings: Iterable[Sighting], pose: Tuple[float, float, float], t: float) -> List[Remembered]:
        """Add or update entries from one frame's sightings at odometry pose ``pose``."""
        out = []
        for s in sightings:
            if not (math.isfinite(s.bearing) and math.isfinite(s.distance)):
                continue
            x, y = self.to_odom(s, pose)
            best, best_d = None, self.merge_radius
            for r in self.objects:
                if r.color == s.color and r.shape == s.shape:
                    d = math.hypot(r.x - x, r.y - y)
                    if d < best_d:
                        best, best_d = r, d
            if best is None:
                best = Remembered(s.color, s.shape, x, y, t)
                self.objects.append(best)
            else:
                a = 0.5  # smooth repeated sightings
                best.x, best.y = (1 - a) * best.x + a * x, (1 - a) * best.y + a * y
                best.last_seen = t
                best.seen_count += 1
            out.append(best)
        return out

    def find(self, color: Optional[str], shape: Optional[str], pose: Optional[Tuple[float, float, float]] = None) -> List[Remembered]:
        """Entries matching colour and shape (None matches any), nearest first when pose is given."""
        hits = [r for r in self.objects if r.matches(color, shape)]
        if pose is not None:
            hits.sort(key=lambda r: r.relative(pose)[1])
        return hits
