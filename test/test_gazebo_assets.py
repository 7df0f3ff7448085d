"""Gazebo assets: the SDF worlds and the URDF parse with libsdformat (Gazebo's own
parser); the bridge configuration and the URDF's sensor topics match the contract.
Gazebo itself is not installable here, so it is not run."""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from autogpt_ros import interfaces as ifc
from autogpt_ros.sim.sdf import world_sdf
from autogpt_ros.sim.world import generate, resolve_scenario
from conftest import ROOT, tool

CHECK = tool("autogpt-sdf-check")


def check(*paths):
    return subprocess.run([CHECK, *paths], capture_output=True, text=True, timeout=60)


def test_checker_is_built_and_can_fail(tmp_path):
    assert os.access(CHECK, os.X_OK), "make setup builds autogpt-sdf-check"
    bad = tmp_path / "bad.sdf"
    bad.write_text('<?xml version="1.0"?><sdf version="1.9"><world name="w"><model name="m"><link name="l"><visual name="v"><geometry><box><size>1 1</size></box></geometry></visual></link></model></world></sdf>')
    out = check(str(bad))
    assert out.returncode == 1 and "error" in out.stdout


def test_urdf_parses_with_libsdformat():
    out = check(os.path.join(ROOT, "description", "robot.urdf"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "model 'autogpt_bot'" in out.stdout


@pytest.mark.parametrize("seed", [0, 1, 7, 42])
def test_generated_worlds_parse_with_libsdformat(tmp_path, seed):
    sc = generate(seed)
    p = tmp_path / f"w{seed}.sdf"
    p.write_text(world_sdf(sc))
    out = check(str(p))
    assert out.returncode == 0, out.stdout + out.stderr
    # ground, four walls, obstacles and objects
    assert f"world models {5 + len(sc.obstacles) + len(sc.objects)}" in out.stdout


def test_committed_worlds_are_current_and_valid():
    for name in ("red_box_ahead", "behind_wall"):
        path = os.path.join(ROOT, "worlds", f"{name}.sdf")
        assert open(path).read() == world_sdf(resolve_scenario(name)), f"regenerate with: autogpt-ros sim sdf --scenario {name} --out worlds/{name}.sdf"
        assert check(path).returncode == 0


def test_bridge_topics_match_the_contract():
    entries = yaml.safe_load(open(os.path.join(ROOT, "config", "gz_bridge.yaml")))
    names = set()
    tf = [e for e in entries if e["ros_topic_name"] == "/tf"]
    assert tf == [{"ros_topic_name": "/tf", "gz_topic_name": "/model/autogpt_bot/tf", "ros_type_name": "tf2_msgs/msg/TFMessage", "gz_type_name": "gz.msgs.Pose_V", "direction": "GZ_TO_ROS"}]
    for e in entries:
        if e is tf[0]:
            continue
        t = ifc.topic(e["ros_topic_name"])
        assert e["ros_type_name"] == t.type, e
        names.add(t.name)
        assert e["direction"] == ("ROS_TO_GZ" if t.name == ifc.CMD_VEL else "GZ_TO_ROS")
    assert names == {ifc.CLOCK, ifc.IMAGE, ifc.CAMERA_INFO, ifc.DEPTH, ifc.SCAN, ifc.ODOM, ifc.GROUND_TRUTH, ifc.CMD_VEL}


def test_urdf_gazebo_topics_feed_the_bridge():
    root = ET.parse(os.path.join(ROOT, "description", "robot.urdf")).getroot()
    gz_topics = {"/" + s.find("topic").text.strip("/") for s in root.iter("sensor")}
    gz_topics |= {"/" + p.find(tag).text.strip("/") for p in root.iter("plugin") for tag in ("topic", "odom_topic") if p.find(tag) is not None}
    bridged = {e["gz_topic_name"] for e in yaml.safe_load(open(os.path.join(ROOT, "config", "gz_bridge.yaml")))}
    assert {"/camera/image_raw", "/camera/depth/image_raw", "/scan", "/cmd_vel", "/odom", "/sim/ground_truth"} <= gz_topics
    assert gz_topics - {"/camera/camera_info"} <= bridged


def test_gazebo_launch_file_structure():
    root = ET.parse(os.path.join(ROOT, "launch", "gazebo.launch.xml")).getroot()
    execs = {(n.get("pkg"), n.get("exec")) for n in root.iter("node")}
    assert ("ros_gz_sim", "create") in execs and ("ros_gz_bridge", "parameter_bridge") in execs
    bridge = [n for n in root.iter("node") if n.get("exec") == "parameter_bridge"][0]
    assert any(p.get("name") == "config_file" and p.get("value").endswith("config/gz_bridge.yaml") for p in bridge.iter("param"))
    assert any("gz sim" in (e.get("cmd") or "") for e in root.iter("executable"))
    create = [n for n in root.iter("node") if n.get("exec") == "create"][0]
    assert "description/robot.urdf" in create.get("args") and "-name autogpt_bot" in create.get("args")  # the bridged /model/autogpt_bot/tf
    server = [e.get("cmd") for e in root.iter("executable") if e.get("unless") == "$(var gui)"][0]
    assert "-s" in server.split() and "--headless-rendering" in server.split()
    rsp = [n for n in root.iter("node") if (n.get("pkg"), n.get("exec")) == ("robot_state_publisher", "robot_state_publisher")]
    assert len(rsp) == 1 and any(p.get("name") == "robot_description" and "description/robot.urdf" in p.get("value") for p in rsp[0].iter("param"))


def test_lidar_frame_for_harmonic_and_ionic():
    root = ET.parse(os.path.join(ROOT, "description", "robot.urdf")).getroot()
    lidar = [s for s in root.iter("sensor") if s.get("type") == "gpu_lidar"][0]
    assert lidar.findtext("gz_frame_id") == lidar.findtext("frame_id") == "lidar_link"
