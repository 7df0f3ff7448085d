"""Turning word tags and step skills into the goal format, with defaults and limits."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from autogpt_ros import interfaces as ifc
from autogpt_ros import vocabulary as V
from autogpt_ros.language.numbers import DEGREES, METRES, word_to_number

_WORD = re.compile(r"\d+(?:\.\d+)?|[a-zA-Z]+(?:'[a-zA-Z]+)?|°|[^\w\s]")

SHAPE_OF = {w: s for s, syn in V.SHAPE_SYNONYMS.items() for w in syn}
SHAPE_OF.update({"cubes": "box", "boxes": "box", "blocks": "box", "crates": "box", "balls": "ball", "spheres": "ball", "cylinders": "cylinder", "cans": "cylinder", "barrels": "cylinder", "pillars": "cylinder"})


def split_words(text: str) -> List[str]:
    """Words as the model sees them: "1.5m," -> ["1.5", "m", ","]."""
    return _WORD.findall(text)


@dataclass
class Limits:
    max_move_m: float = 3.0
    max_turn_deg: float = 360.0
    max_explore_s: float = 300.0


@dataclass
class Decoded:
    plan: ifc.Plan
    notes: List[str] = field(default_factory=list)  # defaults filled, clamps, dropped steps
    doubts: List[str] = field(default_factory=list)  # what the robot must ask about instead of acting (parser: low confidence)


def _spans(tags: Sequence[str]) -> List[Tuple[int, int]]:
    starts = [i for i, t in enumerate(tags) if t == "B-STEP"]
    return [(s, starts[k + 1] if k + 1 < len(starts) else len(tags)) for k, s in enumerate(starts)]


def step_spans(tags: Sequence[str]) -> List[Tuple[int, int]]:
    return _spans(tags)


def _slot_ranges(tags, lo, hi, name) -> List[Tuple[int, int]]:
    """(start, end) word indices of each ``name`` slot in ``lo:hi``."""
    out = []
    for i in range(lo, hi):
        if tags[i] == f"B-{name}":
            out.append([i, i + 1])
        elif tags[i] == f"I-{name}" and out and out[-1][1] == i:
            out[-1][1] = i + 1
    return [(a, b) for a, b in out]


#: a sign before a number: "-5", "minus five", "negative two"
SIGN_WORDS = {"-": -1, "minus": -1, "negative": -1, "+": 1, "plus": 1}
_NUMBERISH = re.compile(r"^(\d+(\.\d+)?|" + "|".join(w for w in V.NUMBER_WORDS if w not in ("a", "and")) + r")$")


def _signed_numbers(lw: Sequence[str], tags: Sequence[str], lo: int, hi: int):
    """The NUM slots of ``lo:hi`` as (value, negative, text): a sign word leading the slot, or
    just before it (not between two numbers: "2 - 3" is a range), makes it negative; value None:
    not understood."""
    ranges = []
    for a, b in _slot_ranges(tags, lo, hi, "NUM"):
        if ranges and ranges[-1][1] == a and all(w in SIGN_WORDS for w in lw[ranges[-1][0] : ranges[-1][1]]):
            ranges[-1] = (ranges[-1][0], b)  # "-" and "5" tagged as two numbers: one, signed
        else:
            ranges.append((a, b))
    out = []
    for a, b in ranges:
        ws = list(lw[a:b])
        signs = []
        while ws and ws[0] in SIGN_WORDS:
            signs.append(ws.pop(0))
        j = a - 1
        if j >= lo and lw[j] in SIGN_WORDS and not (j - 1 >= 0 and _NUMBERISH.match(lw[j - 1])):
            signs.insert(0, lw[j])
        sign = -1 if any(SIGN_WORDS[w] < 0 for w in signs) else 1  # "- -2" is no plus either: ask
        v = word_to_number(ws) if ws else None
        if v is not None and v < 0:
            v, sign = -v, -sign
        text = "".join(w if w in "-+" else w + " " for w in signs) + " ".join(ws)
        out.append((v, sign < 0, text.strip()))
    return out


_KNOWN = None
_DETS = set(V.DETERMINERS) | {"an", "any", "some", "those", "these", "your", "my", "our"}


def known_words() -> set:
    """Words the parser knows (its training vocabulary, the object names, non-colour modifiers)."""
    global _KNOWN
    if _KNOWN is None:
        from autogpt_ros.vocabulary import vocabulary_words

        _KNOWN = set(vocabulary_words()) | set(SHAPE_OF) | set(V.TARGET_MODIFIERS) | set(V.COLORS)
    return _KNOWN


def _unknown_target_words(lw: Sequence[str], tags: Sequence[str], lo: int, hi: int, target: dict) -> List[str]:
    """Words of a go_to/find target the parser does not know where a colour or a shape was not
    understood: a word tagged as a colour or shape that is neither, or an unknown word in the
    colour's place ("the mauve ball") or the name's place ("the red thingamajig")."""
    if target["color"] is not None and target["shape"] is not None:
        return []  # both understood: an extra word ("the big red box") takes nothing away
    known = known_words()
    cand = [i for i in range(lo, hi) if tags[i][2:] in ("COLOR", "SHAPE")]
    det = lambda i: lo <= i and lw[i] in _DETS
    heads = [i for i in range(lo, hi) if lw[i] in SHAPE_OF or lw[i] in V.GENERIC_OBJECTS]
    if heads and target["color"] is None and det(heads[0] - 2):
        cand.append(heads[0] - 1)  # the [?] ball
    colours = [i for i in range(lo, hi) if lw[i] in V.COLORS]
    if colours and target["shape"] is None and colours[-1] + 1 < hi and det(colours[-1] - 1):
        cand.append(colours[-1] + 1)  # the red [?]
    return [lw[i] for i in sorted(set(cand)) if lw[i].isalpha() and lw[i] not in known]


def _slot_words(words, tags, lo, hi, name):
    out, cur = [], None
    for i in range(lo, hi):
        t = tags[i]
        if t == f"B-{name}":
            cur = [words[i]]
            out.append(cur)
        elif t == f"I-{name}" and cur is not None:
            cur.append(words[i])
        else:
            cur = None
    return out


_BACKWARD_VERB = re.compile(r"\b(?:back up|back off|back away|back (?:it|yourself) up|reverse|retreat|"
                            r"(?:step|come|roll|go|move|creep|scoot|push|inch|ease|edge|shuffle|drive) back)\b")
_WHOLE_TURN = re.compile(r"\b(full|complete|whole|half|quarter)\s+(?:a\s+)?(?:turn|rotation|spin|circle|revolution)\b")
_U_TURN = re.compile(r"\bu\s*-?\s*turn\b|\babout\s*-?\s*face\b")
_FACE_OTHER_WAY = re.compile(r"\bface the other (?:way|direction)\b")

JOINER_WORDS = {",", "and", "then", "after", "afterwards", "next", ";", "."}


def _has_slots(tags, lo, hi) -> bool:
    return any(t.startswith(("B-COLOR", "B-SHAPE", "B-DIR", "B-NUM", "B-UNIT")) for t in tags[lo:hi])


def merge_spans(words: Sequence[str], tags: Sequence[str], skills: Sequence[str]):
    """Steps are separated by joiners ("and", "then", ","): a step boundary with no
    joiner before it, whose span has no slots of its own, continues the next step's
    verb phrase ("drive right up to the box", "take me to the cube")."""
    spans = _spans(tags)
    out_spans, out_skills = [], []
    k = 0
    while k < len(spans):
        lo, hi = spans[k]
        if k + 1 < len(spans) and not _has_slots(tags, lo, hi):
            between = {w.lower() for w in words[lo:hi]}
            if not (between & JOINER_WORDS):
                nlo, nhi = spans[k + 1]
                spans[k + 1] = (lo, nhi)
                k += 1
                continue
        out_spans.append((lo, hi))
        out_skills.append(skills[k])
        k += 1
    # two parts of one motion said apart ("give me a sixty degree | turn to the right"):
    # same skill, no joiner between, and slots that do not overlap -> one step
    merged_spans, merged_skills = [], []
    for (lo, hi), skill in zip(out_spans, out_skills):
        if merged_spans and merged_skills[-1] == skill and skill in ("turn", "move"):
            plo, phi = merged_spans[-1]
            if not ({w.lower() for w in words[plo:phi]} & JOINER_WORDS) and not (_slot_kinds(tags, plo, phi) & _slot_kinds(tags, lo, hi)):
                merged_spans[-1] = (plo, hi)
                continue
        merged_spans.append((lo, hi))
        merged_skills.append(skill)
    return merged_spans, merged_skills


def _slot_kinds(tags, lo, hi) -> set:
    return {t[2:] for t in tags[lo:hi] if t.startswith("B-") and t != "B-STEP"}


def decode(words: Sequence[str], tags: Sequence[str], skills: Sequence[str], limits: Limits) -> Decoded:
    """Words with their tags, and one skill per B-STEP span, to a validated Plan."""
    lw = [w.lower() for w in words]
    steps, notes, doubts = [], [], []
    bare: List[bool] = []  # per step: True when its span has no slot of its own (target, direction, number)
    spans, skills = merge_spans(words, tags, skills)
    flag = False
    face_ok = False  # the previous step was a turn around
    for (lo, hi), skill in zip(spans, skills):
        after_around, face_ok = face_ok, False
        bare.extend([flag] * (len(steps) - len(bare)))  # the previous span's steps
        flag = not _has_slots(tags, lo, hi)
        colors = [c[0].lower() for c in _slot_words(lw, tags, lo, hi, "COLOR") if c[0].lower() in V.COLORS]
        shapes = [SHAPE_OF[s[0]] for s in _slot_words(lw, tags, lo, hi, "SHAPE") if s[0] in SHAPE_OF]
        dirs = [d[0] for d in _slot_words(lw, tags, lo, hi, "DIR")]
        signed = _signed_numbers(lw, tags, lo, hi)
        nums = [v for v, _neg, _t in signed if v is not None]
        negative = next((t for v, neg, t in signed if neg), None)
        # a number the robot cannot read ("2-3 meters"); not the words the tagger calls numbers
        # that other rules read ("a full turn", "a little bit", "counterclockwise")
        unread = [t for v, _neg, t in signed if v is None and any(_NUMBERISH.match(w) for w in t.replace("-", " - ").split())]
        units = [u[0] for u in _slot_words(lw, tags, lo, hi, "UNIT")]
        verb = " ".join(lw[lo:hi])
        if skill in ("go_to", "find"):
            target = {"color": colors[0] if colors else None, "shape": shapes[0] if shapes else None}
            if target == {"color": None, "shape": None}:
                prev = next((s for s in reversed(steps) if "target" in s), None)
                if prev is not None and re.search(r"\b(it|there|that one|them)\b", verb):
                    target = dict(prev["target"])  # "find the blue ball, then drive to it"
                    notes.append(f"{skill}: 'it' is the {target['color'] or ''} {target['shape'] or ''}".replace("  ", " "))
            unknown = _unknown_target_words(lw, tags, lo, hi, target)
            if unknown:  # "the mauve ball": not any ball
                doubts.append(f"{skill}: I do not know the word{'s' if len(unknown) > 1 else ''} {', '.join(repr(w) for w in unknown)}: which object is meant?")
            ci = [i for i in range(lo, hi) if lw[i] in V.COLORS]
            both = [(lw[i], lw[j]) for i, j in zip(ci, ci[1:]) if lw[i] != lw[j] and (j == i + 1 or (j == i + 2 and lw[i + 1] in ("-", "or", "/")))]
            if both:  # "the blue-green ball", "the red or yellow box": one colour, not the first said
                doubts.append(f"{skill}: two colours for one object ({both[0][0]} and {both[0][1]}): which one?")
            steps.append({"skill": skill, "target": target})
        elif skill in ("move", "turn") and (negative or unread):
            # "move -5 m": a sign the robot cannot follow (forward? backward?), or a number it cannot
            # read ("2-3 meters"): no motion, ask.  The step keeps its place, with nothing to do.
            quantity, ways = ("distance", "forward or backward") if skill == "move" else ("angle", "left or right")
            if negative:
                doubts.append(f"{skill}: a negative {quantity} ({negative}{' ' + units[0] if units else ''}): {ways}, and how far?")
            else:
                doubts.append(f"{skill}: the {quantity} {unread[0]!r} is not understood: how far?")
            if skill == "move":
                back = any(d in V.BACKWARD_WORDS for d in dirs) or _BACKWARD_VERB.search(verb)
                steps.append({"skill": "move", "direction": "backward" if back else "forward", "distance_m": 0.0})
            else:
                steps.append({"skill": "turn", "direction": "right" if "right" in dirs else "left", "angle_deg": 0.0})
        elif skill == "move":
            direction = "forward"
            if any(d in V.BACKWARD_WORDS for d in dirs) or _BACKWARD_VERB.search(verb):
                direction = "backward"
                flag = False  # "reverse", "scoot back": the verb says which way, a motion of its own
            unit = next((METRES[u] for u in units if u in METRES), None)
            if nums:
                dist = nums[0] * (unit if unit is not None else 1.0)
                if unit is not None and re.search(r"\b(?:meters?|metres?|m|centimeters?|centimetres?|cm) and a half\b", verb):
                    dist += 0.5 * unit  # "a meter and a half"
            elif unit is not None:
                dist = unit  # "a meter", "a centimetre"
            else:
                dist = 1.0
                notes.append("move: no distance said, 1.0 m")
            if dist > limits.max_move_m:
                notes.append(f"move: {dist:g} m clamped to max_move_m {limits.max_move_m:g}")
                dist = limits.max_move_m
            steps.append({"skill": "move", "direction": direction, "distance_m": round(float(dist), 4)})
        elif skill == "turn":
            if any(d in ("around", "way", "direction", "u") for d in dirs) or (skill == "turn" and "back" in dirs) or _U_TURN.search(verb):
                if _FACE_OTHER_WAY.search(verb) and steps and steps[-1] == {"skill": "turn", "direction": "left", "angle_deg": 180.0} and after_around:
                    notes.append("turn: 'face the other way' after turning around is the same motion")
                    continue
                steps.append({"skill": "turn", "direction": "left", "angle_deg": 180.0})
                face_ok = True
                continue
            # "clockwise" (seen from above) is to the right; "counterclockwise"/"anticlockwise"/"counter clockwise" left
            counter = any(d in ("counterclockwise", "anticlockwise") for d in dirs) or re.search(r"\b(?:counter|anti)[\s-]*clockwise\b", verb)
            direction = "right" if ("right" in dirs or ("clockwise" in dirs and not counter)) else "left"
            if not any(d in ("left", "right", "clockwise", "counterclockwise", "anticlockwise", "counter", "anti") for d in dirs):
                notes.append("turn: no direction said, left")
            whole = _WHOLE_TURN.search(verb)
            if whole:  # "a full turn", "half a rotation"
                angle = {"half": 180.0, "quarter": 90.0}.get(whole.group(1), 360.0)
            else:
                angle = float(nums[0]) if nums else 90.0
                if not nums:
                    notes.append("turn: no angle said, 90 degrees")
            if angle > limits.max_turn_deg:
                notes.append(f"turn: {angle:g} degrees clamped to max_turn_deg {limits.max_turn_deg:g}")
                angle = limits.max_turn_deg
            steps.append({"skill": "turn", "direction": direction, "angle_deg": angle})
        elif skill in ("stop", "describe"):
            steps.append({"skill": skill})
    bare.extend([flag] * (len(steps) - len(bare)))
    # a step with nothing of its own beside a step of the same skill that has its slots
    # is the same request said twice ("drive to the white cylinder for me",
    # "face the other way, turn around"): keep the one with the slots
    kept = []
    for i, st in enumerate(steps):
        near = [steps[j] for j in (i - 1, i + 1) if 0 <= j < len(steps) and not bare[j] and steps[j]["skill"] == st["skill"]
                and ("target" not in st or st["target"] == {"color": None, "shape": None} or steps[j]["target"] == st["target"])]
        if bare[i] and near and st["skill"] in ("go_to", "find", "turn", "move"):
            notes.append(f"{st['skill']}: a repeated step without its own target or numbers was merged into its neighbour")
            continue
        following = next((steps[j] for j in range(i + 1, len(steps)) if not (bare[j] and steps[j]["skill"] == "move")), None)
        if bare[i] and st["skill"] == "move" and st["direction"] == "forward" and following is not None and following["skill"] in ("go_to", "find"):
            notes.append("move: 'go and ...' before a go_to/find is not a motion of its own")  # "go and stand next to the box"
            continue
        kept.append(st)
    # the same step twice in a row is said once ("what can you see right now?", "do you
    # see the blue crate? find it"); a repeated move or turn is a real second motion
    deduped = []
    for st in kept:
        if deduped and st["skill"] in ("stop", "describe", "go_to", "find") and deduped[-1] == st:
            continue
        deduped.append(st)
    plan = ifc.Plan.model_validate({"steps": deduped})
    return Decoded(plan, notes, doubts)


def plan_to_dict(plan: ifc.Plan) -> dict:
    return plan.compact()
