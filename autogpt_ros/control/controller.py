"""policy_node's logic without ROS: goals, e-stop, watchdogs, skills and the safety layer.

:class:`Controller` takes the inputs as plain values (a goal payload, an
observation vector, a pose, a :class:`~autogpt_ros.control.safety.Clearance`)
with the time they arrived, and ``tick(now)`` returns the velocity command to
publish (or none) and the status.  policy_node only converts messages and
publishes what it returns.  Pure Python.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from autogpt_ros import interfaces as ifc
from autogpt_ros.control.executor import SkillExecutor
from autogpt_ros.control.safety import Clearance, CollisionMonitor, SafetyFilter, SafetyLimits
from autogpt_ros.observation import INDEX, LAYOUT


SLOW = 0.5  # share of the linear and angular limits for a step with speed: slow


@dataclass
class ControllerConfig:
    rate: float = 20.0  # Hz
    goal_max_age: float = 3.0  # s: the goal's heartbeat
    idle_zero_time: float = 1.0  # s of zeros after a goal ends
    time_limit: float = 60.0  # s per skill
    recovery: bool = True


@dataclass
class Tick:
    cmd: Optional[Tuple[float, float]] = None  # publish this on /cmd_vel (None: stay quiet)
    status: Optional[ifc.StatusPayload] = None  # publish this on /agent/status (None: unchanged)
    warnings: List[str] = field(default_factory=list)


class Controller:
    def __init__(self, policy, limits: SafetyLimits, monitor: CollisionMonitor, config: Optional[ControllerConfig] = None) -> None:
        self.cfg = config or ControllerConfig()
        self.policy = policy
        self.safety = SafetyFilter(limits, monitor)
        self.skills = SkillExecutor(policy, limits.max_linear, limits.max_angular, time_limit=self.cfg.time_limit, recovery=self.cfg.recovery)
        self.goal: Optional[ifc.GoalPayload] = None
        self.goal_seen_t = -math.inf
        self.state: Optional[np.ndarray] = None
        self.state_t = -math.inf
        self.pose = (0.0, 0.0, 0.0)
        self.odom_t = -math.inf
        self.clearance = Clearance(None, reason="no scan yet")
        self.front_back = (0.0, 0.0)
        self.scan_t = -math.inf
        self.idle_since = -math.inf
        self.last_tick: Optional[float] = None
        self._last_status = None
        self._last_status_t = -math.inf

    # ---- inputs ------------------------------------------------------------------
    def on_state(self, obs: np.ndarray, now: float) -> Optional[str]:
        """Take an observation; returns why it was refused, if it was."""
        if not np.isfinite(obs).all():
            return "non-finite observation ignored (the state goes stale)"
        self.state, self.state_t = obs, now
        return None

    def on_odometry(self, pose: Tuple[float, float, float], now: float) -> None:
        self.pose, self.odom_t = pose, now

    def on_scan(self, clearance: Clearance, front_back: Tuple[float, float], now: float) -> None:
        self.clearance, self.front_back, self.scan_t = clearance, front_back, now

    def on_goal(self, goal: ifc.GoalPayload, now: float) -> Tuple[bool, Optional[Tuple[float, float]]]:
        """(a new goal, a command to publish at once)."""
        self.goal_seen_t = now
        if self.goal is not None and goal.goal_id == self.goal.goal_id:
            # a heartbeat; one that comes after an e-stop release re-asserts the goal
            if self.safety.estopped and self.safety.released and self.skills.done is None:
                self.safety.new_goal()
            return False, None
        self.goal = goal
        self.safety.speed_scale = SLOW if getattr(goal.step, "speed", "normal") == "slow" else 1.0
        self.safety.new_goal()
        self.skills.start(goal.step, self.pose, now, target_xy=goal.target_xy)
        self._last_status = None
        if goal.step.skill == "stop":
            self.safety.last = (0.0, 0.0)
            return True, (0.0, 0.0)
        return True, None

    def on_estop(self, engaged: bool) -> str:
        """Engage or release; returns a line for the log ('' when nothing changed)."""
        was = self.safety.estopped
        if engaged:
            self.safety.engage()
            if self.goal is not None and self.goal.step.skill != "stop":
                self.skills.fail("e-stop")
            return "" if was else "e-stop engaged"
        self.safety.release()
        if not was:
            return ""
        return "e-stop released: resuming the goal that came with it" if not self.safety.estopped else "e-stop released: waiting for a new goal"

    # ---- the control loop ------------------------------------------------------------
    def tick(self, now: float) -> Tick:
        dt = 1.0 / self.cfg.rate if self.last_tick is None else max(1e-3, now - self.last_tick)
        self.last_tick = now
        out = Tick()
        if self.goal is None:
            return out
        skill = self.goal.step.skill
        needs_state = skill in ("go_to", "find", "go_to_place", "explore") or (skill == "move" and getattr(self.goal.step, "until", None) is not None)
        state_age = (now - self.state_t) if needs_state else 0.0
        obs = self.state if self.state is not None else np.zeros(len(LAYOUT), np.float32)
        if needs_state and obs[INDEX["stale"]] > 0.5:
            state_age = math.inf  # fusion_node says an input behind the state is stale
            out.warnings.append("fusion_node marks its inputs stale")
        res = self.skills.update(obs, self.pose, now)
        goal_age = now - self.goal_seen_t
        if goal_age > self.cfg.goal_max_age:
            goal_age = math.inf  # the reasoning node went quiet: the watchdog stops us
        front, back = self.front_back
        safe = self.safety.filter(res.v, res.w, dt, state_age, goal_age, front, back, clearance=self.clearance,
                                  scan_age=now - self.scan_t, odom_age=now - self.odom_t)
        if safe.reasons and res.state == "running":
            out.warnings += safe.reasons
        blocked = any(r.startswith(("obstacle", "collision monitor")) for r in safe.reasons)  # not a stale input
        if res.state == "running" and skill == "move" and res.v != 0 and safe.v == 0 and blocked and not self.safety.estopped:
            self.skills.update(obs, self.pose, now, blocked=True)
        if res.state == "running" and goal_age != math.inf:
            self.idle_since = now
            out.cmd = (safe.v, safe.w)
        elif now - self.idle_since <= self.cfg.idle_zero_time:
            self.safety.last = (0.0, 0.0)
            out.cmd = (0.0, 0.0)
        key = (self.goal.goal_id, res.state)
        if key != self._last_status or now - self._last_status_t >= 0.5:
            self._last_status, self._last_status_t = key, now
            value = round(self.policy.value(obs), 4) if needs_state and self.state is not None else None
            out.status = ifc.StatusPayload(goal_id=self.goal.goal_id, skill=skill, state=res.state if res.state != "idle" else "running",
                                           progress=float(min(1.0, max(0.0, res.progress))), value=value, reason=res.reason, stamp=now,
                                           speed="slow" if self.safety.speed_scale < 1.0 else "normal")
        return out
