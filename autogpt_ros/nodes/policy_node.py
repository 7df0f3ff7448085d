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
latest scan.  The logic is :class:`autogpt_ros.control.controller.Controller`;
this node converts messages and publishes what it returns.
"""
from __future__ import annotations

from geometry_msgs.msg import Twist, TwistStamped
from std_msgs.msg import String

from autogpt_ros import interfaces as ifc
from autogpt_ros.control.controller import Controller, ControllerConfig
from autogpt_ros.control.policy_net import Policy
from autogpt_ros.control.safety import MonitorConfig, SafetyLimits, monitor_for, scan_clearance
from autogpt_ros.frames import odom_pose
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.observation import parse_state
from autogpt_ros.params import Param
from autogpt_ros.robot import load_robot

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
        Param("cmd_vel_stamped", False, "Publish /cmd_vel as geometry_msgs/TwistStamped (bases whose controller wants stamped commands, e.g. diff_drive_controller on Jazzy) instead of Twist; the base, or sim_node, must be set the same way."),
        Param("cmd_vel_frame", "base_footprint", "header.frame_id of stamped /cmd_vel commands (cmd_vel_stamped); the stamp is the node's clock."),
        Param("recovery", True, "go_to/find: recovery behaviours around the learned policy (back off and turn away when pressed against an obstacle; head for open space after turning on the spot without seeing the target)."),
    )

    def configure(self) -> None:
        limits = SafetyLimits(
            max_linear=float(self.param("max_linear")), max_angular=float(self.param("max_angular")),
            max_linear_accel=float(self.param("max_linear_accel")), max_angular_accel=float(self.param("max_angular_accel")),
            safety_distance=float(self.param("safety_distance")), max_age=float(self.param("max_age")),
        )
        self.robot = load_robot(self.param("urdf"))
        self.policy = Policy(self.param("weights") or None)
        self.get_logger().info(f"policy: {self.policy.path}")
        self.control = Controller(
            self.policy, limits, monitor_for(self.robot, float(self.param("stop_margin")), float(self.param("command_latency"))),
            ControllerConfig(rate=float(self.param("rate")), goal_max_age=float(self.param("goal_max_age")), idle_zero_time=float(self.param("idle_zero_time")),
                             time_limit=float(self.param("time_limit")), recovery=bool(self.param("recovery"))),
        )
        self.stamped = bool(self.param("cmd_vel_stamped"))
        self.cmd_frame = str(self.param("cmd_vel_frame"))
        self.pub_cmd = self.publisher(ifc.CMD_VEL, msg_type=ifc.cmd_vel_class(self.stamped))
        self.pub_status = self.publisher(ifc.STATUS)
        self.subscription(ifc.STATE, self.on_state)
        self.subscription(ifc.GOAL, self.on_goal)
        self.subscription(ifc.ESTOP, self.on_estop)
        self.subscription(ifc.ODOM, self.on_odom)
        self.subscription(ifc.SCAN, self.on_scan)
        self.timer(1.0 / float(self.param("rate")), self.on_tick)

    # ---- inputs: messages in, plain values to the controller -----------------------------
    def on_state(self, msg) -> None:
        try:
            why = self.control.on_state(parse_state(msg), self.now_s())
        except ValueError as e:
            why = str(e)
        if why:
            self.reject("agent/state", why)

    def on_goal(self, msg: String) -> None:
        goal = self.payload(ifc.GoalPayload, msg, "agent/goal")
        if goal is None:
            return
        new, cmd = self.control.on_goal(goal, self.now_s())
        if new:
            self.get_logger().info(f"goal {goal.goal_id}: {goal.step.skill}")
        if cmd is not None:
            self.publish_cmd(*cmd)

    def on_estop(self, msg) -> None:
        line = self.control.on_estop(bool(msg.data))
        if msg.data:
            self.publish_cmd(0.0, 0.0)  # at once, before the next cycle
        if line and msg.data:  # two call sites: rclpy refuses one call site logging at two severities
            self.get_logger().warning(line)
        elif line:
            self.get_logger().info(line)

    def on_odom(self, msg) -> None:
        pose, why = odom_pose(msg)
        if pose is None:
            self.reject("odom", f"{why} ignored (no motion once the last good odometry is max_age old)")
            return
        self.control.on_odometry(pose, self.now_s())

    def on_scan(self, msg) -> None:
        lid = self.robot.lidar
        clearance = scan_clearance(msg.ranges, msg.angle_min, msg.angle_increment, msg.range_min, msg.range_max, lid.xyz[:2])
        self.control.on_scan(clearance, self.control.safety.obstacle_distances(msg.ranges, msg.angle_min, msg.angle_increment, lid.xyz[0]), self.now_s())
        if not clearance.known:
            self.reject("scan", f"unusable scan ({clearance.reason}): no clearance known, no motion")

    # ---- control loop ----------------------------------------------------------------
    def on_tick(self) -> None:
        out = self.control.tick(self.now_s())
        if out.warnings:
            self.get_logger().warning("; ".join(out.warnings), throttle_duration_sec=2.0)
        if out.cmd is not None:
            self.publish_cmd(*out.cmd)
        if out.status is not None:
            self.pub_status.publish(String(data=ifc.encode(out.status)))

    def publish_cmd(self, v: float, w: float) -> None:
        t = Twist()
        t.linear.x, t.angular.z = float(v), float(w)
        if self.stamped:
            m = TwistStamped()
            m.header.stamp = self.get_clock().now().to_msg()
            m.header.frame_id = self.cmd_frame
            m.twist = t
            self.pub_cmd.publish(m)
        else:
            self.pub_cmd.publish(t)


main = main_for(PolicyNode)

if __name__ == "__main__":
    main()
