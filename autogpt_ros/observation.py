"""The policy's observation: one function for training and deployment.

:func:`build_observation` is called by the Gymnasium environment (with
sightings emulated from the simulator's geometry) and by fusion_node (with
sightings from /perception/objects, odometry from /odom and ranges from
/scan).  Same code, same numbers: no train/deploy skew.  ``LAYOUT`` names
every element; fusion_node writes it into the Float32MultiArray's layout.
Pure Python + numpy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from autogpt_ros.memory import ObjectMemory, Remembered, Sighting

N_SECTORS = 16
MAX_DISTANCE = 5.0  # m, distance normalisation
MAX_UNSEEN = 10.0  # s, time-since-seen normalisation
ANCHOR_RADIUS = 1.0  # m: a remembered object this close to a resolved target's position is that object (range errors without depth reach ~0.5 m at 3 m)
MOTION_SKILLS = ("go_to", "find", "move", "turn")

LAYOUT: Tuple[str, ...] = (
    ("target_visible", "target_known", "bearing_sin", "bearing_cos", "distance", "time_since_seen")
    + tuple(f"scan_{i}" for i in range(N_SECTORS))
    + ("linear_velocity", "angular_velocity")
    + tuple(f"skill_{s}" for s in MOTION_SKILLS)
    + ("stale",)
)
OBS_SIZE = len(LAYOUT)
INDEX = {name: i for i, name in enumerate(LAYOUT)}


def scan_sectors(ranges: Sequence[float], angle_min: float, angle_increment: float, range_max: float, n: int = N_SECTORS) -> np.ndarray:
    """Minimum range in each of ``n`` equal sectors around the robot, over range_max (0..1).

    Sector 0 is centred straight ahead, then counter-clockwise.  Missing or
    non-finite returns count as free (1.0), except NaN sectors with no valid
    ray at all which also read 1.0 (the safety layer uses raw scans).
    """
    r = np.asarray(ranges, dtype=np.float64)
    out = np.ones(n, dtype=np.float32)
    if r.size == 0 or range_max <= 0:
        return out
    ang = angle_min + angle_increment * np.arange(r.size)
    width = 2 * math.pi / n
    idx = np.floor(((ang + width / 2) % (2 * math.pi)) / width).astype(int) % n
    valid = np.isfinite(r) & (r > 0)
    vals = np.where(valid, np.minimum(r, range_max), range_max) / range_max
    np.minimum.at(out, idx, vals.astype(np.float32))
    return out


@dataclass
class TargetTrack:
    """The goal's target as fusion knows it."""

    visible: bool = False
    known: bool = False
    bearing: float = 0.0  # rad from the camera, positive left
    distance: float = MAX_DISTANCE
    time_since_seen: float = MAX_UNSEEN


def occlusion_test(ranges: np.ndarray, angle_min: float, angle_increment: float, margin: float = 0.3) -> Callable[[float, float], bool]:
    """``occluded(bearing, distance)`` from a laser scan: something nearer than the
    point (by ``margin``) within two rays of its bearing."""
    r = np.asarray(ranges, dtype=np.float64)
    n = len(r)
    full_circle = n * abs(angle_increment) >= 2 * math.pi - 1.5 * abs(angle_increment)

    def occluded(bearing: float, distance: float) -> bool:
        if n == 0 or angle_increment == 0:
            return False
        a = bearing - angle_min
        if full_circle:
            a %= 2 * math.pi
        k = int(round(a / angle_increment))
        if full_circle:
            idx = [(k + d) % n for d in (-2, -1, 0, 1, 2)]
        elif 0 <= k < n:
            idx = list(range(max(0, k - 2), min(n, k + 3)))
        else:
            return False  # outside the laser's view: no evidence either way
        near = r[idx]
        near = near[np.isfinite(near)]
        return bool(len(near) and near.min() < distance - margin)

    return occluded


class TargetTracker:
    """Follows the target (colour, shape) among sightings, remembers it in odometry."""

    def __init__(self, memory: Optional[ObjectMemory] = None, hfov: Optional[float] = None) -> None:
        self.memory = memory or ObjectMemory()
        self.hfov = hfov  # camera field of view: remembered objects it should see and does not are forgotten
        self.color: Optional[str] = None
        self.shape: Optional[str] = None
        self.goal_at: Optional[Tuple[float, float]] = None  # the chosen object's position as the goal gave it
        self.at: Optional[Tuple[float, float]] = None  # where it is now thought to be
        self.entry: Optional[Remembered] = None
        self.last_visible_time: Optional[float] = None

    def set_target(self, color: Optional[str], shape: Optional[str], at: Optional[Tuple[float, float]] = None) -> None:
        """Track objects of this colour and shape; ``at``: the one object meant, by its position in
        the odometry frame (a target with ``select`` or ``near`` that the agent resolved): the
        tracker follows that object and no other match, even when another is in view."""
        at = None if at is None else (float(at[0]), float(at[1]))
        if (color, shape, at) != (self.color, self.shape, self.goal_at):  # a new target (the goal's heartbeat repeats it)
            self.color, self.shape, self.goal_at, self.at = color, shape, at, at
            self.entry = None
            self.last_visible_time = None

    def _anchored(self, candidates: List[Remembered]) -> Optional[Remembered]:
        """The candidate that is the object at ``self.at`` (within ``ANCHOR_RADIUS``), if any."""
        near = [r for r in candidates if math.hypot(r.x - self.at[0], r.y - self.at[1]) <= ANCHOR_RADIUS]
        return min(near, key=lambda r: math.hypot(r.x - self.at[0], r.y - self.at[1])) if near else None

    def update(self, sightings: Iterable[Sighting], pose: Tuple[float, float, float], t: float, fresh: bool = True,
               occluded: Optional[Callable[[float, float], bool]] = None) -> TargetTrack:
        """``fresh``: the sightings are a new camera frame; ``occluded(bearing, distance)``:
        something (the laser says) stands between the camera and that point."""
        sightings = list(sightings)
        seen = self.memory.observe(sightings, pose, t) if fresh else []
        if self.entry is not None and not any(r is self.entry for r in self.memory.objects):
            self.entry = None  # the memory was cleared (odometry jumped)
        if fresh and self.hfov is not None:
            gone = self.memory.forget_unseen(seen, pose, self.hfov / 2, occluded=occluded)
            if self.entry is not None and any(r is self.entry for r in gone):
                self.entry = None  # looked where it was remembered: not there
        visible_now = [r for r in seen if r.matches(self.color, self.shape)] if (self.color or self.shape or self.at is not None) else []
        if self.at is not None:  # one object meant: follow it, never another match
            if self.entry is None:
                self.entry = self._anchored(self.memory.find(self.color, self.shape))
            if self.entry is not None:  # where it is now known to be (nearer views refine it): found again there if lost
                self.at = (self.entry.x, self.entry.y)
            visible_now = [r for r in visible_now if r is self.entry]
        if visible_now:
            # the nearest match; stick to the tracked one if it is among them
            visible_now.sort(key=lambda r: (r is not self.entry, r.relative(pose)[1]))
            self.entry = visible_now[0]
            self.last_visible_time = t
        elif self.entry is None and (self.color or self.shape) and self.at is None:
            known = self.memory.find(self.color, self.shape, pose)
            self.entry = known[0] if known else None
        if self.entry is None:
            return TargetTrack()
        bearing, dist = self.entry.relative(pose, self.memory.camera_offset)
        since = MAX_UNSEEN if self.last_visible_time is None else min(MAX_UNSEEN, t - self.last_visible_time)
        return TargetTrack(visible=bool(visible_now), known=True, bearing=bearing, distance=dist, time_since_seen=since if not visible_now else 0.0)


def build_observation(
    track: TargetTrack,
    sectors: np.ndarray,
    velocity: Tuple[float, float],
    max_velocity: Tuple[float, float],
    skill: Optional[str],
    stale: bool = False,
) -> np.ndarray:
    """The observation vector, element names in ``LAYOUT``."""
    obs = np.zeros(OBS_SIZE, dtype=np.float32)
    obs[0] = 1.0 if track.visible else 0.0
    obs[1] = 1.0 if track.known else 0.0
    obs[2] = math.sin(track.bearing) if track.known else 0.0
    obs[3] = math.cos(track.bearing) if track.known else 1.0
    obs[4] = min(track.distance, MAX_DISTANCE) / MAX_DISTANCE if track.known else 1.0
    obs[5] = min(track.time_since_seen, MAX_UNSEEN) / MAX_UNSEEN
    k = 6
    obs[k : k + N_SECTORS] = np.clip(sectors, 0.0, 1.0)
    k += N_SECTORS
    obs[k] = np.clip(velocity[0] / max_velocity[0], -1, 1)
    obs[k + 1] = np.clip(velocity[1] / max_velocity[1], -1, 1)
    k += 2
    for i, s in enumerate(MOTION_SKILLS):
        obs[k + i] = 1.0 if skill == s else 0.0
    k += len(MOTION_SKILLS)
    obs[k] = 1.0 if stale else 0.0
    if not np.all(np.isfinite(obs)):
        obs = np.nan_to_num(obs, nan=0.0, posinf=1.0, neginf=-1.0)
        obs[INDEX["stale"]] = 1.0
    return obs


# ---- /agent/state: the observation as a Float32MultiArray whose layout names every element ----
LAYOUT_LABEL = "observation:" + ",".join(LAYOUT)


def state_message(obs: np.ndarray):
    """The std_msgs/Float32MultiArray of an observation (fusion_node publishes it)."""
    from std_msgs.msg import Float32MultiArray, MultiArrayDimension

    msg = Float32MultiArray()
    msg.layout.dim = [MultiArrayDimension(label=LAYOUT_LABEL, size=len(obs), stride=len(obs))]
    msg.layout.data_offset = 0
    msg.data = [float(x) for x in obs]
    return msg


def parse_state(msg) -> np.ndarray:
    """The observation from an /agent/state message, checking its layout."""
    if not msg.layout.dim or msg.layout.dim[0].label != LAYOUT_LABEL:
        raise ValueError("/agent/state layout does not match this build's observation layout")
    obs = np.asarray(msg.data, dtype=np.float32)
    if obs.shape != (len(LAYOUT),):
        raise ValueError(f"/agent/state has {obs.size} elements, expected {len(LAYOUT)}")
    return obs
