"""The safety layer: independent of the policy, always between it and the wheels.

* velocity and acceleration limits;
* no forward (backward) motion while the laser sees an obstacle closer than
  ``safety_distance`` in the direction of travel (the rule the policy trained with);
* a collision monitor (:class:`CollisionMonitor`): the robot's footprint from
  the URDF, the scan in the base frame, and the commanded motion (linear and
  angular together) predicted until the base could have stopped: a command
  that would bring any part of the footprint closer to an obstacle than
  ``stop_margin`` is slowed down until it does not, or refused.  It holds for
  every command, whatever its source: the learned policy, the recovery
  behaviours, move/turn, turning in place and backing up;
* no clearance known (no scan, a scan older than ``max_age``, or a scan whose
  angles are not finite) means no motion at all; odometry older than
  ``max_age`` means no motion;
* a watchdog: zero when the state or the goal is older than its ``max_age``;
* the e-stop: ``engage()`` gives zero from the next cycle and holds it until
  ``release()`` *and* a new goal (see README: "E-stop semantics");
* NaN or inf anywhere gives zero, never a command.

Pure Python; property-based tests show that no input sequence gives a command
outside the limits or into an obstacle.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from autogpt_ros.robot import load_robot


@dataclass
class SafetyLimits:
    max_linear: float = 0.4  # m/s
    max_angular: float = 1.5  # rad/s
    max_linear_accel: float = 0.8  # m/s^2
    max_angular_accel: float = 3.0  # rad/s^2
    safety_distance: float = 0.25  # m, from the laser to an obstacle ahead/behind
    front_half_angle: float = math.radians(35.0)
    max_age: float = 0.35  # s (policy_node's max_age)


@dataclass(frozen=True)
class Footprint:
    """The robot's outline in the base frame (x forward, y left), metres: see
    :func:`monitor_for` (from the URDF's collision geometry)."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float

    @property
    def radius(self) -> float:
        return math.hypot(max(-self.x_min, self.x_max), max(-self.y_min, self.y_max))


@dataclass
class MonitorConfig:
    stop_margin: float = 0.05  # m between the footprint and any obstacle, never crossed
    latency: float = 0.15  # s: command to wheels, plus one control period
    linear_decel: float = 1.0  # m/s^2 the base can brake with (the URDF's diff-drive limit)
    angular_decel: float = 4.0  # rad/s^2
    resolution: float = 0.02  # m: largest move of any footprint point between two checks
    scales: Tuple[float, ...] = (1.0, 0.7, 0.5, 0.35, 0.2, 0.1)  # slow-down steps tried in turn


@dataclass
class Clearance:
    """Obstacle points in the base frame from one scan.  ``points`` None: unknown."""

    points: Optional[np.ndarray]
    full_circle: bool = True  # the scan covers every direction (else no backing up)
    reason: str = ""

    @property
    def known(self) -> bool:
        return self.points is not None


FREE = Clearance(np.zeros((0, 2)))  # open space all round (tests, and nothing else)


def scan_clearance(ranges: Optional[Sequence[float]], angle_min: float, angle_increment: float, range_min: float,
                   range_max: float, lidar_xy: Tuple[float, float], lidar_yaw: float = 0.0) -> Clearance:
    """The scan's returns as points in the base frame; unknown when the scan is unusable."""
    try:
        r = np.asarray(ranges if ranges is not None else [], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return Clearance(None, reason="scan ranges are not numbers")
    if r.size == 0:
        return Clearance(None, reason="empty scan")
    if not (isinstance(angle_min, (int, float)) and isinstance(angle_increment, (int, float)) and math.isfinite(angle_min) and math.isfinite(angle_increment)):
        return Clearance(None, reason="scan angles are not finite")
    if r.size > 1 and (angle_increment == 0.0 or abs(angle_increment) * (r.size - 1) > 2 * math.pi + 1e-3):
        return Clearance(None, reason="scan angle increment is impossible")
    rmin = range_min if isinstance(range_min, (int, float)) and math.isfinite(range_min) and range_min >= 0 else 0.0
    rmax = range_max if isinstance(range_max, (int, float)) and range_max > 0 and not math.isnan(range_max) else math.inf
    ang = angle_min + angle_increment * np.arange(r.size) + lidar_yaw
    ok = np.isfinite(r) & (r >= rmin) & (r > 0.0) & (r <= rmax)
    rr, aa = r[ok], ang[ok]
    pts = np.stack([lidar_xy[0] + rr * np.cos(aa), lidar_xy[1] + rr * np.sin(aa)], axis=1)
    span = abs(angle_increment) * r.size
    return Clearance(pts, full_circle=span >= 2 * math.pi - 2.5 * abs(angle_increment))


def rect_distance(px: np.ndarray, py: np.ndarray, fp: Footprint) -> np.ndarray:
    """Signed distance from points to the footprint (negative inside)."""
    dx = np.maximum(fp.x_min - px, px - fp.x_max)
    dy = np.maximum(fp.y_min - py, py - fp.y_max)
    outside = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
    inside = np.minimum(np.maximum(dx, dy), 0.0)
    return outside + inside


class CollisionMonitor:
    """Predicts the footprint's sweep under a command; slows it down or refuses it."""

    def __init__(self, footprint: Footprint, config: Optional[MonitorConfig] = None) -> None:
        self.footprint = footprint
        self.config = config or MonitorConfig()

    def horizon(self, v: float, w: float) -> float:
        c = self.config
        return c.latency + max(abs(v) / c.linear_decel, abs(w) / c.angular_decel)

    def safe(self, v: float, w: float, points: np.ndarray) -> Tuple[bool, float]:
        """(no part of the footprint comes closer than the margin, closest distance along the sweep)."""
        fp, c = self.footprint, self.config
        if points.shape[0] == 0 or (v == 0.0 and w == 0.0):
            return True, math.inf
        T = self.horizon(v, w)
        reach = fp.radius + abs(v) * T + c.stop_margin + 0.05
        near = points[np.einsum("ij,ij->i", points, points) <= reach * reach]
        if near.shape[0] == 0:
            return True, math.inf
        n = int(math.ceil((abs(v) + abs(w) * fp.radius) * T / c.resolution)) + 1
        t = np.linspace(0.0, T, n + 1)[:, None]
        th = w * t
        if abs(w) > 1e-6:
            x, y = v / w * np.sin(th), v / w * (1.0 - np.cos(th))
        else:
            x, y = v * t, np.zeros_like(t)
        # returns inside the footprint are the robot itself (its mast, a cable): not obstacles
        near = near[rect_distance(near[:, 0], near[:, 1], fp) >= 0.0]
        if near.shape[0] == 0:
            return True, math.inf
        # the points in the footprint's frame at each time
        dxp, dyp = near[None, :, 0] - x, near[None, :, 1] - y
        cs, sn = np.cos(th), np.sin(th)
        lx, ly = cs * dxp + sn * dyp, -sn * dxp + cs * dyp
        d = rect_distance(lx, ly, fp)
        # never closer than the margin; with something already inside it, no closer than now
        # (driving along a wall that close is fine, turning a corner into it is not), and
        # never into contact
        floor = max(0.0, min(c.stop_margin, float(d[0].min()))) - 1e-4
        closest = float(d.min())
        return closest >= floor, closest

    def limit(self, v: float, w: float, clearance: Clearance) -> Tuple[float, float, str]:
        """The fastest scaled-down version of (v, w) that is safe; (0, 0) if none."""
        if v == 0.0 and w == 0.0:
            return 0.0, 0.0, ""
        if not clearance.known:
            return 0.0, 0.0, f"no clearance known ({clearance.reason or 'no scan'}): no motion"
        if v < 0.0 and not clearance.full_circle:
            v = 0.0
            if w == 0.0:
                return 0.0, 0.0, "the scan does not cover the rear: no backing up"
        for s in self.config.scales:
            ok, _ = self.safe(v * s, w * s, clearance.points)
            if ok:
                return v * s, w * s, ("" if s == 1.0 else f"collision monitor: slowed to {s:.0%}")
        return 0.0, 0.0, "collision monitor: the footprint would come within the stop margin: no motion"


@dataclass
class SafetyResult:
    v: float
    w: float
    reasons: List[str] = field(default_factory=list)


class SafetyFilter:
    def __init__(self, limits: Optional[SafetyLimits] = None, monitor: Optional[CollisionMonitor] = None) -> None:
        self.limits = limits or SafetyLimits()
        self.monitor = monitor or monitor_for(load_robot())
        self.last = (0.0, 0.0)
        self.speed_scale = 1.0  # 0.5 for a step of plan language v2 with speed: slow
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
    def obstacle_distances(self, ranges: Optional[Sequence[float]], angle_min: float, angle_increment: float, lidar_x: float) -> Tuple[float, float]:
        """Closest obstacle ahead (metres from the laser) and behind (from the footprint's
        rear); 0 (blocked) when the scan is unusable, inf when clear in that direction."""
        if ranges is None or len(ranges) == 0 or not math.isfinite(angle_min) or not math.isfinite(angle_increment):
            return 0.0, 0.0
        r = np.asarray(ranges, dtype=np.float64)
        ang = angle_min + angle_increment * np.arange(r.size)
        ang = (ang + math.pi) % (2 * math.pi) - math.pi
        ok = np.isfinite(r) & (r > 0.0)
        half = self.limits.front_half_angle
        front = ok & (np.abs(ang) <= half)
        back = ok & (np.abs(ang) >= math.pi - half)
        f = float(r[front].min()) if front.any() else math.inf
        b = float(r[back].min()) - (lidar_x - self.monitor.footprint.x_min) if back.any() else math.inf
        return f, b

    def filter(self, v: float, w: float, dt: float, state_age: float, goal_age: float, front: float = math.inf, back: float = math.inf,
               *, clearance: Clearance, scan_age: float = 0.0, odom_age: float = 0.0) -> SafetyResult:
        L = self.limits
        k = self.speed_scale if 0.0 < self.speed_scale <= 1.0 else 1.0
        max_v, max_w = L.max_linear * k, L.max_angular * k
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
        if not (isinstance(scan_age, (int, float)) and 0.0 <= scan_age <= L.max_age):
            reasons.append(f"scan is {scan_age:.2f} s old (max_age {L.max_age:g}): no clearance known, zero")
            v, w = 0.0, 0.0
        if not (isinstance(odom_age, (int, float)) and 0.0 <= odom_age <= L.max_age):
            reasons.append(f"odometry is {odom_age:.2f} s old (max_age {L.max_age:g}): zero")
            v, w = 0.0, 0.0
        if not (isinstance(front, (int, float)) and not math.isnan(front)):
            front = 0.0
        if not (isinstance(back, (int, float)) and not math.isnan(back)):
            back = 0.0
        v = max(-max_v, min(max_v, v))
        w = max(-max_w, min(max_w, w))
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
        v = max(-max_v, min(max_v, v))
        w = max(-max_w, min(max_w, w))
        # last, the footprint's sweep: it only ever slows the command down
        v, w, why = self.monitor.limit(v, w, clearance if isinstance(clearance, Clearance) else Clearance(None, reason="no scan"))
        if why:
            reasons.append(why)
        self.last = (v, w)
        return SafetyResult(v, w, reasons)


def monitor_for(robot, stop_margin: float = MonitorConfig.stop_margin, latency: float = MonitorConfig.latency) -> CollisionMonitor:
    """The collision monitor of a robot description (``autogpt_ros.robot.RobotSpec``):
    its footprint and braking from the URDF."""
    return CollisionMonitor(Footprint(*robot.outline), MonitorConfig(stop_margin=stop_margin, latency=latency,
                                                                      linear_decel=robot.max_linear_accel, angular_decel=robot.max_angular_accel))
