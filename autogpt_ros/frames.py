"""Small pieces of frame arithmetic every part uses: one definition each.

Pure Python (messages are read by attribute, nothing is imported from ROS)."""
from __future__ import annotations

import math
from typing import Optional, Tuple

#: odometry further than this from its origin is a broken source, not a pose (metres)
MAX_ODOM_COORDINATE = 1e5


def wrap(a: float) -> float:
    """An angle in [-pi, pi)."""
    return (a + math.pi) % (2 * math.pi) - math.pi


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    """Rotation about z of a quaternion (any tilt ignored)."""
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def quaternion_from_rpy(roll: float, pitch: float, yaw: float) -> Tuple[float, float, float, float]:
    """(x, y, z, w) of a URDF ``rpy`` (fixed axes: roll about x, then pitch about y, then yaw about z)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy)


def stamp_to_s(stamp) -> float:
    """A builtin_interfaces/Time (``header.stamp``) in seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def odom_pose(msg) -> Tuple[Optional[Tuple[float, float, float]], str]:
    """(x, y, yaw) of a nav_msgs/Odometry, or (None, why) when it is not a pose one can
    drive by: non-finite values, a position beyond ``MAX_ODOM_COORDINATE``, or an
    orientation that is not a unit quaternion."""
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    vals = (p.x, p.y, q.x, q.y, q.z, q.w)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals):
        return None, "non-finite odometry"
    if max(abs(p.x), abs(p.y)) > MAX_ODOM_COORDINATE:
        return None, f"implausible odometry (a position beyond {MAX_ODOM_COORDINATE:g} m)"
    if not 0.5 < q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w < 1.5:
        return None, "implausible odometry (the orientation is not a unit quaternion)"
    return (float(p.x), float(p.y), yaw_from_quaternion(q.x, q.y, q.z, q.w)), ""
