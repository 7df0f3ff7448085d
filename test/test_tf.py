"""/tf, /tf_static and /robot_description from sim_node, over DDS: odom -> base_footprint
matches /odom, the static frames are the URDF's fixed joints, and every frame the
sensor messages name is in the tree."""
import math
import os
import time
import xml.etree.ElementTree as ET

import pytest
from geometry_msgs.msg import Twist
from scipy.spatial.transform import Rotation

from autogpt_ros import interfaces as ifc
from conftest import ROOT, tool

pytestmark = pytest.mark.ros

URDF = os.path.join(ROOT, "description", "robot.urdf")


def urdf_fixed_joints():
    """{child: (parent, xyz, quaternion xyzw)} of the URDF's fixed joints, read here on their own."""
    out = {}
    for j in ET.parse(URDF).getroot().findall("joint"):
        if j.get("type") != "fixed":
            continue
        o = j.find("origin")
        xyz = [float(v) for v in (o.get("xyz") or "0 0 0").split()] if o is not None else [0.0] * 3
        rpy = [float(v) for v in (o.get("rpy") or "0 0 0").split()] if o is not None else [0.0] * 3
        out[j.find("child").get("link")] = (j.find("parent").get("link"), xyz, Rotation.from_euler("xyz", rpy).as_quat())
    return out


def same_rotation(q1, q2, tol=1e-6):
    return abs(abs(sum(a * b for a, b in zip(q1, q2))) - 1.0) < tol


def test_tf_matches_odom_and_static_frames_match_the_urdf(procs, probe):
    sim = procs([tool("sim_node"), "--ros-args", "-p", "scenario:=red_box_ahead"])
    sim.wait_for_output(r"world 'red_box_ahead'", timeout=60)
    tf = probe.subscribe(ifc.TF_TOPIC)
    odom = probe.subscribe(ifc.ODOM, qos=ifc.qos_profile(ifc.ODOM, "pub"))  # reliable: every message, to pair by stamp
    scan = probe.subscribe(ifc.SCAN)
    info = probe.subscribe(ifc.CAMERA_INFO)
    cmd = probe.publisher(ifc.CMD_VEL)
    probe.wait_for(odom, timeout=30)
    # drive an arc so that the pose is not trivial
    deadline = time.monotonic() + 3.0
    t = Twist()
    t.linear.x, t.angular.z = 0.2, 0.6
    while time.monotonic() < deadline:
        cmd.publish(t)
        time.sleep(0.05)
    cmd.publish(Twist())
    time.sleep(0.5)

    # odom -> base_footprint on /tf: the pose of /odom at the same stamp
    by_stamp = {}
    for m in probe.received(tf):
        for tr in m.transforms:
            if (tr.header.frame_id, tr.child_frame_id) == ("odom", "base_footprint"):
                by_stamp[(tr.header.stamp.sec, tr.header.stamp.nanosec)] = tr.transform
    odoms = probe.received(odom)
    assert len(by_stamp) > 50 and len(odoms) > 50
    matched = moved = 0
    for o in odoms:
        key = (o.header.stamp.sec, o.header.stamp.nanosec)
        if key not in by_stamp:
            continue
        tr, p = by_stamp[key], o.pose.pose
        assert (o.header.frame_id, o.child_frame_id) == ("odom", "base_footprint")
        assert (tr.translation.x, tr.translation.y, tr.translation.z) == pytest.approx((p.position.x, p.position.y, p.position.z), abs=1e-9)
        assert (tr.rotation.x, tr.rotation.y, tr.rotation.z, tr.rotation.w) == pytest.approx((p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w), abs=1e-9)
        matched += 1
        moved += math.hypot(p.position.x, p.position.y) > 0.1
    assert matched >= 0.9 * len(odoms) and moved > 5, (matched, moved, len(odoms))

    # /tf_static, subscribed late (transient local): the URDF's fixed joints in one message
    static = probe.subscribe(ifc.TF_STATIC)
    desc = probe.subscribe(ifc.ROBOT_DESCRIPTION)
    msg = probe.wait_for(static, timeout=10)
    got = {tr.child_frame_id: tr for tr in msg.transforms}
    want = urdf_fixed_joints()
    assert set(got) == set(want)
    for child, (parent, xyz, q) in want.items():
        tr = got[child]
        assert tr.header.frame_id == parent
        assert (tr.transform.translation.x, tr.transform.translation.y, tr.transform.translation.z) == pytest.approx(xyz, abs=1e-9)
        r = tr.transform.rotation
        assert same_rotation((r.x, r.y, r.z, r.w), q), (child, r, q)
    assert probe.wait_for(desc, timeout=10).data == open(URDF).read()

    # the frames the sensors name hang in one tree rooted at odom
    parent = {c: v[0] for c, v in want.items()}
    parent["base_footprint"] = "odom"
    for m in probe.received(tf)[-1:]:
        for tr in m.transforms:
            parent.setdefault(tr.child_frame_id, tr.header.frame_id)  # the wheels
    assert {"left_wheel", "right_wheel"} <= set(parent)

    def root(frame):
        seen = 0
        while frame in parent and seen < 20:
            frame, seen = parent[frame], seen + 1
        return frame

    frames = {probe.wait_for(scan, timeout=10).header.frame_id, probe.wait_for(info, timeout=10).header.frame_id, odoms[-1].child_frame_id}
    assert frames == {"lidar_link", "camera_optical_frame", "base_footprint"}
    assert all(root(f) == "odom" for f in frames | {"base_link", "camera_link"})
    # the optical frame looks along the base's x axis: z forward, x right, y down
    opt = got["camera_optical_frame"].transform.rotation
    R = Rotation.from_quat([opt.x, opt.y, opt.z, opt.w])
    assert R.apply([0, 0, 1]) == pytest.approx([1, 0, 0], abs=1e-6) and R.apply([1, 0, 0]) == pytest.approx([0, -1, 0], abs=1e-6)


def test_the_rviz_config_shows_tf_and_the_robot_in_odom():
    import yaml

    cfg = yaml.safe_load(open(os.path.join(ROOT, "config", "autogpt_ros.rviz")))
    vm = cfg["Visualization Manager"]
    assert vm["Global Options"]["Fixed Frame"] == "odom"
    displays = {d["Class"]: d for d in vm["Displays"]}
    assert {"rviz_default_plugins/TF", "rviz_default_plugins/RobotModel", "rviz_default_plugins/LaserScan"} <= set(displays)
    assert displays["rviz_default_plugins/RobotModel"]["Description Topic"]["Value"] == ifc.ROBOT_DESCRIPTION
    topics = {d["Topic"]["Value"] for d in vm["Displays"] if "Topic" in d}
    assert all(t in ifc.TOPICS for t in topics), topics
