"""/agent/execute (autogpt_ros_interfaces/action/ExecuteInstruction) over DDS, against the
simulated graph as processes: sim_node, camera_node, fusion_node, policy_node and
reasoning_node.  `autogpt-ros send` and an rclpy ActionClient give the agent tasks; a
cancelled goal stops the robot; a new goal preempts the running one.  The typed twins
(/perception/detections, /perception/detections_2d, /agent/decision_record) carry what
their JSON topics carry."""
import json
import math
import subprocess
import time

import pytest
from action_msgs.msg import GoalStatus
from std_srvs.srv import Trigger

from autogpt_ros import interfaces as ifc
from conftest import ROOT, Proc, tool

pytestmark = [pytest.mark.ros, pytest.mark.slow]


@pytest.fixture(scope="module")
def graph():
    sim = Proc([tool("sim_node"), "--ros-args", "-p", "scenario:=red_box_ahead"])
    procs = [sim] + [Proc([tool(n), "--ros-args", "-p", "use_sim_time:=true"]) for n in ("camera_node", "fusion_node", "policy_node", "reasoning_node")]
    try:
        sim.wait_for_output(r"world 'red_box_ahead'", timeout=60)
        procs[1].wait_for_output(r"perception model:", timeout=90)
        procs[3].wait_for_output(r"policy:", timeout=90)
        procs[4].wait_for_output(r"language backend \w+ loaded", timeout=120)
        yield procs
    finally:
        for p in procs:
            p.stop()


def reset(probe):
    assert probe.call(Trigger, ifc.SIM_RESET, timeout=30).success


def wait(fut, timeout):
    deadline = time.monotonic() + timeout
    while not fut.done() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fut.done(), f"no answer within {timeout} s"
    return fut.result()


def test_autogpt_ros_send_reaches_the_red_box_and_the_typed_twins_match(graph, probe):
    objs, dets, dets2 = probe.subscribe(ifc.OBJECTS), probe.subscribe(ifc.DETECTIONS), probe.subscribe(ifc.DETECTIONS_2D)
    records = probe.subscribe(ifc.DECISION_RECORD)
    decisions = probe.subscribe(ifc.DECISION)
    reset(probe)
    time.sleep(1.0)
    r = subprocess.run([tool("autogpt-ros"), "send", "go to the red box", "--timeout", "120"], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "feedback: planning" in r.stdout and "feedback: running" in r.stdout, r.stdout
    assert "result: SUCCEEDED: plan complete" in r.stdout and "go_to" in r.stdout.splitlines()[-1], r.stdout
    # /perception/detections and _2d: the objects of /perception/objects, frame by frame
    by_stamp = {}
    for m in probe.received(objs):
        p = ifc.decode(ifc.ObjectsPayload, m.data)
        by_stamp[round(p.stamp, 6)] = p
    pairs = 0
    for m in probe.received(dets):
        p = by_stamp.get(round(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9, 6))
        if p is None:
            continue
        pairs += 1
        assert m.header.frame_id == p.frame_id == "camera_optical_frame"
        assert [(o.label, o.color, o.shape) for o in m.objects] == [(o.label, o.color or "", o.shape or "") for o in p.objects]
        for t, o in zip(m.objects, p.objects):
            assert t.confidence == pytest.approx(o.confidence, abs=1e-6) and t.bearing == pytest.approx(o.bearing_rad, abs=1e-6)
            x, y, w, h = o.bbox
            assert (t.bbox.center.position.x, t.bbox.center.position.y, t.bbox.size_x, t.bbox.size_y) == (x + w / 2, y + h / 2, w, h)
            assert t.has_distance == (o.distance_m is not None)
            if t.has_distance:
                assert t.distance == pytest.approx(o.distance_m, rel=1e-6)
                # the centre lies along the bearing, a little beyond the visible surface
                assert math.atan2(-t.position.x, t.position.z) == pytest.approx(o.bearing_rad, abs=1e-6)
                assert o.distance_m <= math.hypot(t.position.x, t.position.z) <= o.distance_m + 0.3
    assert pairs > 10
    red = [d for m in probe.received(dets2) for d in m.detections if d.results and d.results[0].hypothesis.class_id == "red box"]
    assert red and all(0 < d.results[0].hypothesis.score <= 1 and d.bbox.size_x > 0 for d in red)
    # /agent/decision_record: the decisions of /agent/decision
    want = [ifc.decode(ifc.DecisionPayload, m.data) for m in probe.received(decisions)]
    got = probe.wait_for(records, lambda m: m.reason == "plan complete", timeout=10) and probe.received(records)
    assert [d.reason for d in got] == [d.reason for d in want] and "plan complete" in [d.reason for d in got]
    first = got[0]
    assert first.instruction == "go to the red box" and json.loads(first.plan_json)["steps"] and {t.name for t in first.timings} >= {"instruction_received", "parse_ms"}


def test_action_client_feedback_result_cancel_and_preempt(graph, probe):
    from autogpt_ros_interfaces.action import ExecuteInstruction
    from rclpy.action import ActionClient

    cmd = probe.subscribe(ifc.CMD_VEL)
    reset(probe)
    client = ActionClient(probe.node, ExecuteInstruction, ifc.EXECUTE)
    assert client.wait_for_server(timeout_sec=30)
    feedback = {}

    def send(text):
        feedback[text] = []
        fut = client.send_goal_async(ExecuteInstruction.Goal(instruction=text, source="test"), feedback_callback=lambda m, t=text: feedback[t].append((time.monotonic(), m.feedback)))
        handle = wait(fut, 10)
        assert handle.accepted
        return handle, handle.get_result_async()

    # a task: feedback as the steps run, then the result
    _, res = send("go to the red box")
    r = wait(res, 120)
    assert r.status == GoalStatus.STATUS_SUCCEEDED and r.result.success and r.result.message == "plan complete", r.result
    assert [s["skill"] for s in json.loads(r.result.plan_json)["steps"]][-1] == "go_to"
    fbs = [f for _, f in feedback["go to the red box"]]
    assert fbs[0].state == "planning" and fbs[0].step_index == -1
    running = [f for f in fbs if f.state == "running"]
    assert running and running[0].plan_json and all(0.0 <= f.progress <= 1.0 for f in fbs)
    assert [f.progress for f in running] == sorted(f.progress for f in running) and fbs[-1].state == "succeeded"

    # cancel mid-way: the robot stops (zero /cmd_vel), the goal ends canceled
    handle, res = send("turn left 360 degrees")
    probe.wait_for(cmd, lambda c: abs(c.angular.z) > 0.3, timeout=30)
    t0 = time.monotonic()
    cancel = handle.cancel_goal_async()
    deadline = t0 + 5.0
    zero_at = None
    while time.monotonic() < deadline and zero_at is None:
        for t, c in list(probe.msgs[cmd]):
            if t > t0 and c.linear.x == 0.0 and c.angular.z == 0.0:
                zero_at = t
                break
        time.sleep(0.005)
    assert zero_at is not None, "no zero /cmd_vel within 5 s of the cancel request"
    latency = zero_at - t0
    print(f"cancel request to zero /cmd_vel: {latency * 1000:.0f} ms")
    assert latency < 2.0  # target 0.2 s; generous for a loaded machine
    assert len(wait(cancel, 10).goals_canceling) == 1
    r = wait(res, 10)
    assert r.status == GoalStatus.STATUS_CANCELED and not r.result.success
    time.sleep(1.0)
    probe.clear(cmd)
    time.sleep(1.0)
    moving = [(round(c.linear.x, 3), round(c.angular.z, 3)) for c in probe.received(cmd) if c.angular.z != 0.0 or c.linear.x != 0.0]
    assert not moving, (moving[:10], graph[3].output[-3000:], graph[4].output[-3000:])  # stays stopped

    # a new goal preempts the running one, which ends aborted (the new one releases the e-stop)
    _, res_a = send("turn right 360 degrees")
    probe.wait_for(cmd, lambda c: c.angular.z < -0.3, timeout=30)
    _, res_b = send("turn left 90 degrees")
    ra = wait(res_a, 10)
    assert ra.status == GoalStatus.STATUS_ABORTED and "preempted" in ra.result.message
    rb = wait(res_b, 60)
    assert rb.status == GoalStatus.STATUS_SUCCEEDED and rb.result.success, rb.result
    client.destroy()


def test_a_stop_in_the_middle_of_a_repeat_ends_the_whole_plan(graph, probe):
    from std_msgs.msg import String

    goals, decisions, cmd = probe.subscribe(ifc.GOAL), probe.subscribe(ifc.DECISION), probe.subscribe(ifc.CMD_VEL)
    reset(probe)
    time.sleep(1.0)
    goal = lambda m: ifc.decode(ifc.GoalPayload, m.data)  # noqa: E731
    pub = probe.publisher(ifc.INSTRUCTION)
    pub.publish(String(data="turn left 90 degrees four times"))
    first = goal(probe.wait_for(goals, lambda m: goal(m).step.skill == "turn", timeout=90))
    assert first.count == 4 and first.index == 0  # the repeat written out: four turns
    probe.wait_for(cmd, lambda c: c.angular.z > 0.3, timeout=30)
    pub.publish(String(data="stop"))
    probe.wait_for(decisions, lambda m: ifc.decode(ifc.DecisionPayload, m.data).reason.startswith("stop"), timeout=20)
    t_stop = time.monotonic()
    time.sleep(4.0)  # longer than a quarter turn: a plan still running would have sent its next turn
    later = [goal(m) for t, m in probe.msgs[goals] if t > t_stop + 0.5]
    assert all(g.step.skill == "stop" or g.goal_id == first.goal_id for g in later), [g.step for g in later]
    assert not any(g.plan_id == first.plan_id and g.index > 0 for g in map(goal, probe.received(goals)))
    probe.clear(cmd)
    time.sleep(1.0)
    assert not [c for c in probe.received(cmd) if c.angular.z != 0.0 or c.linear.x != 0.0]
