"""The embedded simulator's logic, without ROS: robot, worlds, physics, sensors, env."""
import math
import os

import numpy as np
import pytest

from autogpt_ros import observation as obs_mod
from autogpt_ros.sim.core import Simulator
from autogpt_ros.sim.env import AgentEnv
from autogpt_ros.robot import load_robot
from autogpt_ros.sim.runtime import CommandFilter, SimClock
from autogpt_ros.sim.world import ScenarioError, from_dict, generate, resolve_scenario
from autogpt_ros.vocabulary import COLORS, SHAPES


def test_robot_numbers_come_from_the_urdf():
    r = load_robot()
    assert (r.wheel_radius, r.track, r.max_wheel_speed) == (0.05, 0.28, 10.0)
    assert r.max_linear == pytest.approx(0.5) and r.max_angular == pytest.approx(2.0)
    assert r.camera.hfov == pytest.approx(1.2) and (r.camera.width, r.camera.height) == (320, 240)
    assert r.lidar.samples == 360 and r.lidar.range_max == 8.0
    wl, wr = r.wheel_speeds(5.0, 0.0)  # far beyond the limits
    assert max(abs(wl), abs(wr)) <= r.max_wheel_speed + 1e-9
    assert r.body_twist(*r.wheel_speeds(0.2, 0.5)) == pytest.approx((0.2, 0.5))
    fx, fy, cx, cy = r.camera.intrinsics(320, 240)
    assert fx == pytest.approx(160 / math.tan(0.6)) and (cx, cy) == (159.5, 119.5)


def test_scenario_files_and_errors(tmp_path):
    sc = resolve_scenario("red_box_ahead")
    assert [o.label for o in sc.objects][:2] == ["red box", "blue ball"]
    assert sc.robot == (-1.0, 0.0, 0.0) and len(sc.obstacles) == 1
    with pytest.raises(ScenarioError, match="color 'pink' is not one of"):
        from_dict({"objects": [{"color": "pink", "shape": "box", "x": 0, "y": 0}]})
    with pytest.raises(ScenarioError, match="outside the"):
        from_dict({"objects": [{"color": "red", "shape": "box", "x": 10, "y": 0}]})
    with pytest.raises(ScenarioError, match="must be a number"):
        from_dict({"objects": [{"color": "red", "shape": "box", "x": "far", "y": 0}]})
    with pytest.raises(ScenarioError, match="no scenario"):
        resolve_scenario("no_such_world")
    p = tmp_path / "w.yaml"
    sc.save(str(p))
    again = resolve_scenario(str(p))
    assert [(o.label, o.x, o.y) for o in again.objects] == [(o.label, o.x, o.y) for o in sc.objects]


@pytest.mark.parametrize("seed", range(12))
def test_generator_is_seeded_and_sane(seed):
    a, b = generate(seed), generate(seed)
    assert a.to_dict() == b.to_dict()
    assert 3 <= len(a.objects) <= 8
    labels = [o.label for o in a.objects]
    assert len(set(labels)) == len(labels)
    assert all(o.color in COLORS and o.shape in SHAPES for o in a.objects)
    w, l = a.arena
    for o in a.objects:
        assert abs(o.x) < w / 2 and abs(o.y) < l / 2
        assert math.hypot(o.x - a.robot[0], o.y - a.robot[1]) > 0.6
    for i, o in enumerate(a.objects):
        for p in a.objects[i + 1 :]:
            assert math.hypot(o.x - p.x, o.y - p.y) > 0.3


def test_layouts_vary_with_seed_and_target_is_often_out_of_view():
    out_of_view = 0
    for seed in range(20):
        sim = Simulator(generate(seed), dynamics="kinematic")
        out_of_view += len(sim.objects_in_view()) < len(sim.scenario.objects)
        sim.close()
    assert out_of_view >= 15
    assert generate(1).to_dict() != generate(2).to_dict()


def test_physics_forward_turn_and_stop():
    sim = Simulator(resolve_scenario("red_box_ahead"))
    sim.step(0.2)
    p0 = sim.odom
    sim.set_twist(0.2, 0.0)
    for _ in range(30):
        sim.step(0.1)
    d = math.hypot(sim.odom.x - p0.x, sim.odom.y - p0.y)
    assert 0.5 <= d <= 0.7
    assert abs(sim.odom.yaw) < 0.05
    truth = sim.true_pose()
    assert truth.x - (-1.0) == pytest.approx(d, abs=0.05)  # odometry agrees with truth
    sim.set_twist(0.0, 1.0)
    for _ in range(10):
        sim.step(0.1)
    assert sim.odom.yaw > 0.6
    sim.set_twist(0.0, 0.0)
    for _ in range(10):
        sim.step(0.1)
    before = sim.true_pose()
    sim.step(1.0)
    after = sim.true_pose()
    assert math.hypot(after.x - before.x, after.y - before.y) < 0.005
    assert sim.collisions == 0
    sim.close()


def test_collisions_are_counted_and_block_kinematic_motion():
    sc = from_dict({"objects": [{"color": "red", "shape": "box", "x": 0.6, "y": 0.0}], "robot": {"x": 0, "y": 0, "yaw": 0}})
    sim = Simulator(sc, dynamics="kinematic")
    sim.set_twist(0.5, 0.0)
    for _ in range(30):
        sim.step(0.1)
    assert sim.collisions >= 1
    assert sim.true_pose().x < 0.6 - 0.125  # never inside the box
    sim.close()


def test_sensors_render_depth_segmentation_and_scan():
    sim = Simulator(resolve_scenario("red_box_ahead"))
    sim.step(0.1)
    rgb = sim.render_rgb(320, 240)
    assert rgb.shape == (240, 320, 3) and rgb.dtype == np.uint8
    seg = sim.render_segmentation(320, 240)
    red = seg == 0  # the red box is straight ahead
    assert red.sum() > 200
    ys, xs = np.nonzero(red)
    assert abs(xs.mean() - 159.5) < 10
    r_, g_, b_ = rgb[red].mean(axis=0)
    assert r_ > g_ + 80 and r_ > b_ + 80
    depth = sim.render_depth(320, 240)
    box = resolve_scenario("red_box_ahead").objects[0]
    cam = sim.camera_pose()[0]
    assert np.median(depth[red]) == pytest.approx(box.x - box.size[0] / 2 - cam[0], abs=0.05)
    scan = sim.scan()
    L = sim.robot.lidar
    ahead = int(round((0.0 - L.min_angle) / L.angle_increment))
    lidar_x = cam[0] - (sim.robot.camera.xyz[0] - L.xyz[0])
    assert scan[ahead] == pytest.approx(box.x - box.size[0] / 2 - lidar_x, abs=0.03)
    assert sim.objects_in_view() == [0, 1]  # the red box ahead, the blue ball at the right edge
    sim.close()


def test_occluded_target_is_not_visible():
    sim = Simulator(resolve_scenario("behind_wall"), dynamics="kinematic")
    assert 0 not in sim.objects_in_view()  # the purple ball is behind the wall
    bearing, _ = sim.relative(sim.scenario.objects[0])
    assert abs(bearing) < 0.1  # although it is straight ahead
    sim.close()


def test_same_seed_same_images():
    imgs = []
    for _ in range(2):
        sim = Simulator(generate(5))
        sim.set_twist(0.3, 0.4)
        sim.step(0.5)
        imgs.append(sim.render_rgb(160, 120))
        sim.close()
    assert np.array_equal(imgs[0], imgs[1])


def test_command_filter_rejects_clamps_limits_and_times_out():
    r = load_robot()
    f = CommandFilter(r, timeout=0.5)
    assert "non-finite" in f.command(float("nan"), 0.0, 0.0)
    assert f.target == (0.0, 0.0)
    assert "clamped" in f.command(1e9, -1e9, 0.0)
    assert f.target == (r.max_linear, -r.max_angular)
    v, w = f.output(0.0, 0.01)
    assert v == pytest.approx(r.max_linear_accel * 0.01)  # acceleration-limited
    for i in range(100):
        assert f.command(0.2, 0.0, 1.0 + i * 0.01) is None
        f.output(1.0 + i * 0.01, 0.01)
    assert f.current[0] == pytest.approx(0.2)
    for i in range(100):  # no new command: the timeout brings it to zero
        v, w = f.output(2.6 + i * 0.01, 0.01)
    assert (v, w) == (0.0, 0.0)
    assert "non-finite" in f.command(0.1, 0.0, 3.0, other=(float("inf"),))


def test_sim_clock_never_runs_backwards():
    c = SimClock()
    assert c.now(2.0) == 2.0
    c.rebase(2.0)
    assert c.now(0.0) == 2.0 and c.now(0.5) == 2.5


def test_scan_sectors_and_observation_layout():
    ranges = np.full(360, np.inf)
    ranges[180] = 1.0  # straight ahead for angle_min = -pi
    s = obs_mod.scan_sectors(ranges, -math.pi, 2 * math.pi / 360, 8.0)
    assert s[0] == pytest.approx(1.0 / 8.0) and (s[1:] == 1.0).all()
    track = obs_mod.TargetTrack(visible=True, known=True, bearing=0.3, distance=2.0, time_since_seen=0.0)
    o = obs_mod.build_observation(track, s, (0.25, -1.0), (0.5, 2.0), "go_to")
    assert o.shape == (obs_mod.OBS_SIZE,) == (len(obs_mod.LAYOUT),)
    I = obs_mod.INDEX
    assert o[I["target_visible"]] == 1 and o[I["bearing_sin"]] == pytest.approx(math.sin(0.3))
    assert o[I["distance"]] == pytest.approx(0.4) and o[I["linear_velocity"]] == pytest.approx(0.5)
    assert o[I["skill_go_to"]] == 1 and o[I["skill_find"]] == 0
    bad = obs_mod.build_observation(obs_mod.TargetTrack(True, True, float("nan"), 1.0, 0.0), s, (0, 0), (0.5, 2.0), "find")
    assert np.isfinite(bad).all() and bad[I["stale"]] == 1


def test_env_reset_is_deterministic_and_steps():
    env = AgentEnv()
    o1, i1 = env.reset(seed=11)
    o2, i2 = env.reset(seed=11)
    assert np.array_equal(o1, o2) and i1["target"] == i2["target"] and i1["skill"] == i2["skill"]
    assert env.observation_space.contains(o1)
    total = 0.0
    for _ in range(50):
        o, r, term, trunc, info = env.step(np.array([0.5, 0.2], np.float32))
        assert env.observation_space.contains(o) and np.isfinite(r)
        total += r
        if term or trunc:
            break
    assert info["time"] == pytest.approx(5.0, abs=1e-6) or term
    o, *_ = env.step(np.array([np.nan, np.inf]))  # garbage actions are survived
    assert np.isfinite(o).all()
    env.close()


def test_env_find_succeeds_by_turning_toward_target():
    env = AgentEnv(skills=("find",), noise=None)
    env.reset(seed=3, options={"skill": "find", "target": 0})
    success = False
    for _ in range(200):  # a scripted turn in place: the target must come into view, centred
        b = env.true_bearing()
        _, _, term, _, info = env.step(np.array([0.0, np.clip(b * 2, -1, 1) if env.sim.visible(env.target_index) else 0.5]))
        if term:
            success = info["success"]
            break
    assert success
    env.close()


def test_env_renders_when_asked():
    env = AgentEnv(render_mode="rgb_array", render_size=(160, 120))
    env.reset(seed=1)
    img = env.render()
    assert img.shape == (120, 160, 3)
    env.close()


def test_geodesic_distance_goes_around_a_wall_and_knows_enclosed_targets():
    from autogpt_ros.sim.geodesic import GeodesicField

    r = load_robot().radius
    base = {"arena": {"size": [6, 6]}, "robot": {"x": -2, "y": 0, "yaw": 0}, "objects": [{"color": "red", "shape": "box", "x": 2, "y": 0}]}
    open_world = GeodesicField(from_dict(base), 0, r)
    walled = GeodesicField(from_dict({**base, "obstacles": [{"x": 0, "y": 0, "size": [0.2, 4.0, 0.5]}]}), 0, r)
    straight = from_dict(base).objects[0].surface_distance(-2, 0) - 0.35
    assert abs(open_world.distance(-2, 0) - straight) < 0.25  # nothing in the way: about the straight line
    assert walled.distance(-2, 0) > straight + 1.5  # round the 4 m wall
    assert walled.distance(1.2, 0) < 0.6 and walled.distance(-0.4, 0) > walled.distance(0.4, 0) + 1.5
    boxed_in = {**base, "obstacles": [{"x": 2, "y": y, "size": [2.0, 0.2, 0.5]} for y in (-0.9, 0.9)] + [{"x": x, "y": 0, "size": [0.2, 2.0, 0.5]} for x in (1.1, 2.9)]}
    enclosed = GeodesicField(from_dict(boxed_in), 0, r)
    assert enclosed.distance(-2, 0) is None  # walled in on four sides: no path from outside


def test_env_go_to_reward_follows_the_path_around_obstacles():
    world = from_dict({"arena": {"size": [6, 6]}, "robot": {"x": -2, "y": 0, "yaw": 0}, "objects": [{"color": "red", "shape": "box", "x": 2, "y": 0}],
                       "obstacles": [{"x": 0, "y": 0, "size": [0.2, 4.0, 0.5]}]})
    shaped, plain = AgentEnv(scenario=world), AgentEnv(scenario=world, path_shaping=False)
    shaped.reset(seed=0, options={"skill": "go_to", "target": 0})
    plain.reset(seed=0, options={"skill": "go_to", "target": 0})
    a, b = shaped._progress_measure(), plain._progress_measure()
    assert a > b + 1.5  # the way round the wall is longer than the straight line


def test_wheel_separation_multiplier_calibrates_the_odometrys_turns():
    from autogpt_ros.sim.world import resolve_scenario

    yaws, rates = [], []
    for mult in (1.0, 1.1):
        sim = Simulator(resolve_scenario("red_box_ahead"), wheel_separation_multiplier=mult)
        for _ in range(100):
            sim.set_twist(0.0, 1.0)
            sim.step(0.01)
        yaws.append(sim.odom.yaw)
        rates.append(sim.odom_twist[1])
        sim.close()
    assert yaws[0] > 0.5 and yaws[1] == pytest.approx(yaws[0] / 1.1, rel=1e-6)  # the same wheel motion, read with a wider track
    assert rates[1] == pytest.approx(rates[0] / 1.1, rel=1e-6)
    with pytest.raises(ValueError):
        Simulator(resolve_scenario("red_box_ahead"), wheel_separation_multiplier=0.1)
