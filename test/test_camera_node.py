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


def test_debug_image_only_with_a_subscriber_and_bad_frames_are_survived(graph, probe):
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
    # malformed frames on the camera topic: counted, warned about, skipped
    pub = probe.publisher(ifc.IMAGE)
    bad = [
        Image(height=240, width=320, encoding="rgb8", step=960, data=bytes(100)),  # too short
        Image(height=0, width=0, encoding="rgb8", step=0),  # zero size
        Image(height=2, width=2, encoding="yuv422", step=4, data=bytes(8)),  # unknown encoding
    ]
    for m in bad * 3:
        pub.publish(m)
        time.sleep(0.05)
    cam.wait_for_output(r"image: .*(data has 100 bytes|zero size|not a colour encoding)", timeout=20)
    probe.clear(objs)
    probe.wait_for(objs, timeout=20)  # still working
    assert cam.popen.poll() is None
