"""fusion_node: detections, goal, odometry and laser in; the policy's observation out.

Subscribes ``/perception/objects``, ``/agent/goal``, ``/odom`` and ``/scan``;
publishes ``/agent/state`` (Float32MultiArray) at ``rate`` Hz and ``/agent/memory``
(the objects it remembers: the one object memory of the agent).  The array's
layout has one dimension whose label lists every element's name
(``autogpt_ros.observation.LAYOUT``), and ``data_offset`` 0.  The logic is
:class:`autogpt_ros.control.fusion.Fusion`.
"""
from __future__ import annotations

import math

import numpy as np
from std_msgs.msg import String

from autogpt_ros import interfaces as ifc
from autogpt_ros.control.fusion import Fusion, Scan
from autogpt_ros.control.safety import SafetyLimits
from autogpt_ros.frames import odom_pose
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.observation import state_message
from autogpt_ros.params import Param
from autogpt_ros.robot import load_robot

ROBOT = load_robot()

class FusionNode(AgentNode):
    NAME = "fusion_node"
    PARAMS = (
        Param("rate", 20.0, "Control rate in Hz: /agent/state is published this often.", range=(1.0, 100.0)),
        Param("max_age", 0.5, "Inputs older than this (seconds) are marked stale.", range=(0.05, 10.0)),
        Param("camera_offset", ROBOT.camera.xyz[0], "Camera ahead of the base origin (metres), for positions in the odometry frame; default from description/robot.urdf.", range=(-1.0, 1.0)),
        Param("camera_hfov", ROBOT.camera.hfov, "Camera horizontal field of view (radians; default from description/robot.urdf): a remembered object the camera looks straight at and does not see for 5 frames is forgotten (0: never).", range=(0.0, 3.2)),
        Param("max_linear", SafetyLimits.max_linear, "Velocity normalisation (m/s), as in training.", range=(0.01, 5.0)),
        Param("max_angular", SafetyLimits.max_angular, "Angular velocity normalisation (rad/s), as in training.", range=(0.01, 10.0)),
    )

    def configure(self) -> None:
        hfov = float(self.param("camera_hfov"))
        self.fusion = Fusion(float(self.param("max_age")), float(self.param("camera_offset")), (float(self.param("max_linear")), float(self.param("max_angular"))), hfov if hfov > 0 else None)
        self.pub_state = self.publisher(ifc.STATE)
        self.pub_memory = self.publisher(ifc.MEMORY)
        self._memory_sent = (None, -1e9)  # (what, when)
        self.subscription(ifc.OBJECTS, self.on_objects)
        self.subscription(ifc.GOAL, self.on_goal)
        self.subscription(ifc.ODOM, self.on_odom)
        self.subscription(ifc.SCAN, self.on_scan)
        self.subscription(ifc.FORGET, self.on_forget)
        self.timer(1.0 / float(self.param("rate")), self.on_tick)

    def on_objects(self, msg: String) -> None:
        objects = self.payload(ifc.ObjectsPayload, msg, "perception/objects")
        if objects is not None:
            self.fusion.detections(objects, self.now_s())

    def on_goal(self, msg: String) -> None:
        goal = self.payload(ifc.GoalPayload, msg, "agent/goal")
        if goal is not None:
            self.fusion.set_goal(goal)

    def on_odom(self, msg) -> None:
        pose, why = odom_pose(msg)
        t = msg.twist.twist
        if pose is None or not self.fusion.odometry(pose, (t.linear.x, t.angular.z), self.now_s()):
            self.reject("odom", f"{why or 'non-finite twist'} ignored (the state goes stale)")

    def on_forget(self, msg) -> None:
        self.fusion.forget()
        self.get_logger().info("/agent/forget: object memory cleared")
        self._memory_sent = (None, -1e9)
        self.publish_memory()

    def on_scan(self, msg) -> None:
        if not (math.isfinite(msg.angle_min) and math.isfinite(msg.angle_increment) and msg.range_max > 0):
            self.reject("scan", "invalid angles or range_max")
            return
        self.fusion.laser(Scan(np.asarray(msg.ranges, np.float32), msg.angle_min, msg.angle_increment, msg.range_max), self.now_s())

    def on_tick(self) -> None:
        obs, stale = self.fusion.observation(self.now_s())
        if stale:
            self.get_logger().warning(f"stale inputs: {', '.join(stale)}", throttle_duration_sec=5.0)
        self.pub_state.publish(state_message(obs))
        self.publish_memory()

    def publish_memory(self) -> None:
        """/agent/memory when what is remembered changes (by a centimetre or more) and at
        least once a second."""
        now = self.now_s()
        what = tuple((r.color, r.shape, round(r.x, 2), round(r.y, 2)) for r in self.fusion.memory.objects)
        if what != self._memory_sent[0] or now - self._memory_sent[1] >= 1.0:
            self._memory_sent = (what, now)
            self.pub_memory.publish(String(data=ifc.encode(self.fusion.memory_payload(now))))


main = main_for(FusionNode)

if __name__ == "__main__":
    main()
