"""The speech grammar (JSGF), generated from the command lexicon.

Every list in :mod:`autogpt_ros.vocabulary` that the language node
understands becomes a rule here, so a colour, shape or skill word added there
reaches the recogniser without editing a second list.
"""
from __future__ import annotations

from typing import Iterable, Set

from autogpt_ros import vocabulary as V


def _alt(words: Iterable[str]) -> str:
    # one spelling per pronunciation (metres -> meters): the recogniser cannot tell them apart
    ws = sorted({V.SPELLING_VARIANTS.get(w, w) for w in words}, key=lambda w: (-len(w), w))
    if any(w in V.USAGE_WEIGHTS for w in ws):  # JSGF weights: the usage prior
        return "(" + " | ".join(f"/{V.USAGE_WEIGHTS.get(w, 1)}/ {w}" for w in ws) + ")"
    return "(" + " | ".join(ws) + ")"


def jsgf() -> str:
    shapes = [w for syn in V.SHAPE_SYNONYMS.values() for w in syn] + list(V.GENERIC_OBJECTS)
    rules = {
        "opener": _alt(V.OPENERS) + " [" + _alt(V.POLITE) + "]",
        "polite": _alt(V.POLITE),
        "closer": _alt(V.CLOSERS),
        "join": _alt(V.JOINERS),
        "det": _alt(V.DETERMINERS),
        "color": _alt(V.COLORS),
        "shape": _alt(shapes),
        "object": "[<det>] (<color> [<shape>] | <shape>)",
        "digit": _alt(("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")),
        "teen": _alt(("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")),
        "tens": _alt(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")),
        "small": "(<digit> | <teen> | <tens> [<digit>] | zero)",
        # English number agreement ("one meter", "two meters") keeps singular and
        # plural units apart, which the acoustics alone often cannot
        "single": "(one | a | half a | a quarter)",
        "number": "(<small> [point <digit>] | [one | a] hundred [[and] <small>] | a half | <small> and a half)",
        "metres": _alt(w for w in V.METRE_UNITS if w.endswith("s")),
        "metre": _alt(w for w in V.METRE_UNITS if not w.endswith("s")),
        "centimetres": _alt(w for w in V.CENTIMETRE_UNITS if w.endswith("s")),
        "centimetre": _alt(w for w in V.CENTIMETRE_UNITS if not w.endswith("s")),
        "distance": "[<by>] (<single> (<metre> | <centimetre>) | <number> (<metres> | <centimetres>))",
        "by": _alt(V.BY_WORDS),
        "angle": "[<by>] (one " + _alt(w for w in V.DEGREE_UNITS if not w.endswith("s")) + " | <number> " + _alt(w for w in V.DEGREE_UNITS if w.endswith("s")) + ")",
        "forward": _alt(V.FORWARD_WORDS),
        "backward": _alt(V.BACKWARD_WORDS),
        "go_to": _alt(V.GO_TO_VERBS) + " <object>",
        "find": _alt(V.FIND_VERBS) + " <object>",
        "move": "(" + _alt(V.MOVE_VERBS) + " (<forward> | <backward>) [<distance>] | " + _alt(V.BACK_UP) + " [<distance>] | " + _alt(V.MOVE_VERBS) + " <distance> (<forward> | <backward>))",
        "turn": "(" + _alt(V.TURN_VERBS) + " [to the] (left | right) [<angle>] | " + _alt(V.TURN_VERBS) + " <angle> [to the] (left | right) | " + _alt(V.TURN_AROUND) + ")",
        "stop": _alt(V.STOP_WORDS),
        "describe": _alt(V.DESCRIBE_PHRASES),
        "command": "(<go_to> | <find> | <move> | <turn> | <stop> | <describe>)",
    }
    lines = ["#JSGF V1.0;", "", "grammar robot_commands;", ""]
    lines.append("public <utterance> = [<opener>] <command> (<join> [<polite>] <command>)* [<closer>];")
    for name, body in rules.items():
        lines.append(f"<{name}> = {body};")
    return "\n".join(lines) + "\n"


def words() -> Set[str]:
    """Every word the grammar can produce."""
    import re

    text = jsgf().split("grammar robot_commands;")[1]
    text = re.sub(r"<[a-z_]+>", " ", text)
    return {w for w in re.findall(r"[a-z]+", text) if w not in ("public",)}


def covers(word: str) -> bool:
    """True if the grammar can produce ``word`` (or the spelling it stands for)."""
    return V.SPELLING_VARIANTS.get(word, word) in words()


def _end_words() -> Set[str]:
    ends = set(V.COLORS) | set(V.GENERIC_OBJECTS) | set(V.STOP_WORDS) | {"left", "right"}
    ends |= {w for syn in V.SHAPE_SYNONYMS.values() for w in syn}
    ends |= set(V.METRE_UNITS) | set(V.CENTIMETRE_UNITS) | set(V.DEGREE_UNITS) | set(V.FORWARD_WORDS) | set(V.BACKWARD_WORDS)
    for phrases in (V.BACK_UP, V.TURN_AROUND, V.DESCRIBE_PHRASES, V.CLOSERS):
        ends |= {p.split()[-1] for p in phrases}
    return ends


_ENDS = _end_words()


def can_end(text: str) -> bool:
    """True when ``text`` (a partial hypothesis) already reads as a whole command:
    it ends in an object, a unit, a direction, a stop word... not in "the", "to",
    "and then" or a bare number.  The VAD then ends the utterance after a short
    silence; otherwise it waits longer for the rest."""
    words = text.split()
    return bool(words) and words[-1] in _ENDS
