"""Depth of another size than the colour image (a RealSense's unaligned depth) is
resampled to the colour image's size by nearest neighbour instead of dropped."""
import time

import numpy as np
import pytest

from autogpt_ros.image import resample_depth


def test_resample_scales_by_the_size_ratio_with_nearest_neighbour():
    d = np.arange(12, dtype=np.float32).reshape(3, 4)
    up = resample_depth(d, 6, 8)
    assert up.shape == (6, 8) and up.dtype == np.float32
    assert np.array_equal(up, np.repeat(np.repeat(d, 2, axis=0), 2, axis=1))  # each value twice in each direction
    assert set(np.unique(up)) <= set(np.unique(d))  # nothing interpolated across an edge
    down = resample_depth(up, 3, 4)
    assert np.array_equal(down, d)
    assert resample_depth(d, 3, 4) is d


def test_resample_keeps_holes_and_centres_the_scaling():
    d = np.full((120, 160), 2.0, dtype=np.float32)
    d[60:, 80:] = np.nan  # a hole in the bottom-right quarter
    r = resample_depth(d, 480, 640)
    assert np.isnan(r[240:, 320:]).all() and np.isfinite(r[:240, :]).all() and np.isfinite(r[:, :320]).all()
    odd = resample_depth(np.arange(5, dtype=np.float32)[None, :], 1, 3)
    assert list(odd[0]) == [0.0, 2.0, 4.0]  # the centre maps to the centre


@pytest.mark.ros
def test_camera_node_uses_depth_of_another_size(procs, probe):
    from sensor_msgs.msg import CameraInfo

    from autogpt_ros import interfaces as ifc
    from autogpt_ros.image import cv2_to_imgmsg
    from autogpt_ros.sim.core import Simulator
    from autogpt_ros.sim.world import resolve_scenario
    from conftest import tool

    cam = procs([tool("camera_node")])
    cam.wait_for_output(r"perception model", timeout=60)
    objs = probe.subscribe(ifc.OBJECTS)
    pub, info_pub, depth_pub = probe.publisher(ifc.IMAGE), probe.publisher(ifc.CAMERA_INFO), probe.publisher(ifc.DEPTH)
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb = cv2_to_imgmsg(sim.render_rgb(320, 240).copy(), "rgb8")
    full = sim.render_depth(320, 240).astype(np.float32)
    small = cv2_to_imgmsg(sim.render_depth(160, 120).astype(np.float32).copy(), "32FC1")
    fx, fy, cx, cy = sim.robot.camera.intrinsics(320, 240)
    sim.close()
    info = CameraInfo(width=320, height=240, k=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0])
    time.sleep(1.0)
    got = None
    for _ in range(60):
        info_pub.publish(info)
        depth_pub.publish(small)
        time.sleep(0.05)
        pub.publish(rgb)
        time.sleep(0.1)
        hits = [o for m in probe.received(objs) for o in ifc.decode(ifc.ObjectsPayload, m.data).objects if o.label == "red box" and o.distance_m is not None]
        if hits and "resampled" in cam.output:
            got = hits[-1]
            break
    assert got is not None, cam.output[-3000:]
    assert "does not match" not in cam.output
    # measured from the (resampled) depth, and agreeing with the full-size depth inside the box
    assert got.distance_source == "depth", got
    x, y, w, h = got.bbox
    box = full[y:y + h, x:x + w]
    assert abs(got.distance_m - float(np.median(box[np.isfinite(box)]))) < 0.3, got
