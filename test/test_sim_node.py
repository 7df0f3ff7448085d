"""sim_node as a process, over real DDS: topics, rates, motion, reset, bad commands."""
import math
import re
import time

import numpy as np
import pytest
from geometry_msgs.msg import Twist
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from std_srvs.srv import Trigger

from autogpt_ros import interfaces as ifc
from autogpt_ros.image import imgmsg_to_cv2
from conftest import Proc, tool

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def sim_proc():
    p = Proc([tool("sim_node"), "--ros-args", "-p", "scenario:=red_box_ahead", "-p", "real_time_factor:=1.0"])
    p.wait_for_output(r"world 'red_box_ahead'", timeout=60)
    yield p
    p.stop()
    assert p.popen.returncode in (0, -2), p.output[-3000:]


def stamp(m) -> float:
    return m.header.stamp.sec + m.header.stamp.nanosec * 1e-9


def yaw(m) -> float:
    q = m.pose.pose.orientation
    return math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z))


def drive(probe, v, w, sim_seconds, rate=10.0):
    """Publish a Twist at `rate` Hz until `sim_seconds` of simulated time have passed (by /odom stamps)."""
    pub = probe.publisher(ifc.CMD_VEL)
    start = None
    while True:
        odom = probe.received("odom")
        if odom:
            t = stamp(odom[-1])
            start = t if start is None else start
            if t - start >= sim_seconds:
                return
        msg = Twist()
        msg.linear.x, msg.angular.z = v, w
        pub.publish(msg)
        time.sleep(1.0 / rate)


def settle(probe, sim_seconds=1.0):
    """Wait (with no command) until `sim_seconds` of sim time passed: the base stops."""
    t0 = stamp(probe.wait_for("odom"))
    probe.wait_for("odom", lambda m: stamp(m) >= t0 + sim_seconds, timeout=30)


def test_publishes_every_topic_at_its_rate(sim_proc, probe):
    keys = {t: probe.subscribe(t) for t in (ifc.IMAGE, ifc.CAMERA_INFO, ifc.DEPTH, ifc.SCAN, ifc.ODOM, ifc.GROUND_TRUTH, ifc.CLOCK, ifc.WORLD)}
    probe.wait_for(keys[ifc.IMAGE], timeout=30)
    probe.wait_for(keys[ifc.DEPTH], timeout=30)
    for k in keys.values():
        probe.clear(k)
    t0 = stamp(probe.wait_for(keys[ifc.ODOM]))
    probe.wait_for(keys[ifc.ODOM], lambda m: stamp(m) >= t0 + 3.0, timeout=30)
    window = lambda k: [m for m in probe.received(k) if t0 < stamp(m) <= t0 + 3.0]
    rates = {t: len(window(keys[t])) / 3.0 for t in (ifc.IMAGE, ifc.CAMERA_INFO, ifc.DEPTH, ifc.SCAN, ifc.ODOM, ifc.GROUND_TRUTH)}
    # stamps are simulation time: rates are counted in simulated seconds, not wall time
    assert 12 <= rates[ifc.IMAGE] <= 16 and 12 <= rates[ifc.DEPTH] <= 16, rates
    assert 12 <= rates[ifc.CAMERA_INFO] <= 16, rates
    assert 8 <= rates[ifc.SCAN] <= 11 and 40 <= rates[ifc.ODOM] <= 51 and 40 <= rates[ifc.GROUND_TRUTH] <= 51, rates
    assert len(probe.received(keys[ifc.CLOCK])) > 100
    img = probe.received(keys[ifc.IMAGE])[-1]
    assert (img.width, img.height, img.encoding) == (320, 240, "rgb8")
    assert img.header.frame_id == "camera_optical_frame"
    depth = imgmsg_to_cv2(probe.received(keys[ifc.DEPTH])[-1])
    assert depth.dtype == np.float32 and np.nanmin(depth) > 0.05
    info = probe.received(keys[ifc.CAMERA_INFO])[-1]
    assert info.k[0] == pytest.approx(160 / math.tan(0.6)) and info.k[2] == pytest.approx(159.5)
    scan = probe.received(keys[ifc.SCAN])[-1]
    assert len(scan.ranges) == 360 and scan.range_max == 8.0
    world = ifc.decode(ifc.WorldPayload, probe.wait_for(keys[ifc.WORLD]).data)
    assert world.scenario == "red_box_ahead" and world.objects[0].color == "red"


def test_forward_turn_and_stop(sim_proc, probe):
    probe.subscribe(ifc.ODOM, key="odom")
    settle(probe, 0.6)
    p0 = probe.received("odom")[-1].pose.pose
    y0 = yaw(probe.received("odom")[-1])
    drive(probe, 0.2, 0.0, 3.0)
    settle(probe, 0.8)  # cmd_timeout 0.5 s: the wheels stop
    m = probe.received("odom")[-1]
    dx, dy = m.pose.pose.position.x - p0.position.x, m.pose.pose.position.y - p0.position.y
    along = dx * math.cos(y0) + dy * math.sin(y0)
    assert 0.5 <= along <= 0.75, along
    assert abs(-dx * math.sin(y0) + dy * math.cos(y0)) < 0.05
    # no command: the robot has stopped
    assert abs(m.twist.twist.linear.x) < 0.01
    still = m.pose.pose.position
    settle(probe, 0.5)
    later = probe.received("odom")[-1].pose.pose.position
    assert math.hypot(later.x - still.x, later.y - still.y) < 0.005
    # a turn command turns
    y1 = yaw(probe.received("odom")[-1])
    drive(probe, 0.0, 1.0, 1.0)
    settle(probe, 0.5)
    turned = (yaw(probe.received("odom")[-1]) - y1 + math.pi) % (2 * math.pi) - math.pi
    assert turned > 0.6


def test_bad_twists_are_clamped_or_rejected_never_crash_or_teleport(sim_proc, probe):
    probe.subscribe(ifc.GROUND_TRUTH, key="truth")
    probe.subscribe(ifc.ODOM, key="odom")
    settle(probe, 0.6)
    start = probe.received("truth")[-1]
    pub = probe.publisher(ifc.CMD_VEL)
    for v, w in ((float("nan"), 0.0), (float("inf"), 0.0), (0.0, -float("inf")), (1e9, 1e9), (-1e30, 0.0)):
        m = Twist()
        m.linear.x, m.angular.z = v, w
        for _ in range(5):
            pub.publish(m)
            time.sleep(0.05)
    settle(probe, 1.0)
    end = probe.received("truth")[-1]
    elapsed = stamp(end) - stamp(start)
    moved = math.hypot(end.pose.pose.position.x - start.pose.pose.position.x, end.pose.pose.position.y - start.pose.pose.position.y)
    assert moved <= 0.5 * elapsed + 0.05  # never faster than the URDF's limit
    assert sim_proc.popen.poll() is None
    sim_proc.wait_for_output(r"non-finite velocity command", timeout=10)
    sim_proc.wait_for_output(r"clamped", timeout=10)


def set_params(probe, **values):
    params = []
    for k, v in values.items():
        pv = ParameterValue()
        if isinstance(v, int):
            pv.type, pv.integer_value = ParameterType.PARAMETER_INTEGER, v
        else:
            pv.type, pv.string_value = ParameterType.PARAMETER_STRING, v
        params.append(Parameter(name=k, value=pv))
    res = probe.call(SetParameters, "/sim_node/set_parameters", SetParameters.Request(parameters=params))
    assert all(r.successful for r in res.results), res


def first_image_after_reset(probe, key):
    res = probe.call(Trigger, ifc.SIM_RESET)
    assert res.success, res.message
    t0 = float(re.search(r"starts at t=([0-9.]+)", res.message).group(1))
    return probe.wait_for_first(key, lambda m: stamp(m) > t0 + 1e-6, timeout=30)  # the old world may end exactly at t0


def test_reset_with_the_same_seed_gives_the_same_world_and_first_image(sim_proc, probe):
    key = probe.subscribe(ifc.IMAGE, key="img")
    probe.wait_for(key, timeout=30)
    set_params(probe, scenario="", seed=17)
    img1 = imgmsg_to_cv2(first_image_after_reset(probe, key)).copy()
    world1 = probe.call(Trigger, ifc.SIM_GET_WORLD).message
    set_params(probe, seed=18)
    img_other = imgmsg_to_cv2(first_image_after_reset(probe, key)).copy()
    set_params(probe, seed=17)
    img2 = imgmsg_to_cv2(first_image_after_reset(probe, key)).copy()
    world2 = probe.call(Trigger, ifc.SIM_GET_WORLD).message
    w1, w2 = ifc.decode(ifc.WorldPayload, world1), ifc.decode(ifc.WorldPayload, world2)
    assert w1.seed == 17 and w1.objects == w2.objects and w1.robot == pytest.approx(w2.robot, abs=1e-3)
    assert np.array_equal(img1, img2)
    assert not np.array_equal(img1, img_other)
    # a bad scenario name is refused with a reason, and the node lives on
    set_params(probe, scenario="no_such_world")
    res = probe.call(Trigger, ifc.SIM_RESET)
    assert not res.success and "no scenario 'no_such_world'" in res.message
    set_params(probe, scenario="red_box_ahead")
    assert probe.call(Trigger, ifc.SIM_RESET).success


def test_collisions_are_counted_and_exposed(sim_proc, probe):
    set_params(probe, scenario="red_box_ahead")
    assert probe.call(Trigger, ifc.SIM_RESET).success
    probe.subscribe(ifc.ODOM, key="odom")
    # the red box is 2.8 m ahead (its face 2.675 m): drive into it
    drive(probe, 0.5, 0.0, 7.5)
    world = ifc.decode(ifc.WorldPayload, probe.call(Trigger, ifc.SIM_GET_WORLD).message)
    assert world.collisions >= 1
    assert world.robot[0] < 1.8 - 0.125  # pushed against it, not through it
    sim_proc.wait_for_output(r"collision \(total", timeout=10)


def test_lifecycle_autostart_false_waits_for_transitions(procs, probe):
    from lifecycle_msgs.msg import Transition
    from lifecycle_msgs.srv import ChangeState, GetState

    p = procs([tool("sim_node"), "--ros-args", "-r", "__node:=managed_sim", "-r", "/odom:=/managed/odom", "-p", "autostart:=false", "-p", "scenario:=red_box_ahead"])
    p.wait_for_output(r"autostart is false", timeout=60)
    key = probe.subscribe("/managed/odom", key="modom", like=ifc.ODOM)
    state = probe.call(GetState, "/managed_sim/get_state")
    assert state.current_state.label == "unconfigured"
    time.sleep(1.0)
    assert probe.received(key) == []
    for t in (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE):
        assert probe.call(ChangeState, "/managed_sim/change_state", ChangeState.Request(transition=Transition(id=t))).success
    probe.wait_for(key, timeout=20)
    assert probe.call(GetState, "/managed_sim/get_state").current_state.label == "active"
    assert probe.call(ChangeState, "/managed_sim/change_state", ChangeState.Request(transition=Transition(id=Transition.TRANSITION_DEACTIVATE))).success
    time.sleep(0.5)
    probe.clear(key)
    time.sleep(1.0)
    assert probe.received(key) == []  # inactive: lifecycle publishers are silent
