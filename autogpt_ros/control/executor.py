"""Running one skill: the learned policy for go_to/find, odometry controllers for
move/turn, zero for stop; success and failure decided with the evaluation's
criteria.  Pure Python (the policy is a plain torch module)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from autogpt_ros import tasks
from autogpt_ros.frames import wrap
from autogpt_ros.robot import load_robot
from autogpt_ros.control.recovery import RecoveringPolicy, RecoveryConfig
from autogpt_ros.observation import INDEX

# Success as judged from perception (camera range, bearing): a little inside the
# evaluation's ground-truth criteria so that a "succeeded" here is one there.
GO_TO_RANGE = tasks.GO_TO_DISTANCE - 0.07
GO_TO_FACING = tasks.GO_TO_FACING * 0.8
FIND_CENTRED = tasks.FIND_CENTRED * 0.6
FIND_FINISH = math.radians(30.0)  # within this the executor centres the target itself


@dataclass
class StepResult:
    v: float  # m/s before the safety layer
    w: float
    state: str  # running | succeeded | failed
    progress: float
    reason: str = ""


class SkillExecutor:
    def __init__(self, policy, max_linear: float, max_angular: float, camera_offset: Optional[float] = None, time_limit: float = tasks.TIME_LIMIT, recovery: bool = True):
        self.policy = policy
        # go_to/find: the learned policy inside the recovery behaviours (stuck against an obstacle, spinning in place)
        self.recovering = RecoveringPolicy(policy, 0.05, RecoveryConfig(max_linear=max_linear, max_angular=max_angular)) if recovery else None
        self._last_now: Optional[float] = None
        self.max_linear, self.max_angular = max_linear, max_angular
        self.camera_offset = load_robot().camera.xyz[0] if camera_offset is None else camera_offset
        self.time_limit = time_limit
        self.step = None
        self.start_pose = (0.0, 0.0, 0.0)
        self.start_t = 0.0
        self.blocked_since: Optional[float] = None
        self.done: Optional[StepResult] = None

    def start(self, step, pose: Tuple[float, float, float], now: float) -> None:
        self.step = step
        self.start_pose = pose
        self.start_t = now
        self.blocked_since = None
        self.done = None
        self._last_now = None
        if self.recovering is not None:
            self.recovering.reset()

    def _travelled(self, pose) -> float:
        x0, y0, yaw0 = self.start_pose
        return (pose[0] - x0) * math.cos(yaw0) + (pose[1] - y0) * math.sin(yaw0)

    def _remaining_angle(self, pose) -> float:
        target = math.radians(self.step.angle_deg) * (1 if self.step.direction == "left" else -1)
        turned = getattr(self, "_turned", 0.0) if getattr(self, "_turn_step", None) is self.step else 0.0
        return abs(target - turned)

    def update(self, obs: np.ndarray, pose: Tuple[float, float, float], now: float, blocked: bool = False) -> StepResult:
        if self.step is None:
            return StepResult(0.0, 0.0, "idle", 0.0)
        if self.done is not None:
            return StepResult(0.0, 0.0, self.done.state, self.done.progress, self.done.reason)
        s = self.step.skill
        elapsed = now - self.start_t
        if s == "stop":
            return self._finish("succeeded", 1.0, "stopped")
        if elapsed > self.time_limit:
            return self._finish("failed", 0.0, f"{s} not done within {self.time_limit:g} s")
        if blocked:
            self.blocked_since = self.blocked_since if self.blocked_since is not None else now
            if now - self.blocked_since > 8.0 and s in ("move",):
                return self._finish("failed", 0.0, "blocked by an obstacle")
        else:
            self.blocked_since = None
        if s in ("go_to", "find"):
            if self.recovering is not None:  # the control period as it is (sim time or wall time)
                self.recovering.dt = float(np.clip(now - self._last_now, 0.0, 0.2)) if self._last_now is not None else 0.05
            self._last_now = now
            return self._learned(obs, s)
        if s == "move":
            return self._move(pose)
        if s == "turn":
            return self._turn(pose)
        return self._finish("failed", 0.0, f"unknown skill {s}")

    def fail(self, reason: str) -> None:
        """End the current step as failed (an e-stop, a cancel)."""
        if self.step is not None and self.done is None:
            self._finish("failed", 0.0, reason)

    def _finish(self, state: str, progress: float, reason: str) -> StepResult:
        self.done = StepResult(0.0, 0.0, state, progress, reason)
        return self.done

    def _learned(self, obs: np.ndarray, skill: str) -> StepResult:
        visible = obs[INDEX["target_visible"]] > 0.5
        bearing = math.atan2(obs[INDEX["bearing_sin"]], obs[INDEX["bearing_cos"]])
        rng = obs[INDEX["distance"]] * 5.0
        if skill == "go_to" and visible and rng + self.camera_offset <= GO_TO_RANGE + self.camera_offset and abs(bearing) <= GO_TO_FACING:
            return self._finish("succeeded", 1.0, "reached the target")
        if skill == "find" and visible and abs(bearing) <= FIND_FINISH:
            # the policy found it: centre it with a proportional turn and stop turning before
            # declaring success (the base keeps turning while it decelerates)
            w_now = obs[INDEX["angular_velocity"]] * self.max_angular
            if abs(bearing) <= FIND_CENTRED and abs(w_now) < 0.25:
                return self._finish("succeeded", 1.0, "target in view and centred")
            w = float(np.clip(1.5 * bearing, -0.6, 0.6))
            return StepResult(0.0, w, "running", 0.9)
        av, aw = (self.recovering or self.policy).act(obs)
        progress = 0.0
        if obs[INDEX["target_known"]] > 0.5:
            progress = float(np.clip(1.0 - rng / 5.0, 0, 1)) if skill == "go_to" else float(np.clip(1 - abs(bearing) / math.pi, 0, 1))
        return StepResult(av * self.max_linear, aw * self.max_angular, "running", progress)

    def _move(self, pose) -> StepResult:
        sign = 1.0 if self.step.direction == "forward" else -1.0
        travelled = sign * self._travelled(pose)
        remaining = self.step.distance_m - travelled
        if remaining <= 0.02:
            return self._finish("succeeded", 1.0, f"moved {travelled:.2f} m")
        v = sign * min(self.max_linear, max(0.05, 1.2 * remaining))
        yaw_err = wrap(pose[2] - self.start_pose[2])
        return StepResult(v, -2.0 * yaw_err, "running", float(np.clip(travelled / max(self.step.distance_m, 1e-6), 0, 1)))

    def _turn(self, pose) -> StepResult:
        # accumulate the turn so that 180 and 360 degrees are possible
        if not hasattr(self, "_last_yaw") or self._turn_step is not self.step:
            self._last_yaw, self._turned, self._turn_step = self.start_pose[2], 0.0, self.step
        self._turned += wrap(pose[2] - self._last_yaw)
        self._last_yaw = pose[2]
        target = math.radians(self.step.angle_deg) * (1 if self.step.direction == "left" else -1)
        remaining = target - self._turned
        if abs(remaining) <= math.radians(2.0):
            return self._finish("succeeded", 1.0, f"turned {math.degrees(self._turned):.0f} degrees")
        w = math.copysign(min(self.max_angular, max(0.25, 2.0 * abs(remaining))), remaining)
        return StepResult(0.0, w, "running", float(np.clip(abs(self._turned) / max(abs(target), 1e-6), 0, 1)))
