"""The perception pipeline: pixels in, labelled objects with bearing and distance out.

``Detector.detect(rgb, K, depth)``: colour segmentation (ColorSegNet) ->
connected components per colour (OpenCV) -> shape classification of each
proposal (ShapeNet) -> bearing from the intrinsics (of the object's centre: for a
near or edge-cut object with depth, fitted to its visible surface; else
ShapeNet's centre column), distance from the median depth inside the mask or, without
(valid) depth, from the object's known size; a distance is published only if it is finite and
within ``max_depth`` (depth readings that are not finite, not positive or beyond it are holes).
Pure Python (torch, OpenCV, numpy), no rclpy.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np
import torch

from autogpt_ros.perception import geometry
from autogpt_ros.perception.geometry import Intrinsics
from autogpt_ros.perception.runtime import OnnxNet, export_onnx, exportable, optional_threads, resolve_runtime
from autogpt_ros.perception.model import COLOR_CLASSES, CROP, N_EXTRA, SEG_SIZE, SHAPE_CLASSES, load_checkpoint, default_weights


@dataclass
class Detection:
    color: str
    shape: str
    confidence: float
    bbox: Tuple[int, int, int, int]  # x, y, w, h in source pixels
    bearing_rad: float
    distance_m: Optional[float]
    distance_source: str = "none"  # "depth" | "size" | "none"
    mask: Optional[np.ndarray] = field(default=None, repr=False)  # at segmentation resolution

    @property
    def label(self) -> str:
        return f"{self.color} {self.shape}"


def box_features(bbox, fill: float, width: int, height: int) -> List[float]:
    x, y, w, h = bbox
    return [
        math.log(max(h, 1) / max(w, 1)),
        fill,
        1.0 if (x <= 0 or x + w >= width) else 0.0,
        1.0 if (y <= 0 or y + h >= height) else 0.0,
    ]


def crop_window(bbox) -> Tuple[int, int, int]:
    """The square window around a proposal's box that ShapeNet sees: x0, y0, side in source pixels."""
    x, y, w, h = bbox
    side = int(max(w, h) * 1.15) + 2
    return int(round(x + w / 2.0 - side / 2)), int(round(y + h / 2.0 - side / 2)), side


def box_to_crop(box, window, centre_u: float) -> List[float]:
    """ShapeNet's box target: a box (x, y, w, h) as left, top, right, bottom, and
    the image column ``centre_u`` of the object's centre, in units of the crop window."""
    x0, y0, side = window
    x, y, w, h = box
    return [(x - x0) / side, (y - y0) / side, (x + w - x0) / side, (y + h - y0) / side, (centre_u - x0) / side]


def centre_from_crop(pred, bbox) -> Optional[float]:
    """ShapeNet's centre column (crop units) back in source pixels; None if the head
    says nonsense (not finite, or more than a crop width outside the crop)."""
    x0, _, side = crop_window(bbox)
    v = float(pred[4])
    return x0 + v * side if math.isfinite(v) and -1.0 <= v <= 2.0 else None


def box_from_crop(pred, bbox, width: int, height: int) -> Tuple[float, float, float, float]:
    """ShapeNet's box (crop units) back in source pixels, as floats.  A proposal
    that touches an image edge keeps that edge (the object is cut there)."""
    x0, y0, side = crop_window(bbox)
    x, y, w, h = bbox
    l, t, r, b = (float(v) for v in pred[:4])
    x1 = 0.0 if x <= 0 else min(max(0.0, x0 + l * side), float(width))
    y1 = 0.0 if y <= 0 else min(max(0.0, y0 + t * side), float(height))
    x2 = float(width) if x + w >= width else min(max(0.0, x0 + r * side), float(width))
    y2 = float(height) if y + h >= height else min(max(0.0, y0 + b * side), float(height))
    if not (math.isfinite(x1 + y1 + x2 + y2) and x2 - x1 >= 2 and y2 - y1 >= 2):
        return float(x), float(y), float(w), float(h)
    return x1, y1, x2 - x1, y2 - y1


def crop_input(rgb: np.ndarray, mask_full: np.ndarray, bbox) -> np.ndarray:
    """A 4 x CROP x CROP float32 array: the square crop around bbox (RGB and mask)."""
    H, W = rgb.shape[:2]
    x0, y0, side = crop_window(bbox)
    pad = max(0, -x0, -y0, x0 + side - W, y0 + side - H)
    if pad:
        rgb = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        mask_full = cv2.copyMakeBorder(mask_full, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        x0, y0 = x0 + pad, y0 + pad
    c = cv2.resize(rgb[y0 : y0 + side, x0 : x0 + side], (CROP, CROP), interpolation=cv2.INTER_AREA)
    m = cv2.resize(mask_full[y0 : y0 + side, x0 : x0 + side], (CROP, CROP), interpolation=cv2.INTER_NEAREST)
    out = np.empty((4, CROP, CROP), np.float32)
    out[:3] = c.transpose(2, 0, 1) / 255.0
    out[3] = m > 0
    return out


def to_tensor(rgb_small: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb_small.transpose(2, 0, 1))).float().div_(255.0).unsqueeze(0)


_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
# both chosen on train-vision's held-out worlds and another unseen set, not on the benchmark
PRIOR_CORRECTION = 0.5  # recall and precision highest
FIT_RANGE_M = 1.0  # objects nearer than this (or cut by the image edge): centre fitted to the depth
SHAPE_BATCHES = (1, 2, 4, 8)  # batch sizes the shape classifier is frozen for
MIN_CONFIDENCE = 0.4  # recall +1.1-1.5 points over 0.5, precision still 0.99, label accuracy 0.98


def freeze(net: torch.nn.Module, *example: torch.Tensor):
    """``net`` traced and frozen by TorchScript (constants folded, batch norm
    folded into the convolutions, no Python per layer), or ``net`` itself if
    tracing fails.  Same outputs to float rounding (tested).  TorchScript is
    deprecated in favour of torch.compile, which needs a C compiler at run time
    and compiles for seconds; should a torch drop it, the eager net is used."""
    try:
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.freeze(torch.jit.trace(net.eval(), example, check_trace=False))
    except Exception:  # noqa: BLE001 - an exotic torch build: the eager model is correct, only slower
        return net


def logit_adjustment(class_weight, alpha: float) -> Optional[np.ndarray]:
    """What to subtract from the segmenter's logits to undo ``alpha`` of the
    class weighting of its training loss (None: nothing to undo)."""
    if class_weight is None or not alpha:
        return None
    return (float(alpha) * np.log(np.asarray(class_weight, dtype=np.float32))).reshape(-1, 1, 1)


class Detector:
    """The trained two-stage detector.  ``weights``: a checkpoint from train-vision.

    ``prior_correction`` (0..1) removes that share of the class weighting the
    segmenter was trained with (logit adjustment: the weighted loss makes a
    pixel on an object's boundary more likely "object" than it is, so boxes
    grow by about a segmenter pixel on every side).  ``runtime``: how the
    segmenter and the shape classifier run (:mod:`autogpt_ros.perception.runtime`:
    ``auto`` takes ONNX Runtime when installed, else frozen TorchScript;
    ``eager`` is plain torch, as is ``jit=False``).

    With a checkpoint whose shape classifier has the box head (train-vision
    since the box head), each detection's box is the head's full-resolution
    box and its bearing the head's centre column; older checkpoints use the
    proposal's box and the geometric centre.
    """

    def __init__(self, weights: Optional[str] = None, min_pixels: int = 6, min_confidence: float = MIN_CONFIDENCE, threads: Optional[int] = None,
                 prior_correction: float = PRIOR_CORRECTION, jit: bool = True, runtime: str = "auto", max_depth: float = geometry.MAX_DEPTH_M):
        self.weights = weights or default_weights()
        self.max_depth = float(max_depth)  # depth readings beyond it are missing ones; no distance beyond it
        self.seg, self.shape_net, self.meta = load_checkpoint(self.weights)
        self.min_pixels = min_pixels
        self.min_confidence = min_confidence
        if threads:
            torch.set_num_threads(threads)
        self.set_prior_correction(prior_correction)
        # jit=False: the eager torch modules (the reference the faster runtimes are tested against)
        self.runtime = resolve_runtime(runtime if jit else "eager")
        self.runtime_note = ""  # why another runtime than asked for runs, if it does
        example = torch.zeros(1, 3, SEG_SIZE[1], SEG_SIZE[0])
        if self.runtime == "onnxruntime":
            try:
                self._build_onnx(optional_threads(threads))
            except Exception as e:  # noqa: BLE001 - an exporter or runtime that fails on this torch: the others are correct
                if runtime != "auto":
                    raise
                self._seg_onnx = self._shape_onnx = None
                self.runtime = "torchscript"
                self.runtime_note = f"ONNX Runtime not used ({type(e).__name__}: {e}); TorchScript instead"
                warnings.warn(self.runtime_note)
        if self.runtime == "torchscript":
            # the segmenter's input size never changes; the shape classifier's batch is padded to a few sizes
            self._seg_run = freeze(self.seg, example)
            with torch.inference_mode():
                for _ in range(3):  # TorchScript optimises on the first calls: not on the first camera frames
                    self._seg_run(example)
            # the shape classifier frozen for a few batch sizes, the batch padded up to the next one
            # (tracing on first use would put a 50 ms stall on the first frame with a new count)
            self._shape_runs = {}
            for n in SHAPE_BATCHES:
                ex = (torch.zeros(n, 4, CROP, CROP), torch.zeros(n, N_EXTRA))
                self._shape_runs[n] = freeze(self.shape_net, *ex)
                with torch.inference_mode():
                    for _ in range(2):
                        self._shape_runs[n](*ex)
        self.last_timing = {}

    def _build_onnx(self, threads: int) -> None:
        """Both nets exported to ONNX and loaded in ONNX Runtime, and checked on a
        random input against the torch modules they come from (an exporter that
        got them wrong is an error, not wrong detections)."""
        g = torch.Generator().manual_seed(0)
        image = torch.rand(1, 3, SEG_SIZE[1], SEG_SIZE[0], generator=g)
        crops, extra = torch.rand(3, 4, CROP, CROP, generator=g), torch.rand(3, N_EXTRA, generator=g)
        seg = OnnxNet(export_onnx(exportable(self.seg), (image,), ["image"], ["logits"]), threads)
        shape = OnnxNet(export_onnx(exportable(self.shape_net), (crops[:2], extra[:2]), ["crops", "extra"], ["logits", "boxes"],
                                    dynamic_batch=True), threads)
        with torch.inference_mode():
            want = [self.seg(image)] + list(self.shape_net(crops, extra))
        got = seg(image.numpy()) + shape(crops.numpy(), extra.numpy())
        for name, a, b in zip(("segmenter", "shape logits", "shape boxes"), got, want):
            err = float(np.abs(a - b.numpy()).max()) if a.shape == tuple(b.shape) else float("inf")
            if not err <= 1e-3:
                raise RuntimeError(f"the ONNX {name} differs from the torch one by {err:.3g}")
        for _ in range(2):  # the first runs allocate: not on the first camera frames
            seg(image.numpy())
            shape(crops.numpy(), extra.numpy())
        self._seg_onnx, self._shape_onnx = seg, shape

    def classify(self, crops: torch.Tensor, extra: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """ShapeNet on a batch of proposals: shape logits and box/centre regression."""
        onnx_net = getattr(self, "_shape_onnx", None)
        if onnx_net is not None:
            logits, boxes = onnx_net(crops.numpy(), extra.numpy())
            return torch.from_numpy(logits), torch.from_numpy(boxes)
        runs = getattr(self, "_shape_runs", None)
        n = crops.shape[0]
        if not runs:
            return self.shape_net(crops, extra)
        if n > SHAPE_BATCHES[-1]:  # more proposals than the largest frozen batch: in chunks
            parts = [self.classify(crops[i : i + SHAPE_BATCHES[-1]], extra[i : i + SHAPE_BATCHES[-1]]) for i in range(0, n, SHAPE_BATCHES[-1])]
            return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
        size = next(b for b in SHAPE_BATCHES if b >= n)
        if size > n:
            crops = torch.cat([crops, crops.new_zeros((size - n,) + tuple(crops.shape[1:]))])
            extra = torch.cat([extra, extra.new_zeros((size - n,) + tuple(extra.shape[1:]))])
        logits, boxes = runs[size](crops, extra)
        return logits[:n], boxes[:n]

    def seg_logits(self, small: np.ndarray) -> np.ndarray:
        """The segmenter's logits (classes x H x W, float32) for an RGB image at SEG_SIZE."""
        x = to_tensor(small)
        onnx_net = getattr(self, "_seg_onnx", None)
        if onnx_net is not None:
            return onnx_net(x.numpy())[0][0]
        with torch.inference_mode():
            return getattr(self, "_seg_run", self.seg)(x)[0].numpy()

    def set_prior_correction(self, alpha: float) -> None:
        self._logit_adjust = logit_adjustment(self.meta.get("seg_class_weight"), alpha)

    @torch.inference_mode()
    def segment(self, rgb: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Per-pixel colour class at SEG_SIZE and its softmax probability, the
        latter computed for object pixels only (1.0 on the background, where
        nothing reads it): the class maximum in numpy, then softmax on the few
        object pixels, 0.14 ms against 0.40 for softmax and max over all."""
        small = cv2.resize(rgb, SEG_SIZE, interpolation=cv2.INTER_AREA) if rgb.shape[1::-1] != SEG_SIZE else rgb
        logits = self.seg_logits(small)
        adjust = getattr(self, "_logit_adjust", None)
        if adjust is not None:
            logits = logits - adjust
        a = logits.reshape(logits.shape[0], -1)
        top = a.max(0)
        cls = np.zeros(top.shape, np.uint8)
        prob = np.ones(top.shape, np.float32)
        obj = np.flatnonzero(a[0] < top)  # background wins a tie, as argmax takes the first
        if obj.size:
            sub = a[:, obj]
            cls[obj] = sub.argmax(0)
            prob[obj] = 1.0 / np.exp(sub - top[obj]).sum(0)
        return cls.reshape(logits.shape[1:]), prob.reshape(logits.shape[1:])

    def proposals(self, cls: np.ndarray, prob: np.ndarray, width: int, height: int):
        sw, sh = SEG_SIZE
        sx, sy = width / sw, height / sh
        out = []
        for c in np.flatnonzero(np.bincount(cls.ravel(), minlength=len(COLOR_CLASSES))[1:]) + 1:
            raw = (cls == c).view(np.uint8)
            # close small gaps (specular highlights, thin occluders) so one object is one blob
            closed = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, _KERNEL)
            n, lab, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
            for i in range(1, n):
                bx, by, bw, bh, _area = (int(v) for v in stats[i])
                win = np.s_[by : by + bh, bx : bx + bw]  # the blob's box: the work of one object is in there
                mw = (lab[win] == i) & (raw[win] > 0)
                area = int(mw.sum())
                if area < self.min_pixels:
                    continue
                # the box of the pixels labelled, not of the closed blob (closing grows it)
                ys, xs = np.nonzero(mw)
                x, y, w, h = bx + int(xs.min()), by + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
                m = np.zeros(cls.shape, bool)
                m[win] = mw
                bbox = (int(math.floor(x * sx)), int(math.floor(y * sy)), int(math.ceil(w * sx)), int(math.ceil(h * sy)))
                out.append((int(c), m, bbox, float(prob[win][mw].mean()), area / float(w * h)))
        return out

    @torch.inference_mode()
    def detect(self, rgb: np.ndarray, K: Intrinsics, depth: Optional[np.ndarray] = None) -> List[Detection]:
        t0 = time.perf_counter()
        H, W = rgb.shape[:2]
        if K.width != W or K.height != H:
            K = K.scaled(W, H)
        cls, prob = self.segment(rgb)
        t1 = time.perf_counter()
        props = self.proposals(cls, prob, W, H)
        dets: List[Detection] = []
        depth_small = Ks = None
        if depth is not None and depth.shape[:2] == (H, W):
            # depth sampled on the segmenter's grid: the masks live there, and a median needs no more
            depth_small = cv2.resize(depth, SEG_SIZE, interpolation=cv2.INTER_NEAREST) if (W, H) != SEG_SIZE else depth
            # readings that cannot be distances (inf, 1e30, negative, beyond the far clip) are holes
            depth_small = geometry.valid_depth(depth_small, self.max_depth)
            Ks = K.scaled(*SEG_SIZE)
        if props:
            crops, extra = [], []
            for c, m, bbox, p, fill in props:
                mf = cv2.resize(m.astype(np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)
                crops.append(crop_input(rgb, mf, bbox))
                extra.append(box_features(bbox, fill, W, H))
            logits, boxes = self.classify(torch.from_numpy(np.stack(crops)), torch.tensor(extra, dtype=torch.float32))
            sp = torch.softmax(logits, 1).numpy()
            refine = getattr(self.shape_net, "has_box", True)
            for (c, m, bbox, p, fill), s, box in zip(props, sp, boxes.numpy()):
                k = int(s.argmax())
                shape = SHAPE_CLASSES[k]
                conf = float(p * s[k])
                if shape == "none" or conf < self.min_confidence:
                    continue
                fbox = box_from_crop(box, bbox, W, H) if refine else bbox
                dist, src = None, "none"
                if depth_small is not None:
                    dist = geometry.plausible_distance(geometry.distance_from_depth(depth_small, m, Ks, self.max_depth), self.max_depth)
                    src = "depth" if dist is not None else src
                if dist is None:  # no depth, or none valid on the object: from its known size
                    dist = geometry.plausible_distance(geometry.distance_from_size(shape, fbox, K), self.max_depth)
                    src = "size" if dist is not None else "none"
                u = None
                if depth_small is not None and ((dist is not None and dist < FIT_RANGE_M) or fbox[0] <= 0 or fbox[0] + fbox[2] >= W):
                    # a near or edge-cut object's centre fitted to the depth of its visible surface
                    # (a ball, a cylinder, the faces of a box): right also when its centre is out of
                    # view (far away, the learned centre does as well and costs nothing more)
                    if shape == "box":
                        u = geometry.box_centre_column_from_depth(depth_small, m, Ks)
                    else:
                        u = geometry.centre_column_from_depth(shape, depth_small, m, Ks)
                    u = None if u is None else (u + 0.5) * W / SEG_SIZE[0] - 0.5
                if u is None and refine:
                    # learned: also right for an object cut by the image edge (its centre is not in view)
                    u = centre_from_crop(box, bbox)
                if u is None:
                    u = geometry.centre_column(shape, fbox, K, dist)
                bearing = geometry.bearing(u, K)
                x, y, w, h = fbox
                ibox = (int(round(x)), int(round(y)), max(1, int(round(x + w)) - int(round(x))), max(1, int(round(y + h)) - int(round(y))))
                dets.append(Detection(COLOR_CLASSES[c], shape, conf, ibox, bearing, dist, src, m))
        t2 = time.perf_counter()
        self.last_timing = {"segment_ms": (t1 - t0) * 1000, "classify_ms": (t2 - t1) * 1000, "total_ms": (t2 - t0) * 1000}
        return dets


def draw(rgb: np.ndarray, dets: List[Detection]) -> np.ndarray:
    """An annotated copy of the image (for /perception/debug_image and the demo)."""
    out = rgb.copy()
    for d in dets:
        x, y, w, h = d.bbox
        cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), (255, 255, 0), 1)
        txt = f"{d.label} {d.distance_m:.1f}m" if d.distance_m else d.label
        cv2.putText(out, txt, (x, max(10, y - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 0), 1, cv2.LINE_AA)
    return out
