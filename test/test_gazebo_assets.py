"""Gazebo assets: the SDF worlds and the URDF parse with libsdformat (Gazebo's own
parser); the bridge configuration and the URDF's sensor topics match the contract;
gazebo.launch.xml spawns the robot at the start pose of the world's scenario.
Gazebo itself is not installable here, so it is not run."""
import glob
import math
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from autogpt_ros import interfaces as ifc
from autogpt_ros.sim.sdf import START_FRAME, world_sdf
from autogpt_ros.sim.world import generate, resolve_scenario
from autogpt_ros.tools import supervisor
from conftest import ROOT, tool

CHECK = tool("autogpt-sdf-check")
GAZEBO_LAUNCH = os.path.join(ROOT, "launch", "gazebo.launch.xml")
SCENARIOS = sorted(os.path.basename(p)[: -len(".yaml")] for p in glob.glob(os.path.join(ROOT, "worlds", "*.yaml")))


def check(*paths):
    return subprocess.run([CHECK, *paths], capture_output=True, text=True, timeout=60)


def sdformat_frame(path, name=START_FRAME):
    """(x, y, yaw) of a world frame as libsdformat resolves it in the world."""
    out = check(path)
    assert out.returncode == 0, out.stdout + out.stderr
    m = re.search(rf"frame '{name}' ([^\s,)]+) ([^\s,)]+) ([^\s,)]+) ([^\s,)]+)", out.stdout)
    assert m, out.stdout
    x, y, _z, yaw = map(float, m.groups())
    return x, y, yaw


def same_pose(a, b, tol=1e-4):
    dyaw = math.remainder(a[2] - b[2], 2 * math.pi)
    return abs(a[0] - b[0]) < tol and abs(a[1] - b[1]) < tol and abs(dyaw) < tol


# ----------------------------------------------------------------------------
# gazebo.launch.xml's arguments, resolved as ros2 launch resolves them
# ----------------------------------------------------------------------------


def substitute(text, variables):
    """Perform the launch substitutions gazebo.launch.xml uses, as launch and
    launch_ros do: $(var), $(find-pkg-share autogpt_ros) (the source tree, which
    setup.py installs as the package's share folder), $(exec-in-package) (the
    installed executable, from lib/<package>) and $(command) (runs it: shlex-split,
    stdout returned as it is, a non-zero exit fails)."""
    from autogpt_ros.tools.launch_xml import replace_substitutions

    def evaluate(inner):
        kind, _, rest = inner.partition(" ")
        args = [substitute(a, variables) for a in shlex.split(rest)]
        if kind == "var":
            return variables[args[0]]
        if kind == "find-pkg-share":
            assert args == ["autogpt_ros"], args
            return ROOT
        if kind == "exec-in-package":
            return supervisor.find_executable(args[1], args[0])
        if kind == "command":
            assert len(args) in (1, 2) and (len(args) == 1 or args[1] in ("fail", "ignore", "warn", "capture")), args
            run = subprocess.run(shlex.split(args[0]), capture_output=True, text=True, timeout=60)
            if run.returncode != 0:
                raise RuntimeError(f"executed command failed. Command: {args[0]}\n{run.stderr}")
            assert not run.stderr or args[1:] in (["warn"], ["ignore"]), run.stderr
            return run.stdout
        raise AssertionError(f"substitution $({kind}) is not one this test performs")

    return replace_substitutions(text, evaluate)


def launch_arguments(given):
    """Every <arg> of gazebo.launch.xml in order: the value given, else its default."""
    values = {}
    for arg in ET.parse(GAZEBO_LAUNCH).getroot().findall("arg"):
        name = arg.get("name")
        values[name] = given[name] if name in given else substitute(arg.get("default"), values)
    return values


def spawn_arguments(given):
    """The world and the (x, y, yaw) that ros_gz_sim create is started with."""
    values = launch_arguments(given)
    create = [n for n in ET.parse(GAZEBO_LAUNCH).getroot().iter("node") if n.get("exec") == "create"][0]
    argv = substitute(create.get("args"), values).split()
    flags = {argv[i]: argv[i + 1] for i in range(0, len(argv) - 1) if argv[i].startswith("-") and argv[i] in ("-x", "-y", "-Y", "-file", "-world", "-name")}
    return values["world"], (float(flags["-x"]), float(flags["-y"]), float(flags["-Y"]))


@pytest.mark.parametrize("name", SCENARIOS)
def test_spawn_pose_is_the_start_pose_of_every_scenario(name):
    """scenario:=NAME starts worlds/NAME.sdf and spawns the robot at NAME's start
    pose, the one the embedded simulator starts it at (libsdformat reads the same
    pose from the world)."""
    start = resolve_scenario(name).robot
    world, pose = spawn_arguments({"scenario": name})
    assert world == os.path.join(ROOT, "worlds", f"{name}.sdf") and os.path.isfile(world)
    assert same_pose(pose, start), (name, pose, start)
    assert same_pose(sdformat_frame(world), start)


def test_default_world_and_spawn_pose_agree():
    world, pose = spawn_arguments({})
    name = os.path.basename(world)[: -len(".sdf")]
    assert name in SCENARIOS and same_pose(pose, resolve_scenario(name).robot)


def test_behind_wall_spawns_at_its_own_start_not_the_old_fixed_default():
    _world, pose = spawn_arguments({"scenario": "behind_wall"})
    assert same_pose(pose, (-1.5, 0.0, 0.0))


@pytest.mark.parametrize("seed", [0, 7, 42])
def test_world_written_by_sim_sdf_spawns_at_its_start_pose(tmp_path, seed):
    """The launch line `autogpt-ros sim sdf --seed N` prints (world:= only) spawns
    the robot where that layout starts it."""
    out = subprocess.run([tool("autogpt-ros"), "sim", "sdf", "--seed", str(seed), "--out", str(tmp_path / "w.sdf")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = [l for l in out.stdout.splitlines() if l.startswith("ros2 launch")][0]
    given = dict(a.split(":=", 1) for a in line.split() if ":=" in a)
    assert set(given) == {"world"}
    world, pose = spawn_arguments(given)
    start = generate(seed).robot
    assert world == str(tmp_path / "w.sdf")
    assert same_pose(pose, start), (pose, start)
    assert same_pose(sdformat_frame(world), start)


def test_explicit_x_y_yaw_override_the_world_start_pose():
    _world, pose = spawn_arguments({"scenario": "behind_wall", "x": "0.5", "y": "-0.25", "yaw": "1.0"})
    assert pose == (0.5, -0.25, 1.0)


def test_pose_values_are_bare_numbers_and_a_world_without_start_frame_fails(tmp_path):
    """$(command) passes stdout on as it is: no newline may follow the number.  A
    world without the frame fails the launch with a message that names x:= y:= yaw:=."""
    exe = supervisor.find_executable("autogpt_ros", "autogpt-ros")
    for field in ("x", "y", "yaw"):
        out = subprocess.run([exe, "sim", "pose", "--world", os.path.join(ROOT, "worlds", "behind_wall.sdf"), "--field", field], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stderr == "" and out.stdout == out.stdout.strip() and float(out.stdout) == dict(x=-1.5, y=0.0, yaw=0.0)[field]
    bare = tmp_path / "bare.sdf"
    bare.write_text(re.sub(r"\s*<frame name=\"robot_start\">.*?</frame>", "", world_sdf(resolve_scenario("behind_wall")), flags=re.S))
    assert check(str(bare)).returncode == 0 and "<frame" not in bare.read_text()
    with pytest.raises(RuntimeError, match="x:= y:= yaw:="):
        spawn_arguments({"world": str(bare)})
    assert spawn_arguments({"world": str(bare), "x": "1", "y": "2", "yaw": "0.5"})[1] == (1.0, 2.0, 0.5)


def test_start_frame_degrees_and_relative_to_world(tmp_path):
    from autogpt_ros.sim.sdf import read_start_pose

    text = world_sdf(resolve_scenario("behind_wall"))
    p = tmp_path / "deg.sdf"
    p.write_text(text.replace('<pose>-1.5000 0.0000 0 0 0 0.0000</pose>', '<pose relative_to="world" degrees="true">-1.5 0.25 0 0 0 90</pose>'))
    assert same_pose(read_start_pose(str(p)), (-1.5, 0.25, math.pi / 2))
    assert same_pose(sdformat_frame(str(p)), (-1.5, 0.25, math.pi / 2))


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
    """Every scenario in worlds/ has its SDF world (gazebo.launch.xml scenario:=NAME starts it)."""
    assert {"red_box_ahead", "behind_wall"} <= set(SCENARIOS)
    for name in SCENARIOS:
        path = os.path.join(ROOT, "worlds", f"{name}.sdf")
        assert os.path.isfile(path) and open(path).read() == world_sdf(resolve_scenario(name)), f"regenerate with: autogpt-ros sim sdf --scenario {name} --out worlds/{name}.sdf"
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
    args = {a.get("name"): a.get("default") for a in root.findall("arg")}
    assert "$(var scenario)" in args["world"]
    for name, flag in (("x", "-x"), ("y", "-y"), ("yaw", "-Y")):  # spawn pose read from the world, overridable
        assert f"sim pose --world $(var world) --field {name}" in args[name] and args[name].startswith("$(command '$(exec-in-package autogpt-ros autogpt_ros) ")
        assert f"{flag} $(var {name})" in create.get("args")
    rsp = [n for n in root.iter("node") if (n.get("pkg"), n.get("exec")) == ("robot_state_publisher", "robot_state_publisher")]
    assert len(rsp) == 1 and any(p.get("name") == "robot_description" and "description/robot.urdf" in p.get("value") for p in rsp[0].iter("param"))


def test_lidar_frame_for_harmonic_and_ionic():
    root = ET.parse(os.path.join(ROOT, "description", "robot.urdf")).getroot()
    lidar = [s for s in root.iter("sensor") if s.get("type") == "gpu_lidar"][0]
    assert lidar.findtext("gz_frame_id") == lidar.findtext("frame_id") == "lidar_link"
