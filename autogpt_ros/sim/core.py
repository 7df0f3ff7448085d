"""The embedded simulator: a MuJoCo model built from one scenario and the URDF.

:class:`Simulator` is shared by ``sim_node`` (full physics in real time) and
the Gymnasium environment (``dynamics="kinematic"``: the base pose is moved
by the diff-drive kinematics and only collision and ray queries run, for
thousands of steps per second).  No rclpy here.

Conventions: world frame x forward / y left / z up at the arena centre; the
odometry frame starts at the robot's start pose; bearings are positive to
the left.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import mujoco
import numpy as np

from autogpt_ros.frames import wrap, yaw_from_quaternion
from autogpt_ros.robot import RobotSpec, load_robot
from autogpt_ros.sim.world import Obj, Scenario
from autogpt_ros.vocabulary import COLOR_RGB

PREFIX = "robot/"
FLOOR_RGB = (0.50, 0.50, 0.48)
WALL_RGB = (0.76, 0.72, 0.64)
OBSTACLE_RGB = (0.42, 0.36, 0.30)
WORLD_GROUP = 0
ROBOT_VISUAL_GROUP = 1
ROBOT_COLLISION_GROUP = 3
RAY_GROUPS = np.array([1, 0, 0, 0, 0, 0], dtype=np.uint8)  # rays see the world, not the robot


def yaw_of(quat) -> float:
    """Yaw of a MuJoCo quaternion (w, x, y, z)."""
    w, x, y, z = quat
    return yaw_from_quaternion(x, y, z, w)


def _quat_from_mat(cols) -> np.ndarray:
    q = np.zeros(4)
    mujoco.mju_mat2Quat(q, np.array(cols, dtype=float).T.reshape(-1))
    return q


def _yaw_quat(yaw: float) -> List[float]:
    return [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]


@dataclass
class Pose2D:
    x: float = 0.0
    y: float = 0.0
    yaw: float = 0.0


def build_spec(scenario: Scenario, robot: RobotSpec, timestep: float = 0.002) -> mujoco.MjSpec:
    """The MuJoCo model of a scenario with the URDF robot attached."""
    spec = mujoco.MjSpec()
    spec.modelname = scenario.name
    spec.option.timestep = timestep
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.visual.global_.offwidth = 1280
    spec.visual.global_.offheight = 960
    spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
    spec.visual.headlight.diffuse = [0.45, 0.45, 0.45]
    spec.visual.quality.shadowsize = 0
    spec.add_texture(
        name="sky", type=mujoco.mjtTexture.mjTEXTURE_SKYBOX, builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
        rgb1=[0.72, 0.80, 0.88], rgb2=[0.45, 0.55, 0.65], width=64, height=64,
    )
    wb = spec.worldbody
    w, l = scenario.arena
    wb.add_light(name="sun", pos=[0, 0, 6], dir=[0.2, 0.1, -1], diffuse=[0.6, 0.6, 0.6], castshadow=False)
    wb.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[w / 2 + 1, l / 2 + 1, 0.1], rgba=[*FLOOR_RGB, 1], group=WORLD_GROUP)
    t, hgt = 0.1, scenario.wall_height
    for name, pos, size in (
        ("wall_n", [0, l / 2 + t / 2, hgt / 2], [w / 2 + t, t / 2, hgt / 2]),
        ("wall_s", [0, -l / 2 - t / 2, hgt / 2], [w / 2 + t, t / 2, hgt / 2]),
        ("wall_e", [w / 2 + t / 2, 0, hgt / 2], [t / 2, l / 2 + t, hgt / 2]),
        ("wall_w", [-w / 2 - t / 2, 0, hgt / 2], [t / 2, l / 2 + t, hgt / 2]),
    ):
        wb.add_geom(name=name, type=mujoco.mjtGeom.mjGEOM_BOX, pos=pos, size=size, rgba=[*WALL_RGB, 1], group=WORLD_GROUP)
    for i, ob in enumerate(scenario.obstacles):
        b = wb.add_body(name=f"obstacle{i}", pos=[ob.x, ob.y, ob.size[2] / 2], quat=_yaw_quat(ob.yaw))
        b.add_geom(name=f"obstacle{i}", type=mujoco.mjtGeom.mjGEOM_BOX, size=[s / 2 for s in ob.size], rgba=[*OBSTACLE_RGB, 1], group=WORLD_GROUP)
    for o in scenario.objects:
        rgba = [*COLOR_RGB[o.color], 1]
        if o.shape == "box":
            b = wb.add_body(name=o.name, pos=[o.x, o.y, o.size[2] / 2], quat=_yaw_quat(o.yaw))
            b.add_geom(name=o.name, type=mujoco.mjtGeom.mjGEOM_BOX, size=[s / 2 for s in o.size], rgba=rgba, group=WORLD_GROUP)
        elif o.shape == "ball":
            b = wb.add_body(name=o.name, pos=[o.x, o.y, o.size[2] / 2])
            b.add_geom(name=o.name, type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[o.size[0] / 2, 0, 0], rgba=rgba, group=WORLD_GROUP)
        else:
            b = wb.add_body(name=o.name, pos=[o.x, o.y, o.size[2] / 2])
            b.add_geom(name=o.name, type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[o.size[0] / 2, o.size[2] / 2, 0], rgba=rgba, group=WORLD_GROUP)

    # the robot: the URDF, attached with a free base
    rspec = mujoco.MjSpec.from_file(robot.urdf_path)
    for g in rspec.geoms:
        if g.contype == 0 and g.conaffinity == 0:
            g.group = ROBOT_VISUAL_GROUP
        else:
            g.group = ROBOT_COLLISION_GROUP
            g.rgba = [0.5, 0.5, 0.5, 0.0] if g.parent.name not in ("left_wheel", "right_wheel") else g.rgba
            if "caster" in g.parent.name:
                g.condim = 1  # frictionless casters
            if g.parent.name in ("left_wheel", "right_wheel"):
                g.friction = [1.2, 0.005, 0.0001]
    x0, y0, yaw0 = scenario.robot
    frame = wb.add_frame(pos=[x0, y0, 0.0005], quat=_yaw_quat(yaw0))
    base = frame.attach_body(rspec.body("base_footprint"), PREFIX, "")
    base.add_freejoint(name=PREFIX + "base")
    cam_body = spec.body(PREFIX + "camera_link")
    # MuJoCo cameras look along -z with +y up; ours looks along the link's +x
    cam_quat = _quat_from_mat([[0, -1, 0], [0, 0, 1], [-1, 0, 0]])
    cam_body.add_camera(name="rgb", pos=[0, 0, 0], quat=list(cam_quat), fovy=math.degrees(robot.camera.vfov(robot.camera.width, robot.camera.height)))
    spec.body(PREFIX + "lidar_link").add_site(name="lidar", pos=[0, 0, 0], size=[0.005, 0, 0], group=4)
    for side in ("left", "right"):
        act = spec.add_actuator(name=f"{side}_wheel", target=f"{PREFIX}{side}_wheel_joint", trntype=mujoco.mjtTrn.mjTRN_JOINT)
        act.set_to_velocity(kv=2.0)
        act.ctrllimited = 1
        act.ctrlrange = [-robot.max_wheel_speed, robot.max_wheel_speed]
        act.forcelimited = 1
        act.forcerange = [-2.0, 2.0]
    return spec


class Simulator:
    """One MuJoCo world: physics or kinematic stepping, sensors, bookkeeping."""

    def __init__(self, scenario: Scenario, robot: Optional[RobotSpec] = None, timestep: float = 0.002, dynamics: str = "physics",
                 wheel_separation_multiplier: float = 1.0):
        """``wheel_separation_multiplier``: the wheel odometry's track is the URDF's times this, as
        ros2_control's diff_drive_controller calibrates it (wheels scrub in turns: the base turns
        less than the wheels say)."""
        if dynamics not in ("physics", "kinematic"):
            raise ValueError("dynamics must be 'physics' or 'kinematic'")
        if not (0.5 <= wheel_separation_multiplier <= 2.0):
            raise ValueError("wheel_separation_multiplier must be within 0.5..2.0")
        self.wheel_separation_multiplier = wheel_separation_multiplier
        self.scenario = scenario
        self.robot = robot or load_robot()
        self.dynamics = dynamics
        self.spec = build_spec(scenario, self.robot, timestep)
        self.model = self.spec.compile()
        self.data = mujoco.MjData(self.model)
        m = self.model
        self._free_qadr = m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, PREFIX + "base")]
        self._free_vadr = m.jnt_dofadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, PREFIX + "base")]
        self._wheel_q = [m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, f"{PREFIX}{s}_wheel_joint")] for s in ("left", "right")]
        self._wheel_v = [m.jnt_dofadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, f"{PREFIX}{s}_wheel_joint")] for s in ("left", "right")]
        self._act = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_ACTUATOR, f"{s}_wheel") for s in ("left", "right")]
        self.cam_id = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, "rgb")
        self.lidar_site = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SITE, "lidar")
        self.base_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, PREFIX + "base_footprint")
        robot_bodies = {i for i in range(m.nbody) if m.body(i).name.startswith(PREFIX)}
        self.robot_geoms = np.array([g for g in range(m.ngeom) if m.geom_bodyid[g] in robot_bodies and m.geom_contype[g]], dtype=int)
        self._robot_geom_set = set(self.robot_geoms.tolist())
        self.floor_geom = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, "floor")
        #: geom id -> index into scenario.objects (for segmentation and rays)
        self.object_of_geom: Dict[int, int] = {}
        self._object_geoms: List[int] = []
        for i, o in enumerate(scenario.objects):
            gid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, o.name)
            self.object_of_geom[gid] = i
            self._object_geoms.append(gid)
        self.wheel_cmd = np.zeros(2)
        self._pose_key = None
        self.collisions = 0
        self._contacts: set = set()
        self._renderers: Dict[Tuple[int, int], mujoco.Renderer] = {}
        self._lidar_dirs_local = None
        self.reset()

    # ---- state -------------------------------------------------------------
    def reset(self) -> None:
        mujoco.mj_resetData(self.model, self.data)
        mujoco.mj_forward(self.model, self.data)
        self.wheel_cmd[:] = 0
        self.collisions = 0
        self._contacts = set()
        self.odom = Pose2D()
        self.odom_twist = (0.0, 0.0)
        self._last_wheel = np.array([self.data.qpos[a] for a in self._wheel_q])
        self._start = self.true_pose()
        self.kin_twist = (0.0, 0.0)

    @property
    def time(self) -> float:
        return float(self.data.time)

    def true_pose(self) -> Pose2D:
        q = self.data.qpos[self._free_qadr : self._free_qadr + 7]
        key = (q[0], q[1], q[3], q[6])
        if self._pose_key != key:
            self._pose_key = key
            self._pose = Pose2D(float(q[0]), float(q[1]), yaw_of(q[3:7]))
        return self._pose

    def wheel_angles(self) -> Tuple[float, float]:
        """(left, right) wheel joint angles in radians."""
        return float(self.data.qpos[self._wheel_q[0]]), float(self.data.qpos[self._wheel_q[1]])

    def true_twist(self) -> Tuple[float, float]:
        """(forward speed, yaw rate) of the base in its own frame."""
        v = self.data.qvel[self._free_vadr : self._free_vadr + 6]
        yaw = self.true_pose().yaw
        return float(math.cos(yaw) * v[0] + math.sin(yaw) * v[1]), float(v[5])

    def place_robot(self, x: float, y: float, yaw: float) -> bool:
        """Teleport the base (data generation, tests); False if it would collide."""
        qa = self._free_qadr
        self.data.qpos[qa : qa + 3] = (x, y, 0.0005)
        self.data.qpos[qa + 3 : qa + 7] = _yaw_quat(yaw)
        self.data.qvel[:] = 0
        mujoco.mj_forward(self.model, self.data)
        self._contacts = set()
        free = not self._count_contacts()
        self.collisions = 0
        self._contacts = set()
        return free

    def set_lighting(self, scale: float, ambient: float) -> None:
        """Scale the sun and set the headlight ambient level (data augmentation)."""
        if not hasattr(self, "_light0"):
            self._light0 = self.model.light_diffuse.copy()
        self.model.light_diffuse[:] = self._light0 * scale
        self.model.vis.headlight.ambient[:] = ambient
        self.model.vis.headlight.diffuse[:] = 0.45 * scale

    # ---- commands ------------------------------------------------------------
    def set_twist(self, v: float, w: float) -> Tuple[float, float]:
        """Command a body twist; returns the (v, w) actually applied after wheel limits."""
        wl, wr = self.robot.wheel_speeds(v, w)
        self.wheel_cmd[:] = (wl, wr)
        self.data.ctrl[self._act[0]] = wl
        self.data.ctrl[self._act[1]] = wr
        return self.robot.body_twist(wl, wr)

    # ---- stepping --------------------------------------------------------------
    def step(self, duration: float) -> None:
        """Advance ``duration`` seconds (physics) or one kinematic move."""
        if self.dynamics == "physics":
            n = max(1, int(round(duration / self.model.opt.timestep)))
            for _ in range(n):
                mujoco.mj_step(self.model, self.data)
            self._count_contacts()
            self._update_odometry(duration)
        else:
            self._kinematic_step(duration)

    def _kinematic_step(self, dt: float) -> None:
        v, w = self.robot.body_twist(*self.wheel_cmd)
        p = self.true_pose()
        yaw_mid = p.yaw + 0.5 * w * dt
        nx, ny, nyaw = p.x + v * dt * math.cos(yaw_mid), p.y + v * dt * math.sin(yaw_mid), wrap(p.yaw + w * dt)
        qa = self._free_qadr
        old = self.data.qpos[qa : qa + 7].copy()
        self.data.qpos[qa : qa + 3] = (nx, ny, 0.0005)
        self.data.qpos[qa + 3 : qa + 7] = _yaw_quat(nyaw)
        self.data.time += dt
        mujoco.mj_fwdPosition(self.model, self.data)
        if self._count_contacts():  # blocked: stay where we were
            self.data.qpos[qa : qa + 7] = old
            mujoco.mj_fwdPosition(self.model, self.data)
            v, w = 0.0, 0.0
        self.kin_twist = (v, w)
        self.odom_twist = (v, w)
        d = self.true_pose()
        # odometry is exact in kinematic mode, expressed in the start frame
        s = self._start
        c, sn = math.cos(-s.yaw), math.sin(-s.yaw)
        self.odom = Pose2D(c * (d.x - s.x) - sn * (d.y - s.y), sn * (d.x - s.x) + c * (d.y - s.y), wrap(d.yaw - s.yaw))

    def _count_contacts(self) -> bool:
        """Count new robot-vs-world contacts; True if the robot touches anything but the floor."""
        d = self.data
        now = set()
        for i in range(d.ncon):
            c = d.contact[i]
            g1, g2 = int(c.geom1), int(c.geom2)
            if self.floor_geom in (g1, g2):
                continue
            r1, r2 = g1 in self._robot_geom_set, g2 in self._robot_geom_set
            if r1 != r2 and c.dist < 0.0:
                now.add(g2 if r1 else g1)
        self.collisions += len(now - self._contacts)
        self._contacts = now
        return bool(now)

    def _update_odometry(self, dt: float) -> None:
        wheels = np.array([self.data.qpos[a] for a in self._wheel_q])
        dl, dr = wheels - self._last_wheel
        self._last_wheel = wheels
        r, b = self.robot.wheel_radius, self.robot.track * self.wheel_separation_multiplier
        ds, dth = r * (dl + dr) / 2.0, r * (dr - dl) / b
        yaw_mid = self.odom.yaw + dth / 2.0
        self.odom = Pose2D(self.odom.x + ds * math.cos(yaw_mid), self.odom.y + ds * math.sin(yaw_mid), wrap(self.odom.yaw + dth))
        wv = [self.data.qvel[a] for a in self._wheel_v]
        v, w = self.robot.body_twist(wv[0], wv[1])
        self.odom_twist = (v, w / self.wheel_separation_multiplier)

    # ---- sensors -----------------------------------------------------------------
    def scan(self, stride: int = 1) -> np.ndarray:
        """Lidar ranges (inf where nothing is hit within range_max).

        ``stride`` > 1 casts every stride-th ray only (the environment's fast
        mode); the angles are then ``L.angles()[::stride]``."""
        L = self.robot.lidar
        if self._lidar_dirs_local is None:
            self._lidar_dirs_local = {}
        dirs = self._lidar_dirs_local.get(stride)
        if dirs is None:
            a = L.angles()[::stride]
            dirs = self._lidar_dirs_local[stride] = np.stack([np.cos(a), np.sin(a), np.zeros_like(a)], axis=1)
        xmat = self.data.site_xmat[self.lidar_site].reshape(3, 3)
        vec = (dirs @ xmat.T).reshape(-1)
        pnt = self.data.site_xpos[self.lidar_site].copy()
        n = len(dirs)
        geomid = np.zeros(n, np.int32)
        dist = np.zeros(n, np.float64)
        mujoco.mj_multiRay(self.model, self.data, pnt, vec, RAY_GROUPS, 1, -1, geomid, dist, None, n, L.range_max)
        out = dist.astype(np.float32)
        out[(geomid < 0) | (dist < 0) | (dist > L.range_max)] = np.inf
        out[out < L.range_min] = L.range_min
        return out

    def camera_pose(self) -> Tuple[np.ndarray, np.ndarray]:
        return self.data.cam_xpos[self.cam_id].copy(), self.data.cam_xmat[self.cam_id].reshape(3, 3).copy()

    def _renderer(self, width: int, height: int) -> mujoco.Renderer:
        key = (width, height)
        r = self._renderers.get(key)
        if r is None:
            r = mujoco.Renderer(self.model, height=height, width=width)
            self._renderers[key] = r
        return r

    def _prepare(self, width: int, height: int) -> mujoco.Renderer:
        self.model.cam_fovy[self.cam_id] = math.degrees(self.robot.camera.vfov(width, height))
        self.model.vis.map.znear = self.robot.camera.near / max(self.model.stat.extent, 1e-6)
        r = self._renderer(width, height)
        r.update_scene(self.data, camera=self.cam_id)
        return r

    def render_rgb(self, width: int, height: int) -> np.ndarray:
        r = self._prepare(width, height)
        return r.render()

    def render_depth(self, width: int, height: int) -> np.ndarray:
        """Depth along the optical axis in metres (float32); far clip gives inf."""
        r = self._prepare(width, height)
        r.enable_depth_rendering()
        try:
            d = r.render().astype(np.float32)
        finally:
            r.disable_depth_rendering()
        d[d >= self.robot.camera.far] = np.inf
        return d

    def render_segmentation(self, width: int, height: int) -> np.ndarray:
        """Per-pixel index into scenario.objects, -1 for anything else."""
        r = self._prepare(width, height)
        r.enable_segmentation_rendering()
        try:
            seg = r.render()
        finally:
            r.disable_segmentation_rendering()
        ids, types = seg[:, :, 0], seg[:, :, 1]
        out = np.full(ids.shape, -1, np.int32)
        geom_mask = types == int(mujoco.mjtObj.mjOBJ_GEOM)
        for g, idx in self.object_of_geom.items():
            out[geom_mask & (ids == g)] = idx
        return out

    def close(self) -> None:
        for r in self._renderers.values():
            try:
                r.close()
            except Exception:
                pass
        self._renderers.clear()

    # ---- perception emulation and geometry -----------------------------------------
    def relative(self, obj: Obj, pose: Optional[Pose2D] = None) -> Tuple[float, float]:
        """(bearing, centre distance) of an object from the camera, bearing positive left."""
        cam = self.data.cam_xpos[self.cam_id]
        p = pose or self.true_pose()
        dx, dy = obj.x - cam[0], obj.y - cam[1]
        return wrap(math.atan2(dy, dx) - p.yaw), math.hypot(dx, dy)

    def surface_range(self, index: int) -> float:
        """Ground range from the camera to the object's surface along the bearing of its centre."""
        obj = self.scenario.objects[index]
        g = self._object_geoms[index]
        cam = self.data.cam_xpos[self.cam_id]
        zc = float(self.data.geom_xpos[g][2])
        dx, dy = obj.x - cam[0], obj.y - cam[1]
        n = math.hypot(dx, dy)
        if n < 1e-6:
            return 0.0
        pnt = np.array([cam[0], cam[1], zc])
        vec = np.array([dx / n, dy / n, 0.0])
        d = mujoco.mju_rayGeom(self.data.geom_xpos[g], self.data.geom_xmat[g], self.model.geom_size[g], pnt, vec, int(self.model.geom_type[g]))
        return float(d) if d >= 0 else max(0.0, n - obj.radius)

    def visible(self, index: int) -> bool:
        """Inside the camera's horizontal field of view, in range and not occluded."""
        obj = self.scenario.objects[index]
        bearing, dist = self.relative(obj)
        half = self.robot.camera.hfov / 2
        if dist > self.robot.camera.far or dist < 0.1:
            return False
        # accept a partly visible object if any of centre or its edges is inside the view
        edge = math.atan2(obj.radius, dist)
        if abs(bearing) - edge > half:
            return False
        cam = self.data.cam_xpos[self.cam_id]
        yaw = self.true_pose().yaw
        geomid = np.zeros(1, np.int32)
        for off in (0.0, -0.6, 0.6):
            ang = yaw + bearing + off * edge
            target_z = min(obj.size[2] * 0.5, cam[2])
            horiz = dist - obj.radius * 0.5
            vec = np.array([math.cos(ang), math.sin(ang), (target_z - cam[2]) / max(horiz, 1e-3)])
            vec /= np.linalg.norm(vec)
            if abs(wrap(ang - yaw)) > half:
                continue
            d = mujoco.mj_ray(self.model, self.data, cam, vec, RAY_GROUPS, 1, -1, geomid)
            if d >= 0 and self.object_of_geom.get(int(geomid[0])) == index:
                return True
        return False

    def objects_in_view(self) -> List[int]:
        return [i for i in range(len(self.scenario.objects)) if self.visible(i)]
