"""cmd_vel_stamped: policy_node publishes geometry_msgs/TwistStamped on /cmd_vel
(header.frame_id from cmd_vel_frame, stamp from the node's clock) and sim_node
with the same parameter takes it, over DDS: a move goal moves the simulated robot."""
import os
import time

import pytest
from geometry_msgs.msg import Twist, TwistStamped
from std_msgs.msg import String

from autogpt_ros import interfaces as ifc
from autogpt_ros.tools import launch_xml
from conftest import ROOT, tool

pytestmark = pytest.mark.ros


def test_policy_and_sim_node_with_stamped_commands_move_the_robot(procs, probe):
    sim = procs([tool("sim_node"), "--ros-args", "-p", "scenario:=red_box_ahead", "-p", "cmd_vel_stamped:=true"])
    sim.wait_for_output(r"world 'red_box_ahead'", timeout=60)
    pol = procs([tool("policy_node"), "--ros-args", "-p", "use_sim_time:=true", "-p", "cmd_vel_stamped:=true", "-p", "cmd_vel_frame:=base_link"])
    pol.wait_for_output(r"policy:", timeout=60)
    truth = probe.subscribe(ifc.GROUND_TRUTH)
    stamped = probe.subscribe(ifc.CMD_VEL, msg_type=TwistStamped, key="stamped")
    x0 = probe.wait_for(truth, timeout=30).pose.pose.position.x
    goal = probe.publisher(ifc.GOAL)
    msg = String(data=ifc.encode(ifc.GoalPayload(goal_id="s1", step=ifc.MoveStep(direction="forward", distance_m=0.5))))
    deadline = time.time() + 60
    moved = 0.0
    while time.time() < deadline and moved < 0.3:
        goal.publish(msg)  # the heartbeat reasoning_node would send
        time.sleep(0.5)
        moved = probe.received(truth)[-1].pose.pose.position.x - x0
    assert moved >= 0.3, f"the robot moved {moved:.3f} m with stamped commands"
    cmds = [m for m in probe.received(stamped) if m.twist.linear.x > 0.0]
    assert cmds, "no TwistStamped command with forward speed seen on /cmd_vel"
    assert all(m.header.frame_id == "base_link" for m in cmds)
    # the stamp is the node's clock: simulation time here, the simulator's /clock
    assert any(m.header.stamp.sec > 0 or m.header.stamp.nanosec > 0 for m in cmds)


def test_launch_files_pass_cmd_vel_stamped_to_the_nodes():
    agent = launch_xml.load(os.path.join(ROOT, "launch", "agent.launch.xml"), {"cmd_vel_stamped": "true"})
    assert "cmd_vel_stamped" in agent.declared
    assert ("cmd_vel_stamped", True) in {n.label: n for n in agent.nodes}["policy_node"].params
    sim = launch_xml.load(os.path.join(ROOT, "launch", "sim.launch.xml"), {"cmd_vel_stamped": "true"})
    by = {n.label: n for n in sim.nodes}
    assert ("cmd_vel_stamped", True) in by["sim_node"].params and ("cmd_vel_stamped", True) in by["policy_node"].params
    default = {n.label: n for n in launch_xml.load(os.path.join(ROOT, "launch", "sim.launch.xml"), {}).nodes}
    assert ("cmd_vel_stamped", False) in default["sim_node"].params and ("cmd_vel_stamped", False) in default["policy_node"].params


def test_cmd_vel_class_follows_the_parameter():
    assert ifc.cmd_vel_class(False) is Twist and ifc.cmd_vel_class(True) is TwistStamped
