"""The safety layer, the skill executor and fusion, without ROS (property-based where it matters)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autogpt_ros import interfaces as ifc
from autogpt_ros.control.executor import SkillExecutor
from autogpt_ros.control.fusion import Fusion, Scan
from autogpt_ros.control.safety import SafetyFilter, SafetyLimits
from autogpt_ros.observation import INDEX

L = SafetyLimits()
anything = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e6, 1e6))
step = st.tuples(anything, anything, st.one_of(st.just(0.05), anything), anything, anything, anything, anything, st.sampled_from(["none", "engage", "release", "goal"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(step, min_size=1, max_size=60))
def test_no_input_sequence_exceeds_the_limits(seq):
    f = SafetyFilter(L)
    last = (0.0, 0.0)
    for v, w, dt, sa, ga, front, back, event in seq:
        if event == "engage":
            f.engage()
        elif event == "release":
            f.release()
        elif event == "goal":
            f.new_goal()
        r = f.filter(v, w, dt, sa, ga, front, back)
        assert math.isfinite(r.v) and math.isfinite(r.w)
        assert abs(r.v) <= L.max_linear + 1e-9 and abs(r.w) <= L.max_angular + 1e-9
        d = dt if (isinstance(dt, float) and math.isfinite(dt) and dt > 0) else 0.05
        # speeding up is acceleration-limited; slowing down is always allowed
        if abs(r.v) > abs(last[0]) + 1e-9:
            assert abs(r.v) - abs(last[0]) <= L.max_linear_accel * d + 1e-9
        if abs(r.w) > abs(last[1]) + 1e-9:
            assert abs(r.w) - abs(last[1]) <= L.max_angular_accel * d + 1e-9
        if f.estopped:
            assert (r.v, r.w) == (0.0, 0.0)
        if not all(isinstance(x, float) and math.isfinite(x) for x in (v, w)):
            assert (r.v, r.w) == (0.0, 0.0) or f.estopped is False and r.v == 0.0
        if isinstance(front, float) and front < L.safety_distance:
            assert r.v <= 0.0
        last = (r.v, r.w)


def test_estop_holds_until_release_and_a_new_goal():
    f = SafetyFilter(L)
    for _ in range(20):
        f.filter(0.4, 0.0, 0.05, 0.0, 0.0)
    f.engage()
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0).v == 0.0
    f.release()  # release without a new goal: still stopped
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0).v == 0.0
    f.new_goal()
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0).v > 0.0
    # the goal may arrive just before the release (two topics, no order across them)
    f.engage()
    f.new_goal()  # a new goal without release: still stopped
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0).v == 0.0
    f.release()  # ... until the release: then that goal runs
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0).v > 0.0
    # a goal from before the e-stop never counts
    f.new_goal()
    f.engage()
    f.release()
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0).v == 0.0


def test_watchdog_and_obstacles():
    f = SafetyFilter(L)
    assert f.filter(0.3, 0.5, 0.05, L.max_age + 0.1, 0.0).v == 0.0  # stale state
    r = f.filter(0.3, 0.5, 0.05, 0.0, 0.0, front=0.1)
    assert r.v == 0.0 and r.w != 0.0 and "ahead" in r.reasons[0]  # may still turn away
    ranges = np.full(360, 5.0)
    ranges[180] = 0.2  # straight ahead for angle_min = -pi
    front, back = f.obstacle_distances(ranges, -math.pi, 2 * math.pi / 360)
    assert front == pytest.approx(0.2) and back > 4


class FixedPolicy:
    def act(self, obs):
        return 1.0, 0.0

    def value(self, obs):
        return 0.0


def test_move_and_turn_controllers_finish_on_odometry():
    ex = SkillExecutor(FixedPolicy(), 0.4, 1.5)
    ex.start(ifc.MoveStep(direction="forward", distance_m=0.5), (0.0, 0.0, 0.0), 0.0)
    x, t = 0.0, 0.0
    for _ in range(200):
        r = ex.update(np.zeros(len(INDEX), np.float32), (x, 0.0, 0.0), t)
        if r.state != "running":
            break
        x += r.v * 0.05
        t += 0.05
    assert r.state == "succeeded" and x == pytest.approx(0.5, abs=0.03)
    ex.start(ifc.TurnStep(direction="right", angle_deg=270), (0.0, 0.0, 0.0), 0.0)
    yaw = 0.0
    for _ in range(400):
        r = ex.update(np.zeros(len(INDEX), np.float32), (0.0, 0.0, yaw), t)
        if r.state != "running":
            break
        yaw = (yaw + r.w * 0.05 + math.pi) % (2 * math.pi) - math.pi
    assert r.state == "succeeded"
    ex.start(ifc.StopStep(), (0, 0, 0), 0.0)
    assert ex.update(np.zeros(len(INDEX), np.float32), (0, 0, 0), 0.0).state == "succeeded"


def test_learned_skill_success_uses_perception_criteria():
    ex = SkillExecutor(FixedPolicy(), 0.4, 1.5)
    ex.start(ifc.GoToStep(target=ifc.Target(color="red", shape="box")), (0, 0, 0), 0.0)
    obs = np.zeros(len(INDEX), np.float32)
    obs[INDEX["target_visible"]] = obs[INDEX["target_known"]] = 1
    obs[INDEX["bearing_cos"]] = 1
    obs[INDEX["distance"]] = 1.0 / 5
    assert ex.update(obs, (0, 0, 0), 0.1).state == "running"
    obs[INDEX["distance"]] = 0.3 / 5
    assert ex.update(obs, (0, 0, 0), 0.2).state == "succeeded"
    ex.start(ifc.GoToStep(target=ifc.Target(color="red", shape="box")), (0, 0, 0), 0.0)
    assert ex.update(obs, (0, 0, 0), 61.0).state == "failed"  # time limit


def test_fusion_marks_stale_inputs_and_never_reuses_old_detections():
    f = Fusion(max_age=0.5)
    f.set_goal(ifc.GoalPayload(goal_id="g", step={"skill": "go_to", "target": {"color": "red", "shape": "box"}}))
    f.odometry((0, 0, 0), (0, 0), 0.0)
    f.laser(Scan(np.full(360, 3.0), -math.pi, 2 * math.pi / 360, 8.0), 0.0)
    f.detections(ifc.ObjectsPayload(objects=[dict(label="red box", color="red", shape="box", confidence=0.9, bbox=(0, 0, 5, 5), bearing_rad=0.2, distance_m=1.5)]), 0.0)
    obs, stale = f.observation(0.1)
    assert not stale and obs[INDEX["target_visible"]] == 1 and obs[INDEX["stale"]] == 0
    obs, stale = f.observation(0.15)  # between frames: still visible
    assert obs[INDEX["target_visible"]] == 1
    obs, stale = f.observation(1.0)  # everything is old now
    assert set(stale) == {"odom", "scan", "objects"} and obs[INDEX["stale"]] == 1
    assert obs[INDEX["target_visible"]] == 0 and obs[INDEX["target_known"]] == 1  # remembered, not seen
    assert not f.odometry((float("nan"), 0, 0), (0, 0), 1.0)


def test_memory_forgets_on_odometry_jumps_and_after_looking_at_an_empty_place():
    from autogpt_ros.memory import ObjectMemory, Sighting
    from autogpt_ros.observation import TargetTracker, occlusion_test

    m = ObjectMemory()
    tr = TargetTracker(m, hfov=1.2)
    tr.set_target("red", "box")
    pose = (0.0, 0.0, 0.0)
    track = tr.update([Sighting("red", "box", 0.0, 2.0)], pose, 0.0)
    assert track.visible and len(m.objects) == 1
    # the robot turns away and back: unseen while out of view is no evidence
    for k in range(10):
        tr.update([], (0.0, 0.0, 2.0), 0.1 * k)
    assert len(m.objects) == 1
    # hidden behind something the laser sees: no evidence either
    wall = np.full(360, 8.0)
    wall[170:191] = 1.0  # 1 m ahead, in a scan from -pi in 1 degree steps
    for k in range(10):
        tr.update([], pose, 1 + 0.1 * k, occluded=occlusion_test(wall, -math.pi, math.radians(1)))
    assert len(m.objects) == 1 and tr.update([], pose, 2.0, fresh=False).known
    # looking straight at the empty place for five frames forgets it; the target is unknown again
    for k in range(5):
        track = tr.update([], pose, 3 + 0.1 * k)
    assert not m.objects and not track.known
    # odometry that jumps (a reset of the world or of the base) forgets everything
    tr.update([Sighting("red", "box", 0.0, 2.0)], pose, 4.0)
    assert m.note_pose((0.0, 0.0, 0.0)) is False and m.note_pose((0.01, 0.0, 0.0)) is False
    assert m.note_pose((2.0, 1.0, 0.0)) is True and not m.objects
    assert not tr.update([], pose, 5.0, fresh=False).known
