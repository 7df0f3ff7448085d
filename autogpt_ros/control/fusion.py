"""Fusion: detections, odometry, laser and the goal into the policy's observation.

The observation is built by :func:`autogpt_ros.observation.build_observation`,
the function the Gymnasium environment trains with.  Inputs older than
``max_age`` are marked stale (the ``stale`` element) and never silently
reused: old detections are not treated as sightings, and an old scan reads
as unknown.  Pure Python.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from autogpt_ros import interfaces as ifc
from autogpt_ros.robot import load_robot
from autogpt_ros.memory import ObjectMemory, Sighting
from autogpt_ros import tasks
from autogpt_ros.frames import wrap
from autogpt_ros.observation import N_SECTORS, TargetTrack, TargetTracker, build_observation, occlusion_test, scan_sectors


@dataclass
class Scan:
    ranges: np.ndarray
    angle_min: float
    angle_increment: float
    range_max: float


#: go_to_place: the place is shown to the learned go_to policy as an object this much farther than
#: the place itself, so that the policy's own "arrived" distance (about half a metre from an object's
#: surface) falls on the place; the executor ends the step within ``PLACE_REACHED`` of it
PLACE_STANDOFF = tasks.GO_TO_DISTANCE - 0.07


def place_track(pose: Tuple[float, float, float], xy: Tuple[float, float], hfov: float) -> TargetTrack:
    """A place (x, y in the odometry frame) as the go_to policy's target: bearing from the base's
    heading, distance plus ``PLACE_STANDOFF``, "visible" while within the camera's field of view."""
    dx, dy = xy[0] - pose[0], xy[1] - pose[1]
    bearing = wrap(math.atan2(dy, dx) - pose[2])
    return TargetTrack(visible=abs(bearing) <= hfov / 2, known=True, bearing=bearing, distance=math.hypot(dx, dy) + PLACE_STANDOFF, time_since_seen=0.0)


class Fusion:
    def __init__(self, max_age: float = 0.5, camera_offset: Optional[float] = None, max_velocity: Tuple[float, float] = (0.4, 1.5), camera_hfov: Optional[float] = 1.2):
        self.max_age = max_age
        self.max_velocity = max_velocity
        self.memory = ObjectMemory(camera_offset=load_robot().camera.xyz[0] if camera_offset is None else camera_offset)
        self.tracker = TargetTracker(self.memory, hfov=camera_hfov)
        self.hfov = camera_hfov or 1.2
        self.goal: Optional[ifc.GoalPayload] = None
        self.pose: Optional[Tuple[float, float, float]] = None
        self.twist = (0.0, 0.0)
        self.t_odom = -math.inf
        self.scan: Optional[Scan] = None
        self.t_scan = -math.inf
        self.objects: Optional[ifc.ObjectsPayload] = None
        self.t_objects = -math.inf
        self._objects_used = True
        self._visible = False

    def set_goal(self, goal: ifc.GoalPayload) -> None:
        if self.goal is None or goal.goal_id != self.goal.goal_id:
            self._visible = False  # the last frame's verdict was about the previous goal's target
        self.goal = goal
        step = goal.step
        if step.skill in ("go_to", "find"):
            self.tracker.set_target(step.target.color, step.target.shape, at=goal.target_xy)
        elif step.skill == "move" and step.until is not None:  # the move ends once this is in view
            self.tracker.set_target(step.until.color, step.until.shape)
        else:
            self.tracker.set_target(None, None)

    def odometry(self, pose: Tuple[float, float, float], twist: Tuple[float, float], t: float) -> bool:
        if not all(math.isfinite(x) for x in (*pose, *twist)):
            return False
        self.pose, self.twist, self.t_odom = pose, twist, t
        self.memory.note_pose(pose)  # odometry jumped: remembered positions are meaningless now, cleared
        return True

    def forget(self) -> None:
        """Forget every remembered object (and the tracked target's entry)."""
        self.memory.clear()
        self.tracker.entry = None

    def memory_payload(self, now: float) -> ifc.MemoryPayload:
        """What is remembered, for /agent/memory (the one copy the other nodes read)."""
        return ifc.MemoryPayload(stamp=now, objects=[ifc.RememberedObject(color=r.color, shape=r.shape, x=r.x, y=r.y, last_seen=r.last_seen, seen_count=r.seen_count)
                                                     for r in self.memory.objects])

    def laser(self, scan: Scan, t: float) -> None:
        self.scan, self.t_scan = scan, t

    def detections(self, payload: ifc.ObjectsPayload, t: float) -> None:
        self.objects, self.t_objects, self._objects_used = payload, t, False

    def stale_inputs(self, now: float) -> list:
        out = []
        if now - self.t_odom > self.max_age:
            out.append("odom")
        if now - self.t_scan > self.max_age:
            out.append("scan")
        if now - self.t_objects > self.max_age:
            out.append("objects")
        return out

    def observation(self, now: float) -> Tuple[np.ndarray, list]:
        """(observation, names of stale inputs)."""
        stale = self.stale_inputs(now)
        pose = self.pose or (0.0, 0.0, 0.0)
        fresh_objects = "objects" not in stale and not self._objects_used and self.objects is not None
        sightings = []
        if fresh_objects:
            sightings = [Sighting(o.color, o.shape, o.bearing_rad, o.distance_m, o.confidence) for o in self.objects.objects if o.distance_m is not None]
            self._objects_used = True
        occluded = None
        if self.scan is not None and "scan" not in stale:
            occluded = occlusion_test(self.scan.ranges, self.scan.angle_min, self.scan.angle_increment)
        track = self.tracker.update(sightings, pose, now, fresh=fresh_objects, occluded=occluded)
        if fresh_objects:
            self._visible = track.visible
        # between camera frames the last frame's verdict holds while it is not stale
        track.visible = bool(self._visible) and "objects" not in stale and track.known
        skill = self.goal.step.skill if self.goal is not None else None
        if skill == "go_to_place" and self.goal.target_xy is not None:
            track, skill = place_track(pose, self.goal.target_xy, self.hfov), "go_to"  # the learned go_to policy, the place as its target
        if self.scan is not None and "scan" not in stale:
            sectors = scan_sectors(self.scan.ranges, self.scan.angle_min, self.scan.angle_increment, self.scan.range_max)
        else:
            sectors = np.zeros(N_SECTORS, np.float32)  # unknown reads as blocked
        obs = build_observation(track, sectors, self.twist, self.max_velocity, skill, stale=bool(stale))
        return obs, stale
