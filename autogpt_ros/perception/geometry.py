"""Camera geometry for detections: bearing and distance from pixels.  Pure numpy."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from autogpt_ros.vocabulary import DEFAULT_SIZE


@dataclass(frozen=True)
class Intrinsics:
    fx: float
    fy: float
    cx: float
    cy: float
    width: int  # 0 (with height 0): the size of whatever image K is used with
    height: int

    @property
    def sized(self) -> bool:
        """False when the calibration size is unknown (CameraInfo width or height 0)."""
        return self.width > 0 and self.height > 0

    @classmethod
    def from_camera_info(cls, info) -> "Intrinsics":
        """K of a sensor_msgs/CameraInfo.  Width or height 0 (a driver that leaves them
        unset) means "K is for the image as it arrives": :meth:`scaled` then keeps K as is."""
        k = list(info.k)
        if len(k) != 9 or k[0] <= 0 or k[4] <= 0 or not all(math.isfinite(x) for x in k):
            raise ValueError(f"camera_info has no usable intrinsics (K = {k})")
        w, h = int(info.width), int(info.height)
        if w <= 0 or h <= 0:
            w = h = 0
        return cls(k[0], k[4], k[2], k[5], w, h)

    def scaled(self, width: int, height: int) -> "Intrinsics":
        """The same camera at another image size (K itself, with that size, when the
        calibration size is unknown)."""
        if not self.sized:
            return Intrinsics(self.fx, self.fy, self.cx, self.cy, width, height)
        sx, sy = width / self.width, height / self.height
        return Intrinsics(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5, width, height)


def bearing(u: float, K: Intrinsics) -> float:
    """Horizontal angle of pixel column ``u``, positive to the left (ROS convention)."""
    return math.atan2(K.cx - u, K.fx)


def ground_range_factor(u: np.ndarray, K: Intrinsics) -> np.ndarray:
    """Per-column factor turning optical-axis depth into ground-plane range."""
    return np.sqrt(1.0 + ((u - K.cx) / K.fx) ** 2)


#: depth readings beyond this are not believed (the simulated depth camera's far clip)
MAX_DEPTH_M = 20.0


def valid_depth(depth: np.ndarray, max_depth: float = MAX_DEPTH_M) -> np.ndarray:
    """``depth`` (metres) with every reading that cannot be a distance (not finite, zero
    or negative, beyond ``max_depth``) set to NaN, as float32: missing, like a hole."""
    d = np.asarray(depth, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(d) & (d > 0) & (d <= max_depth))
    if bad.any():
        d = d.copy() if d is depth else d
        d[bad] = np.nan
    return d


def plausible_distance(d: Optional[float], max_depth: float = MAX_DEPTH_M) -> Optional[float]:
    """``d`` (at least 0) if it is a distance a camera can measure (finite, at most
    ``max_depth``), else None."""
    if d is None or not math.isfinite(d) or d > max_depth:
        return None
    return max(0.0, float(d))


def distance_from_depth(depth: np.ndarray, mask: np.ndarray, K: Intrinsics, max_depth: float = MAX_DEPTH_M) -> Optional[float]:
    """Median ground-plane range to the visible surface inside ``mask``; None if no valid depth
    (readings that are not finite, not positive or beyond ``max_depth`` are missing ones)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    z = depth[ys, xs]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(z) & (z > 0) & (z <= max_depth)
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


def surface_points(depth: np.ndarray, mask: np.ndarray, K: Intrinsics, max_points: int = 0, keep_edges: bool = False):
    """Camera-frame 3D points (x right, y down, z forward; metres) of the pixels in ``mask``
    with a valid depth, and their image columns.  With ``max_points``, an even sample of that
    many pixels (plus, with ``keep_edges``, every pixel on the image's left and right edge:
    they tell where the view cuts an object).  ``depth`` and ``mask`` are on the grid that
    ``K`` describes."""
    ys, xs = np.nonzero(mask)
    if max_points and xs.size > max_points:
        keep = np.zeros(xs.size, bool)
        keep[np.linspace(0, xs.size - 1, max_points).astype(int)] = True
        if keep_edges:
            keep |= (xs <= 0) | (xs >= K.width - 1)
        ys, xs = ys[keep], xs[keep]
    z = depth[ys, xs].astype(np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(z) & (z > 0) & (z <= 1e6)  # 1e30 is no surface (valid_depth sets the real bound)
    xs, ys, z = xs[ok], ys[ok], z[ok]
    return np.stack([(xs - K.cx) / K.fx * z, (ys - K.cy) / K.fy * z, z], 1), xs


def fit_round_centre(points: np.ndarray, radius: float, iterations: int = 10, max_points: int = 64) -> Optional[np.ndarray]:
    """Centre of a sphere (3D points) or of a circle (2D points) of known ``radius`` through
    ``points`` of its visible surface (least squares, Gauss-Newton with short steps; a second
    pass without the points that do not fit, if any).  None if there are too few points or the fit
    does not hold."""
    if len(points) < 8 or radius <= 0:
        return None
    if len(points) > max_points:  # evenly spread over the mask: the fit needs the shape, not every pixel
        points = points[np.linspace(0, len(points) - 1, max_points).astype(int)]
    keep = np.ones(len(points), bool)
    c = None
    for _ in range(2):
        p = points[keep]
        if len(p) < 8:
            return None
        # start one radius behind the middle of the visible surface, along the view ray
        m = np.median(p, 0)
        c = m + radius * m / max(float(np.linalg.norm(m)), 1e-6)
        for _ in range(iterations):
            d = p - c
            n = np.maximum(np.sqrt(np.einsum("ij,ij->i", d, d)), 1e-9)
            J = -d / n[:, None]
            step = np.linalg.solve(J.T @ J + 1e-9 * np.eye(len(c)), -(J.T @ (n - radius)))
            size = float(np.sqrt(step @ step))
            if size > 0.25 * radius:  # short steps: a cap seen from one side pins the centre down weakly
                step *= 0.25 * radius / size
            c = c + step
            if size < 5e-4:  # half a millimetre
                break
        res = np.abs(np.linalg.norm(points - c, axis=1) - radius)
        fits = res < max(0.15 * radius, 3 * float(np.median(res[keep])))
        done = fits.all() or (fits == keep).all()
        keep = fits
        if done:
            break
    if not np.all(np.isfinite(c)):
        return None
    # the visible surface faces the camera: the centre lies behind it, less than a diameter further
    near = float(np.min(np.linalg.norm(points, axis=1)))
    far = float(np.linalg.norm(c))
    res = np.abs(np.linalg.norm(points - c, axis=1) - radius)
    if not (near < far < near + 2.5 * radius) or keep.mean() < 0.7 or np.median(res) > 0.05 * radius:
        return None  # not a round surface of this size (a wall, a box, a bad mask)
    return c


def centre_column_from_depth(shape: str, depth: np.ndarray, mask: np.ndarray, K: Intrinsics, size: Optional[Tuple[float, float, float]] = None) -> Optional[float]:
    """Image column (in ``K``'s pixels) of the centre of a ball or an upright cylinder, fitted
    to the depth of its visible surface: right also when the object is cut by the image edge
    and its centre is out of view.  None for boxes, or if the fit does not hold."""
    if shape not in ("ball", "cylinder"):
        return None
    radius = (size or DEFAULT_SIZE[shape])[0] / 2.0
    pts, _ = surface_points(depth, mask, K, max_points=600)
    if shape == "cylinder":
        pts = pts[:, [0, 2]]  # the camera is level: the axis is vertical, fit the circle seen from above
    if len(pts) == 0:
        return None
    # mixed pixels at the silhouette carry the depth of what is behind: the visible surface of a
    # round object lies within one radius of its nearest point
    rng = np.linalg.norm(pts, axis=1)
    pts = pts[rng < np.percentile(rng, 3) + 1.2 * radius]
    c = fit_round_centre(pts, radius)
    if c is None:
        return None
    x, z = float(c[0]), float(c[-1])
    if z <= 1e-3:
        return None
    return K.cx + K.fx * x / z


def fit_box_centre(points: np.ndarray, side: float, at_edge: Optional[np.ndarray] = None, max_points: int = 120):
    """Centre (x, z) and axes (two unit vectors) of an upright box with a square footprint of
    ``side`` metres, seen from the origin, from 2D points (x, z) of its visible faces.
    ``at_edge`` marks the points on the image edge: where the image cuts a face, that end of
    the face is not the box's.  None if the points do not look like one or two faces of such a
    box, or its centre cannot be told.  Assumes a level camera (the faces are vertical)."""
    if len(points) < 12 or side <= 0:
        return None
    if at_edge is None:
        at_edge = np.zeros(len(points), bool)
    if len(points) > max_points:  # evenly spread, and every point on the image edge: they tell where the view is cut
        edge = np.nonzero(at_edge)[0]
        idx = np.union1d(np.linspace(0, len(points) - 1, max_points).astype(int), edge[:: max(1, len(edge) // 30)])
        points, at_edge = points[idx], at_edge[idx]

    def search(deg):
        th = np.deg2rad(deg)
        e1 = np.stack([np.cos(th), np.sin(th)], 1)
        e2 = np.stack([-np.sin(th), np.cos(th)], 1)
        a, b = points @ e1.T, points @ e2.T  # n x angles: the points in the box's axes, for every yaw
        # the faces the camera sees face the origin: flip each axis so they lie at the low end
        sa, sb = np.sign(np.median(a, 0)), np.sign(np.median(b, 0))
        sa[sa == 0] = 1
        sb[sb == 0] = 1
        a, b = a * sa, b * sb
        A, B = a.min(0), b.min(0)
        res = np.minimum(np.abs(a - A), np.abs(b - B))
        k = int(np.argmin(np.mean(np.minimum(res, 0.05 * side), 0)))
        return deg[k], (a[:, k], b[:, k], float(A[k]), float(B[k]), res[:, k], sa[k], sb[k], e1[k], e2[k])

    coarse, _ = search(np.arange(0.0, 90.0, 6.0))  # yaw: coarse, then to a degree
    _, (a, b, A, B, res, sa, sb, e1, e2) = search(np.arange(coarse - 5.0, coarse + 6.0, 1.0))
    if np.median(res) > 0.03 * side:
        return None  # not the faces of a box
    tol = 0.04 * side
    on_a = np.abs(a - A) < tol  # the face at a = A, running along b
    on_b = np.abs(b - B) < tol
    # a face is seen if it shows some width (not just the corner, or the column the image cuts it at)
    seen_a = on_a.any() and np.ptp(b[on_a]) > 0.2 * side
    seen_b = on_b.any() and np.ptp(a[on_b]) > 0.2 * side
    if seen_a and not seen_b:
        B = _face_start(b[on_a], at_edge[on_a], side)  # one face: its ends are the box's corners
    elif seen_b and not seen_a:
        A = _face_start(a[on_b], at_edge[on_b], side)
    elif not (seen_a or seen_b):
        return None
    if A is None or B is None:
        return None
    ca, cb = (A + side / 2.0) * sa, (B + side / 2.0) * sb
    return ca * e1 + cb * e2, e1, e2


def _face_start(t: np.ndarray, at_edge: np.ndarray, side: float) -> Optional[float]:
    """Low end of a face seen along ``t``: its lowest point, or its highest less the side if
    the image edge cuts the low end; None if the image cuts both ends."""
    lo, hi = float(t.min()), float(t.max())
    tol = 0.04 * side
    cut_lo = bool(np.any(at_edge & (t < lo + tol)))
    cut_hi = bool(np.any(at_edge & (t > hi - tol)))
    if not cut_lo:
        return lo
    if not cut_hi:
        return hi - side
    return None


def box_centre_column_from_depth(depth: np.ndarray, mask: np.ndarray, K: Intrinsics, size: Optional[Tuple[float, float, float]] = None) -> Optional[float]:
    """Image column (in ``K``'s pixels) of the centre of an upright box (square footprint),
    fitted to the depth of its visible faces: right also when the image edge cuts it.
    None if the fit does not hold."""
    side = (size or DEFAULT_SIZE["box"])[0]
    pts, xs = surface_points(depth, mask, K, max_points=600, keep_edges=True)  # a near box fills thousands of pixels
    if len(pts) < 12:
        return None
    pts = pts[:, [0, 2]]  # the camera is level: the faces are upright, fit the footprint seen from above
    rng = np.linalg.norm(pts, axis=1)
    near = rng < np.percentile(rng, 3) + 0.75 * side * math.sqrt(2)  # no deeper than the box: not the wall behind
    fit = fit_box_centre(pts[near], side, ((xs <= 0) | (xs >= K.width - 1))[near])
    if fit is None:
        return None
    c, e1, e2 = fit
    corners = np.array([c + i * side / 2 * e1 + j * side / 2 * e2 for i in (-1, 1) for j in (-1, 1)])
    if c[1] <= 1e-3 or np.any(corners[:, 1] <= 1e-3):
        return None
    # the fitted box must cast the silhouette seen, wherever the image edge does not cut it
    u = K.cx + K.fx * corners[:, 0] / corners[:, 1]
    lo, hi = xs.min(), xs.max()
    tol = max(2.5, 0.1 * (hi - lo + 1))  # pixels: the mask's edge is a pixel or two off, more when near
    if (lo > 0 and abs(u.min() - lo) > tol) or (hi < K.width - 1 and abs(u.max() - hi) > tol):
        return None
    return K.cx + K.fx * float(c[0]) / float(c[1])
