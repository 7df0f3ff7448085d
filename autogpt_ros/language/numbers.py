"""Numbers and units in instructions: "two", "1.5", "one and a half", "a hundred and eighty"."""
from __future__ import annotations

import re
from typing import List, Optional

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SMALL = {**UNITS, **TEENS, **TENS}
FRACTIONS = {"half": 0.5, "quarter": 0.25}

METRES = {"m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0,
          "cm": 0.01, "centimeter": 0.01, "centimeters": 0.01, "centimetre": 0.01, "centimetres": 0.01}
DEGREES = {"deg": 1.0, "degree": 1.0, "degrees": 1.0, "°": 1.0}

_DIGITS = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def word_to_number(words: List[str]) -> Optional[float]:
    """The value of a number phrase, or None if it is not one.

    Handles digits ("90", "1.5"), words up to the hundreds ("forty five",
    "a hundred and eighty"), decimals ("two point five"), and fractions
    ("half", "half a", "a half", "one and a half", "a quarter").
    """
    ws = [w.lower().strip(",.") for w in words if w.strip(",.")]
    ws = [w for w in ws if w not in ("and",)] if not _has_fraction_and(words) else ws
    if not ws:
        return None
    if len(ws) == 1 and _DIGITS.match(ws[0]):
        return float(ws[0])
    text = " ".join(ws)
    # fractions
    m = re.fullmatch(r"(?:(.+?) and )?(?:a |an |one )?(half|quarter)(?: a| an)?", text)
    if m:
        whole = word_to_number(m.group(1).split()) if m.group(1) else 0.0
        if whole is None:
            return None
        return whole + FRACTIONS[m.group(2)]
    if "point" in ws:
        i = ws.index("point")
        whole = word_to_number(ws[:i]) if i else 0.0
        decimals = ws[i + 1 :]
        if whole is None or not decimals or not all(d in UNITS for d in decimals):
            return None
        return whole + float("0." + "".join(str(UNITS[d]) for d in decimals))
    total, current = 0.0, 0.0
    seen = False
    for w in ws:
        if _DIGITS.match(w):
            current += float(w)
        elif w in SMALL:
            current += SMALL[w]
        elif w in ("a", "an") and not seen:
            current += 1  # "a hundred", "a meter"
        elif w == "hundred":
            current = (current or 1) * 100
        elif w == "thousand":
            current = (current or 1) * 1000
            total += current
            current = 0
        else:
            return None
        seen = True
    return total + current


def _has_fraction_and(words: List[str]) -> bool:
    return any(w.lower() in FRACTIONS for w in words)
