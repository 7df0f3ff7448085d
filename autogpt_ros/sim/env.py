"""A Gymnasium environment over the embedded simulator (no ROS inside).

``reset(seed)`` builds a random scenario (3-8 objects, obstacles, the target
often out of view) and picks a task: ``go_to`` or ``find`` a (colour, shape)
target.  ``step(action)`` applies a normalised (v, w) command for one
control period (default 0.1 s).  The observation is built by
:func:`autogpt_ros.observation.build_observation`, the function fusion_node
uses, from emulated perception: the target is reported only when it is
inside the camera's field of view and not occluded (a ray test), with
bearing and distance noise and dropouts.

By default the base moves kinematically (diff-drive kinematics plus MuJoCo
collision and ray queries), which runs thousands of steps per second;
``dynamics="physics"`` steps the full MuJoCo dynamics like sim_node.
Rendering is optional (``render_mode="rgb_array"``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import gymnasium as gym
import numpy as np

from autogpt_ros import tasks
from autogpt_ros.memory import ObjectMemory, Sighting
from autogpt_ros.observation import MAX_DISTANCE, OBS_SIZE, TargetTracker, build_observation, occlusion_test, scan_sectors
from autogpt_ros.sim.core import Simulator, wrap
from autogpt_ros.robot import RobotSpec, load_robot
from autogpt_ros.sim.world import Scenario, generate


@dataclass
class PerceptionNoise:
    """Emulated camera errors (defaults from the camera benchmark's order of magnitude)."""

    bearing_std: float = math.radians(0.7)
    distance_rel_std: float = 0.03
    dropout: float = 0.05
    max_range: float = 6.0


class AgentEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        skills: Sequence[str] = ("go_to", "find"),
        control_period: float = 0.1,
        time_limit: float = tasks.TIME_LIMIT,
        dynamics: str = "kinematic",
        noise: Optional[PerceptionNoise] = None,
        render_mode: Optional[str] = None,
        render_size: Tuple[int, int] = (320, 240),
        robot: Optional[RobotSpec] = None,
        scenario: Optional[Scenario] = None,
        scan_stride: int = 2,
        safety: Optional["SafetyLimits"] = None,
        terminate_on_collision: bool = False,
        path_shaping: bool = True,
    ) -> None:
        from autogpt_ros.control.safety import SafetyFilter, SafetyLimits, scan_clearance

        self.safety_limits = safety or SafetyLimits()
        self._safety_cls = SafetyFilter
        self._clearance = scan_clearance
        self.terminate_on_collision = terminate_on_collision
        self.path_shaping = path_shaping  # go_to progress along the shortest path around obstacles
        self.scan_stride = scan_stride  # every 2nd lidar ray: 2 degree steps, sectors barely change
        self.skills = tuple(skills)
        self.dt = control_period
        self.time_limit = time_limit
        self.dynamics = dynamics
        self.noise = noise or PerceptionNoise()
        self.render_mode = render_mode
        self.render_size = render_size
        self.robot = robot or load_robot()
        self.fixed_scenario = scenario
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(OBS_SIZE,), dtype=np.float32)
        self.sim: Optional[Simulator] = None
        self.rng = np.random.default_rng()

    # ---- task -----------------------------------------------------------------
    def _choose_task(self, options: Optional[dict]) -> None:
        options = options or {}
        self.skill = options.get("skill") or self.skills[int(self.rng.integers(len(self.skills)))]
        objs = self.sim.scenario.objects
        if "target" in options:
            self.target_index = int(options["target"])
        else:
            self.target_index = int(self.rng.integers(len(objs)))
        self.target = objs[self.target_index]

    def surface_distance(self) -> float:
        p = self.sim.true_pose()
        return self.target.surface_distance(p.x, p.y)

    def true_bearing(self) -> float:
        p = self.sim.true_pose()
        return wrap(math.atan2(self.target.y - p.y, self.target.x - p.x) - p.yaw)

    def success(self) -> bool:
        if self.skill == "go_to":
            return tasks.go_to_reached(self.surface_distance(), self.true_bearing())
        return tasks.find_reached(self.sim.visible(self.target_index), self.sim.relative(self.target)[0])

    # ---- perception emulation ------------------------------------------------------
    def sightings(self) -> List[Sighting]:
        out = []
        for i in self.sim.objects_in_view():
            o = self.sim.scenario.objects[i]
            bearing, _ = self.sim.relative(o)
            surface = max(0.05, self.sim.surface_range(i))
            if surface > self.noise.max_range or self.rng.random() < self.noise.dropout:
                continue
            out.append(
                Sighting(
                    o.color,
                    o.shape,
                    bearing + float(self.rng.normal(0, self.noise.bearing_std)),
                    surface * (1 + float(self.rng.normal(0, self.noise.distance_rel_std))),
                )
            )
        return out

    def _observe(self) -> np.ndarray:
        sim = self.sim
        o = sim.odom
        L = self.robot.lidar
        self._last_scan = sim.scan(self.scan_stride)
        sectors = scan_sectors(self._last_scan, L.min_angle, L.angle_increment * self.scan_stride, L.range_max)
        occluded = occlusion_test(self._last_scan, L.min_angle, L.angle_increment * self.scan_stride)
        track = self.tracker.update(self.sightings(), (o.x, o.y, o.yaw), sim.time, occluded=occluded)
        self.track = track
        return build_observation(track, sectors, sim.odom_twist, (self.safety_limits.max_linear, self.safety_limits.max_angular), self.skill)

    # ---- gym API ---------------------------------------------------------------------
    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
        super().reset(seed=seed)
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        scenario = self.fixed_scenario or generate(int(self.rng.integers(2**31 - 1)) if seed is None else seed)
        if self.sim is not None:
            self.sim.close()
        self.sim = Simulator(scenario, self.robot, dynamics=self.dynamics)
        self._choose_task(options)
        self.memory = ObjectMemory(camera_offset=self.robot.camera.xyz[0])
        self.tracker = TargetTracker(self.memory, hfov=self.robot.camera.hfov)
        self.tracker.set_target(self.target.color, self.target.shape)
        from autogpt_ros.control.safety import monitor_for

        self.safety = self._safety_cls(self.safety_limits, monitor_for(self.robot))
        self.steps = 0
        self.path_length = 0.0
        self.start_distance = self.surface_distance()
        self.geodesic = None
        if self.skill == "go_to" and self.path_shaping:
            from autogpt_ros.sim.geodesic import GeodesicField

            self.geodesic = GeodesicField(self.sim.scenario, self.target_index, self.robot.radius)
        self._prev = self._progress_measure()
        obs = self._observe()
        return obs, self._info(False)

    def _progress_measure(self) -> float:
        if self.skill == "go_to":
            d = None
            if self.geodesic is not None:  # the way around obstacles, not through them
                p = self.sim.true_pose()
                g = self.geodesic.distance(p.x, p.y)
                d = None if g is None else g + min(self.surface_distance(), 0.35)
            return min(self.surface_distance() if d is None else d, MAX_DISTANCE * 3)
        return abs(self.true_bearing())

    def _info(self, success: bool) -> dict:
        p = self.sim.true_pose()
        return {
            "skill": self.skill,
            "target": self.target.label,
            "success": success,
            "collisions": self.sim.collisions,
            "time": self.sim.time,
            "pose": (p.x, p.y, p.yaw),
            "surface_distance": self.surface_distance(),
            "path_length": self.path_length,
            "start_distance": self.start_distance,
        }

    def step(self, action):
        a = np.clip(np.nan_to_num(np.asarray(action, dtype=np.float64).reshape(-1)[:2], nan=0.0), -1.0, 1.0)
        # the same scaling and safety layer as policy_node: no train/deploy skew
        L = self.safety_limits
        lid = self.robot.lidar
        front, back = self.safety.obstacle_distances(self._last_scan, lid.min_angle, lid.angle_increment * self.scan_stride, lid.xyz[0])
        clearance = self._clearance(self._last_scan, lid.min_angle, lid.angle_increment * self.scan_stride, lid.range_min, lid.range_max, lid.xyz[:2])
        res = self.safety.filter(float(a[0]) * L.max_linear, float(a[1]) * L.max_angular, self.dt, 0.0, 0.0, front, back, clearance=clearance)
        v, w = res.v, res.w
        before = self.sim.true_pose()
        collisions = self.sim.collisions
        self.sim.set_twist(v, w)
        self.sim.step(self.dt)
        after = self.sim.true_pose()
        self.path_length += math.hypot(after.x - before.x, after.y - before.y)
        self.steps += 1
        obs = self._observe()
        success = self.success()
        collided = self.sim.collisions > collisions
        measure = self._progress_measure()
        reward = (self._prev - measure) * (2.0 if self.skill == "go_to" else 1.0) - 0.01
        self._prev = measure
        if self.skill == "find" and self.track.visible:
            reward += 0.02
        if collided:
            reward -= 2.0
        if success:
            reward += 10.0
        terminated = success or (collided and self.terminate_on_collision)
        truncated = self.sim.time >= self.time_limit - 1e-9
        return obs, float(reward), terminated, truncated, self._info(success)

    def render(self):
        if self.render_mode != "rgb_array" or self.sim is None:
            return None
        return self.sim.render_rgb(*self.render_size)

    def close(self):
        if self.sim is not None:
            self.sim.close()
            self.sim = None
