"""Labelled camera frames rendered from random scenarios.

MuJoCo's segmentation rendering labels every pixel with the object it shows,
so boxes, colours, shapes, bearings and distances come for free.  Views
vary: random worlds and lighting, the robot placed 0.3-5 m from a chosen
object and turned towards it (or anywhere), so objects are seen near and far,
cut by the image edge and behind each other.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np
from tqdm import tqdm

from autogpt_ros.perception.model import COLOR_CLASSES
from autogpt_ros.sim.core import Simulator, wrap
from autogpt_ros.sim.world import generate


@dataclass
class GTObject:
    index: int
    color: str
    shape: str
    bbox: Tuple[int, int, int, int]
    pixels: int
    bearing: float  # camera to object centre, positive left
    distance: float  # ground range from the camera to the object's surface along the centre bearing


@dataclass
class Frame:
    rgb: np.ndarray
    depth: np.ndarray
    objmap: np.ndarray  # object index per pixel, -1 background
    objects: List[GTObject]
    seed: int


def color_labels(frame: Frame) -> np.ndarray:
    lut = np.zeros(len(frame.objects) and max(o.index for o in frame.objects) + 2 or 1, np.uint8)
    for o in frame.objects:
        lut[o.index + 1] = COLOR_CLASSES.index(o.color)
    idx = frame.objmap + 1
    idx[idx >= len(lut)] = 0
    return lut[idx]


def render_frame(sim: Simulator, rng: np.random.Generator, width: int, height: int, with_depth: bool = True, close_share: float = 0.0) -> Optional[Frame]:
    """One labelled view.  ``close_share`` of the views aimed at an object are taken
    0.1-0.8 m from it and turned up to 0.9 rad away, so it is often cut by the image
    edge (what the robot sees in the last metre of an approach)."""
    sc = sim.scenario
    w, l = sc.arena
    for _ in range(30):
        if rng.random() < 0.8 and sc.objects:
            o = sc.objects[int(rng.integers(len(sc.objects)))]
            close = bool(close_share) and rng.random() < close_share  # no draw at 0: the benchmark's frames stay the same
            d = float(rng.uniform(0.1, 0.8)) + o.radius if close else float(rng.uniform(0.35, 5.0)) + o.radius + 0.2
            ang = float(rng.uniform(-math.pi, math.pi))
            x, y = o.x + d * math.cos(ang), o.y + d * math.sin(ang)
            yaw = wrap(ang + math.pi + (float(rng.uniform(-0.9, 0.9)) if close else float(rng.normal(0, 0.35))))
        else:
            x, y, yaw = float(rng.uniform(-w / 2, w / 2)), float(rng.uniform(-l / 2, l / 2)), float(rng.uniform(-math.pi, math.pi))
        if abs(x) > w / 2 - 0.25 or abs(y) > l / 2 - 0.25:
            continue
        if sim.place_robot(x, y, yaw):
            break
    else:
        return None
    sim.set_lighting(float(rng.uniform(0.55, 1.35)), float(rng.uniform(0.15, 0.5)))
    rgb = sim.render_rgb(width, height).copy()
    seg = sim.render_segmentation(width, height)
    depth = sim.render_depth(width, height) if with_depth else None
    objects = []
    for i in np.unique(seg):
        if i < 0:
            continue
        ys, xs = np.nonzero(seg == i)
        o = sc.objects[int(i)]
        bearing, dist = sim.relative(o)
        objects.append(GTObject(int(i), o.color, o.shape, (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)), int(xs.size), bearing, sim.surface_range(int(i))))
    return Frame(rgb, depth, seg.astype(np.int16), objects, sc.seed or 0)


def render_dataset(n_frames: int, seed: int, width: int = 320, height: int = 240, frames_per_world: int = 6, with_depth: bool = False, progress: bool = True,
                   close_share: float = 0.0) -> List[Frame]:
    rng = np.random.default_rng(seed)
    frames: List[Frame] = []
    bar = tqdm(total=n_frames, desc=f"rendering {width}x{height}", disable=not progress, unit="frame")
    world_seed = seed * 100_003
    while len(frames) < n_frames:
        sim = Simulator(generate(world_seed), dynamics="kinematic")
        world_seed += 1
        try:
            for _ in range(frames_per_world):
                f = render_frame(sim, rng, width, height, with_depth, close_share)
                if f is not None:
                    frames.append(f)
                    bar.update(1)
                if len(frames) >= n_frames:
                    break
        finally:
            sim.close()
    bar.close()
    return frames
