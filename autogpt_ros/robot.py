"""The robot's numbers, read from ``description/robot.urdf`` (and nowhere else).

Wheel radius and track come from the wheel links and joints, wheel speed
limits from the joints' ``<limit velocity>``, velocity and acceleration
limits from the Gazebo diff-drive block, and camera and lidar poses and
settings from their joints and ``<sensor>`` blocks.  Pure Python (no rclpy,
no MuJoCo).
"""
from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Tuple

import numpy as np


def package_share() -> str:
    """The folder holding description/, worlds/, config/: the installed share
    directory if the package is installed, else the source tree."""
    src = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    if os.path.isfile(os.path.join(src, "description", "robot.urdf")):
        return src
    try:
        from ament_index_python.packages import get_package_share_directory

        return get_package_share_directory("autogpt_ros")
    except Exception:
        return src


def default_urdf() -> str:
    return os.path.join(package_share(), "description", "robot.urdf")


@dataclass(frozen=True)
class CameraSpec:
    xyz: Tuple[float, float, float]  # in base_link
    rpy: Tuple[float, float, float]
    hfov: float  # radians
    width: int
    height: int
    rate_hz: float
    near: float
    far: float

    def intrinsics(self, width: int, height: int) -> Tuple[float, float, float, float]:
        """fx, fy, cx, cy for an image of the given size (same hfov, square pixels)."""
        fx = (width / 2.0) / math.tan(self.hfov / 2.0)
        return fx, fx, (width - 1) / 2.0, (height - 1) / 2.0

    def vfov(self, width: int, height: int) -> float:
        return 2.0 * math.atan(math.tan(self.hfov / 2.0) * height / width)


@dataclass(frozen=True)
class LidarSpec:
    xyz: Tuple[float, float, float]
    samples: int
    min_angle: float
    max_angle: float
    range_min: float
    range_max: float
    rate_hz: float

    @property
    def angle_increment(self) -> float:
        return (self.max_angle - self.min_angle) / max(1, self.samples - 1)

    def angles(self) -> np.ndarray:
        return self.min_angle + self.angle_increment * np.arange(self.samples)


@dataclass(frozen=True)
class RobotSpec:
    name: str
    wheel_radius: float
    track: float  # distance between the wheels' contact points
    max_wheel_speed: float  # rad/s
    max_linear: float  # m/s
    max_angular: float  # rad/s
    max_linear_accel: float
    max_angular_accel: float
    base_height: float  # base_link above the floor
    footprint: Tuple[float, float]  # chassis length, width
    camera: CameraSpec
    lidar: LidarSpec
    urdf_path: str
    #: (x_min, x_max, y_min, y_max) of every collision geometry of the base and what is
    #: fixed to it or rolls on it, in the base_footprint frame: the collision monitor's footprint
    outline: Tuple[float, float, float, float] = (-0.15, 0.15, -0.155, 0.155)

    @property
    def radius(self) -> float:
        """Radius of the circle that covers the chassis (for clearance checks)."""
        return 0.5 * math.hypot(*self.footprint)

    def wheel_speeds(self, v: float, w: float) -> Tuple[float, float]:
        """(left, right) wheel speeds in rad/s for a body twist, scaled to the limits."""
        vl = (v - w * self.track / 2.0) / self.wheel_radius
        vr = (v + w * self.track / 2.0) / self.wheel_radius
        m = max(abs(vl), abs(vr))
        if m > self.max_wheel_speed:
            vl, vr = vl * self.max_wheel_speed / m, vr * self.max_wheel_speed / m
        return vl, vr

    def body_twist(self, wl: float, wr: float) -> Tuple[float, float]:
        """(v, w) of the base for wheel speeds in rad/s."""
        v = self.wheel_radius * (wl + wr) / 2.0
        w = self.wheel_radius * (wr - wl) / self.track
        return v, w

    def clamp_twist(self, v: float, w: float) -> Tuple[float, float]:
        return float(np.clip(v, -self.max_linear, self.max_linear)), float(np.clip(w, -self.max_angular, self.max_angular))


@dataclass(frozen=True)
class Joint:
    """A joint of the URDF: at zero position, the transform from ``parent`` to ``child``."""

    name: str
    type: str  # fixed, continuous, revolute, ...
    parent: str
    child: str
    xyz: Tuple[float, float, float]
    rpy: Tuple[float, float, float]
    axis: Tuple[float, float, float] = (1.0, 0.0, 0.0)


@lru_cache(maxsize=8)
def joints(urdf_path: str = "") -> Tuple[Joint, ...]:
    """Every joint of the URDF, in file order."""
    root = ET.parse(urdf_path or default_urdf()).getroot()
    out = []
    for j in root.findall("joint"):
        o, ax = j.find("origin"), j.find("axis")
        xyz = _floats(o.get("xyz")) if o is not None else (0.0, 0.0, 0.0)
        rpy = _floats(o.get("rpy")) if o is not None else (0.0, 0.0, 0.0)
        axis = _floats(ax.get("xyz")) if ax is not None else (1.0, 0.0, 0.0)
        out.append(Joint(j.get("name"), j.get("type"), j.find("parent").get("link"), j.find("child").get("link"), xyz[:3], rpy[:3], axis[:3]))
    return tuple(out)


def fixed_joints(urdf_path: str = "") -> Tuple[Joint, ...]:
    """The fixed joints: what robot_state_publisher puts on /tf_static
    (base_footprint -> base_link -> camera_link -> camera_optical_frame, lidar_link, the casters)."""
    return tuple(j for j in joints(urdf_path) if j.type == "fixed")


def _floats(text: str, n: int = 3) -> Tuple[float, ...]:
    vals = tuple(float(x) for x in (text or "").split()) if text else ()
    return vals + (0.0,) * (n - len(vals))


def _joint_origin(root, child: str):
    for j in root.findall("joint"):
        if j.find("child").get("link") == child:
            o = j.find("origin")
            return j, (_floats(o.get("xyz")) if o is not None else (0.0, 0.0, 0.0)), (_floats(o.get("rpy")) if o is not None else (0.0, 0.0, 0.0))
    raise ValueError(f"URDF has no joint with child link {child!r}")


def _text(el, path: str, default=None, cast=float):
    node = el.find(path) if el is not None else None
    if node is None or node.text is None:
        if default is None:
            raise ValueError(f"URDF: missing <{path}>")
        return default
    return cast(node.text.strip())


def _outline(root) -> Tuple[float, float, float, float]:
    """The planar extent of the links' collision geometry (boxes, cylinders, spheres;
    joint and geometry origins without rotation about z, as in this robot)."""
    parent_of = {j.find("child").get("link"): j for j in root.findall("joint")}

    def origin_xy(link: str) -> Tuple[float, float]:
        x = y = 0.0
        while link in parent_of:
            j = parent_of[link]
            o = j.find("origin")
            xyz = _floats(o.get("xyz")) if o is not None else (0.0, 0.0, 0.0)
            x, y = x + xyz[0], y + xyz[1]
            link = j.find("parent").get("link")
        return x, y

    xs, ys = [], []
    for link in root.findall("link"):
        ox, oy = origin_xy(link.get("name"))
        for col in link.findall("collision"):
            o = col.find("origin")
            gx, gy, _ = _floats(o.get("xyz")) if o is not None else (0.0, 0.0, 0.0)
            roll = (_floats(o.get("rpy")) if o is not None else (0.0, 0.0, 0.0))[0]
            g = col.find("geometry")
            box, cyl, sph = g.find("box"), g.find("cylinder"), g.find("sphere")
            if box is not None:
                sx, sy, _ = _floats(box.get("size"))
                hx, hy = sx / 2, sy / 2
            elif cyl is not None:  # a wheel: its axis along y when rolled by 90 degrees
                r, ln = float(cyl.get("radius")), float(cyl.get("length"))
                hx, hy = (r, ln / 2) if abs(abs(roll) - math.pi / 2) < 0.1 else (r, r)
            elif sph is not None:
                hx = hy = float(sph.get("radius"))
            else:
                continue
            cx, cy = ox + gx, oy + gy
            xs += [cx - hx, cx + hx]
            ys += [cy - hy, cy + hy]
    if not xs:
        raise ValueError("URDF: no collision geometry for the footprint")
    return (min(xs), max(xs), min(ys), max(ys))


@lru_cache(maxsize=8)
def load_robot(urdf_path: str = "") -> RobotSpec:
    path = urdf_path or default_urdf()
    root = ET.parse(path).getroot()
    lj, lxyz, _ = _joint_origin(root, "left_wheel")
    rj, rxyz, _ = _joint_origin(root, "right_wheel")
    wheel = root.find("link[@name='left_wheel']/collision/geometry/cylinder")
    radius = float(wheel.get("radius"))
    track = abs(lxyz[1] - rxyz[1])
    max_wheel = float(lj.find("limit").get("velocity"))
    _, base_xyz, _ = _joint_origin(root, "base_link")
    box = root.find("link[@name='base_link']/collision/geometry/box")
    size = _floats(box.get("size"))
    dd = None
    for g in root.findall("gazebo"):
        for p in g.findall("plugin"):
            if "diff-drive" in (p.get("filename") or "") or "DiffDrive" in (p.get("name") or ""):
                dd = p
    max_lin = _text(dd, "max_linear_velocity", radius * max_wheel)
    max_ang = _text(dd, "max_angular_velocity", 2 * radius * max_wheel / track)
    sensors: Dict[str, ET.Element] = {}
    for g in root.findall("gazebo"):
        for s in g.findall("sensor"):
            sensors[s.get("type")] = s
    cam_el = sensors["camera"]
    _, cxyz, crpy = _joint_origin(root, "camera_link")
    camera = CameraSpec(
        xyz=cxyz,
        rpy=crpy,
        hfov=_text(cam_el, "camera/horizontal_fov"),
        width=_text(cam_el, "camera/image/width", cast=int),
        height=_text(cam_el, "camera/image/height", cast=int),
        rate_hz=_text(cam_el, "update_rate"),
        near=_text(cam_el, "camera/clip/near"),
        far=_text(cam_el, "camera/clip/far"),
    )
    lid_el = sensors.get("gpu_lidar") or sensors["lidar"]
    _, lxyz2, _ = _joint_origin(root, "lidar_link")
    h = "lidar/scan/horizontal/"
    lidar = LidarSpec(
        xyz=lxyz2,
        samples=_text(lid_el, h + "samples", cast=int),
        min_angle=_text(lid_el, h + "min_angle"),
        max_angle=_text(lid_el, h + "max_angle"),
        range_min=_text(lid_el, "lidar/range/min"),
        range_max=_text(lid_el, "lidar/range/max"),
        rate_hz=_text(lid_el, "update_rate"),
    )
    return RobotSpec(
        name=root.get("name"),
        wheel_radius=radius,
        track=track,
        max_wheel_speed=max_wheel,
        max_linear=min(max_lin, radius * max_wheel),
        max_angular=min(max_ang, 2 * radius * max_wheel / track),
        max_linear_accel=_text(dd, "max_linear_acceleration", 1.0),
        max_angular_accel=_text(dd, "max_angular_acceleration", 4.0),
        base_height=base_xyz[2],
        footprint=(size[0], size[1]),
        camera=camera,
        lidar=lidar,
        urdf_path=os.path.abspath(path),
        outline=_outline(root),
    )
