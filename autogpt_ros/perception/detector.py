"""The perception pipeline: pixels in, labelled objects with bearing and distance out.

``Detector.detect(rgb, K, depth)``: colour segmentation (ColorSegNet) ->
connected components per colour (OpenCV) -> shape classification of each
proposal (ShapeNet) -> bearing from the intrinsics, distance from the median
depth inside the mask or, without depth, from the object's known size.
Pure Python (torch, OpenCV, numpy), no rclpy.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np
import torch

from autogpt_ros.perception import geometry
from autogpt_ros.perception.geometry import Intrinsics
from autogpt_ros.perception.model import COLOR_CLASSES, CROP, SEG_SIZE, SHAPE_CLASSES, load_checkpoint, default_weights


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


def crop_input(rgb: np.ndarray, mask_full: np.ndarray, bbox) -> np.ndarray:
    """A 4 x CROP x CROP float32 array: the square crop around bbox (RGB and mask)."""
    H, W = rgb.shape[:2]
    x, y, w, h = bbox
    side = int(max(w, h) * 1.15) + 2
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
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


class Detector:
    """The trained two-stage detector.  ``weights``: a checkpoint from train-vision."""

    def __init__(self, weights: Optional[str] = None, min_pixels: int = 6, min_confidence: float = 0.5, threads: Optional[int] = None):
        self.weights = weights or default_weights()
        self.seg, self.shape_net, self.meta = load_checkpoint(self.weights)
        self.min_pixels = min_pixels
        self.min_confidence = min_confidence
        if threads:
            torch.set_num_threads(threads)
        self.last_timing = {}

    @torch.inference_mode()
    def segment(self, rgb: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Per-pixel colour class and its probability at SEG_SIZE."""
        small = cv2.resize(rgb, SEG_SIZE, interpolation=cv2.INTER_AREA) if rgb.shape[1::-1] != SEG_SIZE else rgb
        logits = self.seg(to_tensor(small))[0]
        prob, cls = torch.softmax(logits, 0).max(0)
        return cls.numpy().astype(np.uint8), prob.numpy()

    def proposals(self, cls: np.ndarray, prob: np.ndarray, width: int, height: int):
        sw, sh = SEG_SIZE
        sx, sy = width / sw, height / sh
        out = []
        for c in np.unique(cls):
            if c == 0:
                continue
            raw = (cls == c).astype(np.uint8)
            # close small gaps (specular highlights, thin occluders) so one object is one blob
            closed = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, _KERNEL)
            n, lab, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
            for i in range(1, n):
                x, y, w, h, _area = stats[i]
                m = (lab == i) & (raw > 0)
                area = int(m.sum())
                if area < self.min_pixels:
                    continue
                # the box of the pixels labelled, not of the closed blob (closing grows it)
                ys, xs = np.nonzero(m)
                x, y, w, h = int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
                bbox = (int(math.floor(x * sx)), int(math.floor(y * sy)), int(math.ceil(w * sx)), int(math.ceil(h * sy)))
                out.append((int(c), m, bbox, float(prob[m].mean()), area / float(w * h)))
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
        if props:
            crops, extra, full_masks = [], [], []
            for c, m, bbox, p, fill in props:
                mf = cv2.resize(m.astype(np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)
                full_masks.append(mf)
                crops.append(crop_input(rgb, mf, bbox))
                extra.append(box_features(bbox, fill, W, H))
            logits = self.shape_net(torch.from_numpy(np.stack(crops)), torch.tensor(extra, dtype=torch.float32))
            sp = torch.softmax(logits, 1).numpy()
            for (c, m, bbox, p, fill), mf, s in zip(props, full_masks, sp):
                k = int(s.argmax())
                shape = SHAPE_CLASSES[k]
                conf = float(p * s[k])
                if shape == "none" or conf < self.min_confidence:
                    continue
                dist, src = None, "none"
                if depth is not None and depth.shape[:2] == (H, W):
                    dist = geometry.distance_from_depth(depth, mf, K)
                    src = "depth" if dist is not None else src
                if dist is None:
                    dist = geometry.distance_from_size(shape, bbox, K)
                    src = "size" if dist is not None else "none"
                bearing = geometry.bearing(geometry.centre_column(shape, bbox, K, dist), K)
                dets.append(Detection(COLOR_CLASSES[c], shape, conf, bbox, bearing, dist, src, m))
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
