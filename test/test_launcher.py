"""autogpt-ros launch / run: XML launch files without ros2 launch, over real DDS."""
import glob
import os
import signal
import subprocess
import time

import pytest
import yaml

from autogpt_ros.tools import launch_xml, supervisor
from conftest import ROOT, launch_cmd, pid_alive, tool

HERE = os.path.join(ROOT, "test", "launch")


def test_features_parse_like_ros2_launch(monkeypatch):
    monkeypatch.delenv("AUTOGPT_TEST_UNSET", raising=False)
    desc = launch_xml.load(os.path.join(HERE, "features.launch.xml"), {"use_sim_time": "true"})
    names = [n.label for n in desc.nodes]
    assert names == ["sim", "extra", "from_include"]  # `never` is switched off by unless=
    sim, extra, inc = desc.nodes
    assert sim.namespace == "/bot1/inner"
    assert sim.respawn is True and sim.respawn_delay == 0.5
    assert sim.params[0][0] == "file" and sim.params[0][1].endswith("small_sim.yaml")
    assert ("use_sim_time", True) in sim.params and ("seed", 7) in sim.params
    assert sim.remaps == [("/odom", "/bot1/wheel_odom")]
    assert sim.env["AUTOGPT_TEST_ENV"] == "set-by-launch"
    assert extra.namespace == "" and ("camera_rate", 2.5) in extra.params and extra.env["NODE_ONLY"] == "1"
    # the included file sees the including file's arguments; $(env X default) falls back
    assert inc.namespace == "/bot1" and ("scenario", "red_box_ahead") in inc.params
    assert desc.declared["robot"] == ("bot1", "robot name")


def test_conditions_and_overrides():
    desc = launch_xml.load(os.path.join(HERE, "features.launch.xml"), {"with_extra": "false", "robot": "r2"})
    assert [n.label for n in desc.nodes] == ["sim", "never", "from_include"]
    assert desc.nodes[0].namespace == "/r2/inner"


@pytest.mark.parametrize(
    "args,match",
    [
        ({"mode": "medium"}, "is not one of fast|slow"),
        ({"bogus": "1"}, "unknown launch argument"),
        ({"with_extra": "maybe"}, "not true/false"),
    ],
)
def test_bad_arguments_are_clear_errors(args, match):
    with pytest.raises(launch_xml.LaunchError, match=match):
        launch_xml.load(os.path.join(HERE, "features.launch.xml"), args)


def test_unsupported_tag_names_tag_and_line():
    with pytest.raises(launch_xml.LaunchError, match=r"bad_tag.launch.xml:4: unsupported tag <executable>"):
        launch_xml.load(os.path.join(HERE, "bad_tag.launch.xml"))


def test_malformed_xml_and_required_args(tmp_path):
    bad = tmp_path / "bad.launch.xml"
    bad.write_text("<launch><node pkg='a'></launch>")
    with pytest.raises(launch_xml.LaunchError, match="not well-formed"):
        launch_xml.load(str(bad))
    req = tmp_path / "req.launch.xml"
    req.write_text('<launch>\n<arg name="must"/>\n</launch>')
    with pytest.raises(launch_xml.LaunchError, match=r"req.launch.xml:2: launch argument 'must' is required"):
        launch_xml.load(str(req))
    sub = tmp_path / "sub.launch.xml"
    sub.write_text('<launch><let name="a" value="$(command ls)"/></launch>')
    with pytest.raises(launch_xml.LaunchError, match=r"unsupported substitution \$\(command"):
        launch_xml.load(str(sub))


def test_command_line_is_what_ros2_launch_runs(tmp_path):
    desc = launch_xml.load(os.path.join(HERE, "features.launch.xml"), {})
    cmd = supervisor.command_line(desc.nodes[0], str(tmp_path), 0)
    assert cmd[0].endswith(os.path.join("lib", "autogpt_ros", "sim_node"))
    assert cmd[1] == "--ros-args"
    assert cmd[2:6] == ["-r", "__node:=sim", "-r", "__ns:=/bot1/inner"]
    files = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--params-file"]
    assert files[0].endswith("small_sim.yaml")
    inline = yaml.safe_load(open(files[1]))
    assert inline == {"/**": {"ros__parameters": {"use_sim_time": False, "seed": 7}}}
    assert cmd[-2:] == ["-r", "/odom:=/bot1/wheel_odom"]


def test_every_package_launch_file_parses():
    # gazebo.launch.xml needs gz and ros_gz (test_gazebo_assets.py checks it)
    files = sorted(f for f in glob.glob(os.path.join(ROOT, "launch", "*.launch.xml")) if not f.endswith("gazebo.launch.xml"))
    assert files
    for f in files:
        desc = launch_xml.load(f, {})
        for node in desc.nodes:
            assert node.package == "autogpt_ros"


def test_help_explains_itself():
    for sub in ("launch", "run"):
        out = subprocess.run([tool("autogpt-ros"), sub, "--help"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0
        assert "--ros-args" in out.stdout and "example:" in out.stdout


# ------------------------------------------------------------------ processes


@pytest.mark.ros
def test_launched_graph_crosses_processes_with_params_and_remaps(procs, probe):
    from sensor_msgs.msg import CameraInfo

    lp = procs(launch_cmd(os.path.join(HERE, "graph.launch.xml")))
    odom = probe.subscribe("/graph_test/odom", key="odom", like="/odom")
    probe.subscribe("/odom", key="plain_odom")
    info = probe.subscribe("/camera/camera_info", CameraInfo, key="info")
    lp.wait_for_output(r"\[sim_node-1\].*world 'red_box_ahead'", timeout=60)
    probe.wait_for(odom, timeout=30)
    m = probe.wait_for(info, timeout=30)
    assert (m.width, m.height) == (160, 120)  # from the YAML file
    assert probe.received("plain_odom") == []  # remapped away
    pids = lp.child_pids()
    assert len(pids) == 1 and pid_alive(pids[0])
    assert lp.stop(signal.SIGINT) == 0
    time.sleep(0.2)
    assert not any(pid_alive(p) for p in pids), "a child outlived the launcher"


@pytest.mark.ros
def test_sigterm_ends_children_and_crash_is_reported_and_respawned(procs):
    lp = procs(launch_cmd(os.path.join(HERE, "graph.launch.xml"), "respawn:=true"))
    lp.wait_for_output(r"process started with pid \[(\d+)\]", timeout=30)
    first = lp.child_pids()[0]
    lp.wait_for_output(r"world 'red_box_ahead'", timeout=60)
    os.kill(first, signal.SIGKILL)
    lp.wait_for_output(r"\[ERROR\] \[sim_node-1\]: process has died \[pid %d, exit code -9" % first, timeout=20)
    lp.wait_for_output(r"respawning", timeout=20)
    deadline = time.time() + 20
    while len(lp.child_pids()) < 2 and time.time() < deadline:
        time.sleep(0.1)
    second = lp.child_pids()[1]
    assert second != first and pid_alive(second)
    lp.stop(signal.SIGTERM)
    time.sleep(0.2)
    assert not pid_alive(second)


@pytest.mark.ros
def test_run_composes_nodes_in_one_process(procs, probe):
    cfg = os.path.join(ROOT, "test", "config", "small_sim.yaml")
    p = procs([tool("autogpt-ros"), "run", "sim_node", "--params-file", cfg, "--ros-args", "-r", "__node:=composed_sim", "-r", "/odom:=/composed/odom"])
    key = probe.subscribe("/composed/odom", key="codom", like="/odom")
    probe.wait_for(key, timeout=60)
    deadline = time.time() + 10
    while "composed_sim" not in probe.node.get_node_names() and time.time() < deadline:
        time.sleep(0.1)
    assert "composed_sim" in probe.node.get_node_names()
    assert p.stop() in (0, -2)
