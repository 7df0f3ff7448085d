"""Every launch file: executables exist, parameter files and names are declared, remaps are contract topics;
the README's generated reference is current."""
import glob
import os

import pytest
import yaml

from autogpt_ros import interfaces as ifc
from autogpt_ros.tools import launch_xml, supervisor
from autogpt_ros.tools.docs import BEGIN, END, reference
from autogpt_ros.nodes import NODES, node_class
from autogpt_ros.params import COMMON
from conftest import ROOT

FILES = sorted(f for f in glob.glob(os.path.join(ROOT, "launch", "*.launch.xml")) if not f.endswith("gazebo.launch.xml"))


def declared(exe):
    return {p.name for p in node_class(exe).PARAMS} | {p.name for p in COMMON} | {"use_sim_time"}


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
@pytest.mark.parametrize("args", [{}, {"namespace": "robot1", "use_sim_time": "true"}])
def test_launch_file_nodes_params_and_remaps(path, args):
    desc = launch_xml.load(path, {k: v for k, v in args.items() if k in launch_xml.load(path, {}).declared})
    assert desc.nodes
    for node in desc.nodes:
        assert node.executable in NODES, node.executable
        assert os.access(supervisor.find_executable(node.package, node.executable), os.X_OK)
        names = declared(node.executable)
        for key, value in node.params:
            if key == "file":
                data = yaml.safe_load(open(value))
                section = data.get(f"/**/{node.label}", data.get(node.label, data.get("/**", {}))).get("ros__parameters", {})
                assert section, f"{value} has no section for {node.label}"
                assert set(section) <= names, set(section) - names
                for p in node_class(node.executable).PARAMS:
                    if p.name in section:
                        assert p.check(section[p.name]) is None
            else:
                assert key in names, f"{path}: {node.label} sets undeclared parameter {key}"
        for src, _dst in node.remaps:
            assert (src if src.startswith("/") else "/" + src) in ifc.TOPICS, src


def test_agent_launch_has_the_arguments_a_robot_needs():
    desc = launch_xml.load(os.path.join(ROOT, "launch", "agent.launch.xml"), {"image": "/oakd/image", "cmd_vel": "/base/cmd_vel", "namespace": "r1"})
    assert {"namespace", "use_sim_time", "speech_source", "speech_backend", "language_backend", "image", "camera_info", "depth", "scan", "odom", "cmd_vel"} <= set(desc.declared)
    by = {n.label: n for n in desc.nodes}
    assert set(by) == {"camera_node", "microphone_node", "reasoning_node", "fusion_node", "policy_node"}
    assert ("camera/image_raw", "/oakd/image") in by["camera_node"].remaps
    assert ("cmd_vel", "/base/cmd_vel") in by["policy_node"].remaps
    assert all(n.namespace == "/r1" for n in desc.nodes)


def test_sim_launch_includes_the_agent_on_sim_time():
    desc = launch_xml.load(os.path.join(ROOT, "launch", "sim.launch.xml"), {"seed": "4"})
    by = {n.label: n for n in desc.nodes}
    assert set(by) == {"sim_node", "camera_node", "microphone_node", "reasoning_node", "fusion_node", "policy_node"}
    assert ("seed", 4) in by["sim_node"].params
    assert ("use_sim_time", True) in by["policy_node"].params
    assert [n.label for n in launch_xml.load(os.path.join(ROOT, "launch", "sim.launch.xml"), {"with_agent": "false"}).nodes] == ["sim_node"]


def test_readme_reference_is_generated_from_the_code():
    text = open(os.path.join(ROOT, "README.md")).read()
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    assert text[a:b].strip() == reference().strip(), "run: autogpt-ros docs --write"
    for cmd in ("make demo", "make test", "colcon build", "ros2 launch autogpt_ros agent.launch.xml"):
        assert cmd in text
