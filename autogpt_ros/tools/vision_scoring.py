"""Scoring detections against the simulator's ground truth (training report and benchmark)."""
from __future__ import annotations

import math
import time
from typing import Dict, List, Optional

import numpy as np

from autogpt_ros.tools.vision_dataset import Frame
from autogpt_ros.perception.geometry import Intrinsics


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def match(dets, gts, min_iou: float = 0.5):
    """Greedy IoU matching; returns [(det_index, gt_index)], unmatched dets, unmatched gts."""
    pairs = sorted(((iou(d.bbox, g.bbox), i, j) for i, d in enumerate(dets) for j, g in enumerate(gts)), reverse=True)
    used_d, used_g, out = set(), set(), []
    for v, i, j in pairs:
        if v < min_iou:
            break
        if i in used_d or j in used_g:
            continue
        used_d.add(i)
        used_g.add(j)
        out.append((i, j))
    return out, [i for i in range(len(dets)) if i not in used_d], [j for j in range(len(gts)) if j not in used_g]


def evaluate(detector, frames: List[Frame], K: Intrinsics, use_depth: bool, min_height: int = 20, progress=None) -> Dict:
    """Recall/precision at IoU >= 0.5 over objects at least ``min_height`` px tall, label accuracy,
    bearing and distance errors, per-frame latency, and per-label true/pred lists for reports."""
    tp = fp = fn = 0
    correct = 0
    bearing_err, bearing_err_uncut, dist_err, latencies = [], [], [], []
    y_true, y_pred = [], []
    for f in frames:
        t = time.perf_counter()
        dets = detector.detect(f.rgb, K, f.depth if use_depth else None)
        latencies.append((time.perf_counter() - t) * 1000)
        gts = f.objects
        pairs, ud, ug = match(dets, gts)
        big = {j for j, g in enumerate(gts) if g.bbox[3] >= min_height}
        for i, j in pairs:
            g, d = gts[j], dets[i]
            if j in big:
                tp += 1
                ok = d.color == g.color and d.shape == g.shape
                correct += ok
                y_true.append(f"{g.color} {g.shape}")
                y_pred.append(d.label)
                err = abs(math.degrees(d.bearing_rad - g.bearing))
                bearing_err.append(err)
                gx, gy, gw, gh = g.bbox
                H, W = f.rgb.shape[:2]
                if gx > 0 and gx + gw < W:  # not cut by the left or right image edge
                    bearing_err_uncut.append(err)
                if d.distance_m is not None and g.distance > 0:
                    dist_err.append(abs(d.distance_m - g.distance) / g.distance * 100)
        for j in ug:
            if j in big:
                fn += 1
                y_true.append(f"{gts[j].color} {gts[j].shape}")
                y_pred.append("none")
        for i in ud:
            # a detection of a small (<20 px) or partly matched object is not a false positive
            d = dets[i]
            if any(iou(d.bbox, g.bbox) >= 0.2 and f"{g.color} {g.shape}" == d.label for g in gts):
                continue
            fp += 1
            y_true.append("none")
            y_pred.append(d.label)
        if progress:
            progress.update(1)
    p = lambda a: float(np.percentile(a, 95)) if a else float("nan")
    return {
        "recall": tp / max(1, tp + fn),
        "precision": tp / max(1, tp + fp),
        "label_accuracy": correct / max(1, tp),
        "bearing_err_p95_deg": p(bearing_err),
        "bearing_err_p95_deg_uncut": p(bearing_err_uncut),
        "distance_err_p95_pct": p(dist_err),
        "latency_p50_ms": float(np.percentile(latencies, 50)) if latencies else float("nan"),
        "latency_p95_ms": p(latencies),
        "latencies_ms": latencies,
        "objects": tp + fn,
        "frames": len(frames),
        "y_true": y_true,
        "y_pred": y_pred,
    }


def frame_latencies(detector, frames: List[Frame], K: Intrinsics, use_depth: bool = True) -> List[float]:
    """Milliseconds ``detector.detect`` takes on each frame (one timing pass, no scoring)."""
    out = []
    for f in frames:
        t = time.perf_counter()
        detector.detect(f.rgb, K, f.depth if use_depth else None)
        out.append((time.perf_counter() - t) * 1000)
    return out
