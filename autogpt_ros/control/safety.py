"""The safety layer: independent of the policy, always between it and the wheels.

* velocity and acceleration limits;
* no forward (backward) motion while the laser sees an obstacle closer than
  ``safety_distance`` in the direction of travel (turning in place stays allowed);
* a watchdog: zero when the state or the goal is older than ``max_age``;
* the e-stop: ``engage()`` gives zero from the next cycle and holds it until
  ``release()`` *and* a new goal (see README: "E-stop semantics");
* NaN or inf anywhere gives zero, never a command.

Pure Python; property-based tests show that no input sequence gives a command
outside the limits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np


@dataclass
class SafetyLimits:
    max_linear: float = 0.4  # m/s
    max_angular: float = 1.5  # rad/s
    max_linear_accel: float = 0.8  # m/s^2
    max_angular_accel: float = 3.0  # rad/s^2
    safety_distance: float = 0.25  # m, from the laser to an obstacle ahead/behind
    front_half_angle: float = math.radians(35.0)
    max_age: float = 0.5  # s
    robot_half_length: float = 0.15  # the laser sits near the front; behind it the body extends


@dataclass
class SafetyResult:
    v: float
    w: float
    reasons: List[str] = field(default_factory=list)


class SafetyFilter:
    def __init__(self, limits: Optional[SafetyLimits] = None) -> None:
        self.limits = limits or SafetyLimits()
        self.last = (0.0, 0.0)
        self.estopped = False
        self.released = True
        self.awaiting_goal = False
        self.goal_since_engaged = False

    # ---- e-stop ----------------------------------------------------------------
    def engage(self) -> None:
        self.estopped = True
        self.released = False
        self.goal_since_engaged = False

    def release(self) -> None:
        """An explicit release; motion resumes only with a goal newer than the e-stop.
        The release and that goal may arrive in either order: they come on two topics
        and DDS does not order messages across topics."""
        if self.estopped:
            self.released = True
            self.awaiting_goal = True
            if self.goal_since_engaged:
                self.estopped = False
                self.awaiting_goal = False

    def new_goal(self) -> None:
        if self.estopped and not self.released:
            self.goal_since_engaged = True  # it counts once the release comes
        elif self.estopped and self.released and self.awaiting_goal:
            self.estopped = False
            self.awaiting_goal = False

    # ---- the filter ----------------------------------------------------------------
    def obstacle_distances(self, ranges: Optional[Sequence[float]], angle_min: float, angle_increment: float, lidar_x: float = 0.10) -> Tuple[float, float]:
        """Closest obstacle ahead and behind (metres from the laser), inf if none."""
        if ranges is None or len(ranges) == 0 or not math.isfinite(angle_min) or not math.isfinite(angle_increment):
            return math.inf, math.inf
        r = np.asarray(ranges, dtype=np.float64)
        ang = angle_min + angle_increment * np.arange(r.size)
        ang = (ang + math.pi) % (2 * math.pi) - math.pi
        ok = np.isfinite(r) & (r > 0.0)
        half = self.limits.front_half_angle
        front = ok & (np.abs(ang) <= half)
        back = ok & (np.abs(ang) >= math.pi - half)
        f = float(r[front].min()) if front.any() else math.inf
        b = float(r[back].min()) - (self.limits.robot_half_length + lidar_x) if back.any() else math.inf
        return f, b

    def filter(self, v: float, w: float, dt: float, state_age: float, goal_age: float, front: float = math.inf, back: float = math.inf) -> SafetyResult:
        L = self.limits
        reasons: List[str] = []
        values = (v, w, dt, state_age, goal_age)
        if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in values):
            reasons.append("non-finite input: zero")
            v, w = 0.0, 0.0
        if self.estopped:
            reasons.append("e-stop engaged")
            self.last = (0.0, 0.0)
            return SafetyResult(0.0, 0.0, reasons)  # immediately, not ramped
        if not (0.0 <= state_age <= L.max_age):
            reasons.append(f"state is {state_age:.2f} s old (max_age {L.max_age:g}): zero")
            v, w = 0.0, 0.0
        if not (0.0 <= goal_age <= 1e9):
            reasons.append("no goal: zero")
            v, w = 0.0, 0.0
        if not (isinstance(front, (int, float)) and not math.isnan(front)):
            front = 0.0
        if not (isinstance(back, (int, float)) and not math.isnan(back)):
            back = 0.0
        v = max(-L.max_linear, min(L.max_linear, v))
        w = max(-L.max_angular, min(L.max_angular, w))
        if v > 0 and front < L.safety_distance:
            reasons.append(f"obstacle {front:.2f} m ahead: no forward motion")
            v = 0.0
        if v < 0 and back < L.safety_distance:
            reasons.append(f"obstacle {back:.2f} m behind: no backward motion")
            v = 0.0
        dt = dt if (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0) else 0.05
        dv, dw = L.max_linear_accel * dt, L.max_angular_accel * dt
        lv, lw = self.last
        # slowing down to zero is always allowed at once (safety first), speeding up is ramped
        if abs(v) > abs(lv) or v * lv < 0:
            v = lv + max(-dv, min(dv, v - lv))
        if abs(w) > abs(lw) or w * lw < 0:
            w = lw + max(-dw, min(dw, w - lw))
        v = max(-L.max_linear, min(L.max_linear, v))
        w = max(-L.max_angular, min(L.max_angular, w))
        self.last = (v, w)
        return SafetyResult(v, w, reasons)
