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
from typing import Callable, Iterable, List, Optional, Tuple

from autogpt_ros.frames import wrap


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
    misses: int = 0  # frames in a row in which it should have been seen and was not

    def relative(self, pose: Tuple[float, float, float], offset: float = 0.0) -> Tuple[float, float]:
        """(bearing, distance) from a pose (x, y, yaw); ``offset`` moves the origin forward (camera)."""
        px, py, yaw = pose
        ox, oy = px + offset * math.cos(yaw), py + offset * math.sin(yaw)
        dx, dy = self.x - ox, self.y - oy
        return wrap(math.atan2(dy, dx) - yaw), math.hypot(dx, dy)

    def matches(self, color: Optional[str], shape: Optional[str]) -> bool:
        return (color is None or self.color == color) and (shape is None or self.shape == shape)


class ObjectMemory:
    """Objects seen so far; the same object seen again updates its entry.

    Remembered positions live in the odometry frame, so they are forgotten when
    odometry jumps (a reset of the base or of the simulated world: the old
    positions mean nothing in the new frame), and an entry is dropped when the
    camera has looked right at where it should be for ``forget_after`` frames
    without seeing it (it was moved, or was never there)."""

    def __init__(self, merge_radius: float = 0.5, camera_offset: float = 0.0, jump_m: float = 0.5, forget_after: int = 5) -> None:
        self.merge_radius = merge_radius
        self.camera_offset = camera_offset  # camera ahead of the base origin, metres
        self.jump_m = jump_m
        self.forget_after = forget_after
        self.objects: List[Remembered] = []
        self._last_pose: Optional[Tuple[float, float, float]] = None

    def clear(self) -> None:
        self.objects.clear()

    def note_pose(self, pose: Tuple[float, float, float]) -> bool:
        """Follow odometry; True (and the memory cleared) when it jumped by more than
        ``jump_m`` between two consecutive poses, which no robot drives."""
        last, self._last_pose = self._last_pose, pose
        if last is not None and math.hypot(pose[0] - last[0], pose[1] - last[1]) > self.jump_m:
            self.clear()
            return True
        return False

    def forget_unseen(self, seen: Iterable[Remembered], pose: Tuple[float, float, float], half_fov: float, max_range: float = 3.5,
                      occluded: Optional[Callable[[float, float], bool]] = None) -> List[Remembered]:
        """Negative evidence from one camera frame: entries well inside the field of view
        and range, not hidden behind something (``occluded(bearing, distance)``), that
        this frame did not see.  Returns the entries forgotten."""
        seen_ids = {id(r) for r in seen}
        gone = []
        for r in self.objects:
            if id(r) in seen_ids:
                r.misses = 0
                continue
            bearing, dist = r.relative(pose, self.camera_offset)
            if abs(bearing) < half_fov - 0.1 and 0.4 < dist < max_range and not (occluded and occluded(bearing, dist)):
                r.misses += 1
                if r.misses >= self.forget_after:
                    gone.append(r)
        for r in gone:
            self.objects.remove(r)
        return gone

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
                best.misses = 0
            out.append(best)
        return out

    def find(self, color: Optional[str], shape: Optional[str], pose: Optional[Tuple[float, float, float]] = None) -> List[Remembered]:
        """Entries matching colour and shape (None matches any), nearest first when pose is given."""
        return find(self.objects, color, shape, pose)


def find(objects: Iterable[Remembered], color: Optional[str], shape: Optional[str], pose: Optional[Tuple[float, float, float]] = None) -> List[Remembered]:
    """Entries matching colour and shape (None matches any), nearest first when pose is given."""
    hits = [r for r in objects if r.matches(color, shape)]
    if pose is not None:
        hits.sort(key=lambda r: r.relative(pose)[1])
    return hits
