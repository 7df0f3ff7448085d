"""Recovery behaviours around the learned policy (go_to and find), as nav2 has them
around its controllers.  Pure Python; the same code runs in ``evaluate-policy``
and in policy_node (through :class:`~autogpt_ros.control.executor.SkillExecutor`).

The learned policy has two dead ends, measured on unseen worlds:

* **Pressed against an obstacle.**  The target is straight behind a wall or an
  object; the policy keeps asking for full speed ahead, the safety layer keeps
  the robot still, and nothing changes until the time limit.  After
  ``stuck_s`` seconds of asking to move without moving, the robot backs off a
  little, turns away towards the more open side, drives a short way along it,
  and hands back to the policy, which now sees the way around.
* **Spinning in place.**  The target was never seen; the policy turns on the
  spot looking for it, but it is hidden behind something from here.  After
  ``spin_turns`` full turns without travelling, the robot turns to the most
  open direction of the laser scan and drives up to ``explore_m`` metres that
  way (stopping early when something is ahead), then hands back.

Everything is decided from the observation vector (velocities, scan sectors,
target flags), so the wrapper needs no other input and behaves the same in the
Gymnasium environment and on the robot.  Actions are the policy's normalised
``(a_v, a_w)`` in [-1, 1]; the safety layer still filters what comes out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from autogpt_ros.observation import INDEX, N_SECTORS

SCAN0 = INDEX["scan_0"]


@dataclass
class RecoveryConfig:
    stuck_s: float = 1.5  # asking to drive but not moving this long: stuck
    push: float = 0.5  # a_v above this counts as asking to drive
    still: float = 0.05  # |v| / max_linear below this counts as not moving
    backup_s: float = 0.8  # back off this long (at half speed)
    turn_rad: float = math.radians(75.0)  # then turn this far away from the obstacle
    escape_s: float = 1.6  # then drive ahead this long (at 60 % speed), if free
    spin_turns: float = 1.25  # full turns on the spot without seeing the target
    spin_travel_m: float = 0.6  # "on the spot": staying within this distance of where the turning began
    explore_m: float = 1.5  # explore this far towards open space
    clear_front: float = 0.1  # scan sector value (range / range_max) that counts as blocked ahead
    max_linear: float = 0.4  # m/s, to integrate travelled distance from the normalised velocity
    max_angular: float = 1.5


class RecoveringPolicy:
    """``act(obs) -> (a_v, a_w)``: the learned policy, or a recovery manoeuvre."""

    def __init__(self, policy, dt: float, config: RecoveryConfig = RecoveryConfig()):
        self.policy = policy
        self.dt = dt
        self.cfg = config
        self.recoveries = 0  # manoeuvres started since the last reset
        self.reset()

    def reset(self) -> None:
        """A new goal: forget the history."""
        self.mode = "policy"
        self._stuck = 0.0
        self._spun = 0.0
        self._pose = [0.0, 0.0, 0.0]  # dead reckoning from the observed velocities
        self._spin_origin = (0.0, 0.0)
        self._t = 0.0
        self._turned = 0.0
        self._turn_sign = 1.0
        self._turn_target = 0.0  # radians to turn in "turn"
        self._travel = 0.0
        self._escape_s = 0.0  # "escape" ends after this long ...
        self._escape_m = 0.0  # ... or this far
        self.recoveries = 0

    # ---- helpers on the observation -------------------------------------------------
    @staticmethod
    def _sectors(obs: np.ndarray) -> np.ndarray:
        return np.asarray(obs[SCAN0 : SCAN0 + N_SECTORS], dtype=np.float64)

    def _front_clear(self, obs: np.ndarray) -> bool:
        s = self._sectors(obs)
        return min(s[0], s[1], s[-1]) > self.cfg.clear_front

    def _open_side(self, obs: np.ndarray) -> float:
        """+1 to turn left, -1 right: the side with more room, ties towards the target."""
        s = self._sectors(obs)
        left = float(np.mean(s[1 : N_SECTORS // 2]))
        right = float(np.mean(s[N_SECTORS // 2 + 1 :]))
        if abs(left - right) < 0.05 and obs[INDEX["target_known"]] > 0.5:
            return 1.0 if obs[INDEX["bearing_sin"]] >= 0 else -1.0
        return 1.0 if left >= right else -1.0

    def _most_open(self, obs: np.ndarray) -> float:
        """Bearing (rad, positive left) of the most open scan sector, smoothed over neighbours."""
        s = self._sectors(obs)
        smooth = np.minimum(np.minimum(s, np.roll(s, 1)), np.roll(s, -1))
        i = int(np.argmax(smooth))
        return math.atan2(math.sin(2 * math.pi * i / N_SECTORS), math.cos(2 * math.pi * i / N_SECTORS))

    # ---- the controller -------------------------------------------------------------
    def act(self, obs: np.ndarray) -> Tuple[float, float]:
        c = self.cfg
        obs = np.asarray(obs, dtype=np.float32)
        v = float(obs[INDEX["linear_velocity"]])
        w = float(obs[INDEX["angular_velocity"]])
        self._t += self.dt
        p = self._pose
        p[2] += w * c.max_angular * self.dt
        p[0] += v * c.max_linear * self.dt * math.cos(p[2])
        p[1] += v * c.max_linear * self.dt * math.sin(p[2])
        if self.mode == "backup":
            if self._t >= c.backup_s:
                self._enter("turn")
            else:
                return -0.5, 0.0
        if self.mode == "turn":
            self._turned += abs(w) * c.max_angular * self.dt
            if self._turned >= self._turn_target or self._t > 4.0:
                self._enter("escape")
            else:
                return 0.0, 0.8 * self._turn_sign
        if self.mode == "escape":
            self._travel += abs(v) * c.max_linear * self.dt
            if self._t >= self._escape_s or self._travel >= self._escape_m or not self._front_clear(obs):
                self._enter("policy")
            else:
                return 0.6, 0.0
        a_v, a_w = self.policy.act(obs)
        a_v, a_w = float(a_v), float(a_w)
        # pressed against something
        if a_v > c.push and abs(v) < c.still:
            self._stuck += self.dt
        else:
            self._stuck = 0.0
        if self._stuck >= c.stuck_s:
            self._turn_sign = self._open_side(obs)
            self._turn_target = c.turn_rad
            self._escape_s, self._escape_m = c.escape_s, 10.0
            self._enter("backup")
            return -0.5, 0.0
        # turning on the spot without ever seeing the target
        if obs[INDEX["target_known"]] < 0.5:
            self._spun += abs(w) * c.max_angular * self.dt
            if math.hypot(p[0] - self._spin_origin[0], p[1] - self._spin_origin[1]) > c.spin_travel_m:
                self._restart_spin()
            if self._spun >= c.spin_turns * 2 * math.pi:
                goal = self._most_open(obs)
                self._turn_sign = 1.0 if goal >= 0 else -1.0
                self._turn_target = abs(goal)
                self._escape_s, self._escape_m = 20.0, c.explore_m
                self._enter("turn")
                return 0.0, 0.8 * self._turn_sign
        else:
            self._restart_spin()
        return a_v, a_w

    def _restart_spin(self) -> None:
        self._spun = 0.0
        self._spin_origin = (self._pose[0], self._pose[1])

    def _enter(self, mode: str) -> None:
        if mode in ("backup",) or (mode == "turn" and self.mode == "policy"):
            self.recoveries += 1
        self.mode = mode
        self._t = 0.0
        if mode == "turn":
            self._turned = 0.0
        if mode == "escape":
            self._travel = 0.0
        if mode == "policy":
            self._stuck = 0.0
            self._restart_spin()
