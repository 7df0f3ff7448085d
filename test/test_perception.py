"""Perception logic without ROS: geometry, scene sentences, proposals, the trained model."""
import math

import numpy as np
import pytest
import torch

from autogpt_ros.perception import geometry
from autogpt_ros.perception.detector import Detector
from autogpt_ros.perception.geometry import Intrinsics
from autogpt_ros.perception.model import CheckpointError, load_checkpoint
from autogpt_ros.perception.scene import direction_words, scene_sentence
from autogpt_ros.interfaces import DetectedObject
from autogpt_ros.sim.core import Simulator
from autogpt_ros.robot import load_robot
from autogpt_ros.sim.world import from_dict, resolve_scenario

K = Intrinsics(*load_robot().camera.intrinsics(320, 240), 320, 240)


def test_bearing_is_positive_to_the_left():
    assert geometry.bearing(K.cx, K) == 0.0
    assert geometry.bearing(0, K) == pytest.approx(math.atan2(K.cx, K.fx))
    assert geometry.bearing(0, K) > 0 > geometry.bearing(319, K)
    assert geometry.bearing(0, K) == pytest.approx(0.6, abs=0.01)  # half the 1.2 rad field of view


def test_intrinsics_scale_with_image_size():
    big = K.scaled(640, 480)
    assert big.fx == pytest.approx(2 * K.fx) and big.cx == pytest.approx(319.5)
    with pytest.raises(ValueError, match="no usable intrinsics"):
        Intrinsics.from_camera_info(type("Info", (), {"k": [0.0] * 9, "width": 1, "height": 1})())


def test_distance_from_depth_uses_the_mask_median_and_ignores_nan():
    depth = np.full((240, 320), 5.0, np.float32)
    mask = np.zeros((240, 320), bool)
    mask[100:140, 150:170] = True
    depth[mask] = 2.0
    depth[100:105, 150:170] = np.nan  # holes are ignored
    assert geometry.distance_from_depth(depth, mask, K) == pytest.approx(2.0, rel=0.01)
    depth[mask] = np.nan
    assert geometry.distance_from_depth(depth, mask, K) is None


def test_distance_from_size_pinhole():
    # a 0.25 m box whose front face is 2 m away is fy * 0.25 / 2 px tall
    h = int(round(K.fy * 0.25 / 2.0))
    d = geometry.distance_from_size("box", (150, 100, h, h), K)
    assert d == pytest.approx(2.0, rel=0.03)
    # cut by the bottom edge and the sides: no estimate
    assert geometry.distance_from_size("box", (0, 200, 320, 40), K) is None


def test_centre_of_an_object_cut_by_the_image_edge():
    # a 0.2 m cylinder 1.9 m away (centre 2.0 m) is fx * 0.2 / 2 px wide; only 10 px show at the left edge
    w_full = K.fx * 0.2 / 2.0
    u = geometry.centre_column("cylinder", (0, 100, 10, 40), K, 1.9)
    assert u == pytest.approx(10 - w_full / 2, abs=0.5) and u < 5  # beyond the middle of the visible part
    u = geometry.centre_column("cylinder", (310, 100, 10, 40), K, 1.9)
    assert u == pytest.approx(310 + w_full / 2, abs=0.5)
    # not cut, cut on both sides, or no range: the middle of the box
    assert geometry.centre_column("ball", (100, 100, 20, 20), K, 2.0) == 110
    assert geometry.centre_column("box", (0, 0, 320, 240), K, 0.3) == 160
    assert geometry.centre_column("box", (0, 100, 10, 40), K, None) == 5


def _round_depth(centre, radius, shape, K):
    """Depth image (optical-axis z) of a ball or an upright cylinder, by ray casting."""
    u, v = np.meshgrid(np.arange(K.width), np.arange(K.height))
    d = np.stack([(u - K.cx) / K.fx, (v - K.cy) / K.fy, np.ones_like(u, float)], -1)
    c = np.asarray(centre, float)
    if shape == "cylinder":  # circle in x-z, the axis vertical (y)
        d2, c2 = d[..., [0, 2]], c[[0, 2]]
    else:
        d2, c2 = d, c
    a = (d2 * d2).sum(-1)
    b = -2 * (d2 * c2).sum(-1)
    q = (c2 * c2).sum() - radius ** 2
    disc = b * b - 4 * a * q
    t = (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a)
    return np.where(disc > 0, t, np.nan).astype(np.float32)  # z = t, the ray's z component is 1


@pytest.mark.parametrize("shape,centre", [("ball", (-0.45, 0.02, 0.55)), ("cylinder", (0.42, 0.0, 0.5)), ("ball", (0.05, 0.0, 2.0))])
def test_round_centre_from_depth_also_when_cut_by_the_image_edge(shape, centre):
    radius = 0.125 if shape == "ball" else 0.1
    depth = _round_depth(centre, radius, shape, K)
    mask = np.isfinite(depth)
    true_u = K.cx + K.fx * centre[0] / centre[2]
    depth[::7, ::5] = np.nan  # invalid depth pixels are skipped
    u = geometry.centre_column_from_depth(shape, depth, mask, K)
    assert u is not None and u == pytest.approx(true_u, abs=0.5)
    if abs(centre[0]) > 0.3:  # the centre is out of view: the visible part's middle is far off
        xs = np.nonzero(mask.any(0))[0]
        assert (true_u < 0 or true_u > K.width - 1) and abs((xs.min() + xs.max()) / 2 - true_u) > 20


def test_round_centre_from_depth_refuses_what_does_not_fit():
    depth = np.full((240, 320), 1.0, np.float32)  # a flat wall is no ball
    mask = np.zeros((240, 320), bool)
    mask[100:140, 100:140] = True
    assert geometry.centre_column_from_depth("ball", depth, mask, K) is None
    assert geometry.centre_column_from_depth("box", depth, mask, K) is None  # boxes: not fitted
    few = np.zeros_like(mask)
    few[120, 100:104] = True
    assert geometry.centre_column_from_depth("cylinder", _round_depth((0, 0, 1.0), 0.1, "cylinder", K), few, K) is None


def _box_depth(centre, yaw, side, K, rows=(100, 150)):
    """Depth image of an upright box with a square footprint (x, z centre, yaw about the
    vertical), ray cast column by column; the box fills ``rows``."""
    c = np.asarray(centre, float)
    e1 = np.array([math.cos(yaw), math.sin(yaw)])
    e2 = np.array([-math.sin(yaw), math.cos(yaw)])
    depth = np.full((K.height, K.width), np.nan, np.float32)
    for col in range(K.width):
        d = np.array([(col - K.cx) / K.fx, 1.0])  # ray (x, z) with z = 1: t is the depth
        best = np.inf
        for axis, other in ((e1, e2), (e2, e1)):
            for sgn in (-1, 1):
                den = d @ axis
                if abs(den) < 1e-12:
                    continue
                t = (c @ axis + sgn * side / 2) / den
                if t > 0 and abs(t * d @ other - c @ other) <= side / 2:
                    best = min(best, t)
        if np.isfinite(best):
            depth[rows[0] : rows[1], col] = best
    return depth


@pytest.mark.parametrize("centre,yaw", [((0.0, 0.8), 0.5), ((0.0, 0.8), 0.0), ((-0.34, 0.45), 0.3), ((0.3, 0.42), 0.0)])
def test_box_centre_from_depth_also_when_cut_by_the_image_edge(centre, yaw):
    depth = _box_depth(centre, yaw, 0.25, K)
    mask = np.isfinite(depth)
    true_u = K.cx + K.fx * centre[0] / centre[1]
    u = geometry.box_centre_column_from_depth(depth, mask, K)
    assert u is not None and u == pytest.approx(true_u, abs=1.5)
    cols = np.nonzero(mask.any(0))[0]
    if cols.min() == 0 or cols.max() == K.width - 1:  # cut: the visible part's middle is far off
        assert abs((cols.min() + cols.max()) / 2 - true_u) > 15


def test_box_centre_from_depth_refuses_what_is_no_box():
    # a ball's surface, and a face cut by both image edges (its ends unknown)
    ball = _round_depth((0.0, 0.0, 0.6), 0.125, "ball", K)
    assert geometry.box_centre_column_from_depth(ball, np.isfinite(ball), K) is None
    wide = _box_depth((0.0, 0.2), 0.0, 0.25, K)
    mask = np.isfinite(wide)
    assert mask[:, 0].any() and mask[:, -1].any()
    assert geometry.box_centre_column_from_depth(wide, mask, K) is None


def test_detector_bearing_of_a_near_ball_cut_by_the_image_edge(detector):
    # 0.45 m ahead of the camera, 34 deg left: the ball's centre is outside the 69 deg field of view
    cam_x = 0.13
    sc = from_dict({"objects": [{"color": "blue", "shape": "ball", "x": cam_x + 0.45, "y": 0.34}], "robot": {"x": 0, "y": 0, "yaw": 0.0}})
    sim = Simulator(sc, dynamics="kinematic")
    rgb, depth = sim.render_rgb(320, 240), sim.render_depth(320, 240)
    truth_b, _ = sim.relative(sim.scenario.objects[0])
    sim.close()
    balls = [d for d in detector.detect(rgb, K, depth) if d.label == "blue ball"]
    assert balls and balls[0].bbox[0] <= 0  # seen, cut by the left edge
    assert truth_b > geometry.bearing(0, K)  # its centre is out of view
    assert abs(math.degrees(balls[0].bearing_rad - truth_b)) < 0.2  # the learned centre: 0.4 deg off


@pytest.mark.parametrize("ahead,left,yaw", [(0.4, -0.3, 0.4), (0.3, -0.28, 1.0)])
def test_detector_bearing_of_a_near_box_cut_by_the_image_edge(detector, ahead, left, yaw):
    # the centre is out of view; ShapeNet's learned centre column is 2.4 and 4.9 deg off here
    cam_x = 0.13
    sc = from_dict({"objects": [{"color": "red", "shape": "box", "x": cam_x + ahead, "y": left, "yaw": yaw}], "robot": {"x": 0, "y": 0, "yaw": 0.0}})
    sim = Simulator(sc, dynamics="kinematic")
    rgb, depth = sim.render_rgb(320, 240), sim.render_depth(320, 240)
    truth_b, _ = sim.relative(sim.scenario.objects[0])
    sim.close()
    boxes = [d for d in detector.detect(rgb, K, depth) if d.label == "red box"]
    assert boxes and boxes[0].bbox[0] + boxes[0].bbox[2] >= 320  # seen, cut by the right edge
    assert truth_b < geometry.bearing(319, K)
    assert abs(math.degrees(boxes[0].bearing_rad - truth_b)) < 0.6


def test_scene_sentence():
    objs = [
        DetectedObject(label="blue ball", color="blue", shape="ball", confidence=0.9, bbox=(0, 0, 1, 1), bearing_rad=-0.5, distance_m=2.5),
        DetectedObject(label="red box", color="red", shape="box", confidence=0.9, bbox=(0, 0, 1, 1), bearing_rad=0.15, distance_m=1.2),
        DetectedObject(label="orange cylinder", color="orange", shape="cylinder", confidence=0.9, bbox=(0, 0, 1, 1), bearing_rad=0.0, distance_m=None),
    ]
    assert scene_sentence(objs) == "I see a red box 1.2 m ahead slightly left, a blue ball 2.5 m to the right and an orange cylinder ahead."
    assert scene_sentence([]) == "I see nothing."
    assert direction_words(math.radians(-70)) == "far to the right"


def test_bad_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(str(tmp_path / "none.pt"))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(str(bad))


def test_checkpoint_keeps_the_segmenter_shape_it_was_trained_with(tmp_path):
    from autogpt_ros.perception.model import ColorSegNet, ShapeNet, save_checkpoint

    for k in (1, 3):
        seg = ColorSegNet(fuse_kernel=k).eval()
        path = tmp_path / f"fuse{k}.pt"
        save_checkpoint(str(path), seg, ShapeNet())
        loaded, _, _ = load_checkpoint(str(path))
        assert loaded.fuse[0].kernel_size == (k, k)
        x = torch.rand(1, 3, 120, 160)
        with torch.inference_mode():
            assert torch.allclose(loaded(x), seg(x), atol=0.05)  # stored in half precision
    # written before the record existed: the 3x3 fuse of that time
    ck = torch.load(str(tmp_path / "fuse3.pt"), weights_only=False)
    del ck["seg_arch"]
    torch.save(ck, str(tmp_path / "old.pt"))
    assert load_checkpoint(str(tmp_path / "old.pt"))[0].fuse[0].kernel_size == (3, 3)


@pytest.fixture(scope="module")
def detector():
    return Detector()


def test_proposal_stage_finds_coloured_blobs(detector):
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb = sim.render_rgb(320, 240)
    cls, prob = detector.segment(rgb)
    props = detector.proposals(cls, prob, 320, 240)
    colors = {detector_color(c) for c, *_ in props}
    assert "red" in colors
    sim.close()


def detector_color(c):
    from autogpt_ros.perception.model import COLOR_CLASSES

    return COLOR_CLASSES[c]


@pytest.mark.parametrize("use_depth", [True, False])
def test_trained_model_sees_the_red_box(detector, use_depth):
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb = sim.render_rgb(320, 240)
    depth = sim.render_depth(320, 240) if use_depth else None
    dets = detector.detect(rgb, K, depth)
    labels = {d.label for d in dets}
    assert "red box" in labels and "blue ball" in labels
    red = [d for d in dets if d.label == "red box"][0]
    truth_b, _ = sim.relative(sim.scenario.objects[0])
    assert abs(math.degrees(red.bearing_rad - truth_b)) < 2.0
    truth_d = sim.surface_range(0)
    assert red.distance_m == pytest.approx(truth_d, rel=0.1 if use_depth else 0.2)
    assert red.distance_source == ("depth" if use_depth else "size")
    sim.close()


def test_empty_view_gives_no_objects(detector):
    sc = from_dict({"objects": [{"color": "red", "shape": "box", "x": 2.0, "y": 0.0}], "robot": {"x": 0, "y": 0, "yaw": 3.14159}})
    sim = Simulator(sc, dynamics="kinematic")
    assert detector.detect(sim.render_rgb(320, 240), K) == []
    sim.close()


def test_box_round_trips_through_crop_units_and_keeps_cut_edges():
    from autogpt_ros.perception.detector import box_from_crop, box_to_crop, centre_from_crop, crop_window

    prop = (100, 50, 40, 30)
    truth = (103, 52, 33, 27)
    pred = box_to_crop(truth, crop_window(prop), 118.0)
    assert box_from_crop(pred, prop, 320, 240) == pytest.approx(truth)
    assert centre_from_crop(pred, prop) == pytest.approx(118.0)
    # a proposal cut by the left image edge keeps x = 0 whatever the head says
    cut = (0, 50, 20, 30)
    x, y, w, h = box_from_crop(box_to_crop((5, 52, 12, 27), crop_window(cut), -3.0), cut, 320, 240)
    assert x == 0 and (y, y + h) == pytest.approx((52, 79)) and x + w == pytest.approx(17)
    # nonsense from the head (inverted, NaN) falls back to the proposal's box
    assert box_from_crop([0.8, 0.2, 0.1, 0.9, 0.5], prop, 320, 240) == prop
    assert box_from_crop([float("nan")] * 5, prop, 320, 240) == prop
    assert centre_from_crop([0, 0, 1, 1, float("nan")], prop) is None
    assert centre_from_crop([0, 0, 1, 1, 40.0], prop) is None


def test_flipped_box_target_matches_the_flipped_crop():
    from autogpt_ros.perception.detector import box_to_crop, crop_input, crop_window
    from autogpt_ros.tools.train_vision import flip_boxes

    rgb = np.zeros((240, 320, 3), np.uint8)
    mask = np.zeros((240, 320), np.uint8)
    obj = (90, 60, 50, 30)
    mask[60:90, 90:140] = 1
    prop = (86, 58, 60, 36)
    crop = crop_input(rgb, mask, prop)[3]
    target = torch.tensor([box_to_crop(obj, crop_window(prop), 115.0)])

    def edges(m):  # left, top, right, bottom of the mask in crop units
        ys, xs = np.nonzero(m)
        n = m.shape[0]
        return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]) / n

    assert edges(crop) == pytest.approx(target[0, :4].numpy(), abs=1.5 / 32)
    assert edges(crop[:, ::-1]) == pytest.approx(flip_boxes(target)[0, :4].numpy(), abs=1.5 / 32)
    assert flip_boxes(target)[0, 4] == pytest.approx(1 - target[0, 4])


@pytest.fixture(scope="module")
def torchscript_detector():
    return Detector(runtime="torchscript")


@pytest.mark.parametrize("runtime", ["auto", "torchscript"])
def test_frozen_networks_give_the_eager_results(detector, torchscript_detector, runtime):
    if runtime == "torchscript":
        detector = torchscript_detector
    else:  # this package installs onnx and onnxruntime: auto is ONNX Runtime
        assert detector.runtime == "onnxruntime"
    eager = Detector(jit=False)
    assert eager.runtime == "eager"
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb, depth = sim.render_rgb(320, 240), sim.render_depth(320, 240)
    sim.close()
    a, b = detector.detect(rgb, K, depth), eager.detect(rgb, K, depth)
    assert [d.label for d in a] == [d.label for d in b] and len(a) >= 2
    for x, y in zip(a, b):
        assert x.bbox == y.bbox
        assert x.distance_m == pytest.approx(y.distance_m, rel=1e-4)
        assert x.bearing_rad == pytest.approx(y.bearing_rad, abs=1e-5)


def test_fast_layers_compute_what_torch_does():
    from torch import nn
    from torch.nn import functional as F

    from autogpt_ros.perception.model import MaxPool2, upsample2x

    g = torch.Generator().manual_seed(0)
    for shape in [(2, 3, 32, 32), (1, 2, 7, 9)]:  # odd sizes drop the last row / column, as nn.MaxPool2d
        x = torch.randn(*shape, generator=g)
        assert torch.equal(MaxPool2()(x), nn.MaxPool2d(2)(x))
    for shape, size in [((1, 32, 30, 40), (60, 80)), ((1, 16, 60, 80), (120, 160)), ((1, 2, 7, 9), (13, 17))]:
        x = torch.randn(*shape, generator=g)
        ref = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        assert torch.allclose(upsample2x(x, size), ref, atol=1e-5)


@pytest.mark.parametrize("runtime", ["auto", "torchscript"])
def test_frozen_shape_classifier_gives_each_proposal_the_eager_result(detector, torchscript_detector, runtime):
    detector = torchscript_detector if runtime == "torchscript" else detector
    g = torch.Generator().manual_seed(1)
    for n in (1, 3, 5, 11):  # padded to a frozen batch size, or cut into chunks past the largest
        crops, extra = torch.rand(n, 4, 32, 32, generator=g), torch.rand(n, 4, generator=g)
        with torch.inference_mode():
            logits, boxes = detector.classify(crops, extra)
            ref_logits, ref_boxes = detector.shape_net(crops, extra)
        assert logits.shape == ref_logits.shape and boxes.shape == ref_boxes.shape
        assert torch.allclose(logits, ref_logits, atol=1e-4) and torch.allclose(boxes, ref_boxes, atol=1e-4)


def test_segment_gives_the_softmax_argmax_and_its_probability_on_objects(detector):
    from autogpt_ros.perception.detector import to_tensor
    from autogpt_ros.perception.model import SEG_SIZE
    import cv2

    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb = sim.render_rgb(320, 240)
    sim.close()
    cls, prob = detector.segment(rgb)
    with torch.inference_mode():
        logits = detector.seg(to_tensor(cv2.resize(rgb, SEG_SIZE, interpolation=cv2.INTER_AREA)))[0] - torch.from_numpy(detector._logit_adjust)
        ref_prob, ref_cls = torch.softmax(logits, 0).max(0)
    obj = ref_cls.numpy() > 0
    assert obj.sum() > 50
    assert np.mean(cls == ref_cls.numpy()) > 0.999  # frozen against eager: float rounding may flip a tie
    agree = obj & (cls == ref_cls.numpy())
    assert np.allclose(prob[agree], ref_prob.numpy()[agree], atol=1e-4)


def test_prior_correction_tightens_the_segmentation(detector):
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb = sim.render_rgb(320, 240)
    sim.close()
    assert detector.meta.get("seg_class_weight"), "the checkpoint stores the segmenter's loss weights"
    loose = Detector(prior_correction=0.0)
    n_loose = int((loose.segment(rgb)[0] > 0).sum())
    n_default = int((detector.segment(rgb)[0] > 0).sum())
    assert 0 < n_default < n_loose


def test_close_views_are_near_and_often_cut_by_the_image_edge():
    from autogpt_ros.tools.vision_dataset import render_dataset

    frames = render_dataset(12, 3, close_share=1.0, progress=False)
    nearest = [min(o.distance for o in f.objects) for f in frames if f.objects]
    assert nearest and np.median(nearest) < 1.0
    cut = [o for f in frames for o in f.objects if o.bbox[0] <= 0 or o.bbox[0] + o.bbox[2] >= 320]
    assert cut  # the views turned off-centre cut objects at the image edge


def test_train_vision_runs_end_to_end_on_a_tiny_budget(tmp_path):
    """`autogpt-ros train-vision` as users run it, on 40 frames and two epochs: it renders,
    trains both stages with falling loss, writes the per-class report, the confusion matrix,
    standard JSON and a checkpoint the detector loads like the committed one."""
    import hashlib
    import json
    import re
    import subprocess
    from pathlib import Path

    import autogpt_ros
    from conftest import tool

    out = tmp_path / "vision.pt"
    package_weights = Path(autogpt_ros.__file__).parent / "data" / "vision.pt"
    committed = hashlib.sha256(package_weights.read_bytes()).hexdigest()
    r = subprocess.run([tool("autogpt-ros"), "train-vision", "--frames", "40", "--epochs", "2", "--out", str(out), "--report-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert hashlib.sha256(package_weights.read_bytes()).hexdigest() == committed, "without --install the package's weights stay as committed"
    log = r.stdout + r.stderr
    losses = [float(v) for v in re.findall(r"segmenter epoch \d+: loss ([0-9.]+)", log)]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert "precision" in log and "f1-score" in log  # the seed's classification_report table
    report = json.loads((tmp_path / "vision_report.json").read_text(), parse_constant=lambda c: pytest.fail(f"not standard JSON: {c}"))
    assert report["frames"] == 40 and report["epochs"] == 2 and report["weights"] == str(out)
    assert (tmp_path / "vision_confusion.png").stat().st_size > 1000 and (tmp_path / "vision_report.txt").exists()
    det = Detector(weights=str(out))
    assert det.meta["frames"] == 40
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb = sim.render_rgb(320, 240)
    sim.close()
    assert isinstance(det.detect(rgb, K), list)  # an untrained model may see nothing, but it runs



def test_runtime_names_are_checked_and_auto_prefers_onnxruntime():
    from autogpt_ros.perception.runtime import resolve_runtime

    assert resolve_runtime("auto") == "onnxruntime"  # installed by this package's set-up
    assert resolve_runtime("torchscript") == "torchscript" and resolve_runtime("eager") == "eager"
    with pytest.raises(ValueError, match="unknown runtime 'tensorrt'"):
        resolve_runtime("tensorrt")
    with pytest.raises(ValueError):
        Detector(runtime="tensorrt")


def test_segmenter_refine_split_equals_the_concatenated_convolution(detector):
    # ColorSegNet computes refine's part on the upsampled context at 80x60 and upsamples the result:
    # the same as the 1x1 convolution of the concatenation it was trained as
    from autogpt_ros.perception.model import bilinear

    seg = detector.seg
    x = torch.rand(2, 3, 120, 160, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        n, _, h, w = x.shape
        f0 = seg.full(torch.cat([x, seg.coords(n, h, w, x.device)], 1))
        s = seg.stem(f0)
        f = seg.fuse(torch.cat([s, bilinear(seg.ctx2(seg.ctx1(seg.down(s))), s.shape[-2:])], 1))
        reference = seg.head(seg.refine(torch.cat([f0, bilinear(f, (h, w))], 1)))
        assert torch.allclose(seg(x), reference, atol=1e-4)


def test_auto_runtime_falls_back_to_torchscript_without_onnxruntime(monkeypatch):
    from autogpt_ros.perception import runtime

    monkeypatch.setattr(runtime, "onnxruntime_available", lambda: False)
    assert runtime.resolve_runtime("auto") == "torchscript"
    with pytest.raises(ImportError, match="onnxruntime"):
        runtime.resolve_runtime("onnxruntime")


def test_onnx_export_failure_falls_back_under_auto_and_is_an_error_when_asked_for(monkeypatch):
    from autogpt_ros.perception import detector as detector_module

    def broken_export(*a, **k):
        raise RuntimeError("exporter unavailable in this torch")

    monkeypatch.setattr(detector_module, "export_onnx", broken_export)
    with pytest.warns(UserWarning, match="TorchScript instead"):
        det = Detector(runtime="auto")
    assert det.runtime == "torchscript" and "exporter unavailable" in det.runtime_note
    sim = Simulator(resolve_scenario("red_box_ahead"), dynamics="kinematic")
    rgb = sim.render_rgb(320, 240)
    sim.close()
    assert "red box" in [d.label for d in det.detect(rgb, K)]  # and it works
    with pytest.raises(RuntimeError, match="exporter unavailable"):
        Detector(runtime="onnxruntime")


def test_an_onnx_model_that_computes_something_else_is_refused(monkeypatch):
    from autogpt_ros.perception import detector as detector_module
    from autogpt_ros.perception.runtime import exportable

    def wrong(net):  # an exporter bug, simulated: the exported net's weights are not the torch net's
        out = exportable(net)
        with torch.no_grad():
            for p in out.parameters():
                p.add_(0.5)
        return out

    monkeypatch.setattr(detector_module, "exportable", wrong)
    with pytest.raises(RuntimeError, match="differs from the torch one"):
        Detector(runtime="onnxruntime")
