"""The safety layer, the skill executor and fusion, without ROS (property-based where it matters)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autogpt_ros import interfaces as ifc
from autogpt_ros.control.executor import SkillExecutor
from autogpt_ros.control.fusion import Fusion, Scan
from autogpt_ros.control.safety import FREE, Clearance, Footprint, SafetyFilter, SafetyLimits, rect_distance, scan_clearance
from autogpt_ros.observation import INDEX
from autogpt_ros.robot import load_robot

LIDAR = load_robot().lidar.xyz[:2]

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
        r = f.filter(v, w, dt, sa, ga, front, back, clearance=FREE)
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
        f.filter(0.4, 0.0, 0.05, 0.0, 0.0, clearance=FREE)
    f.engage()
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0, clearance=FREE).v == 0.0
    f.release()  # release without a new goal: still stopped
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0, clearance=FREE).v == 0.0
    f.new_goal()
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0, clearance=FREE).v > 0.0
    # the goal may arrive just before the release (two topics, no order across them)
    f.engage()
    f.new_goal()  # a new goal without release: still stopped
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0, clearance=FREE).v == 0.0
    f.release()  # ... until the release: then that goal runs
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0, clearance=FREE).v > 0.0
    # a goal from before the e-stop never counts
    f.new_goal()
    f.engage()
    f.release()
    assert f.filter(0.4, 0.0, 0.05, 0.0, 0.0, clearance=FREE).v == 0.0


def test_watchdog_and_obstacles():
    f = SafetyFilter(L)
    assert f.filter(0.3, 0.5, 0.05, L.max_age + 0.1, 0.0, clearance=FREE).v == 0.0  # stale state
    r = f.filter(0.3, 0.5, 0.05, 0.0, 0.0, front=0.1, clearance=FREE)
    assert r.v == 0.0 and r.w != 0.0 and "ahead" in r.reasons[0]  # may still turn away
    ranges = np.full(360, 5.0)
    ranges[180] = 0.2  # straight ahead for angle_min = -pi
    front, back = f.obstacle_distances(ranges, -math.pi, 2 * math.pi / 360, LIDAR[0])
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
    assert ex.update(obs, (0, 0, 0), 0.2).state == "running"  # the state may still be the previous goal's: not yet
    assert ex.update(obs, (0, 0, 0), 0.35).state == "succeeded"
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


# ---- the collision monitor: the footprint never reaches an obstacle ------------------------
FP = Footprint(*load_robot().outline)


def _monitor_filter():
    from autogpt_ros.control.safety import monitor_for
    from autogpt_ros.robot import load_robot

    return SafetyFilter(L, monitor_for(load_robot()))


def _to_base(points_world, pose):
    x, y, th = pose
    d = points_world - np.array([x, y])
    c, s = math.cos(th), math.sin(th)
    return np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]], axis=1)


def test_footprint_comes_from_the_urdf():
    from autogpt_ros.robot import load_robot

    r = load_robot()
    x0, x1, y0, y1 = r.outline
    assert (x0, x1) == pytest.approx((-0.15, 0.15))  # the chassis box
    assert (y0, y1) == pytest.approx((-0.155, 0.155))  # the wheels stick out past the 0.24 m chassis


obstacle = st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.floats(0.02, 0.6), st.floats(0.02, 0.6))
command = st.tuples(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0), st.integers(1, 15))


@settings(max_examples=150, deadline=None)
@given(st.lists(obstacle, min_size=1, max_size=5), st.lists(command, min_size=1, max_size=25))
def test_no_command_sequence_brings_the_footprint_into_contact(boxes, commands):
    """Random rectangular obstacles seen by an exact 360-degree scan, random commands held for
    random times (in-place turns, backing up, arcs); the base follows the filtered command with
    its own acceleration limits.  The footprint never touches an obstacle."""
    pts = []
    for cx, cy, w, h in boxes:
        xs, ys = np.linspace(cx - w / 2, cx + w / 2, 12), np.linspace(cy - h / 2, cy + h / 2, 12)
        pts += [(x, y) for x in xs for y in (ys[0], ys[-1])] + [(x, y) for y in ys for x in (xs[0], xs[-1])]
    world = np.array(pts)
    if (rect_distance(world[:, 0], world[:, 1], FP) < 0.06).any():
        return  # the robot must start clear of everything
    f = _monitor_filter()
    pose, (va, wa), dt = [0.0, 0.0, 0.0], (0.0, 0.0), 0.05
    for a, b, n in commands:
        for _ in range(n):
            pb = _to_base(world, pose)
            r = f.filter(a * L.max_linear, b * L.max_angular, dt, 0.0, 0.0, clearance=Clearance(pb))
            # the base: the diff-drive controller's acceleration limits (URDF: 1 m/s^2, 4 rad/s^2)
            for _ in range(5):
                h = dt / 5
                va += float(np.clip(r.v - va, -1.0 * h, 1.0 * h))
                wa += float(np.clip(r.w - wa, -4.0 * h, 4.0 * h))
                pose[2] += wa * h
                pose[0] += va * h * math.cos(pose[2])
                pose[1] += va * h * math.sin(pose[2])
                pb = _to_base(world, pose)
                assert rect_distance(pb[:, 0], pb[:, 1], FP).min() > 0.0, "contact"


def test_unusable_scans_mean_no_motion_at_all():
    f = _monitor_filter()
    ranges = np.full(360, 0.2)
    for amin, inc in ((-math.pi, float("nan")), (float("inf"), 0.0175), (-math.pi, 0.0)):
        c = scan_clearance(ranges, amin, inc, 0.12, 12.0, LIDAR)
        assert not c.known
        r = f.filter(0.4, 1.0, 0.05, 0.0, 0.0, *f.obstacle_distances(ranges, amin, inc, LIDAR[0]), clearance=c)
        assert (r.v, r.w) == (0.0, 0.0) and any("no clearance" in x for x in r.reasons)
    # an empty or missing scan: the same
    assert f.filter(0.4, 1.0, 0.05, 0.0, 0.0, clearance=scan_clearance([], -math.pi, 0.01, 0.12, 12.0, LIDAR)).w == 0.0
    assert f.filter(0.4, 1.0, 0.05, 0.0, 0.0, clearance=Clearance(None)).w == 0.0


def test_stale_scan_or_odometry_stop_every_motion():
    f = _monitor_filter()
    for _ in range(20):
        assert f.filter(0.2, 0.5, 0.05, 0.0, 0.0, clearance=FREE).v > 0
    r = f.filter(0.2, 0.5, 0.05, 0.0, 0.0, clearance=FREE, scan_age=L.max_age + 0.01)
    assert (r.v, r.w) == (0.0, 0.0) and "scan is" in r.reasons[0]
    r = f.filter(0.2, 0.5, 0.05, 0.0, 0.0, clearance=FREE, odom_age=float("inf"))
    assert (r.v, r.w) == (0.0, 0.0) and "odometry" in r.reasons[0]


def _wall(x0, y0, x1, y1, n=200):
    return np.stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)], axis=1)


def test_turning_in_place_is_checked_against_the_corners():
    m = _monitor_filter().monitor
    # a wall 3 cm from the left side: turning left swings the front-left corner into it
    wall = Clearance(_wall(-1.0, 0.185, 1.0, 0.185))
    assert m.limit(0.0, 1.0, wall)[:2] == (0.0, 0.0)
    assert m.limit(0.0, -1.0, wall)[:2] == (0.0, 0.0)  # and right turns its rear-left corner
    assert m.limit(0.3, 0.0, wall)[:2] == (0.3, 0.0)  # driving along it is fine
    # a post in front of the front-left corner: the old laser cone (+/-35 deg) does not see it
    f = _monitor_filter()
    xy = np.array([[0.17, 0.19]])
    post = Clearance(xy)
    ang = math.atan2(xy[0, 1], xy[0, 0] - 0.10)
    ranges = np.full(360, np.inf)
    ranges[int(round(math.degrees(ang))) + 180] = math.hypot(xy[0, 0] - 0.10, xy[0, 1])
    assert f.obstacle_distances(ranges, -math.pi, math.pi / 180, LIDAR[0])[0] == math.inf  # outside the cone
    assert m.limit(0.0, 1.0, post)[:2] == (0.0, 0.0)
    assert m.limit(0.3, 0.0, post)[:2] == (0.0, 0.0)
    assert m.limit(0.0, -1.0, post)[:2] == (0.0, -1.0)  # turning away is fine
    # far obstacles leave turning alone
    assert m.limit(0.0, 1.5, Clearance(_wall(-1, 1.0, 1, 1.0)))[:2] == (0.0, 1.5)


def test_backing_up_and_slowing_down():
    m = _monitor_filter().monitor
    behind = Clearance(_wall(-0.19, -1.0, -0.19, 1.0))  # 4 cm behind: inside the margin
    assert m.limit(-0.3, 0.0, behind)[:2] == (0.0, 0.0)
    assert m.limit(0.3, 0.0, behind)[:2] == (0.3, 0.0)  # driving away from it is fine
    ahead = Clearance(_wall(0.38, -1.0, 0.38, 1.0))
    v, w, why = m.limit(0.4, 0.0, ahead)
    assert 0.0 < v < 0.4 and "slowed" in why  # the slow-down zone
    # a scan of the front half only: no backing up into what it cannot see
    c = scan_clearance(np.full(180, 5.0), -math.pi / 2, math.pi / 180, 0.12, 12.0, LIDAR)
    assert c.known and not c.full_circle
    assert m.limit(-0.2, 0.0, c)[:2] == (0.0, 0.0)
    assert m.limit(0.2, 0.0, c)[:2] == (0.2, 0.0)
    # an obstacle already inside the margin: moving away is allowed, closer is not
    close = Clearance(np.array([[0.17, 0.0]]))
    assert m.limit(0.2, 0.0, close)[:2] == (0.0, 0.0)
    assert m.limit(-0.2, 0.0, close)[0] < 0.0


def test_controller_without_ros():
    """policy_node's logic as plain calls: a move runs with fresh inputs, stops on a stale scan,
    an e-stop, and resumes only with a release and a new goal."""
    from autogpt_ros.control.controller import Controller
    from autogpt_ros.control.safety import monitor_for
    from autogpt_ros.robot import load_robot

    c = Controller(FixedPolicy(), SafetyLimits(max_age=0.35), monitor_for(load_robot()))
    assert c.tick(0.0).cmd is None  # no goal: quiet
    move = ifc.GoalPayload(goal_id="m1", step=ifc.MoveStep(direction="forward", distance_m=2.0))
    assert c.on_goal(move, 0.0) == (True, None)
    t, v = 0.0, 0.0
    for _ in range(20):
        t += 0.05
        c.on_odometry((0.0, 0.0, 0.0), t)
        c.on_scan(FREE, (math.inf, math.inf), t)
        out = c.tick(t)
        v = out.cmd[0]
    assert v > 0.2 and out.status is None or out.status.state == "running"
    # the scan goes quiet: zero once it is max_age old, and the reason says so
    for _ in range(10):
        t += 0.05
        c.on_odometry((0.0, 0.0, 0.0), t)
        out = c.tick(t)
    assert out.cmd == (0.0, 0.0) and any("scan is" in w for w in out.warnings)
    c.on_scan(FREE, (math.inf, math.inf), t)
    assert c.tick(t + 0.01).cmd[0] > 0
    assert c.on_estop(True) == "e-stop engaged"
    assert c.tick(t + 0.06).cmd == (0.0, 0.0)
    assert c.on_estop(False) == "e-stop released: waiting for a new goal"
    assert c.tick(t + 0.1).cmd == (0.0, 0.0)  # the failed goal does not come back
    c.on_goal(ifc.GoalPayload(goal_id="m2", step=ifc.MoveStep(direction="forward", distance_m=1.0)), t + 0.1)
    c.on_scan(FREE, (math.inf, math.inf), t + 0.15)
    c.on_odometry((0.0, 0.0, 0.0), t + 0.15)
    assert c.tick(t + 0.15).cmd[0] > 0
    assert c.on_goal(ifc.GoalPayload(goal_id="s", step=ifc.StopStep()), t + 0.2) == (True, (0.0, 0.0))


def test_a_policy_with_the_retired_always_zero_input_loads_with_the_same_outputs(tmp_path):
    """Checkpoints from before skill_argument was removed from the observation load with that
    input's first-layer weights dropped: the same actions and values."""
    import torch

    from autogpt_ros.control import policy_net as PN
    from autogpt_ros.observation import LAYOUT

    pol = PN.Policy()
    old_layout = list(LAYOUT[:-1]) + ["skill_argument", LAYOUT[-1]]
    i = old_layout.index("skill_argument")
    ck = {"format": "autogpt_ros.policy/1", "layout": old_layout, "hidden": [64, 64], "meta": {}}
    for name, net in (("actor", pol.actor), ("critic", pol.critic)):
        sd = {k: v.clone() for k, v in net.state_dict().items()}
        w = sd["net.0.weight"]
        sd["net.0.weight"] = torch.cat([w[:, :i], torch.randn(w.shape[0], 1), w[:, i:]], dim=1)  # any weights: the input is 0
        ck[name] = sd
    path = tmp_path / "old.pt"
    torch.save(ck, path)
    old = PN.Policy(str(path))
    obs = np.random.default_rng(0).uniform(-1, 1, (20, len(LAYOUT))).astype(np.float32)
    for o in obs:
        assert old.act(o) == pytest.approx(pol.act(o)) and old.value(o) == pytest.approx(pol.value(o))


def test_a_return_inside_the_footprint_does_not_switch_the_monitor_off():
    """A return from the robot itself (its mast, a cable) lies inside the footprint: it is not an
    obstacle, and it must not lower the distance every other obstacle is kept at."""
    m = _monitor_filter().monitor
    post = np.array([[0.22, 0.22]])
    self_hit = np.array([[-0.03, 0.0]])
    alone = m.limit(0.25, 1.5, Clearance(post))
    with_self = m.limit(0.25, 1.5, Clearance(np.vstack([post, self_hit])))
    assert with_self[:2] == alone[:2]
    # and driven for 2 s towards the post with that return in every scan, no contact
    f = _monitor_filter()
    pose, world = [0.0, 0.0, 0.0], post
    for _ in range(40):
        pb = np.vstack([_to_base(world, pose), self_hit])
        r = f.filter(0.25, 1.5, 0.05, 0.0, 0.0, clearance=Clearance(pb))
        pose[2] += r.w * 0.05
        pose[0] += r.v * 0.05 * math.cos(pose[2])
        pose[1] += r.v * 0.05 * math.sin(pose[2])
        q = _to_base(world, pose)
        assert rect_distance(q[:, 0], q[:, 1], FP).min() > 0.0


def test_a_slow_step_runs_at_half_the_limits_and_says_so_in_its_status():
    """Plan language v2 speed: slow: the safety layer (where the limits are enforced) halves the
    linear and angular limits for that step; the next step is at full limits again."""
    from autogpt_ros.control.controller import Controller
    from autogpt_ros.control.safety import monitor_for
    from autogpt_ros.robot import load_robot

    limits = SafetyLimits(max_age=0.35)
    c = Controller(FixedPolicy(), limits, monitor_for(load_robot()))

    def run(goal, t0):
        c.on_goal(goal, t0)
        t, top, statuses = t0, 0.0, []
        for _ in range(60):
            t += 0.05
            c.on_odometry((0.0, 0.0, 0.0), t)
            c.on_scan(FREE, (math.inf, math.inf), t)
            out = c.tick(t)
            top = max(top, abs(out.cmd[0]) if out.cmd else 0.0)
            statuses += [out.status] if out.status else []
        return top, statuses, t

    top, statuses, t = run(ifc.GoalPayload(goal_id="s1", step=ifc.MoveStep(direction="forward", distance_m=3.0, speed="slow")), 0.0)
    assert 0.15 < top <= limits.max_linear / 2 + 1e-9 and statuses[0].speed == "slow"
    top, statuses, t = run(ifc.GoalPayload(goal_id="n1", step=ifc.MoveStep(direction="forward", distance_m=3.0)), t)
    assert top > limits.max_linear / 2 + 0.05 and statuses[0].speed == "normal"
