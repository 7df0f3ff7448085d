"""The compact plan language the generative planner writes, and its grammar.

A plan of plan language v2 (:class:`autogpt_ros.interfaces.Plan`) is written as a
short sequence of words, which the planner model produces and this module expands
into the JSON plan::

    go red box then return here end                      go_to red box; go_to_place here
    go any ball nearest near green cylinder slow end     the nearest ball near the green cylinder, slowly
    move forward 2 m until red box end                   move 2 m, stop early once a red box is in view
    repeat 2 x go red box then go blue ball end end      patrol twice
    if red box do go red box else turn left 180 deg end end
    answer distance blue ball end                        "how far is the blue ball"
    refuse arm                                           {"steps": [], "refusal": "I have no arm, ..."}
    none                                                 {"steps": []} (chit-chat)

The grammar (:func:`read_plan`) asks a *chooser* for every word where the language
leaves a choice, from the closed set of words allowed there: skills, colours,
shapes, selections, questions, directions, digits, refusal reasons, and for place
names only the words of the instruction (plus ``home`` and ``here``).  With the
model as chooser this is constrained decoding: no skill, colour or field outside
the contract can come out, and every output validates.  With a scripted chooser
it reads a written plan (tests, training data).  Pure Python, no model import.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from autogpt_ros import interfaces as ifc
from autogpt_ros.vocabulary import COLORS, SHAPES

#: the word that starts each step
SKILL_WORDS = {"go": "go_to", "find": "find", "move": "move", "turn": "turn", "stop": "stop", "describe": "describe",
               "remember": "remember_place", "return": "go_to_place", "explore": "explore", "answer": "answer",
               "repeat": "repeat", "if": "if_visible"}
WORD_OF_SKILL = {v: k for k, v in SKILL_WORDS.items()}
ANY_COLOR, ANY_SHAPE = "any", "thing"
DIRECTIONS = {"move": {"forward": "forward", "back": "backward"}, "turn": {"left": "left", "right": "right"}}
#: refusal reasons the model writes, and the sentence the robot says for each
REFUSALS: Dict[str, str] = {
    "arm": "I have no arm, so I cannot pick up, carry or move objects. I can drive to them, find them and tell you about them.",
    "people": "I cannot recognise or track people or animals, so I cannot follow, find or approach anyone.",
    "switch": "I have no way to open, close or switch things: I can only drive, look and answer.",
    "terrain": "I can only drive on a flat floor: I cannot climb, jump or fly.",
    "room": "I can only move inside this room.",
    "sound": "I have no speaker and no phone: I can only write text on /agent/say.",
    "charge": "I cannot charge myself.",
    "chores": "I cannot do household chores: I can drive, look for objects, and answer questions about what I see.",
    "speed": "I drive at my own safe speed (at most 0.4 m/s); I cannot go faster.",
    "other": "I cannot do that: I can drive to coloured boxes, balls and cylinders, find them, turn, remember places, explore the room and answer questions about what I see.",
}
UNITS = {"move": "m", "turn": "deg", "explore": "s", "repeat": "x"}
BUILT_IN_PLACES = ("home", "here")
#: words that end a step list or a step: never part of a place name
STRUCTURE = ("then", "end", "else", "do", "near", "until", "slow") + tuple(ifc.SELECT)
MAX_NAME_WORDS = 4
MAX_INT_DIGITS, MAX_FRACTION_DIGITS = 3, 2
_NAME_WORD = re.compile(r"^[a-z][a-z0-9_-]*$")


class GrammarError(ValueError):
    """A written plan that the grammar does not accept."""


Chooser = Callable[[Sequence[str]], str]  # the allowed words -> the chosen one


def _is_name_word(w: str) -> bool:
    return bool(_NAME_WORD.match(w)) and w not in STRUCTURE and w not in SKILL_WORDS and w not in BUILT_IN_PLACES


def name_words(text: str) -> List[str]:
    """The words a place name may be made of: those of the instruction (lower case,
    without punctuation) that are not words of the plan language's structure."""
    return [w for w in dict.fromkeys(re.findall(r"[a-z][a-z0-9_-]*", text.lower())) if _is_name_word(w)]


class _Reader:
    def __init__(self, choose: Chooser, names: Sequence[str], max_move_m: float):
        self.choose = choose
        self.max_move_m = max_move_m
        self.names = list(dict.fromkeys(list(BUILT_IN_PLACES) + [n for n in names if _is_name_word(n)]))

    def pick(self, options: Sequence[str]) -> str:
        options = list(dict.fromkeys(options))
        w = self.choose(options)
        if w not in options:
            raise GrammarError(f"{w!r} is not allowed here (allowed: {' '.join(options)})")
        return w

    # -- numbers: digits, at most one point, then the unit word
    def number(self, unit: str, first: str) -> float:
        """Digits (the first already chosen), at most one point, then the unit word."""
        digits, frac = first, None
        while True:
            if frac is None:
                opts = [unit, "."] + ([str(d) for d in range(10)] if len(digits) < MAX_INT_DIGITS else [])
            elif frac == "":
                opts = [str(d) for d in range(10)]
            else:
                opts = [unit] + ([str(d) for d in range(10)] if len(frac) < MAX_FRACTION_DIGITS else [])
            w = self.pick(opts)
            if w == unit:
                return float(digits + ("." + frac if frac else ""))
            if w == ".":
                frac = ""
            elif frac is None:
                digits += w
            else:
                frac += w

    def times(self) -> int:
        """1 to MAX_REPEAT, then "x"."""
        w = self.pick([str(d) for d in range(1, 10)])
        if w == "1" and ifc.MAX_REPEAT >= 10 and self.pick(["0", UNITS["repeat"]]) == "0":
            self.pick([UNITS["repeat"]])
            return 10
        elif w != "1":
            self.pick([UNITS["repeat"]])
        return int(w)

    def target(self, depth: int = 0, after: Sequence[str] = ()) -> Tuple[ifc.Target, str]:
        """A target, and the word that followed it (one of ``after``)."""
        color = self.pick(list(COLORS) + [ANY_COLOR])
        shape = self.pick(list(SHAPES) + [ANY_SHAPE])
        t = {"color": None if color == ANY_COLOR else color, "shape": None if shape == ANY_SHAPE else shape}
        nxt = list(after) + (["near"] if depth < ifc.MAX_NESTING else [])
        w = self.pick(list(ifc.SELECT) + nxt)
        if w in ifc.SELECT:
            t["select"] = w
            w = self.pick(nxt)
        if w == "near":
            near, w = self.target(depth + 1, after)
            t["near"] = near
        return ifc.Target(**t), w

    def name(self, after: Sequence[str]) -> Tuple[str, str]:
        words: List[str] = [self.pick(self.names)]
        while True:
            opts = list(after) + ([n for n in self.names if n not in BUILT_IN_PLACES] if len(words) < MAX_NAME_WORDS and words[0] not in BUILT_IN_PLACES else [])
            w = self.pick(opts)
            if w in after:
                return " ".join(words)[:40], w
            words.append(w)

    def step(self, skill_word: str, after: Sequence[str], depth: int):
        """One step whose first word was ``skill_word``; returns (step, the word after it)."""
        skill = SKILL_WORDS[skill_word]
        if skill in ("go_to", "find"):
            target, w = self.target(after=list(after) + (["slow"] if skill == "go_to" else []))
            st = {"skill": skill, "target": target}
            if w == "slow":
                st["speed"] = "slow"
                w = self.pick(after)
            return st, w
        if skill == "move":
            direction = DIRECTIONS["move"][self.pick(list(DIRECTIONS["move"]))]
            st = {"skill": "move", "direction": direction}
            w = self.pick([str(d) for d in range(10)] + ["until", "slow"] + list(after))
            if w.isdigit():
                st["distance_m"] = self.number(UNITS["move"], w)
                w = self.pick(["until", "slow"] + list(after))
            if w == "until":
                st["until"], w = self.target(after=["slow"] + list(after))
                st.setdefault("distance_m", self.max_move_m)  # "until" without a distance: as far as allowed
            if w == "slow":
                st["speed"] = "slow"
                w = self.pick(after)
            return st, w
        if skill == "turn":
            st = {"skill": "turn", "direction": DIRECTIONS["turn"][self.pick(list(DIRECTIONS["turn"]))]}
            w = self.pick([str(d) for d in range(10)] + list(after))
            if w.isdigit():
                st["angle_deg"] = self.number(UNITS["turn"], w)
                w = self.pick(after)
            return st, w
        if skill in ("stop", "describe"):
            return {"skill": skill}, self.pick(after)
        if skill in ("remember_place", "go_to_place"):
            place, w = self.name(after)
            return {"skill": skill, "place": place}, w
        if skill == "explore":
            st = {"skill": "explore"}
            w = self.pick([str(d) for d in range(1, 10)] + list(after))
            if w.isdigit():
                st["duration_s"] = self.number(UNITS["explore"], w)
                w = self.pick(after)
            return st, w
        if skill == "answer":
            q = self.pick(list(ifc.QUESTIONS))
            target, w = self.target(after=after)
            return {"skill": "answer", "question": q, "target": target}, w
        if skill == "repeat":
            times = self.times()
            steps, _ = self.steps(["end"], depth + 1)
            return {"skill": "repeat", "times": times, "steps": steps}, self.pick(after)
        if skill == "if_visible":
            target, _ = self.target(after=["do"])
            then, w = self.steps(["else", "end"], depth + 1, allow_empty=True)
            other: list = []
            if w == "else":
                other, w = self.steps(["end"], depth + 1)
            return {"skill": "if_visible", "target": target, "then": then, "else": other}, self.pick(after)
        raise GrammarError(f"unknown skill word {skill_word!r}")

    def skills(self, depth: int) -> List[str]:
        nested = ("repeat", "if")
        return [w for w in SKILL_WORDS if depth < ifc.MAX_NESTING or w not in nested]

    def steps(self, closers: Sequence[str], depth: int, allow_empty: bool = False) -> Tuple[list, str]:
        """Steps joined by "then", up to one of ``closers`` (returned)."""
        out = []
        w = self.pick(self.skills(depth) + (list(closers) if allow_empty else []))
        if w in closers:
            return out, w
        while True:
            st, w = self.step(w, ["then"] + list(closers), depth)
            out.append(st)
            if w in closers:
                return out, w
            w = self.pick(self.skills(depth))

    def plan(self) -> dict:
        w = self.pick(["none", "refuse"] + self.skills(0))
        if w == "none":
            return {"steps": []}
        if w == "refuse":
            return {"steps": [], "refusal": REFUSALS[self.pick(list(REFUSALS))]}
        out = []
        while True:
            st, w = self.step(w, ["then", "end"], 0)
            out.append(st)
            if w == "end":
                return {"steps": out}
            w = self.pick(self.skills(0))


def read_plan(choose: Chooser, names: Sequence[str] = (), max_move_m: float = 3.0) -> ifc.Plan:
    """The plan the chooser writes, word by word, through the grammar.  ``names``: the
    words a place name may use (:func:`name_words` of the instruction)."""
    data = _Reader(choose, names, max_move_m).plan()
    return ifc.Plan.model_validate(data)


def scripted(words: Sequence[str]) -> Chooser:
    """A chooser that follows a written plan (for reading it and for tests)."""
    it = iter(words)

    def choose(options):
        try:
            return next(it)
        except StopIteration:
            raise GrammarError(f"the plan ends early (next could be: {' '.join(options)})") from None

    return choose


def parse_words(words: Sequence[str], names: Sequence[str] = (), max_move_m: float = 3.0) -> ifc.Plan:
    """The plan a written word sequence means (raises :class:`GrammarError`)."""
    words = list(words)
    used = []

    def choose(options):
        if len(used) >= len(words):
            raise GrammarError(f"the plan ends early (next could be: {' '.join(options)})")
        used.append(words[len(used)])
        return used[-1]

    plan = read_plan(choose, names or [w for w in words if _NAME_WORD.match(w)], max_move_m)
    if len(used) != len(words):
        raise GrammarError(f"words left after the plan: {' '.join(words[len(used):])}")
    return plan


# -- writing: plan -> words (the training targets)

def _num(x: float) -> List[str]:
    s = f"{round(float(x), MAX_FRACTION_DIGITS):.{MAX_FRACTION_DIGITS}f}".rstrip("0").rstrip(".")
    return list(s)


def _target_words(t: ifc.Target) -> List[str]:
    out = [t.color or ANY_COLOR, t.shape or ANY_SHAPE]
    if t.select:
        out.append(t.select)
    if t.near is not None:
        out += ["near"] + _target_words(t.near)
    return out


def _step_words(st, max_move_m: float) -> List[str]:
    s = st.skill
    out = [WORD_OF_SKILL[s]]
    if s in ("go_to", "find"):
        out += _target_words(st.target)
        if s == "go_to" and st.speed == "slow":
            out.append("slow")
    elif s == "move":
        out.append("forward" if st.direction == "forward" else "back")
        if not (st.until is not None and st.distance_m == max_move_m):
            out += _num(st.distance_m) + ["m"]
        if st.until is not None:
            out += ["until"] + _target_words(st.until)
        if st.speed == "slow":
            out.append("slow")
    elif s == "turn":
        out += [st.direction] + _num(st.angle_deg) + ["deg"]
    elif s in ("remember_place", "go_to_place"):
        out += st.place.split()
    elif s == "explore":
        out += _num(st.duration_s) + ["s"]
    elif s == "answer":
        out += [st.question] + _target_words(st.target)
    elif s == "repeat":
        out += _num(st.times) + ["x"] + _steps_words(st.steps, max_move_m) + ["end"]
    elif s == "if_visible":
        out += _target_words(st.target) + ["do"] + _steps_words(st.then, max_move_m)
        if st.else_:
            out += ["else"] + _steps_words(st.else_, max_move_m)
        out.append("end")
    return out


def _steps_words(steps, max_move_m: float) -> List[str]:
    out: List[str] = []
    for i, st in enumerate(steps):
        if i:
            out.append("then")
        out += _step_words(st, max_move_m)
    return out


def refusal_reason(sentence: str) -> str:
    for k, v in REFUSALS.items():
        if v == sentence:
            return k
    return "other"


def plan_words(plan: ifc.Plan, max_move_m: float = 3.0) -> List[str]:
    """The words that write ``plan`` (the inverse of :func:`parse_words`, up to defaults
    written out: a move's distance, a turn's angle and an exploration's duration always
    appear)."""
    if plan.refusal:
        return ["refuse", refusal_reason(plan.refusal)]
    if not plan.steps:
        return ["none"]
    return _steps_words(plan.steps, max_move_m) + ["end"]


def expanded(plan_data) -> dict:
    """A plan with every ``repeat`` written out (N copies of its steps), for comparing
    plans by meaning: "turn left twice" as repeat 2 [turn] equals [turn, turn]."""
    plan = plan_data if isinstance(plan_data, ifc.Plan) else ifc.Plan.model_validate(plan_data)

    def walk(steps):
        out = []
        for st in steps:
            d = st.model_dump(by_alias=True)
            if st.skill == "repeat":
                inner = walk(st.steps)
                out += inner * st.times
                continue
            if st.skill == "if_visible":
                d["then"], d["else"] = walk(st.then), walk(st.else_)
            out.append(d)
        return out

    return {"steps": walk(plan.steps), "refusal": plan.refusal}
