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
from autogpt_ros.observation import INDEX, N_SECTORS

# Success as judged from perception (camera range, bearing): a little inside the
# evaluation's ground-truth criteria so that a "succeeded" here is one there.
GO_TO_RANGE = tasks.GO_TO_DISTANCE - 0.07
GO_TO_FACING = tasks.GO_TO_FACING * 0.8
FIND_CENTRED = tasks.FIND_CENTRED * 0.6
FIND_FINISH = math.radians(30.0)  # within this the executor centres the target itself
PLACE_REACHED = 0.12  # m: go_to_place ends this close to the place by odometry (judged within tasks.PLACE_DISTANCE; odometry drifts)
UNTIL_CONFIRM_S = 0.4  # move ... until: the target in view this long (a few camera frames, not a glimpse) ends the move
# fusion_node's state for a new goal follows the goal by a period or two: until then the state may
# still describe the previous goal's target, so nothing ends on what it says about the target
SETTLE_S = 0.3
# explore: a look around in place, then legs towards open space that the robot has not visited
EXPLORE_TURN_W = 0.6  # rad/s while looking around and turning to a new heading
EXPLORE_V = 0.25  # m/s on a leg
EXPLORE_LEG_M = 1.5  # longest leg
EXPLORE_CLEARANCE_M = 0.6  # a leg ends this far before what the laser sees in its direction


@dataclass
class _Exploring:
    phase: str = "look"  # look | turn | go
    turned: float = 0.0
    last_yaw: float = 0.0
    heading: float = 0.0
    leg: float = 0.0
    leg_start: Tuple[float, float] = (0.0, 0.0)
    leg_t: float = 0.0
    travelled: float = 0.0
    legs: int = 0
    visited: list = None


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
        self.range_max = load_robot().lidar.range_max  # the laser's: the observation's scan sectors are over it
        self.time_limit = time_limit
        self.step = None
        self.start_pose = (0.0, 0.0, 0.0)
        self.start_t = 0.0
        self.blocked_since: Optional[float] = None
        self.done: Optional[StepResult] = None

    def start(self, step, pose: Tuple[float, float, float], now: float, target_xy: Optional[Tuple[float, float]] = None) -> None:
        """``target_xy``: go_to_place's place (x, y in the odometry frame)."""
        self.step = step
        self.target_xy = target_xy
        self.start_pose = pose
        self.start_t = now
        self.blocked_since = None
        self.done = None
        self._last_now = None
        self._settled = False
        self._until_since: Optional[float] = None
        self._exploring = _Exploring(last_yaw=pose[2], visited=[tuple(pose[:2])]) if step.skill == "explore" else None
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
        self._settled = elapsed >= SETTLE_S
        self._now = now
        if s == "stop":
            return self._finish("succeeded", 1.0, "stopped")
        if s == "explore":  # ends when its time is up, not by the time limit of a skill
            return self._explore(obs, pose, now)
        if elapsed > self.time_limit:
            return self._finish("failed", 0.0, f"{s} not done within {self.time_limit:g} s")
        if blocked:
            self.blocked_since = self.blocked_since if self.blocked_since is not None else now
            if now - self.blocked_since > 8.0 and s in ("move",):
                return self._finish("failed", 0.0, "blocked by an obstacle")
        else:
            self.blocked_since = None
        if s == "go_to_place":
            if self.target_xy is None:
                return self._finish("failed", 0.0, "go_to_place without a place")
            left = math.hypot(self.target_xy[0] - pose[0], self.target_xy[1] - pose[1])
            if left <= PLACE_REACHED:
                return self._finish("succeeded", 1.0, f"reached '{self.step.place}' ({left:.2f} m from it)")
        if s in ("go_to", "find", "go_to_place"):
            if self.recovering is not None:  # the control period as it is (sim time or wall time)
                self.recovering.dt = float(np.clip(now - self._last_now, 0.0, 0.2)) if self._last_now is not None else 0.05
            self._last_now = now
            if s == "go_to_place":  # the learned go_to policy with the place as its target (fusion_node's observation)
                r = self._learned(obs, "go_to", finish=False)
                r.progress = float(np.clip(1.0 - left / 5.0, 0, 1))
                return r
            return self._learned(obs, s)
        if s == "move":
            return self._move(pose, obs)
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

    def _learned(self, obs: np.ndarray, skill: str, finish: bool = True) -> StepResult:
        finish = finish and self._settled
        visible = obs[INDEX["target_visible"]] > 0.5
        bearing = math.atan2(obs[INDEX["bearing_sin"]], obs[INDEX["bearing_cos"]])
        rng = obs[INDEX["distance"]] * 5.0
        if finish and skill == "go_to" and visible and rng + self.camera_offset <= GO_TO_RANGE + self.camera_offset and abs(bearing) <= GO_TO_FACING:
            return self._finish("succeeded", 1.0, "reached the target")
        if self._settled and skill == "find" and visible and abs(bearing) <= FIND_FINISH:
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

    def _explore(self, obs: np.ndarray, pose, now: float) -> StepResult:
        """Cover the room: look around once (a full turn in place), then drive legs towards the
        open direction (the laser's sectors) whose end is farthest from where the robot has
        been, turning to each first.  Every command goes through the safety layer; a leg that
        does not progress ends early.  Succeeds when ``duration_s`` is up."""
        e, step = self._exploring, self.step
        elapsed = now - self.start_t
        progress = float(np.clip(elapsed / step.duration_s, 0, 1))
        if elapsed >= step.duration_s:
            return self._finish("succeeded", 1.0, f"explored for {elapsed:.0f} s: {e.travelled:.1f} m in {e.legs} legs")
        if min(math.hypot(pose[0] - x, pose[1] - y) for x, y in e.visited) > 0.3:
            e.visited.append((pose[0], pose[1]))
        if e.phase == "look":
            e.turned += abs(wrap(pose[2] - e.last_yaw))
            e.last_yaw = pose[2]
            if e.turned < 2 * math.pi - 0.2:
                return StepResult(0.0, EXPLORE_TURN_W, "running", progress)
            self._next_leg(obs, pose, now)
            if e.phase == "look":  # nowhere open: look around again
                return StepResult(0.0, EXPLORE_TURN_W, "running", progress)
        if e.phase == "turn":
            err = wrap(e.heading - pose[2])
            if abs(err) > 0.1:
                return StepResult(0.0, float(np.clip(2.0 * err, -EXPLORE_TURN_W, EXPLORE_TURN_W)), "running", progress)
            e.phase, e.leg_start, e.leg_t = "go", (pose[0], pose[1]), now
        # go
        done = math.hypot(pose[0] - e.leg_start[0], pose[1] - e.leg_start[1])
        front = float(obs[INDEX["scan_0"]]) * self.range_max
        if done >= e.leg or front < EXPLORE_CLEARANCE_M or now - e.leg_t > e.leg / (0.5 * EXPLORE_V) + 2.0:
            e.travelled += done
            e.legs += 1
            self._next_leg(obs, pose, now)
            return StepResult(0.0, 0.0, "running", progress)
        err = wrap(e.heading - pose[2])
        return StepResult(min(EXPLORE_V, self.max_linear), float(np.clip(2.0 * err, -EXPLORE_TURN_W, EXPLORE_TURN_W)), "running", progress)

    def _next_leg(self, obs: np.ndarray, pose, now: float) -> None:
        """The next heading and leg length: open in the laser's sectors, its end far from the
        places visited; none open: look around again."""
        e = self._exploring
        n, rmax = N_SECTORS, self.range_max
        best = None
        for i in range(n):
            free = float(obs[INDEX[f"scan_{i}"]]) * rmax
            leg = min(free - EXPLORE_CLEARANCE_M, EXPLORE_LEG_M)
            if leg < 0.4:
                continue
            heading = pose[2] + i * 2 * math.pi / n
            end = (pose[0] + leg * math.cos(heading), pose[1] + leg * math.sin(heading))
            novelty = min(math.hypot(end[0] - x, end[1] - y) for x, y in e.visited)
            score = novelty + 0.2 * leg - 0.1 * abs(wrap(heading - pose[2]))
            if best is None or score > best[0]:
                best = (score, heading, leg)
        if best is None:
            e.phase, e.turned, e.last_yaw = "look", math.pi, pose[2]  # half a turn, then choose again
            return
        _, e.heading, e.leg = best
        e.phase = "turn"

    def _move(self, pose, obs: Optional[np.ndarray] = None) -> StepResult:
        sign = 1.0 if self.step.direction == "forward" else -1.0
        travelled = sign * self._travelled(pose)
        remaining = self.step.distance_m - travelled
        until = getattr(self.step, "until", None)
        if until is not None and obs is not None and self._settled and obs[INDEX["target_visible"]] > 0.5:
            self._until_since = self._until_since if self._until_since is not None else self._now
            if self._now - self._until_since >= UNTIL_CONFIRM_S:
                return self._finish("succeeded", 1.0, f"the {until.label()} is in view after {travelled:.2f} m")
        else:
            self._until_since = None
        if remaining <= 0.02:
            if until is not None:
                return self._finish("failed", 1.0, f"moved {travelled:.2f} m without seeing the {until.label()}")
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
