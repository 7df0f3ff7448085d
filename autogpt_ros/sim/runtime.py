"""Pieces of sim_node's loop that need no ROS: the clock and the command filter."""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

from autogpt_ros import interfaces as ifc
from autogpt_ros.robot import RobotSpec


class SimClock:
    """Simulation time that never runs backwards across world resets."""

    def __init__(self) -> None:
        self.offset = 0.0

    def rebase(self, last_sim_time: float) -> None:
        """Call before replacing the simulator: the new world's t=0 continues from here."""
        self.offset += last_sim_time

    def now(self, sim_time: float) -> float:
        return self.offset + sim_time


class CommandFilter:
    """Turns /cmd_vel messages into safe wheel commands, as a robot base would.

    * non-finite values are rejected (the base stops) with a warning;
    * values beyond the URDF's limits are clamped, with a warning;
    * acceleration is limited to the URDF's diff-drive limits;
    * no command for ``timeout`` seconds brings the wheels to a stop.
    """

    def __init__(self, robot: RobotSpec, timeout: float) -> None:
        self.robot = robot
        self.timeout = timeout
        self.reset()

    def reset(self) -> None:
        self.target = (0.0, 0.0)
        self.current = (0.0, 0.0)
        self.last_time: Optional[float] = None

    def command(self, v: float, w: float, now: float, other: Sequence[float] = ()) -> Optional[str]:
        """Take a command; returns a warning text if it was rejected or clamped."""
        values = [v, w, *other]
        if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in values):
            self.target = (0.0, 0.0)
            self.last_time = now
            return f"non-finite velocity command {values} rejected; stopping"
        cv, cw = self.robot.clamp_twist(v, w)
        self.target = (cv, cw)
        self.last_time = now
        if (cv, cw) != (v, w):
            return f"velocity ({v:.3g}, {w:.3g}) beyond limits (|v| <= {self.robot.max_linear}, |w| <= {self.robot.max_angular}); clamped to ({cv:.3g}, {cw:.3g})"
        return None

    def output(self, now: float, dt: float) -> Tuple[float, float]:
        """The (v, w) to apply for the next ``dt`` seconds."""
        target = self.target
        if self.last_time is None or now - self.last_time > self.timeout:
            target = (0.0, 0.0)
        dv_max, dw_max = self.robot.max_linear_accel * dt, self.robot.max_angular_accel * dt
        v = self.current[0] + max(-dv_max, min(dv_max, target[0] - self.current[0]))
        w = self.current[1] + max(-dw_max, min(dw_max, target[1] - self.current[1]))
        self.current = (v, w)
        return v, w


def world_payload(sim, t: float) -> ifc.WorldPayload:
    sc = sim.scenario
    p = sim.true_pose()
    return ifc.WorldPayload(
        scenario=sc.name,
        seed=sc.seed,
        arena=sc.arena,
        objects=[ifc.WorldObject(name=o.name, color=o.color, shape=o.shape, size=o.size, x=o.x, y=o.y, yaw=o.yaw) for o in sc.objects],
        obstacles=[{"x": o.x, "y": o.y, "size": list(o.size), "yaw": o.yaw} for o in sc.obstacles],
        robot=(p.x, p.y, p.yaw),
        collisions=sim.collisions,
        sim_time=t,
    )
