"""policy_node: the observation and the goal in, safe velocity commands out.

Subscribes ``/agent/state`` (from fusion_node), ``/agent/goal``,
``/agent/estop``, ``/odom`` (move/turn controllers) and ``/scan`` (the safety
layer); publishes ``/cmd_vel`` at ``rate`` Hz while a goal is active (and
zeros for ``idle_zero_time`` after it ends) and ``/agent/status``.

go_to and find are driven by the learned policy, move and turn by odometry
controllers, stop by zero velocity (:class:`SkillExecutor`); every command
passes the safety layer (:class:`SafetyFilter`), which nothing bypasses.

E-stop semantics: ``true`` on /agent/estop gives zero velocity from the next
control cycle and the current goal fails; ``false`` releases it, but the
robot moves again only with a goal newer than the e-stop (arriving before or
after the release: two topics are not ordered).  The
watchdog commands zero while /agent/state is older than ``max_age`` or the
goal's heartbeat is older than ``goal_max_age``.

Stale or unusable inputs stop the robot: no motion while ``/scan`` or
``/odom`` is older than ``max_age`` (or the last scan's angles were not
finite: no clearance known), and go_to/find stop while ``/agent/state`` is
older than ``max_age`` or fusion_node marks its inputs stale.  The collision
monitor checks every command against the footprint (from ``urdf``) and the
latest scan.
"""
from __future__ import annotations

import math

import numpy as np

from geometry_msgs.msg import Twist
from std_msgs.msg import String

from autogpt_ros import interfaces as ifc
from autogpt_ros.control.executor import SkillExecutor
from autogpt_ros.control.policy_net import Policy
from autogpt_ros.control.safety import Clearance, MonitorConfig, SafetyFilter, SafetyLimits, monitor_for, scan_clearance
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.nodes.fusion_node import parse_state
from autogpt_ros.observation import INDEX, LAYOUT
from autogpt_ros.params import Param
from autogpt_ros.frames import odom_pose
from autogpt_ros.sim.robot import load_robot

D = SafetyLimits()


class PolicyNode(AgentNode):
    NAME = "policy_node"
    PARAMS = (
        Param("weights", "", "Policy checkpoint from train-policy; empty: the package's trained policy."),
        Param("rate", 20.0, "Control rate in Hz.", range=(1.0, 100.0)),
        Param("max_linear", D.max_linear, "Speed limit (m/s).", range=(0.0, 2.0)),
        Param("max_angular", D.max_angular, "Turn-rate limit (rad/s).", range=(0.0, 6.0)),
        Param("max_linear_accel", D.max_linear_accel, "Acceleration limit (m/s^2) when speeding up.", range=(0.01, 10.0)),
        Param("max_angular_accel", D.max_angular_accel, "Angular acceleration limit (rad/s^2) when speeding up.", range=(0.01, 30.0)),
        Param("safety_distance", D.safety_distance, "No motion towards an obstacle closer than this (metres, laser).", range=(0.0, 3.0)),
        Param("max_age", 0.35, "Watchdog: zero when /scan, /odom or (go_to, find) /agent/state is older than this (seconds).", range=(0.05, 10.0)),
        Param("stop_margin", MonitorConfig.stop_margin, "Collision monitor: no command brings the footprint closer than this to an obstacle in the scan (metres).", range=(0.0, 1.0)),
        Param("command_latency", MonitorConfig.latency, "Collision monitor: time from a command to the wheels plus one control period (seconds).", range=(0.0, 2.0)),
        Param("urdf", "", "Robot URDF for the footprint and the laser's pose; empty: description/robot.urdf of this package."),
        Param("goal_max_age", 3.0, "Watchdog: zero when the goal's heartbeat is older than this (seconds).", range=(0.5, 60.0)),
        Param("idle_zero_time", 1.0, "After a goal ends, keep publishing zero for this long, then go quiet.", range=(0.0, 60.0)),
        Param("time_limit", 60.0, "A skill not done in this time fails.", range=(1.0, 3600.0)),
        Param("recovery", True, "go_to/find: recovery behaviours around the learned policy (back off and turn away when pressed against an obstacle; head for open space after turning on the spot without seeing the target)."),
    )

    def configure(self) -> None:
        self.limits = SafetyLimits(
            max_linear=float(self.param("max_linear")), max_angular=float(self.param("max_angular")),
            max_linear_accel=float(self.param("max_linear_accel")), max_angular_accel=float(self.param("max_angular_accel")),
            safety_distance=float(self.param("safety_distance")), max_age=float(self.param("max_age")),
        )
        self.robot = load_robot(self.param("urdf"))
        self.safety = SafetyFilter(self.limits, monitor_for(self.robot, float(self.param("stop_margin")), float(self.param("command_latency"))))
        self.policy = Policy(self.param("weights") or None)
        self.get_logger().info(f"policy: {self.policy.path}")
        self.skills = SkillExecutor(self.policy, self.limits.max_linear, self.limits.max_angular, time_limit=float(self.param("time_limit")), recovery=bool(self.param("recovery")))
        self.goal = None
        self.goal_seen_t = -math.inf
        self.state = None
        self.state_t = -math.inf
        self.pose = (0.0, 0.0, 0.0)
        self.odom_t = -math.inf
        self.clearance = Clearance(None, reason="no scan yet")
        self.front_back = (0.0, 0.0)
        self.scan_t = -math.inf
        self.idle_since = -math.inf
        self.last_status = None
        self.last_status_t = -math.inf
        self.last_tick = None
        self.pub_cmd = self.publisher(ifc.CMD_VEL)
        self.pub_status = self.publisher(ifc.STATUS)
        self.subscription(ifc.STATE, self.on_state)
        self.subscription(ifc.GOAL, self.on_goal)
        self.subscription(ifc.ESTOP, self.on_estop)
        self.subscription(ifc.ODOM, self.on_odom)
        self.subscription(ifc.SCAN, self.on_scan)
        self.timer(1.0 / float(self.param("rate")), self.on_tick)

    # ---- inputs ------------------------------------------------------------------
    def on_state(self, msg) -> None:
        try:
            obs = parse_state(msg)
        except ValueError as e:
            self.reject("agent/state", str(e))
            return
        if not np.isfinite(obs).all():
            self.reject("agent/state", "non-finite observation ignored (the state goes stale)")
            return
        self.state, self.state_t = obs, self.now_s()

    def on_goal(self, msg: String) -> None:
        goal = self.payload(ifc.GoalPayload, msg, "agent/goal")
        if goal is None:
            return
        now = self.now_s()
        self.goal_seen_t = now
        if self.goal is not None and goal.goal_id == self.goal.goal_id:
            # a heartbeat; one that comes after an e-stop release re-asserts the goal
            if self.safety.estopped and self.safety.released and self.skills.done is None:
                self.safety.new_goal()
            return
        self.goal = goal
        self.safety.new_goal()
        self.skills.start(goal.step, self.pose, now)
        self.last_status = None
        self.get_logger().info(f"goal {goal.goal_id}: {goal.step.skill}")
        if goal.step.skill == "stop":
            self.safety.last = (0.0, 0.0)
            self.publish_cmd(0.0, 0.0)

    def on_estop(self, msg) -> None:
        if msg.data:
            if not self.safety.estopped:
                self.get_logger().warning("e-stop engaged")
            self.safety.engage()
            self.publish_cmd(0.0, 0.0)  # at once, before the next cycle
            if self.goal is not None and self.goal.step.skill != "stop":
                self.skills._finish("failed", 0.0, "e-stop")
        else:
            was = self.safety.estopped
            self.safety.release()
            if was:
                self.get_logger().info("e-stop released: resuming the goal that came with it" if not self.safety.estopped else "e-stop released: waiting for a new goal")

    def on_odom(self, msg) -> None:
        pose, why = odom_pose(msg)
        if pose is None:
            self.reject("odom", f"{why} ignored (no motion once the last good odometry is max_age old)")
            return
        self.pose, self.odom_t = pose, self.now_s()

    def on_scan(self, msg) -> None:
        lid = self.robot.lidar
        self.clearance = scan_clearance(msg.ranges, msg.angle_min, msg.angle_increment, msg.range_min, msg.range_max, lid.xyz[:2])
        self.front_back = self.safety.obstacle_distances(msg.ranges, msg.angle_min, msg.angle_increment, lid.xyz[0])
        self.scan_t = self.now_s()
        if not self.clearance.known:
            self.reject("scan", f"unusable scan ({self.clearance.reason}): no clearance known, no motion")

    # ---- control loop ----------------------------------------------------------------
    def on_tick(self) -> None:
        now = self.now_s()
        dt = 1.0 / float(self.param("rate")) if self.last_tick is None else max(1e-3, now - self.last_tick)
        self.last_tick = now
        if self.goal is None:
            return
        skill = self.goal.step.skill
        needs_state = skill in ("go_to", "find")
        state_age = (now - self.state_t) if needs_state else 0.0
        obs = self.state if self.state is not None else np.zeros(len(LAYOUT), np.float32)
        if needs_state and obs[INDEX["stale"]] > 0.5:
            state_age = math.inf  # fusion_node says an input behind the state is stale
        res = self.skills.update(obs, self.pose, now)
        goal_age = now - self.goal_seen_t
        if goal_age > float(self.param("goal_max_age")):
            goal_age = float("inf")  # the reasoning node went quiet: the watchdog stops us
        front, back = self.front_back
        out = self.safety.filter(res.v, res.w, dt, state_age, goal_age, front, back, clearance=self.clearance,
                                 scan_age=now - self.scan_t, odom_age=now - self.odom_t)
        if out.reasons and res.state == "running":
            self.get_logger().warning("; ".join(out.reasons), throttle_duration_sec=2.0)
        if res.state == "running" and skill == "move" and res.v != 0 and out.v == 0 and not self.safety.estopped:
            self.skills.update(obs, self.pose, now, blocked=True)
        if res.state == "running" and goal_age != float("inf"):
            self.idle_since = now
            self.publish_cmd(out.v, out.w)
        elif now - self.idle_since <= float(self.param("idle_zero_time")):
            self.safety.last = (0.0, 0.0)
            self.publish_cmd(0.0, 0.0)
        value = round(self.policy.value(obs), 4) if needs_state and self.state is not None else None
        self.publish_status(res.state, res.progress, value, res.reason, now)

    def publish_cmd(self, v: float, w: float) -> None:
        t = Twist()
        t.linear.x, t.angular.z = float(v), float(w)
        self.pub_cmd.publish(t)

    def publish_status(self, state: str, progress: float, value, reason: str, now: float) -> None:
        key = (self.goal.goal_id, state)
        if key == self.last_status and now - self.last_status_t < 0.5:
            return
        self.last_status, self.last_status_t = key, now
        st = ifc.StatusPayload(goal_id=self.goal.goal_id, skill=self.goal.step.skill, state=state if state != "idle" else "running",
                               progress=float(min(1.0, max(0.0, progress))), value=value, reason=reason, stamp=now)
        self.pub_status.publish(String(data=ifc.encode(st)))


main = main_for(PolicyNode)

if __name__ == "__main__":
    main()
