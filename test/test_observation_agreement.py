"""No train/deploy skew: the environment and fusion build the same observation
from the same situation (same sightings, odometry and laser)."""
import math

import numpy as np
import pytest

from autogpt_ros import interfaces as ifc
from autogpt_ros.control.fusion import Fusion, Scan
from autogpt_ros.observation import INDEX, LAYOUT
from autogpt_ros.sim.env import AgentEnv, PerceptionNoise


@pytest.mark.parametrize("seed", [1, 4, 9])
def test_env_and_fusion_agree(seed):
    env = AgentEnv(noise=PerceptionNoise(bearing_std=0.0, distance_rel_std=0.0, dropout=0.0))
    env.reset(seed=seed, options={"skill": "go_to"})
    for _ in range(30):  # drive a little so that the robot has moved and seen things
        env.step(np.array([0.6, 0.5], np.float32))
    sim = env.sim
    # the situation, as the ROS side would receive it
    sightings = env.sightings()
    pose = (sim.odom.x, sim.odom.y, sim.odom.yaw)
    L = env.robot.lidar
    scan = sim.scan(env.scan_stride)
    objects = ifc.ObjectsPayload(objects=[
        dict(label=f"{s.color} {s.shape}", color=s.color, shape=s.shape, confidence=1.0, bbox=(0, 0, 1, 1), bearing_rad=s.bearing, distance_m=s.distance)
        for s in sightings
    ])
    # the training side: the environment's own tracker state, advanced with the same input
    from autogpt_ros.observation import build_observation, occlusion_test, scan_sectors

    env_track = env.tracker.update(sightings, pose, sim.time, occluded=occlusion_test(scan, L.min_angle, L.angle_increment * env.scan_stride))

    env_obs = build_observation(env_track, scan_sectors(scan, L.min_angle, L.angle_increment * env.scan_stride, L.range_max),
                                sim.odom_twist, (env.safety_limits.max_linear, env.safety_limits.max_angular), env.skill)
    # the deployment side: fusion fed the same memory and the same messages
    fusion = Fusion(max_age=0.5, camera_offset=env.robot.camera.xyz[0], max_velocity=(env.safety_limits.max_linear, env.safety_limits.max_angular), camera_hfov=env.robot.camera.hfov)
    fusion.memory.objects = [type(o)(**o.__dict__) for o in env.memory.objects]
    fusion.tracker.color, fusion.tracker.shape = env.target.color, env.target.shape
    fusion.tracker.last_visible_time = env.tracker.last_visible_time
    fusion.goal = ifc.GoalPayload(goal_id="g", step={"skill": env.skill, "target": {"color": env.target.color, "shape": env.target.shape}})
    t = sim.time
    fusion.odometry(pose, sim.odom_twist, t)
    fusion.laser(Scan(scan, L.min_angle, L.angle_increment * env.scan_stride, L.range_max), t)
    fusion.detections(objects, t)
    fus_obs, stale = fusion.observation(t)
    assert stale == []
    np.testing.assert_allclose(fus_obs, env_obs, atol=1e-5, err_msg=str(list(zip(LAYOUT, fus_obs, env_obs))))
    env.close()
