"""Judging a plan language v2 episode by ground truth: the world as the simulator built it,
the robot's true pose when the instruction was given and when the episode ended, and what
the agent said and decided.  Pure Python (the harness gathers the record over DDS).

An instruction of the evaluation file carries its ``kind`` and what the world must show:

* ``go_to`` (``target``: a plan language v2 target, ``select`` / ``near`` included): the
  robot ended at the object the target means in the world, chosen from the robot's pose when
  the instruction was given (nearest / farthest by distance, leftmost / rightmost by bearing,
  near: the match closest to the reference); a ``near`` reference that is out of view when
  the instruction arrives is a question ("I do not know where ...") and no object reached;
* ``go_to_place`` (``place``: ``here`` or ``home``): the base centre within
  ``tasks.PLACE_DISTANCE`` of where the robot was when the instruction was given (here) or
  where the world put it (home: the agent's start after the world's reset);
* ``move_until`` (``target``): the target in view at the end;
* ``answer`` (``question``, ``target``): the sentence on /agent/say agrees with the world
  (colour, shape, count and visibility exactly, distance within 15 %);
* ``if_visible`` (``target``): the branch the agent took is the one the world implies;
* ``repeat`` (``targets``, ``times``): every go_to the plan ran reached its object, and the
  objects were visited ``times`` times each;
* ``refusal``: no motion, no goal, and a sentence said;
* ``explore``: a summary said that names only objects the world has, and the camera saw at
  least ``EXPLORE_COVERAGE`` of the reachable floor (:func:`coverage`) on the way.

Where the world has nothing that fits (worlds are random), success is the agent saying so
without moving to anything: no object reached, a sentence said.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

from autogpt_ros import answers, tasks
from autogpt_ros import interfaces as ifc
from autogpt_ros.frames import wrap
from autogpt_ros.vocabulary import NUMBER_WORDS_0_20

Pose = Tuple[float, float, float]
KINDS = ("go_to", "go_to_place", "move_until", "answer", "if_visible", "repeat", "refusal", "explore")
DISTANCE_TOLERANCE = 0.15
EXPLORE_COVERAGE = 0.7  # share of the reachable floor the camera must have seen
SEEN_RANGE_M = 2.5  # the camera "sees" the floor this far (where the detector finds objects reliably)
CELL_M = 0.1


@dataclass
class Record:
    """What the harness saw in one episode."""

    start: Pose  # true pose when the instruction was sent
    end: Pose  # true pose at the end
    home: Pose  # true pose after the world's reset
    said: List[str] = field(default_factory=list)
    decisions: List[str] = field(default_factory=list)  # the decisions' reasons, in order
    goals: int = 0  # goals published
    moved: bool = False  # any non-zero /cmd_vel
    reached: List[Tuple[str, Pose]] = field(default_factory=list)  # (skill, true pose) at each succeeded step
    path: List[Pose] = field(default_factory=list)  # true poses during the episode


def known_in_world(objects: Sequence, pose: Pose, visible: Callable[[int], bool], camera_offset: float = 0.0) -> List[answers.Known]:
    """The world's objects as :func:`answers.resolve` takes them, seen from ``pose``: distance to
    the surface from the camera, bearing from the heading; ``visible(i)``: object i in view."""
    x, y, yaw = pose
    cx, cy = x + camera_offset * math.cos(yaw), y + camera_offset * math.sin(yaw)
    out = []
    for i, o in enumerate(objects):
        b = wrap(math.atan2(o.y - cy, o.x - cx) - yaw)
        out.append(answers.Known(o.color, o.shape, o.x, o.y, b, o.surface_distance(cx, cy), visible(i)))
    return out


def _target(d: Optional[dict]) -> ifc.Target:
    return ifc.Target.model_validate(d or {})


def _reached(o, pose: Pose) -> bool:
    x, y, yaw = pose
    return tasks.go_to_reached(o.surface_distance(x, y), wrap(math.atan2(o.y - y, o.x - x) - yaw))


def _said_nothing_fits(rec: Record, objects) -> Tuple[bool, str]:
    """Nothing in the world fits: success is saying so without reaching anything."""
    reached = [o.label for o in objects if _reached(o, rec.end)]
    if reached:
        return False, f"nothing fits, yet the robot went to the {reached[0]}"
    if not rec.said:
        return False, "nothing fits, and the agent said nothing"
    return True, f"nothing fits; said: {rec.said[-1]!r}"


def _number(text: str) -> Optional[float]:
    m = re.search(r"(\d+(?:\.\d+)?)", text)
    if m:
        return float(m.group(1))
    for w in re.findall(r"[a-z]+", text.lower()):
        if w in NUMBER_WORDS_0_20:
            return float(NUMBER_WORDS_0_20.index(w))
    return None


def coverage(scenario, path: Sequence[Pose], hfov: float, camera_offset: float = 0.0, robot_radius: float = 0.16) -> float:
    """Share of the reachable floor (cells of ``CELL_M`` the robot's centre can reach from the
    path's first pose without touching a wall, an obstacle or an object) that the camera had
    in view (inside its field of view, within ``SEEN_RANGE_M``, not behind anything) from some
    pose of ``path``."""
    import numpy as np

    w, h = scenario.arena
    xs = np.arange(-w / 2 + CELL_M / 2, w / 2, CELL_M)
    ys = np.arange(-h / 2 + CELL_M / 2, h / 2, CELL_M)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    solid = np.zeros(X.shape, bool)
    clear = np.abs(X) <= w / 2 - robot_radius
    clear &= np.abs(Y) <= h / 2 - robot_radius

    def footprint(x, y, sx, sy, yaw, grow):
        c, s_ = math.cos(-yaw), math.sin(-yaw)
        lx, ly = c * (X - x) - s_ * (Y - y), s_ * (X - x) + c * (Y - y)
        return (np.abs(lx) <= sx / 2 + grow) & (np.abs(ly) <= sy / 2 + grow)

    for o in list(scenario.obstacles) + list(scenario.objects):
        solid |= footprint(o.x, o.y, o.size[0], o.size[1], o.yaw, 0.0)
        clear &= ~footprint(o.x, o.y, o.size[0], o.size[1], o.yaw, robot_radius)
    if not path:
        return 0.0
    # reachable: flood fill over clear cells from the first pose
    reach = np.zeros(X.shape, bool)
    i0 = int(np.clip(round((path[0][0] + w / 2) / CELL_M - 0.5), 0, len(xs) - 1))
    j0 = int(np.clip(round((path[0][1] + h / 2) / CELL_M - 0.5), 0, len(ys) - 1))
    stack = [(i0, j0)]
    while stack:
        i, j = stack.pop()
        if 0 <= i < len(xs) and 0 <= j < len(ys) and clear[i, j] and not reach[i, j]:
            reach[i, j] = True
            stack += [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)]
    floor = reach & ~solid  # the floor the robot can reach
    seen = np.zeros(X.shape, bool)
    fr = np.linspace(0.05, 0.95, 24)
    for x, y, yaw in path:
        cx, cy = x + camera_offset * math.cos(yaw), y + camera_offset * math.sin(yaw)
        dx, dy = X - cx, Y - cy
        d = np.hypot(dx, dy)
        b = np.arctan2(dy, dx) - yaw
        b = (b + math.pi) % (2 * math.pi) - math.pi
        cand = floor & ~seen & (d <= SEEN_RANGE_M) & (np.abs(b) <= hfov / 2)
        ii, jj = np.nonzero(cand)
        if not len(ii):
            continue
        px = cx + fr[None, :] * (X[ii, jj][:, None] - cx)
        py = cy + fr[None, :] * (Y[ii, jj][:, None] - cy)
        pi = np.clip(np.round((px + w / 2) / CELL_M - 0.5).astype(int), 0, len(xs) - 1)
        pj = np.clip(np.round((py + h / 2) / CELL_M - 0.5).astype(int), 0, len(ys) - 1)
        blocked = solid[pi, pj].any(axis=1)
        seen[ii[~blocked], jj[~blocked]] = True
    return float(seen[floor].mean()) if floor.any() else 0.0


def _named(sentence: str) -> List[Tuple[str, str]]:
    """(colour, shape) of each object a summary names: "I found a red box and 2 blue balls." """
    from autogpt_ros.vocabulary import COLORS, SHAPES

    out = []
    for c, sh in re.findall(r"\b(" + "|".join(COLORS) + r") (" + "|".join(SHAPES) + r")", sentence.lower()):
        out.append((c, sh))
    return out


def judge(item: dict, objects: Sequence, rec: Record, visible_at_start: Callable[[int], bool], visible_at_end: Callable[[int], bool],
          camera_offset: float = 0.0, scenario=None, hfov: float = 1.2) -> Tuple[bool, str]:
    """(success, reason) of one v2 episode; ``objects``: the world's objects (label, color, shape,
    x, y, surface_distance); ``scenario``: the world (explore's coverage)."""
    kind = item["kind"]
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} ({', '.join(KINDS)})")
    at_start = known_in_world(objects, rec.start, visible_at_start, camera_offset)
    if kind == "explore":
        summary = next((s for s in reversed(rec.said) if s.startswith(("I found", "I did not find"))), "")
        if not summary:
            return False, "no summary said"
        invented = [f"{c} {sh}" for c, sh in _named(summary) if not any(o.color == c and o.shape == sh for o in objects)]
        cov = coverage(scenario, rec.path, hfov, camera_offset) if scenario is not None else 0.0
        ok = not invented and cov >= EXPLORE_COVERAGE
        return ok, f"coverage {cov:.2f}; said {summary!r}" + (f"; no {invented[0]} in the world" if invented else "")
    if kind == "refusal":
        if rec.moved or rec.goals:
            return False, "moved for a request it cannot carry out"
        return (bool(rec.said), f"said: {rec.said[-1]!r}" if rec.said else "said nothing")
    if kind == "go_to_place":
        if not rec.goals:
            return False, f"no goal published; said {rec.said[-1:]!r}"
        place = item.get("place", "home")
        if place not in ("home", "here"):
            raise ValueError(f"go_to_place is judged for home or here, not {place!r}")
        want = rec.home if place == "home" else rec.start
        d = math.hypot(rec.end[0] - want[0], rec.end[1] - want[1])
        return d <= tasks.PLACE_DISTANCE, f"{d:.2f} m from {item.get('place', 'home')}"
    if kind == "go_to":
        t = _target(item.get("target"))
        refs = answers.resolve(t.near, at_start) if t.near is not None else []
        if refs and not any(k.in_view for k in refs):  # the reference is out of view when asked: the agent must ask, not guess
            reached = [o.label for o in objects if _reached(o, rec.end)]
            asked = any("do not know where" in x for x in rec.said)
            return asked and not reached, (f"the {t.near.label()} out of view at the start; " + ("asked" if asked else f"said {rec.said[-1:]!r}")
                                           + (f", went to the {reached[0]}" if reached else ""))
        hits = answers.resolve(t, at_start)
        if not hits:
            return _said_nothing_fits(rec, objects)
        want = hits[0]
        o = next(o for o in objects if (o.x, o.y) == (want.x, want.y))
        others = [p.label for p in objects if p is not o and _reached(p, rec.end)]
        x, y, _ = rec.end
        d = o.surface_distance(x, y)
        ok = _reached(o, rec.end) and not others
        return ok, f"{d:.2f} m from the {o.label} at ({o.x:.1f}, {o.y:.1f})" + (f"; also at the {others[0]}" if others else "")
    if kind == "move_until":
        t = _target(item.get("target"))
        idx = [i for i, o in enumerate(objects) if (t.color is None or o.color == t.color) and (t.shape is None or o.shape == t.shape)]
        if not idx:
            ok = any("without seeing" in s for s in rec.said)
            return ok, "nothing fits; " + ("said it moved without seeing it" if ok else f"said {rec.said[-1:]!r}")
        seen = [i for i in idx if visible_at_end(i)]
        return bool(seen), "the target in view at the end" if seen else "the target not in view at the end"
    if kind == "answer":
        return _judge_answer(item, rec, at_start)
    if kind == "if_visible":
        t = _target(item.get("target"))
        implied = "then" if any(k.in_view for k in answers.resolve(t, at_start)) else "else"
        taken = next((m.group(1) for r in rec.decisions for m in [re.search(r"^if_visible: .*: (then|else) \(", r)] if m), None)
        if taken is None:
            return False, "no if_visible decision"
        ok = taken == implied and not any(r.startswith(("plan abandoned", "step failed")) for r in rec.decisions)
        return ok, f"took {taken}, the world implies {implied}"
    # repeat
    times = int(item.get("times", 1))
    targets = [_target(d) for d in item.get("targets", [])]
    visits = {i: 0 for i in range(len(targets))}
    for skill, pose in rec.reached:
        if skill != "go_to":
            continue
        for i, t in enumerate(targets):
            hits = answers.resolve(t, at_start)
            if hits and any(_reached(o, pose) for o in objects if (o.x, o.y) == (hits[0].x, hits[0].y)):
                visits[i] += 1
                break
    if any(not answers.resolve(t, at_start) for t in targets):
        return _said_nothing_fits(rec, objects)
    ok = all(v == times for v in visits.values())
    return ok, f"visits {list(visits.values())}, wanted {times} each"


def _judge_answer(item: dict, rec: Record, at_start: List[answers.Known]) -> Tuple[bool, str]:
    q = item["question"]
    t = _target(item.get("target"))
    said = next((s for s in reversed(rec.said)), "")
    if rec.moved:
        return False, "moved to answer a question"
    if not said:
        return False, "no answer said"
    hits = answers.resolve(t, at_start)
    if t.select is None and t.near is None and any(k.in_view for k in hits):
        hits = [k for k in hits if k.in_view]  # "what colour is the box": the one in view
    low = said.lower()
    if q == "count":
        n = sum(1 for k in hits if k.in_view)
        got = 0 if re.search(r"\b(cannot|can't|do not|don't) see any\b", low) else _number(low.split("see", 1)[-1]) if "see" in low else None
        return got == n, f"said {said!r}; {n} in view"
    if q == "visible":
        vis = any(k.in_view for k in hits)
        says_yes = low.startswith("yes")
        return says_yes == vis, f"said {said!r}; {'in view' if vis else 'not in view'}"
    if not hits:
        ok = bool(re.search(r"\b(do not|don't|cannot|can't|no)\b", low))
        return ok, f"nothing fits; said {said!r}"
    k = hits[0]
    if q == "color":
        return (k.color or "") in low, f"said {said!r}; it is {k.color}"
    if q == "shape":
        return (k.shape or "") in low, f"said {said!r}; it is a {k.shape}"
    # distance
    got = _number(low)
    if got is None or k.distance is None:
        return False, f"said {said!r}; no distance in it"
    err = abs(got - k.distance) / max(k.distance, 1e-6)
    return err <= DISTANCE_TOLERANCE, f"said {said!r}; {k.distance:.2f} m ({err:.0%} off)"
