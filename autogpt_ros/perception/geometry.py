"""Camera geometry for detections: bearing and distance from pixels.  Pure numpy."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from autogpt_ros.sim.world import DEFAULT_SIZE


@dataclass(frozen=True)
class Intrinsics:
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_camera_info(cls, info) -> "Intrinsics":
        k = list(info.k)
        if len(k) != 9 or k[0] <= 0 or k[4] <= 0 or not all(math.isfinite(x) for x in k):
            raise ValueError(f"camera_info has no usable intrinsics (K = {k})")
        return cls(k[0], k[4], k[2], k[5], int(info.width), int(info.height))

    def scaled(self, width: int, height: int) -> "Intrinsics":
        """The same camera at another image size."""
        sx, sy = width / self.width, height / self.height
        return Intrinsics(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5, width, height)


def bearing(u: float, K: Intrinsics) -> float:
    """Horizontal angle of pixel column ``u``, positive to the left (ROS convention)."""
    return math.atan2(K.cx - u, K.fx)


def ground_range_factor(u: np.ndarray, K: Intrinsics) -> np.ndarray:
    """Per-column factor turning optical-axis depth into ground-plane range."""
    return np.sqrt(1.0 + ((u - K.cx) / K.fx) ** 2)


def distance_from_depth(depth: np.ndarray, mask: np.ndarray, K: Intrinsics) -> Optional[float]:
    """Median ground-plane range to the visible surface inside ``mask``; None if no valid depth."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    z = depth[ys, xs]
    ok = np.isfinite(z) & (z > 0)
    if ok.sum() < max(3, 0.2 * xs.size):
        return None
    return float(np.median(z[ok] * ground_range_factor(xs[ok].astype(np.float64), K)))


def distance_from_size(shape: str, bbox: Tuple[int, int, int, int], K: Intrinsics, size: Optional[Tuple[float, float, float]] = None) -> Optional[float]:
    """Range from the object's known size and its pixel extent (pinhole model).

    Uses the height when the box is not cut by the top or bottom image edge,
    else the width (ball and cylinder widths do not depend on the view).
    Returns the range to the visible surface, like the depth estimate.
    """
    x, y, w, h = bbox
    sx, sy, sz = size or DEFAULT_SIZE[shape]
    cut_v = y <= 0 or y + h >= K.height
    cut_h = x <= 0 or x + w >= K.width
    if not cut_v and h >= 4:
        z = K.fy * sz / h
    elif not cut_h and w >= 4 and shape in ("ball", "cylinder"):
        z = K.fx * sx / w
    elif not cut_h and w >= 4:
        z = K.fx * (sx * 1.2) / w  # a box's width depends on its yaw: take the middle
    else:
        return None
    u = x + w / 2.0
    rng = float(z * ground_range_factor(np.array(u), K))
    if shape in ("ball", "cylinder"):
        rng -= sx / 2.0  # the silhouette of a round object lies at its centre: back to the surface
    return rng


def centre_column(shape: str, bbox: Tuple[int, int, int, int], K: Intrinsics, distance: Optional[float], size: Optional[Tuple[float, float, float]] = None) -> float:
    """Image column of the object's centre.  The middle of the box, unless the
    object is cut by the left or right image edge: then the centre lies half the
    object's expected pixel width (known size at ``distance``) in from the edge
    that is inside the image, not in the middle of the visible part."""
    x, y, w, h = bbox
    u = x + w / 2.0
    cut_left, cut_right = x <= 0, x + w >= K.width
    if distance is None or not math.isfinite(distance) or distance <= 0 or cut_left == cut_right:
        return u  # not cut, cut on both sides, or no range: the middle is the best guess
    sx = (size or DEFAULT_SIZE[shape])[0]
    half = sx / 2.0 if shape in ("ball", "cylinder") else sx * 0.6  # a box's width depends on its yaw: the middle
    depth = distance + (half if shape in ("ball", "cylinder") else 0.0)  # to the centre plane
    w_exp = K.fx * 2 * half / max(depth, 1e-3)
    if w_exp <= w:
        return u  # no wider than what is seen: the visible part is (nearly) all of it
    return (x + w) - w_exp / 2.0 if cut_left else x + w_exp / 2.0
