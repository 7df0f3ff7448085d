"""camera_node as a process with sim_node over DDS: objects match the simulator's truth."""
import math
import time

import numpy as np
import pytest
from sensor_msgs.msg import Image
from std_msgs.msg import String

from autogpt_ros import interfaces as ifc
from autogpt_ros.sim.world import resolve_scenario
from conftest import tool

pytestmark = pytest.mark.ros


@pytest.fixture
def graph(procs):
    sim = procs([tool("sim_node"), "--ros-args", "-p", "scenario:=red_box_ahead", "-p", "real_time_factor:=1.0"])
    cam = procs([tool("camera_node"), "--ros-args", "-p", "use_sim_time:=true"])
    sim.wait_for_output(r"world 'red_box_ahead'", timeout=60)
    cam.wait_for_output(r"perception model", timeout=60)
    return sim, cam


def truth_bearings():
    sc = resolve_scenario("red_box_ahead")
    cam_x = sc.robot[0] + 0.13
    return {o.label: math.atan2(o.y - sc.robot[1], o.x - cam_x) for o in sc.objects}


def test_objects_match_ground_truth_and_scene_names_them(graph, probe):
    sim, cam = graph
    objs = probe.subscribe(ifc.OBJECTS)
    scene = probe.subscribe(ifc.SCENE)
    probe.subscribe(ifc.MARKERS)
    with_depth = lambda m: sum(o.distance_source == "depth" for o in ifc.decode(ifc.ObjectsPayload, m.data).objects) >= 2
    msg = probe.wait_for(objs, with_depth, timeout=60)
    payload = ifc.decode(ifc.ObjectsPayload, msg.data)
    labels = {o.label: o for o in payload.objects}
    truth = truth_bearings()
    assert "red box" in labels and "blue ball" in labels, labels.keys()
    for label in ("red box", "blue ball"):
        assert abs(math.degrees(labels[label].bearing_rad - truth[label])) < 3.0
    red = labels["red box"]
    assert red.distance_m == pytest.approx(1.8 - 0.125 - (-1.0 + 0.13), rel=0.1)  # depth is used
    assert payload.stamp > 0 and payload.latency_ms > 0
    sentence = probe.wait_for(scene, lambda m: "red box" in m.data).data
    assert sentence.startswith("I see") and "blue ball" in sentence
    assert probe.received(ifc.MARKERS)


def test_debug_image_only_with_a_subscriber(graph, probe):
    sim, cam = graph
    objs = probe.subscribe(ifc.OBJECTS)
    probe.wait_for(objs, timeout=60)
    # frames were processed, but with no subscriber no annotated frame was drawn
    time.sleep(1.0)
    assert "debug image subscribed" not in cam.output
    dbg = probe.subscribe(ifc.DEBUG_IMAGE)
    img = probe.wait_for(dbg, timeout=30)
    assert (img.width, img.height, img.encoding) == (320, 240, "rgb8")
    assert "debug image subscribed" in cam.output


def test_malformed_frames_are_warned_about_skipped_and_survived(procs, probe):
    """camera_node alone: this test is the only camera, so every frame it sends is processed."""
    from sensor_msgs.msg import CameraInfo

    from autogpt_ros.image import cv2_to_imgmsg
    from autogpt_ros.sim.core import Simulator

    cam = procs([tool("camera_node")])
    cam.wait_for_output(r"perception model", timeout=60)
    objs = probe.subscribe(ifc.OBJECTS)
    pub, info_pub = probe.publisher(ifc.IMAGE), probe.publisher(ifc.CAMERA_INFO)
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    good = cv2_to_imgmsg(sim.render_rgb(320, 240).copy(), "rgb8")
    fx, fy, cx, cy = sim.robot.camera.intrinsics(320, 240)
    sim.close()
    info = CameraInfo(width=320, height=240, k=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0])
    bad = {
        "data has 100 bytes": Image(height=240, width=320, encoding="rgb8", step=960, data=bytes(100)),
        "zero size": Image(height=0, width=0, encoding="rgb8", step=0),
        "not a colour encoding": Image(height=2, width=2, encoding="yuv422", step=4, data=bytes(8)),
    }
    time.sleep(1.0)
    for why, m in bad.items():
        for _ in range(20):  # until the node has seen it (discovery may still be settling)
            info_pub.publish(info)
            pub.publish(m)
            time.sleep(0.1)
            if why in cam.output:
                break
        assert why in cam.output, cam.output[-2000:]
    for _ in range(30):
        info_pub.publish(info)
        pub.publish(good)
        time.sleep(0.1)
        if probe.received(objs):
            break
    payload = ifc.decode(ifc.ObjectsPayload, probe.wait_for(objs, timeout=10).data)
    assert "red box" in {o.label for o in payload.objects}  # still working after the bad frames
    assert cam.popen.poll() is None
