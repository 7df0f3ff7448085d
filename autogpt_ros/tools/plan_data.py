"""Training data for the generative planner: instructions and their plan language v2 plans.

Every construct of plan language v2 is generated from templates: targets with a
selection ("the nearest ball") and a relation ("the box next to the green
cylinder"), slow approaches, moves that end when a target comes into view, places
(remember, go back home, come back here), exploration, questions about what the robot
sees, repetition and conditions, sequences mixing them with the six skills of version
1 (whose sentences come from :mod:`autogpt_ros.tools.language_data`), refusals with
their reason (no arm, no people tracking, no switches, flat floor only, this room
only, no speaker, no charging, no chores, its own speed, no other sensors), chit-chat
and injection attempts (nothing to do).  No sentence of a hand-written test set is
ever emitted (:func:`held_out_texts`; a test checks it).  Pure Python.
"""
from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from typing import List, Optional, Tuple

from autogpt_ros import interfaces as ifc
from autogpt_ros import vocabulary as V
from autogpt_ros.language import dsl
from autogpt_ros.language.scope import refusal as scope_refusal
from autogpt_ros.tools import language_data as LD

MAX_MOVE_M = 3.0


@dataclass
class PlanSample:
    text: str
    plan: dict  # plan language v2, JSON-ready
    kind: str

    def words(self) -> List[str]:
        return dsl.plan_words(ifc.Plan.model_validate(self.plan), MAX_MOVE_M)


# -- objects and targets

PLURAL = {"box": "boxes", "cube": "cubes", "block": "blocks", "crate": "crates", "ball": "balls", "sphere": "spheres",
          "cylinder": "cylinders", "can": "cans", "barrel": "barrels", "pillar": "pillars"}
SELECT_PHRASES = {
    "nearest": (("the nearest", ""), ("the closest", ""), ("the", " closest to you"), ("the", " nearest to you"), ("the", " that is closest"), ("whichever", " is closest")),
    "farthest": (("the farthest", ""), ("the furthest", ""), ("the", " farthest from you"), ("the", " furthest away"), ("the most distant", ""), ("the", " that is farthest away")),
    "leftmost": (("the leftmost", ""), ("the", " on the far left"), ("the", " furthest to the left"), ("the", " on the left"), ("the left", "")),
    "rightmost": (("the rightmost", ""), ("the", " on the far right"), ("the", " furthest to the right"), ("the", " on the right"), ("the right", "")),
}
NEAR_WORDS = ("next to", "near", "beside", "by", "close to", "that is next to", "that's beside", "right next to", "nearest to", "which is near", "sitting next to", "alongside")


def _shape_word(rng, shape, plural=False):
    w = rng.choice(list(V.SHAPE_SYNONYMS[shape][:1]) * 3 + list(V.SHAPE_SYNONYMS[shape]))
    return PLURAL[w] if plural else w


def _core(rng, color, shape, plural=False) -> str:
    words = []
    if color:
        words.append(color)
    if shape:
        words.append(_shape_word(rng, shape, plural))
    else:
        words.append(rng.choice(["things", "objects"]) if plural else rng.choice(["one", "thing", "object"] if color else ["thing", "object"]))
    return " ".join(words)


def _pick_cs(rng, need_shape=False) -> Tuple[Optional[str], Optional[str]]:
    r = rng.random()
    color = rng.choice(V.COLORS) if r < 0.8 else None
    shape = rng.choice(V.SHAPES) if (color is None or need_shape or rng.random() < 0.8) else None
    return color, shape


def target(rng, select_p=0.25, near_p=0.2, depth=0) -> Tuple[dict, str]:
    """(Target data, the words that name it, with a determiner)."""
    color, shape = _pick_cs(rng)
    t = {"color": color, "shape": shape}
    core = _core(rng, color, shape)
    if rng.random() < select_p:
        sel = rng.choice(ifc.SELECT)
        t["select"] = sel
        pre, post = rng.choice(SELECT_PHRASES[sel])
        phrase = f"{pre} {core}{post}"
    else:
        phrase = f"{rng.choice(['the', 'the', 'the', 'a', 'that'])} {core}"
    if depth < 1 and rng.random() < near_p:
        nt, nphrase = target(rng, 0.0, 0.0, depth + 1)
        t["near"] = nt
        phrase = f"{phrase} {rng.choice(NEAR_WORDS)} {nphrase}"
    return t, phrase


def simple_target(rng) -> Tuple[dict, str]:
    return target(rng, 0.0, 0.0)


# -- numbers

def _num(rng, value, typed):
    if typed and rng.random() < 0.55:
        return f"{value:g}"
    if value == int(value) and 200 <= value < 1000:
        h, rest = divmod(int(value), 100)
        head = LD.NUMBER_WORDS_0_20[h] + " hundred"
        return head if rest == 0 else head + rng.choice([" and ", " "]) + LD._number(rng, rest, False)
    return LD._number(rng, value, False)


def _distance(rng, typed) -> Tuple[float, str]:
    v = rng.choice([0.2, 0.25, 0.3, 0.5, 0.5, 1.0, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0])
    unit = rng.choice(["meter", "meters", "metres", "m"] if typed else ["meter", "meters", "metres"])
    if v == 1.0 and rng.random() < 0.3:
        return v, rng.choice(["one meter", "a meter", "a metre"])
    if v < 1.0 and rng.random() < 0.4:
        cm = int(round(v * 100))
        return v, f"{cm if typed else _num(rng, cm, False)} {rng.choice(['centimeters', 'cm'] if typed else ['centimeters', 'centimetres'])}"
    unit = "meter" if (v == 1.0 and unit == "meters") else unit
    return v, f"{_num(rng, v, typed)} {unit}"


def _angle(rng, typed) -> Tuple[float, str]:
    v = rng.choice([15, 30, 45, 45, 60, 90, 90, 90, 120, 135, 180, 270])
    return float(v), f"{_num(rng, v, typed)} {rng.choice(['degrees', 'degrees', 'deg'] if typed else ['degrees'])}"


def _duration(rng, typed) -> Tuple[float, str]:
    r = rng.random()
    if r < 0.4:
        v = rng.choice([10, 15, 20, 30, 40, 45, 60, 90])
        return float(v), f"{_num(rng, v, typed)} {rng.choice(['seconds', 'secs', 's'] if typed else ['seconds'])}"
    if r < 0.75:
        v = rng.choice([1, 2, 3, 5])
        return float(v * 60), (rng.choice(["a minute", "one minute"]) if v == 1 else f"{_num(rng, v, typed)} minutes")
    return rng.choice([(30.0, "half a minute"), (120.0, "a couple of minutes"), (60.0, "a minute or so"), (90.0, "a minute and a half")])


# -- steps of plan language v2 (phrase, step data)

GO_VERBS = tuple(v for v in V.GO_TO_VERBS if v not in ("come to",)) + ("make your way to", "head over to", "drive up to", "get close to", "go up to")
#: "park next to X" is a go_to X, not a relation between two objects
GO_BESIDE = ("park next to", "pull up beside", "park yourself next to", "stop next to", "get next to", "park beside", "pull up next to", "wait beside",
             "position yourself next to", "come to a stop beside", "go stand next to", "settle next to")
FIND_VERBS = tuple(v for v in V.FIND_VERBS if v not in ("can you see", "where is")) + ("search around for", "look around for", "track down", "hunt for")
SLOW_PRE = ("slowly", "carefully", "gently", "very slowly", "cautiously")
SLOW_POST = ("slowly", "carefully", "at a slow pace", "at low speed", "nice and slow", "very slowly", "cautiously", "at a crawl", "without rushing")


def go_step(rng, typed, slow_p=0.25, tgt=None):
    t, phrase = tgt or target(rng)
    st = {"skill": "go_to", "target": t}
    verb = rng.choice(GO_BESIDE if ("near" not in t and rng.random() < 0.15) else GO_VERBS)
    if rng.random() < slow_p:
        st["speed"] = "slow"
        r = rng.random()
        if r < 0.4:
            return f"{rng.choice(SLOW_PRE)} {verb} {phrase}", st
        if r < 0.8:
            return f"{verb} {phrase} {rng.choice(SLOW_POST)}", st
        return f"{rng.choice(['slowly approach', 'carefully approach', 'slowly drive up to', 'take it slow and go to', 'ease over to'])} {phrase}", st
    return f"{verb} {phrase}", st


def find_step(rng, typed, tgt=None):
    t, phrase = tgt or target(rng)
    return f"{rng.choice(FIND_VERBS)} {phrase}", {"skill": "find", "target": t}


def move_until_step(rng, typed):
    t, phrase = target(rng, 0.1, 0.1)
    back = rng.random() < 0.25
    st = {"skill": "move", "direction": "backward" if back else "forward", "until": t, "distance_m": MAX_MOVE_M}
    fwd = rng.choice(["drive forward", "move forward", "go straight", "keep going forward", "go ahead", "roll forward", "drive ahead", "keep driving", "move ahead", "head straight"])
    bwd = rng.choice(["back up", "reverse", "move backward", "drive backwards", "go back", "keep reversing"])
    verb = bwd if back else fwd
    cond = rng.choice(["until you see", "until you spot", "until you can see", "until", "till you see", "until you notice"])
    tail = " is in view" if cond == "until" else rng.choice(["", "", " in front of you"]) if not back else ""
    if cond == "until" and tail == "":
        tail = " is in view"
    if rng.random() < 0.35:
        d, dphrase = _distance(rng, typed)
        st["distance_m"] = d
        text = rng.choice([f"{verb} {dphrase} or {cond} {phrase}{tail}", f"{verb} up to {dphrase} {cond} {phrase}{tail}",
                           f"{verb} {cond} {phrase}{tail}, but no more than {dphrase}", f"{verb} at most {dphrase} {cond} {phrase}{tail}"])
    else:
        text = f"{verb} {cond} {phrase}{tail}"
    if rng.random() < 0.2:
        st["speed"] = "slow"
        text = f"{rng.choice(SLOW_PRE)} {text}" if rng.random() < 0.5 else f"{text} {rng.choice(SLOW_POST)}"
    return text, st


def move_slow_step(rng, typed):
    d, dphrase = _distance(rng, typed)
    back = rng.random() < 0.3
    st = {"skill": "move", "direction": "backward" if back else "forward", "distance_m": d, "speed": "slow"}
    verb = rng.choice(["move", "drive", "go", "roll"]) + " " + (rng.choice(["back", "backward", "backwards"]) if back else rng.choice(["forward", "ahead", "straight"]))
    r = rng.random()
    if r < 0.5:
        return f"{rng.choice(SLOW_PRE)} {verb} {dphrase}", st
    return f"{verb} {dphrase} {rng.choice(SLOW_POST)}", st


PLACE_NAMES = ("dock", "base", "corner", "window", "spot a", "point b", "checkpoint", "parking spot", "loading zone", "desk", "table", "nest",
               "waypoint one", "alpha", "bravo", "pickup point", "my desk", "sofa", "door", "post", "lab bench", "entrance", "drop zone", "camp",
               "landing", "the marker", "zone c", "fridge spot", "tv spot", "red zone")


def _place(rng) -> Tuple[str, str]:
    """(name stored, words said)."""
    n = rng.choice(PLACE_NAMES)
    if n.startswith("the "):
        n = n[4:]
    said = (rng.choice(["the ", "the ", ""]) + n) if not n.startswith("my ") else n
    return n, said


def remember_step(rng, typed):
    name, said = _place(rng)
    t = rng.choice(["remember this spot as {p}", "remember this place as {p}", "save this location as {p}", "call this spot {p}", "mark this position as {p}",
                    "this is {p}, remember it", "name this place {p}", "store this position as {p}", "remember where you are as {p}", "this spot is {p}",
                    "remember this location and call it {p}", "save your current position as {p}", "mark this spot as {p}", "remember this as {p}",
                    "please remember that this is {p}", "call this place {p}"])
    return t.format(p=said), {"skill": "remember_place", "place": name}


HOME_PHRASES = ("go home", "go back home", "return home", "head home", "go back to where you started", "return to your starting point", "go back to the start",
                "return to where you began", "drive back to your starting position", "head back to the start", "go back to your start position",
                "return to the starting point", "go back to where you began", "head back to where you started", "get back to your starting spot")
HERE_PHRASES = ("come back here", "come back", "return here", "come back to this spot", "return to this spot", "come back to where you are now",
                "then come back", "return to where you are now", "get back here", "come right back", "and return", "head back here")


def place_step(rng, typed):
    r = rng.random()
    if r < 0.35:
        return rng.choice(HOME_PHRASES), {"skill": "go_to_place", "place": "home"}
    if r < 0.55:
        return rng.choice(HERE_PHRASES).replace("then ", "").replace("and ", ""), {"skill": "go_to_place", "place": "here"}
    name, said = _place(rng)
    t = rng.choice(["go to {p}", "go back to {p}", "return to {p}", "head back to {p}", "drive to {p}", "take me to {p}", "go over to {p}",
                    "navigate back to {p}", "head to {p}", "get back to {p}"])
    if said.startswith("the ") or said.startswith("my "):
        pass
    else:
        said = "the " + said if rng.random() < 0.3 else said
    return t.format(p=said), {"skill": "go_to_place", "place": name}


def explore_step(rng, typed):
    base = rng.choice(["explore the room", "explore", "wander around", "roam around", "explore the area", "scout the room", "have a look around the room",
                       "take a tour of the room", "map the room", "go exploring", "drive around and explore", "explore your surroundings", "patrol the room",
                       "cover the whole room", "survey the room"])
    if rng.random() < 0.55:
        d, dphrase = _duration(rng, typed)
        return f"{base} for {dphrase}", {"skill": "explore", "duration_s": d}
    return base + rng.choice(["", "", " for a bit", " for a while"]), {"skill": "explore", "duration_s": 30.0}


def answer_step(rng, typed):
    q = rng.choice(ifc.QUESTIONS)
    if q == "color":
        shape = rng.choice(V.SHAPES)
        t, phrase = target(rng, 0.3, 0.25)
        t["color"], t["shape"] = None, shape
        phrase = phrase.split(" ", 1)[0] + " " + _shape_word(rng, shape) if "near" not in t and "select" not in t else _retarget(rng, t)
        return rng.choice(["what colour is {o}", "what color is {o}", "which colour is {o}", "tell me the colour of {o}", "what color is {o}?",
                           "what's the colour of {o}", "which color is {o}"]).format(o=phrase), {"skill": "answer", "question": q, "target": t}
    if q == "shape":
        color = rng.choice(V.COLORS)
        t = {"color": color, "shape": None}
        if rng.random() < 0.2:
            t["select"] = rng.choice(ifc.SELECT)
        phrase = _retarget(rng, t)
        return rng.choice(["what shape is {o}", "what is {o}", "what kind of object is {o}", "tell me the shape of {o}", "what shape does {o} have",
                           "is {o} a box or a ball", "what's {o}"]).format(o=phrase), {"skill": "answer", "question": q, "target": t}
    if q == "distance":
        t, phrase = target(rng, 0.2, 0.15)
        return rng.choice(["how far is {o}", "how far away is {o}", "what's the distance to {o}", "how far are you from {o}", "how many meters away is {o}",
                           "what is the distance to {o}", "tell me how far {o} is", "how close is {o}", "how far is it to {o}"]).format(o=phrase), {"skill": "answer", "question": q, "target": t}
    if q == "count":
        color, shape = _pick_cs(rng)
        t = {"color": color, "shape": shape}
        core = _core(rng, color, shape, plural=True)
        return rng.choice(["how many {o} can you see", "how many {o} are there", "count the {o}", "how many {o} do you see", "how many {o} are in the room",
                           "tell me how many {o} there are", "how many {o} are visible"]).format(o=core), {"skill": "answer", "question": q, "target": t}
    color, shape = _pick_cs(rng)
    t = {"color": color, "shape": shape}
    core = _core(rng, color, shape)
    art = "an" if core[0] in "aeiou" else "a"
    return rng.choice([f"do you see {art} {core}", f"is there {art} {core}", f"is there {art} {core} in view", f"is the {core} visible",
                       f"is there any {core} around", f"are there any {_core(rng, color, shape, True)}", f"is {art} {core} in sight",
                       f"do you see {art} {core} anywhere", f"is the {core} in view"]), {"skill": "answer", "question": "visible", "target": t}


def _retarget(rng, t) -> str:
    core = _core(rng, t.get("color"), t.get("shape"))
    if t.get("select"):
        pre, post = rng.choice(SELECT_PHRASES[t["select"]])
        out = f"{pre} {core}{post}"
    else:
        out = f"the {core}"
    if t.get("near"):
        n = t["near"]
        out += f" {rng.choice(NEAR_WORDS)} the {_core(rng, n.get('color'), n.get('shape'))}"
    return out


TIMES_WORDS = {2: ("twice", "two times", "2 times"), 3: ("three times", "thrice", "3 times"), 4: ("four times", "4 times"), 5: ("five times", "5 times"),
               6: ("six times",), 10: ("ten times", "10 times")}


def _basic_step(rng, typed):
    """A short motion step for inside repeat / if (a v1 step or a v2 one)."""
    r = rng.random()
    if r < 0.3:
        a, aphrase = _angle(rng, typed)
        d = rng.choice(["left", "right"])
        st = {"skill": "turn", "direction": d, "angle_deg": a}
        return rng.choice([f"turn {d} {aphrase}", f"turn {aphrase} to the {d}", f"rotate {aphrase} {d}", f"turn {aphrase} {d}"]), st
    if r < 0.5:
        d, dphrase = _distance(rng, typed)
        back = rng.random() < 0.25
        st = {"skill": "move", "direction": "backward" if back else "forward", "distance_m": d}
        return (f"{rng.choice(['move', 'go', 'drive'])} {'back' if back else rng.choice(['forward', 'ahead'])} {dphrase}"), st
    if r < 0.75:
        return go_step(rng, typed, 0.1, simple_target(rng))
    if r < 0.85:
        return find_step(rng, typed, simple_target(rng))
    if r < 0.92:
        return rng.choice(["describe what you see", "tell me what you see", "describe the scene"]), {"skill": "describe"}
    return rng.choice([("turn around", {"skill": "turn", "direction": "left", "angle_deg": 180.0}),
                       ("explore the room", {"skill": "explore", "duration_s": 30.0}), ("go home", {"skill": "go_to_place", "place": "home"})])


def repeat_step(rng, typed):
    n = rng.choice([2, 2, 2, 3, 3, 4, 5, 6, 10])
    tw = rng.choice(TIMES_WORDS[n])
    r = rng.random()
    if r < 0.3:
        a = rng.choice([_basic_step(rng, typed) for _ in range(1)])
        return f"{a[0]} {tw}", {"skill": "repeat", "times": n, "steps": [a[1]]}
    if r < 0.55:
        t1, p1 = simple_target(rng)
        t2, p2 = simple_target(rng)
        text = rng.choice([f"patrol between {p1} and {p2} {tw}", f"go back and forth between {p1} and {p2} {tw}",
                           f"drive between {p1} and {p2} {tw}", f"{tw}, go to {p1} and then to {p2}"])
        return text, {"skill": "repeat", "times": n, "steps": [{"skill": "go_to", "target": t1}, {"skill": "go_to", "target": t2}]}
    k = rng.choice([1, 2, 2])
    parts = [_basic_step(rng, typed) for _ in range(k)]
    body = " and then ".join(p for p, _ in parts) if k > 1 else parts[0][0]
    text = rng.choice([f"{tw}: {body}", f"repeat {n} times: {body}", f"do this {tw}: {body}", f"{body}, {tw}", f"{body}, and do that {tw}" if k == 1 else f"{body}, {tw} in a row",
                       f"{body} and repeat it {tw}" if False else f"{body} {tw} over"])
    return text, {"skill": "repeat", "times": n, "steps": [s for _, s in parts]}


def if_step(rng, typed):
    t, phrase = simple_target(rng)
    cond = rng.choice([f"if you see {phrase}", f"if there is {phrase}", f"if {phrase} is visible", f"if you can see {phrase}", f"if {phrase} is in view",
                       f"in case you see {phrase}", f"should you see {phrase}"])
    r = rng.random()
    go_it = rng.choice(["go to it", "drive to it", "head to it", "approach it", "go there", "go over to it"])
    other = _basic_step(rng, typed)
    if r < 0.45:
        neg = rng.choice(["otherwise", "else", "if not", "or else", "and if not,", "otherwise just"])
        return f"{cond}, {go_it}, {neg} {other[0]}", {"skill": "if_visible", "target": t, "then": [{"skill": "go_to", "target": t}], "else": [other[1]]}
    if r < 0.6:
        return f"{cond}, {go_it}", {"skill": "if_visible", "target": t, "then": [{"skill": "go_to", "target": t}], "else": []}
    if r < 0.75:
        other2 = _basic_step(rng, typed)
        return f"{cond}, {other[0]}, otherwise {other2[0]}", {"skill": "if_visible", "target": t, "then": [other[1]], "else": [other2[1]]}
    if r < 0.88:
        neg_cond = rng.choice([f"if you don't see {phrase}", f"if you can't see {phrase}", f"if there is no {phrase.split(' ', 1)[1]}", f"if {phrase} is not in view"])
        return f"{neg_cond}, {other[0]}", {"skill": "if_visible", "target": t, "then": [], "else": [other[1]]}
    return f"{go_it.replace('it', phrase).replace('there', 'to ' + phrase)} if you can see it, otherwise {other[0]}", {"skill": "if_visible", "target": t, "then": [{"skill": "go_to", "target": t}], "else": [other[1]]}


V2_STEPS = ((go_step, 5), (find_step, 2), (move_until_step, 3), (move_slow_step, 1), (remember_step, 2), (place_step, 4), (explore_step, 2),
            (answer_step, 4), (repeat_step, 3), (if_step, 3))


def _v1_step(rng, typed) -> Tuple[str, dict]:
    while True:
        s = LD.generate_sample(rng)
        if s.kind == "command" and len(s.goal["steps"]) == 1:
            return " ".join(w for w in s.words if w not in (".", "!")), s.goal["steps"][0]


JOIN = (" and ", " and then ", ", then ", " then ", ", after that ", " and afterwards ", ", ", ". then ", " and after that ")


def command_sample(rng) -> PlanSample:
    typed = rng.random() < 0.5
    n = 1 if rng.random() < 0.55 else (2 if rng.random() < 0.75 else 3)
    fns, weights = zip(*V2_STEPS)
    parts = []
    for i in range(n):
        if i and rng.random() < 0.35:
            parts.append(_v1_step(rng, typed))
            continue
        fn = rng.choices(fns, weights)[0]
        if n > 1 and fn in (repeat_step, if_step) and rng.random() < 0.6:
            fn = go_step
        parts.append(fn(rng, typed))
    # "go to the red box and come back": here after a trip
    if n == 1 and rng.random() < 0.12:
        t, p = go_step(rng, typed, 0.1)
        parts = [(t, p), (rng.choice(HERE_PHRASES).replace("then ", "").replace("and ", ""), {"skill": "go_to_place", "place": "here"})]
    text = parts[0][0]
    for p, _ in parts[1:]:
        text += rng.choice(JOIN) + p
    leads = ["", "", "", "robot, ", "hey robot, ", "okay, "] if parts[0][1]["skill"] == "answer" else ["", "", "", "please ", "robot, ", "can you ", "could you ", "hey robot, ", "now ", "i want you to ", "okay, "]
    lead = rng.choice(leads)
    tail = rng.choice(["", "", "", " please", " thanks", "."] + (["?"] if lead in ("can you ", "could you ") else []))
    return PlanSample(_case(rng, lead + text + tail, typed), {"steps": [s for _, s in parts]}, "v2")


def _case(rng, text, typed):
    text = " ".join(text.replace(" ,", ",").split())
    if typed and rng.random() < 0.4:
        text = text[0].upper() + text[1:]
    return text


# -- refusals: (reason, templates with {o} an object phrase, {o2} another)

REFUSAL_TEMPLATES = {
    "arm": ("pick up {o}", "bring me {o}", "fetch {o}", "grab {o}", "hand me {o}", "carry {o} to {o2}", "put {o} on {o2}", "push {o} into the corner",
            "knock over {o}", "take {o} to {o2}", "give me {o}", "go to {o} and pick it up", "throw {o}", "lift {o}", "move {o} next to {o2}",
            "can you get me {o}", "get {o} for me", "collect all the balls", "stack the boxes", "put {o} in {o2}", "drop {o} next to {o2}",
            "go get {o}", "bring {o} over here", "deliver {o} to the desk", "kick {o}", "roll {o} over to me", "pass me {o}", "grab {o} and bring it here",
            "find {o} and bring it to me", "drag {o} to {o2}", "load {o} onto your back", "sort the boxes by colour", "pick {o} up", "fetch me {o} please"),
    "people": ("follow me", "come to me", "come here", "find my dad", "go to john", "follow that man", "look for my daughter", "find the person in the blue shirt",
               "come with me", "where is my wife", "track me", "follow her", "go find mary", "chase the kids", "stay with me", "go to the man by the window",
               "find someone to help me", "keep following me around", "walk next to me", "bring yourself to me", "who is standing there", "wave at my friend"),
    "switch": ("open the door", "close the window", "turn on the lights", "turn off the tv", "switch off the fan", "press the button", "ring the doorbell",
               "unlock the door", "shut the drawer", "open the fridge", "switch the lamp on", "turn the heater on", "flip the light switch", "open the gate",
               "close the curtains", "turn up the volume", "lock the door behind you"),
    "terrain": ("climb the stairs", "go upstairs", "go downstairs", "jump over {o}", "fly to the ceiling", "swim across the pool", "drive over {o}",
                "climb onto {o}", "jump", "hop onto the table", "fly up", "go up the ladder", "climb up the shelf", "leap over the cable",
                "drive up the stairs", "get on top of {o}", "crawl under the bed", "go down the steps"),
    "room": ("go to the kitchen", "go outside", "leave the room", "drive into the bedroom", "go to the bathroom", "go into the garden", "head out to the street",
             "go to the next room", "go to the office", "drive to the garage", "go down the hallway", "go to the living room", "go out the front door",
             "visit the neighbours", "go to the supermarket", "drive to the other room", "go into the hall", "explore the whole house"),
    "sound": ("sing a song", "play music", "call mom", "say hello out loud", "beep", "honk your horn", "speak to me", "read this out loud", "play a song",
              "make a noise", "whistle a tune", "announce dinner", "phone the office", "shout my name", "play some jazz", "send a text to my sister",
              "beep when you get to {o}"),
    "charge": ("charge yourself", "go charge", "find your charger", "plug yourself in", "go to your charging station", "recharge your battery",
               "go dock and charge", "top up your battery", "charge your battery now"),
    "chores": ("clean the floor", "vacuum the room", "make coffee", "wash the dishes", "cook dinner", "do the laundry", "tidy up the room", "water the plants",
               "take out the trash", "mop the kitchen", "sweep the floor", "make me a sandwich", "fold the clothes", "dust the shelves", "empty the bin",
               "clean up this mess", "make the bed", "iron my shirt"),
    "speed": ("drive at 20 km/h", "go full speed", "go as fast as you can", "race to {o}", "speed up to 5 m/s", "drive faster than 1 m/s",
              "go to {o} at maximum speed", "sprint to {o}", "go to {o} at 10 meters per second", "drive at top speed", "floor it", "go at max speed",
              "drive twice as fast as usual", "move at 3 meters per second", "rush over to {o} as fast as possible", "speed up"),
    "other": ("take a photo and send it to me", "measure the temperature", "check my email", "search the web for recipes", "what does it smell like",
              "where is that noise coming from", "record a video", "scan the qr code", "weigh {o}", "how heavy is {o}", "print a document",
              "take a picture of {o}", "film the room", "check the humidity", "what's the air quality", "look up the news", "send this to my phone",
              "measure the height of {o}", "tell me the temperature of {o}", "record what people say", "listen for the doorbell", "detect smoke",
              "scan {o} for a barcode", "find the wifi password", "translate this into french", "book a taxi"),
}


#: more ways people ask for the same impossible things, written from the robot's capabilities
#: (no arm, no person or animal recognition, no switches, flat floor, one room, no voice, no
#: charging, no chores, its own speed, no senses beyond camera and laser, no phone or internet,
#: only coloured boxes, balls and cylinders): asked, begged, slangy, mixed with a doable part
REFUSAL_MORE = {
    "arm": ("scoop up {o}", "shove {o} over to {o2}", "nudge {o} a bit to the left", "balance {o} on top of {o2}", "hold {o} for a second",
            "squeeze {o}", "tip {o} over", "flip {o} upside down", "tidy the toys into {o2}", "return {o} to where it was", "swap {o} and {o2}",
            "line up all the balls in a row", "bring {o} back to the start", "carry this for me", "pick those up off the floor", "hand {o} to my brother",
            "slide {o} under the table", "can you lift {o} onto {o2}?", "toss {o} over here", "put everything back in the box", "bring it to me when you find it",
            "ram {o} out of the way", "bulldoze {o} into the wall", "knock {o} off {o2}", "shoot {o} into the goal"),
    "people": ("go see who's at the door", "find grandma", "look for the cat", "where did the dog go", "follow the kids around", "go to whoever is talking",
               "keep an eye on the baby", "track that guy", "find a person and say hi", "come find me", "follow my voice", "approach the visitor",
               "escort the guest to the exit", "is anybody home?", "go over to my son", "watch my little brother", "chase the dog", "find my puppy",
               "look at me", "go stand next to dad", "recognise my face", "who just walked in?", "greet everyone in the room", "play tag with me",
               "lead me to the red box", "walk me to the door", "guard the baby"),
    "switch": ("hit the lights", "kill the lights", "turn the telly off", "open the blinds", "crack the window open", "close the door on your way out",
               "press the elevator button", "shut off the alarm", "power down the computer", "switch on the coffee machine", "unplug the lamp",
               "turn the music down", "open that drawer", "open the box and look inside", "pull the curtains shut", "start the washing machine",
               "flip the breaker", "turn on the AC", "dim the lights", "lock up when you leave"),
    "terrain": ("go up to the second floor", "get onto the couch", "drive up the ramp onto the table", "climb over {o}", "hop over {o}", "go down to the basement",
                "jump off the table", "float up to the shelf", "take the stairs", "drive on the wall", "go up the escalator", "get up on {o}",
                "roll down the stairs", "ride the elevator up", "launch yourself over {o}", "tunnel under the wall", "drive across the ceiling"),
    "room": ("drive out into the hallway", "go next door", "roll out to the patio", "visit the kitchen and come back", "go check the front yard",
             "head to the garage", "go downstairs to the kitchen", "go out to the car", "drive to the shop", "go to the office down the hall",
             "leave and come back later", "go explore the rest of the house", "head outdoors", "go into the next room and look around",
             "escape the room", "drive out the door", "go to the bathroom and check"),
    "sound": ("say something", "talk to me", "tell me a joke out loud", "make a beep sound", "play the radio", "read me a story", "sing happy birthday",
              "announce that dinner is ready", "call the police", "phone my mum", "ring my cell", "shout hello", "make some noise when you get there",
              "play a sound when you find {o}", "honk twice", "whisper the answer", "speak up", "yell stop", "hum a song", "bark like a dog"),
    "charge": ("go plug in", "your battery is low, go charge", "find the charger", "dock and recharge", "go back to your charging dock",
               "charge up before we start", "refill your battery", "go to the power outlet and plug in", "juice up", "get some power"),
    "chores": ("pick up the laundry", "clean your room", "wipe the table", "do the dishes", "vacuum under the couch", "sweep up the crumbs", "mow the lawn",
               "feed the cat", "walk the dog", "take the bins out", "make the beds", "polish the floor", "clean up after the party", "dust the shelf",
               "fold the towels", "wash the car", "clean the windows", "cook some pasta", "bake a cake", "water the garden"),
    "speed": ("go faster", "speed it up", "hurry up and go as fast as possible", "full throttle to {o}", "zoom over to {o}", "race me to {o}",
              "go twice your normal speed", "drive at 2 m/s", "gun it", "put the pedal to the metal", "run to {o} at top speed", "turbo mode",
              "go max speed to {o}", "ignore the speed limit", "drive at five meters per second", "go as quick as you possibly can",
              "speed up to top speed", "blast over to {o}", "sprint over to {o}", "crank up your speed"),
    "other": ("is it hot in here", "is it cold in here", "can you smell gas", "does it smell like smoke", "is something burning", "what's the temperature",
              "how warm is the room", "is the floor wet", "how heavy is {o}", "what does {o} weigh", "is {o} hot", "feel whether {o} is soft",
              "taste {o}", "take a selfie", "snap a photo of {o}", "record a video of the room", "email me the map", "text me when you're there",
              "send a picture of {o} to my phone", "search the internet for robots", "google the weather", "set a timer for ten minutes",
              "remind me to call mum", "order a pizza", "turn on the wifi", "check my calendar", "read my messages", "find my keys", "find my phone",
              "where are my glasses", "look for the remote", "find the tv remote", "where is my wallet", "find a cup", "look for my shoes",
              "go find the laptop", "search for my backpack", "find the scissors", "look for my book", "find the plant", "where's my jacket",
              "measure the room", "how loud is it in here", "scan my face", "print the map", "translate hello into spanish", "buy more batteries"),
}


def refusal_sample(rng) -> PlanSample:
    reason = rng.choice(list(REFUSAL_TEMPLATES))
    tpl = rng.choice(REFUSAL_TEMPLATES[reason] + REFUSAL_MORE[reason])
    o = simple_target(rng)[1]
    o2 = simple_target(rng)[1]
    text = tpl.format(o=o, o2=o2)
    r = rng.random()
    if r < 0.25:
        text = rng.choice(["please ", "can you ", "could you ", "i need you to ", "robot, ", "hey, ", "would you ", "i want you to ", "go and ", "now "]) + text
    elif r < 0.4:  # a doable part before the impossible one: the whole request is refused
        text = _v1_step(rng, False)[0] + rng.choice(JOIN) + text
    text += rng.choice(["", "", "", ".", "?", " please", " for me", " now"])
    typed = rng.random() < 0.5
    return PlanSample(_case(rng, text, typed), {"steps": [], "refusal": dsl.REFUSALS[reason]}, "refusal")


CHATTER = ("what a nice day", "the red ball is pretty", "i like the blue cylinder", "where do you come from", "what's your favourite colour",
           "do you like robots", "that was fun", "i'm going to lunch", "the boxes are new", "who painted the cylinder", "is it going to rain",
           "do you dream", "you're doing great", "what is your battery level like", "tell me about yourself", "i'll be back later",
           "what can you do", "help", "are you listening", "good night", "what day is it", "see you tomorrow", "cool", "great work")


ARITHMETIC = ("what's {a} times {b}", "what is {a} plus {b}", "how much is {a} times {b}", "what's {a} minus {b}", "what is {a} divided by {b}",
              "how many is {a} and {b}", "{a} times {b} is what", "can you multiply {a} by {b}", "what do you get if you add {a} and {b}",
              "how many days are in a week", "how many legs does a spider have", "how many minutes are in an hour", "how far is the moon",
              "what colour is the sky today", "how many people live in paris", "what is the distance to london", "how many times have you done this",
              "count to {a}", "what time is it now", "how long until dinner")
STOP_MORE = ("kill the motors", "cut the motors", "cut the engine", "shut down the motors", "hold it right there", "freeze right there",
             "stop moving", "stop everything", "power down the wheels", "hit the brakes", "stay where you are", "no more moving")
MOVE_VAGUE = (("back off a little", "backward"), ("move forward a bit", "forward"), ("go back a little", "backward"), ("scoot forward a little", "forward"),
              ("edge back a bit", "backward"), ("inch ahead a bit", "forward"))


def chitchat_sample(rng) -> PlanSample:
    r = rng.random()
    if r < 0.12:
        text = rng.choice(ARITHMETIC).format(a=rng.randint(2, 12), b=rng.randint(2, 12))
        return PlanSample(_case(rng, text + rng.choice(["", "?", "?", "."]), rng.random() < 0.5), {"steps": []}, "chitchat")
    if r < 0.2:
        text, d = rng.choice(MOVE_VAGUE)
        return PlanSample(_case(rng, text + rng.choice(["", ".", " please"]), rng.random() < 0.5), {"steps": [{"skill": "move", "direction": d, "distance_m": 1.0}]}, "v1")
    if r < 0.28:
        return PlanSample(_case(rng, rng.choice(STOP_MORE) + rng.choice(["", "!", ".", " now"]), rng.random() < 0.5), {"steps": [{"skill": "stop"}]}, "v1")
    if r < 0.5:
        text = rng.choice(LD.CHITCHAT + list(LD.CHITCHAT_EXTRA))
    elif r < 0.75:
        text = rng.choice(CHATTER)
    else:  # injection attempts: nothing to do, whatever follows
        text = rng.choice(LD.INJECTIONS + list(LD.INJECTION_EXTRA)) + " " + rng.choice(LD.INJECTION_TAILS + [_v1_step(rng, False)[0]])
        return PlanSample(_case(rng, text, True), {"steps": []}, "injection")
    why = scope_refusal(text)  # a request in the chit-chat lists that the robot cannot do is refused
    if why:
        return PlanSample(_case(rng, text, rng.random() < 0.5), {"steps": [], "refusal": dsl.REFUSALS[dsl.refusal_reason(why)]}, "refusal")
    return PlanSample(_case(rng, text + rng.choice(["", "", "?", ".", "!"]), rng.random() < 0.5), {"steps": []}, "chitchat")


def v1_sample(rng) -> PlanSample:
    while True:
        s = LD.generate_sample(rng)
        if s.kind == "command":
            return PlanSample(s.text, s.goal, "v1")


MIX = ((command_sample, 0.47), (v1_sample, 0.20), (refusal_sample, 0.21), (chitchat_sample, 0.12))


def generate_sample(rng) -> PlanSample:
    fns, weights = zip(*MIX)
    return rng.choices(fns, weights)[0](rng)


# -- held-out sets: never emitted

HELD_OUT = ("plans_v2_holdout.jsonl", "refusals_holdout.jsonl", "refusals_blind.jsonl", "refusals_blind2.jsonl", "refusals_blind3.jsonl", "refusals_blind4.jsonl")


def norm_text(text: str) -> str:
    return LD._norm_text(text)


def held_out_texts() -> set:
    """Every sentence of the hand-written test sets (the tagger's paraphrase sets and the v2 and
    refusal sets under test/data), normalised."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "data")
    return LD.held_out_texts() | LD.read_texts(folder, HELD_OUT, norm_text)


def generate(n: int, seed: int = 0) -> List[PlanSample]:
    rng = random.Random(seed)
    held = held_out_texts()
    out, seen = [], set()
    while len(out) < n:
        s = generate_sample(rng)
        key = norm_text(s.text)
        if key in held or key in seen:
            continue
        ifc.Plan.model_validate(s.plan)  # every sample is a valid plan
        seen.add(key)
        out.append(s)
    return out
