"""Scenarios: the YAML world format and a seeded random generator.

A scenario file (``worlds/*.yaml``)::

    name: red_box_ahead
    arena: {size: [6.0, 6.0], wall_height: 0.5}
    obstacles:                       # grey boxes the robot must avoid
      - {x: 1.0, y: 1.2, size: [0.2, 1.0, 0.4], yaw: 0.0}
    objects:
      - {color: red, shape: box, x: 1.5, y: 0.0}            # default size
      - {color: blue, shape: ball, x: 2.0, y: -1.0, size: 0.3}
      - {color: green, shape: cylinder, x: -1.0, y: 1.5, size: [0.2, 0.2, 0.35]}
    robot: {x: 0.0, y: 0.0, yaw: 0.0}

Object ``size`` is either one number (box edge, ball diameter, cylinder
diameter) or the full [x, y, z] extent.  Colours and shapes come from
:mod:`autogpt_ros.vocabulary`.  Pure Python (no MuJoCo, no rclpy).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np
import yaml

from autogpt_ros.vocabulary import COLORS, DEFAULT_SIZE, SHAPES

#: Default extents (x, y, z) in metres of each shape.


class ScenarioError(ValueError):
    """A scenario file or dict that is not valid; the message says what."""


@dataclass
class Obj:
    color: str
    shape: str
    x: float
    y: float
    size: Tuple[float, float, float]
    yaw: float = 0.0
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.color} {self.shape}"

    @property
    def radius(self) -> float:
        """Half-width in the plane: distance from centre to surface (boxes: inscribed)."""
        return 0.5 * min(self.size[0], self.size[1])

    def surface_distance(self, px: float, py: float) -> float:
        """Distance from a point in the plane to the object's outline."""
        if self.shape != "box":
            return max(0.0, math.hypot(px - self.x, py - self.y) - self.radius)
        c, s = math.cos(-self.yaw), math.sin(-self.yaw)
        dx, dy = px - self.x, py - self.y
        lx, ly = c * dx - s * dy, s * dx + c * dy
        qx, qy = abs(lx) - self.size[0] / 2, abs(ly) - self.size[1] / 2
        return math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0)


@dataclass
class Obstacle:
    x: float
    y: float
    size: Tuple[float, float, float]
    yaw: float = 0.0


@dataclass
class Scenario:
    name: str = "scenario"
    arena: Tuple[float, float] = (6.0, 6.0)
    wall_height: float = 0.5
    objects: List[Obj] = field(default_factory=list)
    obstacles: List[Obstacle] = field(default_factory=list)
    robot: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    seed: Optional[int] = None

    def find(self, color: Optional[str] = None, shape: Optional[str] = None) -> List[Obj]:
        return [o for o in self.objects if (color is None or o.color == color) and (shape is None or o.shape == shape)]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "seed": self.seed,
            "arena": {"size": list(self.arena), "wall_height": self.wall_height},
            "obstacles": [{"x": o.x, "y": o.y, "size": list(o.size), "yaw": o.yaw} for o in self.obstacles],
            "objects": [{"color": o.color, "shape": o.shape, "x": o.x, "y": o.y, "size": list(o.size), "yaw": o.yaw} for o in self.objects],
            "robot": {"x": self.robot[0], "y": self.robot[1], "yaw": self.robot[2]},
        }

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            yaml.safe_dump(self.to_dict(), f, sort_keys=False)


def _num(d: dict, key: str, where: str, default=None) -> float:
    v = d.get(key, default)
    if v is None:
        raise ScenarioError(f"{where}: missing {key!r}")
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise ScenarioError(f"{where}: {key!r} must be a number, got {v!r}") from None
    if not math.isfinite(v):
        raise ScenarioError(f"{where}: {key!r} must be finite")
    return v


def _size(v, shape: str, where: str) -> Tuple[float, float, float]:
    if v is None:
        return DEFAULT_SIZE[shape]
    if isinstance(v, (int, float)):
        s = float(v)
        out = (s, s, s) if shape != "cylinder" else (s, s, s * DEFAULT_SIZE["cylinder"][2] / DEFAULT_SIZE["cylinder"][0])
    elif isinstance(v, (list, tuple)) and len(v) == 3:
        out = tuple(float(x) for x in v)
    else:
        raise ScenarioError(f"{where}: size must be a number or [x, y, z], got {v!r}")
    if not all(0.02 <= s <= 5.0 for s in out):
        raise ScenarioError(f"{where}: size {out} out of range (0.02..5 m)")
    if shape in ("ball",) and len(set(out)) != 1:
        raise ScenarioError(f"{where}: a ball has one diameter, got {out}")
    return out  # type: ignore[return-value]


def from_dict(d: dict, name: str = "scenario") -> Scenario:
    if not isinstance(d, dict):
        raise ScenarioError(f"{name}: a scenario is a mapping, got {type(d).__name__}")
    arena = d.get("arena", {}) or {}
    size = arena.get("size", [6.0, 6.0])
    if not (isinstance(size, (list, tuple)) and len(size) == 2):
        raise ScenarioError(f"{name}: arena.size must be [width, length]")
    sc = Scenario(name=str(d.get("name", name)), arena=(float(size[0]), float(size[1])), wall_height=float(arena.get("wall_height", 0.5)))
    sc.seed = d.get("seed")
    for i, o in enumerate(d.get("objects", []) or []):
        where = f"{name}: objects[{i}]"
        if o.get("color") not in COLORS:
            raise ScenarioError(f"{where}: color {o.get('color')!r} is not one of {list(COLORS)}")
        if o.get("shape") not in SHAPES:
            raise ScenarioError(f"{where}: shape {o.get('shape')!r} is not one of {list(SHAPES)}")
        sc.objects.append(Obj(o["color"], o["shape"], _num(o, "x", where), _num(o, "y", where), _size(o.get("size"), o["shape"], where), _num(o, "yaw", where, 0.0)))
    for i, o in enumerate(d.get("obstacles", []) or []):
        where = f"{name}: obstacles[{i}]"
        sc.obstacles.append(Obstacle(_num(o, "x", where), _num(o, "y", where), _size(o.get("size", [0.2, 1.0, 0.4]), "box", where), _num(o, "yaw", where, 0.0)))
    r = d.get("robot", {}) or {}
    sc.robot = (_num(r, "x", name, 0.0), _num(r, "y", name, 0.0), _num(r, "yaw", name, 0.0))
    hw, hl = sc.arena[0] / 2, sc.arena[1] / 2
    for o in sc.objects:
        if abs(o.x) > hw or abs(o.y) > hl:
            raise ScenarioError(f"{name}: {o.label} at ({o.x}, {o.y}) is outside the {sc.arena[0]}x{sc.arena[1]} m arena")
    if abs(sc.robot[0]) > hw or abs(sc.robot[1]) > hl:
        raise ScenarioError(f"{name}: robot start is outside the arena")
    _name_objects(sc)
    return sc


def _name_objects(sc: Scenario) -> None:
    for i, o in enumerate(sc.objects):
        o.name = f"obj{i}_{o.color}_{o.shape}"


def load_scenario(path: str) -> Scenario:
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except OSError as e:
        raise ScenarioError(f"cannot read scenario {path}: {e}") from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"{path}: not valid YAML: {e}") from None
    return from_dict(data, os.path.splitext(os.path.basename(path))[0])


def worlds_dir() -> str:
    from autogpt_ros.robot import package_share

    return os.path.join(package_share(), "worlds")


def resolve_scenario(spec: str) -> Scenario:
    """A scenario by path or by name in ``worlds/``."""
    if os.path.isfile(spec):
        return load_scenario(spec)
    p = os.path.join(worlds_dir(), spec if spec.endswith(".yaml") else spec + ".yaml")
    if os.path.isfile(p):
        return load_scenario(p)
    names = sorted(f[:-5] for f in os.listdir(worlds_dir()) if f.endswith(".yaml")) if os.path.isdir(worlds_dir()) else []
    raise ScenarioError(f"no scenario {spec!r} (a path, or one of: {', '.join(names)})")


def generate(seed: int, n_objects: Optional[Tuple[int, int]] = (3, 8), arena: Optional[Tuple[float, float]] = None, obstacles: Tuple[int, int] = (0, 3)) -> Scenario:
    """A random layout, the same for the same seed.

    3-8 objects with distinct (colour, shape) pairs, 0-3 obstacle walls, the
    robot somewhere free facing anywhere: so a task's target is often out of
    view at the start, sometimes behind an obstacle.
    """
    rng = np.random.default_rng(seed)
    if arena is None:
        side = float(rng.uniform(5.0, 7.0))
        arena = (side, side)
    hw, hl = arena[0] / 2 - 0.35, arena[1] / 2 - 0.35
    sc = Scenario(name=f"random_{seed}", arena=arena, seed=int(seed))
    placed: List[Tuple[float, float, float]] = []  # x, y, radius

    def free(x, y, r, margin=0.25):
        return all(math.hypot(x - px, y - py) > r + pr + margin for px, py, pr in placed)

    rx, ry = float(rng.uniform(-hw + 0.3, hw - 0.3)), float(rng.uniform(-hl + 0.3, hl - 0.3))
    sc.robot = (rx, ry, float(rng.uniform(-math.pi, math.pi)))
    placed.append((rx, ry, 0.45))
    for _ in range(int(rng.integers(obstacles[0], obstacles[1] + 1))):
        for _try in range(50):
            length = float(rng.uniform(0.6, 1.4))
            x, y = float(rng.uniform(-hw + 0.5, hw - 0.5)), float(rng.uniform(-hl + 0.5, hl - 0.5))
            if free(x, y, length / 2, margin=0.5):
                yaw = float(rng.choice([0.0, math.pi / 2]) + rng.uniform(-0.3, 0.3))
                sc.obstacles.append(Obstacle(x, y, (0.15, length, 0.4), yaw))
                placed.append((x, y, length / 2))
                break
    combos = [(c, s) for c in COLORS for s in SHAPES]
    order = rng.permutation(len(combos))
    n = int(rng.integers(n_objects[0], n_objects[1] + 1))
    for k in order:
        if len(sc.objects) >= n:
            break
        color, shape = combos[int(k)]
        size = DEFAULT_SIZE[shape]
        for _try in range(60):
            x, y = float(rng.uniform(-hw, hw)), float(rng.uniform(-hl, hl))
            if free(x, y, 0.5 * math.hypot(size[0], size[1]), margin=0.35):
                sc.objects.append(Obj(color, shape, x, y, size, float(rng.uniform(-math.pi, math.pi)) if shape == "box" else 0.0))
                placed.append((x, y, 0.5 * math.hypot(size[0], size[1])))
                break
    _name_objects(sc)
    return sc
