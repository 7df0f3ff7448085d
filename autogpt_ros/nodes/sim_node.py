"""sim_node: the embedded MuJoCo simulator with Gazebo + ros_gz_bridge's interface.

Publishes ``/clock``, ``/camera/image_raw`` + ``/camera/camera_info``,
``/camera/depth/image_raw`` (32FC1, metres), ``/scan``, ``/odom`` (from wheel
motion), ``/tf`` (odom -> base_footprint with every /odom, and the wheels),
``/tf_static`` and ``/robot_description`` (the URDF's fixed joints and the URDF, as
robot_state_publisher does) and, for evaluation only, ``/sim/ground_truth`` and
``/sim/world``; subscribes ``/cmd_vel``.  Services ``/sim/reset`` and ``/sim/get_world``
(std_srvs/Trigger; the world comes back as JSON in ``message``).

Cameras render only while someone subscribes.  The stepping loop runs on
wall time at ``real_time_factor`` x real time (0: as fast as possible); every
stamp is simulation time, so other nodes run with ``use_sim_time:=true``.
"""
from __future__ import annotations

import math
import os
import time
from typing import Optional

from geometry_msgs.msg import TransformStamped, Twist
from nav_msgs.msg import Odometry
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.time import Time
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import CameraInfo, Image, LaserScan
from std_msgs.msg import String
from std_srvs.srv import Trigger
from tf2_msgs.msg import TFMessage

from autogpt_ros import interfaces as ifc
from autogpt_ros.image import fill_image
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.params import Param
from autogpt_ros.sim.core import Simulator
from autogpt_ros.frames import quaternion_from_rpy
from autogpt_ros.robot import Joint, fixed_joints, joints, load_robot
from autogpt_ros.sim.runtime import CommandFilter, SimClock, world_payload
from autogpt_ros.sim.world import ScenarioError, generate, resolve_scenario

# Services keep every request (the default keeps the last 10 and drops the rest).
SERVICE_QOS = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)


class SimNode(AgentNode):
    NAME = "sim_node"
    PARAMS = (
        Param("scenario", "", "Scenario file path or name in worlds/; empty: a random layout from `seed`."),
        Param("seed", 0, "Seed of the random layout (used when `scenario` is empty).", range=(0, 2**31 - 1)),
        Param("real_time_factor", 1.0, "Simulated seconds per wall second; 0 runs as fast as possible.", range=(0.0, 100.0)),
        Param("step_period", 0.01, "Simulated seconds per control step (odometry, clock and command updates).", range=(0.002, 0.1)),
        Param("camera_width", 320, "Camera image width in pixels.", range=(32, 1280)),
        Param("camera_height", 240, "Camera image height in pixels.", range=(24, 960)),
        Param("camera_rate", 15.0, "Camera (RGB and depth) rate in Hz of simulated time.", range=(0.1, 60.0)),
        Param("depth_enabled", True, "Publish the depth image."),
        Param("scan_rate", 10.0, "Laser scan rate in Hz.", range=(0.1, 50.0)),
        Param("odom_rate", 50.0, "Odometry and ground-truth rate in Hz.", range=(1.0, 200.0)),
        Param("wheel_separation_multiplier", 1.0, "Wheel odometry: the track is the URDF's times this (as diff_drive_controller's calibration; the simulated wheels scrub in turns).",
              range=(0.5, 2.0)),
        Param("cmd_timeout", 0.5, "Seconds without /cmd_vel after which the wheels stop.", range=(0.05, 10.0)),
        Param("cmd_vel_stamped", False, "Subscribe /cmd_vel as geometry_msgs/TwistStamped (as policy_node publishes with its cmd_vel_stamped) instead of Twist."),
        Param("urdf", "", "Robot URDF; empty: description/robot.urdf of this package."),
        Param("odom_frame", "odom", "Frame of /odom."),
        Param("base_frame", "base_footprint", "Robot base frame (child of /odom)."),
        Param("camera_frame", "camera_optical_frame", "Frame of the camera images."),
        Param("lidar_frame", "lidar_link", "Frame of /scan."),
        Param("world_frame", "world", "Frame of /sim/ground_truth."),
        Param("publish_tf", True, "Publish odom -> base_frame (and the wheels) on /tf with every /odom, and the URDF's fixed joints on /tf_static with the URDF on /robot_description, as Gazebo's diff drive and robot_state_publisher do; false when other nodes do it."),
        Param("viewer", False, "Open the MuJoCo viewer window (needs a display; ignored headless)."),
    )

    def configure(self) -> None:
        self.robot = load_robot(self.param("urdf"))
        self.sim: Optional[Simulator] = None
        self.viewer = None
        self.clock = SimClock()
        self.cmd = CommandFilter(self.robot, self.param("cmd_timeout"))
        self.pub_clock = self.publisher(ifc.CLOCK)
        self.pub_image = self.publisher(ifc.IMAGE)
        self.pub_info = self.publisher(ifc.CAMERA_INFO)
        self.pub_depth = self.publisher(ifc.DEPTH)
        self.pub_scan = self.publisher(ifc.SCAN)
        self.pub_odom = self.publisher(ifc.ODOM)
        self.pub_truth = self.publisher(ifc.GROUND_TRUTH)
        self.pub_world = self.publisher(ifc.WORLD)
        self.pub_tf = self.pub_tf_static = self.pub_description = None
        if self.param("publish_tf"):
            self.pub_tf = self.publisher(ifc.TF_TOPIC)
            self.pub_tf_static = self.publisher(ifc.TF_STATIC)
            self.pub_description = self.publisher(ifc.ROBOT_DESCRIPTION)
        self._wheels = [j for j in joints(self.robot.urdf_path) if j.type in ("continuous", "revolute") and j.child in ("left_wheel", "right_wheel")]
        self.subscription(ifc.CMD_VEL, self.on_cmd_vel, msg_type=ifc.cmd_vel_class(bool(self.param("cmd_vel_stamped"))))
        # The default service QoS keeps only the last 10 requests: of 20 calls
        # sent at once, those that arrived while the first ones were being
        # handled were silently dropped and their callers never answered.
        # Every request is kept and answered in turn (a reset takes a few ms).
        for srv_name, callback in ((ifc.SIM_RESET, self.on_reset), (ifc.SIM_GET_WORLD, self.on_get_world)):
            self._owned.append(self.create_service(Trigger, ifc.relative(srv_name), callback, qos_profile=SERVICE_QOS))
        self._image = Image()
        self._depth = Image()
        self.load_world()
        # the loop runs on wall time even with use_sim_time: this node is the clock
        self.timer(0.001 if self.param("real_time_factor") == 0 else 0.005, self.tick, wall_clock=True)
        self.timer(1.0, self.publish_world, wall_clock=True)

    def activate(self) -> None:
        if self.pub_tf_static is not None:  # lifecycle publishers publish once active
            self.publish_robot_description()

    def cleanup(self) -> None:
        self._close_viewer()
        if self.sim:
            self.sim.close()

    def _open_viewer(self) -> None:
        self.viewer = None
        if not self.param("viewer"):
            return
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            self.get_logger().warning("viewer requested but there is no display: running headless")
            return
        try:
            import mujoco.viewer

            self.viewer = mujoco.viewer.launch_passive(self.sim.model, self.sim.data)
        except Exception as e:
            self.get_logger().warning(f"cannot open the MuJoCo viewer ({e}): running headless")

    def _close_viewer(self) -> None:
        if getattr(self, "viewer", None) is not None:
            try:
                self.viewer.close()
            except Exception:
                pass
            self.viewer = None

    # ---- world -------------------------------------------------------------
    def load_world(self) -> str:
        name = self.param("scenario")
        seed = int(self.param("seed"))
        scenario = resolve_scenario(name) if name else generate(seed)
        if self.sim is not None:
            self._close_viewer()
            self.sim.close()
            self.clock.rebase(self.sim.time)
        self.sim = Simulator(scenario, self.robot, wheel_separation_multiplier=self.param("wheel_separation_multiplier"))
        self._open_viewer()
        self.cmd.reset()
        self._due = {"odom": 0.0, "scan": 0.0, "camera": 0.0}
        self._wall0, self._sim0 = time.monotonic(), self.sim.time
        self.publish_world()
        msg = f"world {scenario.name!r}: {len(scenario.objects)} objects, {len(scenario.obstacles)} obstacles; starts at t={self.clock.now(0.0):.3f}"
        self.get_logger().info(msg)
        return msg

    def world(self) -> ifc.WorldPayload:
        return world_payload(self.sim, self.clock.now(self.sim.time))

    def publish_world(self) -> None:
        self.pub_world.publish(String(data=ifc.encode(self.world())))

    def on_reset(self, request, response):
        try:
            response.message = self.load_world()
            response.success = True
        except (ScenarioError, OSError, ValueError) as e:
            response.success = False
            response.message = f"reset failed: {e}"
            self.get_logger().error(response.message)
        return response

    def on_get_world(self, request, response):
        response.success = self.sim is not None
        response.message = ifc.encode(self.world()) if self.sim else "no world loaded"
        return response

    # ---- commands -----------------------------------------------------------
    def on_cmd_vel(self, msg) -> None:
        tw: Twist = msg.twist if hasattr(msg, "twist") else msg  # TwistStamped with cmd_vel_stamped
        warning = self.cmd.command(tw.linear.x, tw.angular.z, self.sim.time, other=(tw.linear.y, tw.linear.z, tw.angular.x, tw.angular.y))
        if warning:
            self.reject("cmd_vel", warning)

    # ---- the loop ---------------------------------------------------------------
    def tick(self) -> None:
        rtf = float(self.param("real_time_factor"))
        dt = float(self.param("step_period"))
        sim = self.sim
        if rtf > 0:
            target = self._sim0 + rtf * (time.monotonic() - self._wall0)
            if target - sim.time > 0.25:  # fell behind: do not try to catch up in a burst
                self._wall0, self._sim0 = time.monotonic(), sim.time
                target = sim.time + dt
            steps = int((target - sim.time) / dt)
        else:
            steps = 5
        for _ in range(max(0, min(steps, 25))):
            v, w = self.cmd.output(sim.time, dt)
            sim.set_twist(v, w)
            before = sim.collisions
            sim.step(dt)
            if sim.collisions > before:
                self.get_logger().warning(f"collision (total {sim.collisions})", throttle_duration_sec=1.0)
            self.publish_sensors()
        if self.viewer is not None and steps > 0:
            self.viewer.sync()

    def publish_sensors(self) -> None:
        sim = self.sim
        t = sim.time
        stamp = Time(nanoseconds=int(self.clock.now(t) * 1e9)).to_msg()
        self.pub_clock.publish(ClockMsg(clock=stamp))
        eps = 1e-9
        if t + eps >= self._due["odom"]:
            self._due["odom"] = t + 1.0 / self.param("odom_rate")
            self.publish_odometry(stamp)
        if t + eps >= self._due["scan"]:
            self._due["scan"] = t + 1.0 / self.param("scan_rate")
            self.publish_scan(stamp)
        if t + eps >= self._due["camera"]:
            self._due["camera"] = t + 1.0 / self.param("camera_rate")
            self.publish_camera(stamp)

    def publish_odometry(self, stamp) -> None:
        sim = self.sim
        for pub, frame, pose, twist in (
            (self.pub_odom, self.param("odom_frame"), sim.odom, sim.odom_twist),
            (self.pub_truth, self.param("world_frame"), sim.true_pose(), sim.true_twist()),
        ):
            m = Odometry()
            m.header.stamp = stamp
            m.header.frame_id = frame
            m.child_frame_id = self.param("base_frame")
            m.pose.pose.position.x, m.pose.pose.position.y = float(pose.x), float(pose.y)
            m.pose.pose.orientation.z, m.pose.pose.orientation.w = math.sin(pose.yaw / 2), math.cos(pose.yaw / 2)
            m.twist.twist.linear.x, m.twist.twist.angular.z = float(twist[0]), float(twist[1])
            cov = [0.0] * 36
            for i, c in enumerate((1e-3, 1e-3, 1e6, 1e6, 1e6, 1e-2)):
                cov[i * 7] = c
            m.pose.covariance = cov
            m.twist.covariance = cov
            pub.publish(m)
            if pub is self.pub_odom and self.pub_tf is not None:
                self.publish_tf(m)

    def publish_tf(self, odom: Odometry) -> None:
        """odom -> base_frame, the pose of ``odom`` at its stamp (as Gazebo's diff drive
        publishes it), and the wheels at their joint angles (as robot_state_publisher does
        from the joint states)."""
        t = TransformStamped()
        t.header = odom.header
        t.child_frame_id = odom.child_frame_id
        p = odom.pose.pose
        t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = p.position.x, p.position.y, p.position.z
        t.transform.rotation = p.orientation
        out = [t]
        angles = dict(zip(("left_wheel", "right_wheel"), self.sim.wheel_angles()))
        for j in self._wheels:
            out.append(joint_transform(j, odom.header.stamp, angles.get(j.child, 0.0)))
        self.pub_tf.publish(TFMessage(transforms=out))

    def publish_robot_description(self) -> None:
        """The URDF's fixed joints on /tf_static (one latched message, as robot_state_publisher
        sends them) and the URDF on /robot_description."""
        stamp = Time(nanoseconds=int(self.clock.now(self.sim.time) * 1e9)).to_msg()
        self.pub_tf_static.publish(TFMessage(transforms=[joint_transform(j, stamp) for j in fixed_joints(self.robot.urdf_path)]))
        with open(self.robot.urdf_path, encoding="utf-8") as f:
            self.pub_description.publish(String(data=f.read()))

    def publish_scan(self, stamp) -> None:
        if self.pub_scan.get_subscription_count() == 0:
            return
        L = self.robot.lidar
        m = LaserScan()
        m.header.stamp = stamp
        m.header.frame_id = self.param("lidar_frame")
        m.angle_min, m.angle_max, m.angle_increment = L.min_angle, L.max_angle, L.angle_increment
        m.scan_time = 1.0 / self.param("scan_rate")
        m.range_min, m.range_max = L.range_min, L.range_max
        m.ranges = self.sim.scan().tolist()
        self.pub_scan.publish(m)

    def publish_camera(self, stamp) -> None:
        w, h = int(self.param("camera_width")), int(self.param("camera_height"))
        frame = self.param("camera_frame")
        want_rgb = self.pub_image.get_subscription_count() > 0
        want_depth = self.param("depth_enabled") and self.pub_depth.get_subscription_count() > 0
        if want_rgb or want_depth or self.pub_info.get_subscription_count() > 0:
            self.pub_info.publish(self.camera_info(stamp, w, h, frame))
        if want_rgb:
            img = self._image
            img.header.stamp, img.header.frame_id = stamp, frame
            fill_image(img, self.sim.render_rgb(w, h), "rgb8")
            self.pub_image.publish(img)
        if want_depth:
            d = self._depth
            d.header.stamp, d.header.frame_id = stamp, frame
            fill_image(d, self.sim.render_depth(w, h), "32FC1")
            self.pub_depth.publish(d)

    def camera_info(self, stamp, w: int, h: int, frame: str) -> CameraInfo:
        fx, fy, cx, cy = self.robot.camera.intrinsics(w, h)
        m = CameraInfo()
        m.header.stamp, m.header.frame_id = stamp, frame
        m.width, m.height = w, h
        m.distortion_model = "plumb_bob"
        m.d = [0.0] * 5
        m.k = [fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0]
        m.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        m.p = [fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
        return m


def joint_transform(j: Joint, stamp, angle: float = 0.0) -> TransformStamped:
    """The transform from a URDF joint's parent to its child at ``angle`` (radians about
    the joint's axis; fixed joints: 0)."""
    t = TransformStamped()
    t.header.stamp = stamp
    t.header.frame_id, t.child_frame_id = j.parent, j.child
    t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = (float(v) for v in j.xyz)
    q = quaternion_from_rpy(*j.rpy)
    if angle:
        n = math.sqrt(sum(a * a for a in j.axis)) or 1.0
        s, c = math.sin(angle / 2), math.cos(angle / 2)
        r = (j.axis[0] / n * s, j.axis[1] / n * s, j.axis[2] / n * s, c)
        # origin rotation, then the joint's rotation about its axis (in the child's frame)
        x1, y1, z1, w1 = q
        x2, y2, z2, w2 = r
        q = (w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2, w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
             w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2, w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2)
    t.transform.rotation.x, t.transform.rotation.y, t.transform.rotation.z, t.transform.rotation.w = (float(v) for v in q)
    return t


main = main_for(SimNode)

if __name__ == "__main__":
    main()
