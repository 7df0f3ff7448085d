"""The safety layer over DDS: policy_node as a process, its sensors published by the test.

Each test drives a move goal with valid odometry and scan, checks the robot moves,
then breaks one input the way the fault runs did and checks /cmd_vel goes to zero
and stays there."""
import math
import re
import threading
import time

import pytest
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from sensor_msgs.msg import LaserScan
from std_msgs.msg import String

from autogpt_ros import interfaces as ifc
from conftest import tool

pytestmark = pytest.mark.ros


def scan_msg(r=5.0, angle_min=-math.pi, inc=2 * math.pi / 360, n=360):
    m = LaserScan()
    m.header.frame_id = "lidar_link"
    m.angle_min, m.angle_increment = float(angle_min), float(inc)
    m.angle_max = float(angle_min + inc * (n - 1)) if math.isfinite(angle_min + inc) else 0.0
    m.range_min, m.range_max = 0.12, 12.0
    m.ranges = [float(r)] * n
    return m


def odom_msg(x=0.0, y=0.0):
    m = Odometry()
    m.header.frame_id = "odom"
    m.pose.pose.position.x, m.pose.pose.position.y = float(x), float(y)
    m.pose.pose.orientation.w = 1.0
    return m


class Feeder:
    """Publishes /odom and /scan at 20 Hz, and the goal's heartbeat, until told otherwise."""

    def __init__(self, probe, step):
        self.pubs = {k: probe.publisher(k) for k in (ifc.ODOM, ifc.SCAN, ifc.GOAL)}
        self.scan, self.odom = scan_msg(), odom_msg()
        self.goal = String(data=ifc.encode(ifc.GoalPayload(goal_id="g1", step=step)))
        self.send_scan = self.send_odom = True
        self._run = True
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        i = 0
        while self._run:
            if self.send_odom:
                self.pubs[ifc.ODOM].publish(self.odom)
            if self.send_scan:
                self.pubs[ifc.SCAN].publish(self.scan)
            if i % 10 == 0:
                self.pubs[ifc.GOAL].publish(self.goal)
            i += 1
            time.sleep(0.05)

    def close(self):
        self._run = False
        self.t.join(1)


@pytest.fixture
def moving(procs, probe):
    pol = procs([tool("policy_node")])
    pol.wait_for_output(r"policy:", timeout=60)
    cmd = probe.subscribe(ifc.CMD_VEL)
    feed = Feeder(probe, ifc.MoveStep(direction="forward", distance_m=3.0))
    probe.wait_for(cmd, lambda c: c.linear.x > 0.1, timeout=30)
    yield pol, cmd, feed
    feed.close()


def settles_to_zero(probe, cmd, seconds=1.5):
    """After the fault, /cmd_vel reaches zero and stays zero for ``seconds``."""
    probe.wait_for(cmd, lambda c: c.linear.x == 0.0 and c.angular.z == 0.0, timeout=10)
    probe.clear(cmd)
    time.sleep(seconds)
    got = probe.received(cmd)
    assert got, "policy_node went quiet instead of commanding zero"
    assert all(c.linear.x == 0.0 and c.angular.z == 0.0 for c in got), [(c.linear.x, c.angular.z) for c in got if c.linear.x or c.angular.z][:5]


@pytest.mark.parametrize("bad", ["nan_increment", "inf_angle_min"])
def test_a_scan_with_invalid_angles_stops_motion(moving, probe, bad):
    pol, cmd, feed = moving
    # every range at 0.2 m: the robot is boxed in, and the angles make the scan unusable
    feed.scan = scan_msg(0.2, inc=float("nan")) if bad == "nan_increment" else scan_msg(0.2, angle_min=float("inf"))
    settles_to_zero(probe, cmd)
    pol.wait_for_output(r"unusable scan \(scan angle", timeout=5)


def test_a_silent_scan_stops_motion(moving, probe):
    pol, cmd, feed = moving
    feed.send_scan = False
    settles_to_zero(probe, cmd)
    pol.wait_for_output(r"scan is .* old", timeout=5)
    feed.send_scan = True  # it comes back: so does the motion
    probe.wait_for(cmd, lambda c: c.linear.x > 0.05, timeout=10)


@pytest.mark.parametrize("bad", ["nan", "huge", "silent"])
def test_broken_odometry_stops_motion(moving, probe, bad):
    pol, cmd, feed = moving
    if bad == "nan":
        feed.odom = odom_msg(float("nan"), 0.0)
    elif bad == "huge":
        feed.odom = odom_msg(1e30, 1e30)
    else:
        feed.send_odom = False
    settles_to_zero(probe, cmd)
    pol.wait_for_output({"nan": r"non-finite odometry", "huge": r"implausible odometry", "silent": r"odometry is .* old"}[bad], timeout=5)


def test_a_wall_at_the_side_blocks_turning_into_it(procs, probe):
    """A turn in place next to a wall the +/-35 degree laser cone never sees: the footprint's
    corner would swing into it (and turning right swings the rear corner into it), so the
collision monitor refuses; driving along the wall is free."""
    pol = procs([tool("policy_node")])
    pol.wait_for_output(r"policy:", timeout=60)
    cmd = probe.subscribe(ifc.CMD_VEL)
    feed = Feeder(probe, ifc.TurnStep(direction="left", angle_deg=90))
    # a wall 3 cm from the robot's left side, y = 0.185 in the base frame, seen by the laser at x = 0.10
    n, inc = 360, 2 * math.pi / 360
    ranges = []
    for i in range(n):
        a = -math.pi + i * inc
        s = math.sin(a)
        ranges.append(0.185 / s if s > 1e-3 and 0.185 / s < 12.0 else float("inf"))
    feed.scan.ranges = ranges
    try:
        pol.wait_for_output(r"goal g1: turn", timeout=30)
        probe.wait_for(cmd, timeout=10)
        time.sleep(1.0)
        got = probe.received(cmd)
        assert got and all(c.angular.z == 0.0 for c in got)
        pol.wait_for_output(r"collision monitor", timeout=5)
        feed.goal = String(data=ifc.encode(ifc.GoalPayload(goal_id="g2", step=ifc.MoveStep(direction="forward", distance_m=1.0))))
        probe.wait_for(cmd, lambda c: c.linear.x > 0.1, timeout=10)
    finally:
        feed.close()


# ---- reasoning_node: the e-stop's owner, and bursts of instructions -----------------------
@pytest.fixture
def reasoning(procs, probe):
    node = procs([tool("reasoning_node")])
    node.wait_for_output(r"language backend \w+ loaded", timeout=120)
    # configured and subscribed (the action server and the rest come after the model)
    pub = probe.publisher(ifc.INSTRUCTION)
    deadline = time.monotonic() + 60
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pub.get_subscription_count() > 0, node.output[-2000:]
    return node


def test_an_external_release_after_our_own_stop_lets_tasks_run(reasoning, probe):
    """Typed "stop", a task (which releases our own stop), then someone else's true and false
    on /agent/estop: the next task runs (it used to be refused forever)."""
    from std_msgs.msg import Bool

    goals, estop, say = probe.subscribe(ifc.GOAL), probe.subscribe(ifc.ESTOP), probe.subscribe(ifc.SAY)
    pub, estop_pub = probe.publisher(ifc.INSTRUCTION), probe.publisher(ifc.ESTOP)
    time.sleep(1.0)
    pub.publish(String(data="stop"))
    probe.wait_for(estop, lambda m: m.data is True, timeout=10)
    pub.publish(String(data="turn left 30 degrees"))
    probe.wait_for(estop, lambda m: m.data is False, timeout=10)
    probe.wait_for(goals, lambda m: '"turn"' in m.data, timeout=10)
    estop_pub.publish(Bool(data=True))  # someone else's e-stop: refused while it holds
    time.sleep(0.5)
    pub.publish(String(data="turn right 20 degrees"))
    probe.wait_for(say, lambda m: "emergency stop is engaged" in m.data, timeout=10)
    estop_pub.publish(Bool(data=False))  # ... and released by them
    time.sleep(0.5)
    probe.clear(goals)
    pub.publish(String(data="turn right 45 degrees"))
    g = ifc.decode(ifc.GoalPayload, probe.wait_for(goals, lambda m: '"turn"' in m.data, timeout=10).data)
    assert g.step.direction == "right" and g.step.angle_deg == 45


def test_a_burst_of_instructions_is_planned_or_counted_never_lost(reasoning, probe):
    goals = probe.subscribe(ifc.GOAL)
    pub = probe.publisher(ifc.INSTRUCTION)
    time.sleep(1.0)
    n = 300
    for i in range(n):
        pub.publish(String(data=f"turn left {i % 170 + 10} degrees"))
        time.sleep(0.02)  # 50 Hz
    last = (n - 1) % 170 + 10
    g = probe.wait_for(goals, lambda m: f'"angle_deg":{float(last)}' in m.data.replace(" ", ""), timeout=60)
    assert g is not None
    time.sleep(1.0)
    out = reasoning.output
    planned = len(re.findall(r"typed instruction: 'turn left", out))
    dropped = [int(x) for x in re.findall(r"\((\d+) in all\)", out)]
    assert planned + (dropped[-1] if dropped else 0) == n, (planned, dropped[-1:] if dropped else None)


def test_a_request_the_robot_cannot_do_is_refused_on_say_with_no_goal(reasoning, probe):
    goals, say = probe.subscribe(ifc.GOAL), probe.subscribe(ifc.SAY)
    pub = probe.publisher(ifc.INSTRUCTION)
    time.sleep(1.0)
    pub.publish(String(data="bring me the red ball"))
    said = probe.wait_for(say, timeout=20).data
    assert "no arm" in said
    time.sleep(1.0)
    assert probe.received(goals) == []


def test_a_stop_behind_a_burst_is_never_dropped(reasoning, probe):
    """Instructions arrive faster than they can be planned, the last but one is "stop": the stop is
    applied at once (the e-stop goes up), and nothing planned before it runs after it."""
    goals, estop = probe.subscribe(ifc.GOAL), probe.subscribe(ifc.ESTOP)
    pub = probe.publisher(ifc.INSTRUCTION)
    time.sleep(1.0)
    for i in range(20):
        pub.publish(String(data=f"turn left {i + 10} degrees"))
    pub.publish(String(data="stop"))
    probe.wait_for(estop, lambda m: m.data is True, timeout=10)
    time.sleep(2.0)
    skills = [ifc.decode(ifc.GoalPayload, m.data).step.skill for m in probe.received(goals)]
    assert "stop" in skills and skills[skills.index("stop"):] == ["stop"] * len(skills[skills.index("stop"):])
    reasoning.wait_for_output(r"stop: applied at once", timeout=5)


def test_the_planner_takes_what_the_tagger_cannot_and_nothing_moves(reasoning, probe):
    """reasoning_node's default router: a question goes to the generative planner (source
    "planner", its timings on /agent/decision); a request outside the robot's abilities that no
    refusal rule names is refused by the planner itself; neither publishes a goal."""
    goals, say, decisions = probe.subscribe(ifc.GOAL), probe.subscribe(ifc.SAY), probe.subscribe(ifc.DECISION)
    pub = probe.publisher(ifc.INSTRUCTION)
    time.sleep(1.0)
    pub.publish(String(data="how far away is the blue ball"))
    dec = lambda m: ifc.decode(ifc.DecisionPayload, m.data)  # noqa: E731
    d = dec(probe.wait_for(decisions, lambda m: dec(m).instruction == "how far away is the blue ball" and dec(m).source == "planner", timeout=60))
    assert d.plan.steps[0].skill == "answer" and d.plan.steps[0].question == "distance"
    assert d.timings["planner_ms"] > 0 and d.timings["model_calls"] >= 1
    answered = dec(probe.wait_for(decisions, lambda m: dec(m).skill == "answer", timeout=20))
    assert answered.reason.endswith("I do not see a blue ball, so I cannot tell.")  # nothing seen: reasoning_node runs alone here
    probe.wait_for(say, timeout=20)
    n_say = len(probe.received(say))
    pub.publish(String(data="measure the height of the red box"))
    d = dec(probe.wait_for(decisions, lambda m: "measure the height" in dec(m).instruction, timeout=60))
    assert d.source == "planner" and d.plan.refusal and not d.plan.steps
    said = probe.wait_for(say, count=n_say + 1, timeout=20)[-1].data
    assert said == d.plan.refusal
    time.sleep(1.0)
    assert probe.received(goals) == []
