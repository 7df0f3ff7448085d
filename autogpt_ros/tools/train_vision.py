"""autogpt-ros train-vision: render labelled frames, train both stages, report, save.

1. Render ``frames`` labelled frames from random worlds (training and a
   held-out split from other worlds).
2. Train ColorSegNet on per-pixel colour labels (AdamW, early stopping on the
   validation mean IoU of the object colours).
3. Collect proposals from the trained segmenter: those that match a true
   object are labelled with its shape and its true box, the rest "none";
   train ShapeNet (shape and box).  ``--segmenter-from`` keeps the segmenter of
   an existing checkpoint and trains this stage only.
4. Evaluate the whole pipeline on the held-out frames: per-label
   precision/recall/F1 (the seed's classification_report), recall/precision at
   IoU 0.5, a confusion-matrix PNG, and write the checkpoint.
"""
from __future__ import annotations

import json
import math
import os
import time
from typing import List, Tuple

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from autogpt_ros.perception import model as M
from autogpt_ros.tools.vision_dataset import Frame, color_labels, render_dataset
from autogpt_ros.perception.detector import MIN_CONFIDENCE, PRIOR_CORRECTION, Detector, box_features, box_to_crop, crop_input, crop_window
from autogpt_ros.tools.vision_scoring import evaluate, iou
from autogpt_ros.perception.geometry import Intrinsics
from autogpt_ros.tools.plots import confusion_png
from autogpt_ros.robot import load_robot
from autogpt_ros.tools.early_stopping import EarlyStopping


def _snapshot(net) -> dict:
    """A copy of a net's weights (the best epoch's, kept by early stopping)."""
    return {k: v.clone() for k, v in net.state_dict().items()}


def seg_arrays(frames: List[Frame]):
    X = np.stack([cv2.resize(f.rgb, M.SEG_SIZE, interpolation=cv2.INTER_AREA) for f in frames])
    Y = np.stack([cv2.resize(color_labels(f), M.SEG_SIZE, interpolation=cv2.INTER_NEAREST) for f in frames])
    return X, Y


def augment(x: torch.Tensor, y: torch.Tensor, g: torch.Generator):
    n = x.shape[0]
    gain = 0.75 + 0.5 * torch.rand(n, 1, 1, 1, generator=g)
    bias = 0.08 * (torch.rand(n, 1, 1, 1, generator=g) - 0.5)
    tint = 1 + 0.06 * (torch.rand(n, 3, 1, 1, generator=g) - 0.5)
    x = (x * gain * tint + bias).clamp(0, 1)
    x = x + 0.015 * torch.randn(x.shape, generator=g)
    flip = torch.rand(n, generator=g) < 0.5
    x[flip] = x[flip].flip(-1)
    y[flip] = y[flip].flip(-1)
    return x, y


def mean_iou(pred: torch.Tensor, y: torch.Tensor, n: int) -> float:
    ious = []
    for c in range(1, n):
        p, t = pred == c, y == c
        u = (p | t).sum().item()
        if u:
            ious.append((p & t).sum().item() / u)
    return float(np.mean(ious)) if ious else 0.0


def train_segmenter(train: List[Frame], val: List[Frame], epochs: int, seed: int, log) -> Tuple[M.ColorSegNet, List[float]]:
    """The trained segmenter and the class weights of its loss (stored with it: the
    detector undoes part of that weighting, see ``Detector.prior_correction``)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    Xtr, Ytr = seg_arrays(train)
    Xva, Yva = seg_arrays(val)
    xt = torch.from_numpy(Xtr).permute(0, 3, 1, 2).float() / 255
    yt = torch.from_numpy(Ytr).long()
    xv = torch.from_numpy(Xva).permute(0, 3, 1, 2).float() / 255
    yv = torch.from_numpy(Yva).long()
    freq = torch.bincount(yt.flatten(), minlength=len(M.COLOR_CLASSES)).float() + 1
    weight = (freq.sum() / freq).sqrt()
    weight = weight / weight.mean()
    net = M.ColorSegNet()
    opt = torch.optim.AdamW(net.parameters(), lr=4e-3, weight_decay=1e-4)
    steps = epochs * ((len(xt) + 31) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps)
    lossf = nn.CrossEntropyLoss(weight=weight)
    stopper = EarlyStopping(patience=4)
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(xt), generator=g)
        total = 0.0
        for i in tqdm(range(0, len(xt), 32), desc=f"segmenter epoch {ep + 1}/{epochs}", leave=False):
            idx = perm[i : i + 32]
            xb, yb = augment(xt[idx].clone(), yt[idx].clone(), g)
            loss = lossf(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        net.eval()
        with torch.inference_mode():
            pred = torch.cat([net(xv[i : i + 64]).argmax(1) for i in range(0, len(xv), 64)])
        miou = mean_iou(pred, yv, len(M.COLOR_CLASSES))
        log(f"segmenter epoch {ep + 1}: loss {total / len(xt):.4f}  val object mIoU {miou:.4f}")
        if stopper.step(miou, lambda: _snapshot(net)):
            log("early stopping")
            break
    net.load_state_dict(stopper.best_state)
    net.eval()
    return net, [round(float(v), 6) for v in weight]


def shape_samples(det: Detector, frames: List[Frame]):
    """Crops of the segmenter's proposals, labelled by the true object they cover
    (or none), with that object's box and centre column in crop units as the box
    target (NaN for none)."""
    crops, extra, labels, boxes = [], [], [], []
    none = M.SHAPE_CLASSES.index("none")
    cam = load_robot().camera
    for f in tqdm(frames, desc="collecting proposals", leave=False):
        H, W = f.rgb.shape[:2]
        K = Intrinsics(*cam.intrinsics(W, H), W, H)
        cls, prob = det.segment(f.rgb)
        for c, m, bbox, p, fill in det.proposals(cls, prob, W, H):
            mf = cv2.resize(m.astype(np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)
            best, label, target = 0.0, none, [float("nan")] * 5
            for o in f.objects:
                v = iou(bbox, o.bbox)
                if v > best and v >= 0.3 and M.COLOR_CLASSES[c] == o.color:
                    best, label, target = v, M.SHAPE_CLASSES.index(o.shape), box_to_crop(o.bbox, crop_window(bbox), centre_column(o, K))
            crops.append(crop_input(f.rgb, mf, bbox))
            extra.append(box_features(bbox, fill, W, H))
            labels.append(label)
            boxes.append(target)
        # the true masks too, so every object is seen whole at least once
        for o in f.objects:
            if o.pixels < 40:
                continue
            mf = (f.objmap == o.index).astype(np.uint8)
            x, y, w, h = o.bbox
            crops.append(crop_input(f.rgb, mf, o.bbox))
            extra.append(box_features(o.bbox, o.pixels / float(w * h), W, H))
            labels.append(M.SHAPE_CLASSES.index(o.shape))
            boxes.append(box_to_crop(o.bbox, crop_window(o.bbox), centre_column(o, K)))
    return (torch.from_numpy(np.stack(crops)), torch.tensor(extra, dtype=torch.float32), torch.tensor(labels),
            torch.tensor(boxes, dtype=torch.float32))


BOX_LOSS_WEIGHT = 4.0


def flip_boxes(b: torch.Tensor) -> torch.Tensor:
    """Box targets (left, top, right, bottom, centre column in crop units) of the mirrored crop."""
    return torch.stack([1 - b[:, 2], b[:, 1], 1 - b[:, 0], b[:, 3], 1 - b[:, 4]], 1)


def centre_column(o, K: Intrinsics) -> float:
    """The image column of a true object's centre (from its bearing; outside the image if it is cut)."""
    return K.cx - K.fx * math.tan(max(-1.5, min(1.5, o.bearing)))


def box_error(pred: torch.Tensor, target: torch.Tensor, columns=slice(0, 4)) -> float:
    """Mean absolute error (crop units) of the box edges, or of other ``columns``, over samples that have a box."""
    ok = ~torch.isnan(target[:, 0])
    return float((pred[ok][:, columns] - target[ok][:, columns]).abs().mean()) if ok.any() else 0.0


def train_shapes(det: Detector, train: List[Frame], val: List[Frame], epochs: int, seed: int, log) -> M.ShapeNet:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    ct, et, lt, bt = shape_samples(det, train)
    cv_, ev, lv, bv = shape_samples(det, val)
    log(f"shape samples: train {len(lt)} {np.bincount(lt.numpy(), minlength=4).tolist()}, val {len(lv)}")
    net = M.ShapeNet()
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * ((len(ct) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    freq = torch.bincount(lt, minlength=len(M.SHAPE_CLASSES)).float() + 1
    lossf = nn.CrossEntropyLoss(weight=(freq.sum() / freq).sqrt())
    stopper = EarlyStopping(patience=5)
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(ct), generator=g)
        for i in tqdm(range(0, len(ct), 64), desc=f"shape epoch {ep + 1}/{epochs}", leave=False):
            idx = perm[i : i + 64]
            xb = ct[idx].clone()
            gain = 0.8 + 0.4 * torch.rand(len(idx), 1, 1, 1, generator=g)
            xb[:, :3] = (xb[:, :3] * gain).clamp(0, 1)
            flip = torch.rand(len(idx), generator=g) < 0.5
            xb[flip] = xb[flip].flip(-1)
            yb = bt[idx].clone()
            yb[flip] = flip_boxes(yb[flip])
            logits, box = net(xb, et[idx])
            has = ~torch.isnan(yb[:, 0])
            loss = lossf(logits, lt[idx])
            if has.any():
                loss = loss + BOX_LOSS_WEIGHT * nn.functional.smooth_l1_loss(box[has], yb[has], beta=0.02)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.inference_mode():
            logits, box = net(cv_, ev)
            acc = (logits.argmax(1) == lv).float().mean().item()
            berr, cerr = box_error(box, bv), box_error(box, bv, slice(4, 5))
        # one score for both heads: a box edge off by 1 % of the crop costs as much as 2 % accuracy
        score = acc - 2.0 * berr - 0.5 * cerr
        log(f"shape epoch {ep + 1}: val accuracy {acc:.4f}, box edge error {berr:.4f}, centre error {cerr:.4f} crop widths")
        if stopper.step(score, lambda: _snapshot(net)):
            log("early stopping")
            break
    net.load_state_dict(stopper.best_state)
    net.eval()
    return net


class _Staged(Detector):
    """A Detector over in-memory networks (during training), with the default prior correction."""

    def __init__(self, seg, shape=None, class_weight=None):
        self.seg, self.shape_net, self.meta = seg, shape, {"seg_class_weight": class_weight}
        self.min_pixels, self.min_confidence, self.last_timing = 6, MIN_CONFIDENCE, {}
        self.weights = "<training>"
        self.set_prior_correction(PRIOR_CORRECTION)


def report(y_true, y_pred, out_dir: str, log) -> dict:
    from sklearn.metrics import classification_report

    text = classification_report(y_true, y_pred, zero_division=0, digits=3)
    log("\n" + text)
    labels = sorted(set(y_true) | set(y_pred), key=lambda s: (s == "none", s))
    png = confusion_png(y_true, y_pred, labels, os.path.join(out_dir, "vision_confusion.png"), "vision: held-out confusion matrix (none = missed / false detection)")
    with open(os.path.join(out_dir, "vision_report.txt"), "w") as f:
        f.write(text)
    return {"classification_report": text, "confusion_png": png}


def _finite(x):
    """``x`` with every NaN or infinite float replaced by None (null in JSON)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def train_vision(out: str, report_dir: str, frames: int = 1600, epochs: int = 16, seed: int = 0, segmenter_from: str = "", close_share: float = 0.0, log=print) -> dict:
    """Train both stages (or, with ``segmenter_from``, only the shape classifier
    over the segmenter of that checkpoint) and write the checkpoint ``out``."""
    t0 = time.time()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(report_dir, exist_ok=True)
    data = render_dataset(frames, seed, close_share=close_share)
    n_val = max(20, len(data) // 5)
    train, val = data[:-n_val], data[-n_val:]  # the last worlds are held out
    log(f"rendered {len(data)} frames in {time.time() - t0:.0f} s: {len(train)} train, {len(val)} held out")
    extra_meta = {}
    if segmenter_from:
        seg, _, old_meta = M.load_checkpoint(segmenter_from)
        class_weight = old_meta.get("seg_class_weight")
        extra_meta["segmenter_from"] = {k: old_meta.get(k) for k in ("frames", "seed", "epochs", "train_seconds")}
        log(f"segmenter from {segmenter_from} (trained on {old_meta.get('frames')} frames, seed {old_meta.get('seed')}); training the shape classifier only")
    else:
        seg, class_weight = train_segmenter(train, val, epochs, seed, log)
    shape = train_shapes(_Staged(seg, class_weight=class_weight), train, val, epochs, seed, log)
    det = _Staged(seg, shape, class_weight)
    robot = load_robot()
    K = Intrinsics(*robot.camera.intrinsics(320, 240), 320, 240)
    res = evaluate(det, val, K, use_depth=False)
    res.pop("latencies_ms")
    rep = report(res.pop("y_true"), res.pop("y_pred"), report_dir, log)
    meta = {"frames": len(data), "seed": seed, "epochs": epochs, "close_share": close_share, "train_seconds": round(time.time() - t0, 1), "held_out": {k: v for k, v in res.items()},
            "seg_class_weight": class_weight, **extra_meta}
    M.save_checkpoint(out, seg, shape, meta)
    summary = {**meta, **rep, "weights": out, "weights_bytes": os.path.getsize(out)}
    with open(os.path.join(report_dir, "vision_report.json"), "w") as f:  # standard JSON: a figure without a value is null
        json.dump(_finite({k: v for k, v in summary.items() if k != "classification_report"}), f, indent=2)
    log(f"held out: recall {res['recall']:.3f} precision {res['precision']:.3f} label accuracy {res['label_accuracy']:.3f}; "
        f"wrote {out} ({os.path.getsize(out) / 1024:.0f} KiB) in {time.time() - t0:.0f} s")
    return summary
