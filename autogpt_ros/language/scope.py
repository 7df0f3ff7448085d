"""What the robot cannot do, said before any model guesses a plan.

The robot drives on a flat floor, looks with one camera and a 2D laser, and
writes text.  It has no arm, does not recognise people, cannot open anything,
climb, fly, leave the room, speak aloud, charge itself or do chores, and drives
at its own safe speed.  A request for any of that gets a refusal that says why
(``{"steps": [], "refusal": ...}``) instead of the nearest motion the tagger
can find in it (for example "bring me the red ball" driving to the ball).
The phrases are written from these capabilities, not from a test set.  Pure Python.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

_W = r"(?:\w+\s+){0,4}?"  # a few words in between ("pick the red ball up")
_OBJ = r"(box|ball|cylinder|cube|block|crate|sphere|can|barrel|pillar|it|them|one|thing|object|toy)e?s?"

#: (pattern, refusal): the first that matches wins
_PEOPLE = r"(me|us|him|her|that (person|man|woman|guy|girl|boy|kid|child)|the (person|man|woman|guy|girl|boy|kid|child|people)|someone|somebody|everybody|everyone|my (friend|wife|husband|mom|mum|dad|kid|son|daughter|boss|dog|cat))\b(?!'s)"

#: (pattern, refusal): the first that matches wins
RULES: Tuple[Tuple[re.Pattern, str], ...] = tuple((re.compile(p), r) for p, r in (
    (rf"\b(fetch|grab|grasp|lift|throw|toss|kick|stack)(s|es|ed|ing|bing)?\b|\bcarr(y|ies|ied|ying)\b(?!\s+on\b)|\bbring\b(?!\s+(the robot|yourself|you)\b)|\bpick\s+{_W}up\b"
     rf"|\b(give|hand|pass) (me|us)\s+(the\s+|a\s+|an\s+|that\s+|this\s+)?(\w+\s+)?{_OBJ}\b"
     rf"|\b(put|place|drop|push|pull)\s+(it|them|that|this|the\s+\w+(\s+\w+)?)\s+(on|onto|in|into|on top of|inside|under)\s+(the|a|an|my|your|that|this)\s+(?!(left|right)\b)",
     "I have no arm, so I cannot pick up, carry or move objects. I can drive to them, find them and tell you about them."),
    (rf"\b(follow|accompan(y|ies|ied|ying)|chas(e|es|ed|ing))(s|ed|ing)?\s+{_PEOPLE}|\bcome (with|after) me\b|\b(find|look for|go to) {_PEOPLE}(?!\s+(a|an|the|some|one)\b)",
     "I cannot recognise or track people, so I cannot follow or find anyone."),
    (r"(?<!the )(?<!an )(?<!a )\b(open|close|shut|unlock|lock|knock on)\s+(the\s+|a\s+)?(door|window|drawer|fridge|gate|cupboard|lid)s?\b"
     r"|\b(turn|switch) (on|off) (the |a |my )?(light|lights|lamp|tv|television|radio|music|fan|oven|stove|heater|alarm|computer)\b",
     "I have no way to open, close or switch things: I can only drive, look and answer."),
    (r"\b(climb|fly|flies|flying|jump|hop|swim|crawl)(s|ed|ing|ping|ming)?\b|\b(go|walk|drive|get|come) (up|down) (the )?stairs\b|\b(up|down)stairs\b|\bto the (ceiling|roof)\b",
     "I can only drive on a flat floor: I cannot climb, jump or fly."),
    (r"\b(go|drive|head|move|get)\s+(out|outside)\b(?!\s+(of\s+)?(the\s+)?(way|box|circle|area|corner))|\bleave the (room|house|building)\b|\b(go|drive|head|move)\s+(in)?to the (next|other|another|kitchen|bedroom|living|bath)\w*\s*room\b|\b(go|drive|head)\s+(in)?to the (garden|street|yard)\b",
     "I can only move inside this room."),
    (r"\b(sing|dance|whistle|play (some )?music|play a song)\b|\b(say|shout|speak|read)\s+\w+\s+(out loud|aloud)\b|\bcall (my|the)\b",
     "I have no speaker and no phone: I can only write text on /agent/say."),
    (r"\b(charge|recharge|plug)\s+(yourself|in)\b|\bgo (and )?charge\b|\bcharging station\b",
     "I cannot charge myself."),
    (r"\b(vacuum|mop|sweep|cook|bake|iron)\b|\b(clean|tidy|wash|dust)\s+(up\s+)?(the|my|this|that|your|all|everything|up)\b|\bmake (me )?(a |some )?(coffee|tea|sandwich|breakfast|lunch|dinner|food|bed)\b|\bwater the\b",
     "I cannot do household chores: I can drive, look for objects, and answer questions about what I see."),
    (r"\b\d+(\.\d+)?\s*(km/h|kph|mph|kmh|miles per hour|kilomet(er|re)s per hour)\b|\b(full|top|maximum|max) speed\b|\bas fast as (you can|possible)\b",
     "I drive at my own safe speed (at most 0.4 m/s); I cannot go faster."),
))
#: a request that starts with a stop word, or says what not to do, is left to the parser
#: (the stop path, or the rest of the sentence): "stop, don't follow me" must stop
_NOT_A_REQUEST = re.compile(r"^\W*(stop|halt|freeze|wait)\b|\b(don'?t|do not|never|no need to|without)\b")


def refusal(text: str) -> Optional[str]:
    """The refusal for a request outside what the robot can do, or None.  ``text`` is the
    normalised instruction (lower case is not required)."""
    t = " ".join(text.lower().split())
    if _NOT_A_REQUEST.search(t):
        return None
    for pattern, why in RULES:
        if pattern.search(t):
            return why
    return None
