"""Instruction text to plan: the fine-tuned model, with rules around it.

``Parser.parse(text)`` returns the plan (the exact goal format), a confidence,
the source (model or rule), notes (defaults, clamps) and timings.  Rules come
first and are deliberately few: obvious injection attempts and over-long text
are refused, and a bare stop word is a stop without waiting for the model.
Whatever the text, the output is validated against the schema and the limits:
only the six skills exist.

The text is normalised first (:func:`normalize`: Unicode NFKC, format characters
such as zero-width spaces and soft hyphens removed, dashes made "-", a hyphen
between letters a space).  What the robot cannot follow
without guessing (a negative distance or angle, a number it cannot read, a word
it does not know where an object's colour or name should be) gives a plan with
confidence 0.3 and the doubt as reason and note: the agent asks instead of acting
(a negative motion's step is kept with no motion in it).
"""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import torch

from autogpt_ros import interfaces as ifc
from autogpt_ros import vocabulary as V
from autogpt_ros.language import model as LM
from autogpt_ros.vocabulary import SKILL_LABELS, TAGS
from autogpt_ros.language.scope import refusal as out_of_scope
from autogpt_ros.language.decode import Limits, decode, split_words, step_spans

INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|rule|limit|safety|prompt|previous|above)s?\b"
    r"|\b(system prompt|developer mode|jailbreak|sudo|admin override|no speed limit|unrestricted)\b"
    r"|\b(turn|switch|shut) off (your|the) (safety|limits?|speed limits?|collision \w+|bumpers?|obstacle \w+)\b"
    r"|^\s*(system|assistant)\s*:",
    re.IGNORECASE,
)
STOP_ONLY = re.compile(r"^\W*(?:(?:please|robot|hey|now|okay|ok|oh|emergency|whoa|wait|careful|no|everything|everybody|all|just|quick|hold|on)\W+)*"
                       r"(stop|halt|freeze)\b(?:\W+\w+){0,3}\W*$", re.IGNORECASE)
INJECTION_REFUSAL = "I cannot change my instructions, my limits or my safety rules."
MAX_CHARS = 300
DOUBT_CONFIDENCE = 0.3  # below the agent's min_confidence: it asks instead of acting
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")


def normalize(text: str) -> str:
    """``text`` as the parser reads it: NFKC (full-width letters, ligatures, non-breaking
    spaces to plain ones), without format characters (category Cf: zero-width space,
    non-joiner and joiner, word joiner, byte-order mark, soft hyphen...), every dash and
    minus sign as "-", and a hyphen between letters as a space ("forty-five", "u-turn": the
    model learnt them as two words)."""
    t = unicodedata.normalize("NFKC", text)
    t = "".join(c for c in t if unicodedata.category(c) != "Cf")
    return _WORD_HYPHEN.sub(" ", t.translate(_DASHES))


_ROTATION = {"counterclockwise": "left", "anticlockwise": "left", "clockwise": "right"}


def rotation_words(words: List[str]) -> List[str]:
    """Directions of rotation as the tagger knows them: "counterclockwise" / "anticlockwise"
    (also written as two words) is "left", "clockwise" is "right" (seen from above)."""
    out: List[str] = []
    for w in words:
        lw = w.lower()
        if lw == "clockwise" and out and out[-1].lower() in ("counter", "anti"):
            out[-1] = "left"
        else:
            out.append(_ROTATION.get(lw, w))
    return out


#: steps that do the same done twice as done once ("hold it, stop!", "go to the box and stop in front of it")
IDEMPOTENT = ("stop", "go_to", "find", "describe", "go_to_place")
_REPEAT_WORDS = re.compile(r"\b(again|twice|thrice|times|repeat|more|another|and|then|after|also)\b", re.IGNORECASE)


def said_once(plan: ifc.Plan, text: str) -> List[str]:
    """The same step twice in a row, written once, in place: always for a step that does the same
    done twice (stop, go_to, find, describe, go_to_place), and for a move or turn when the text has
    no word of repetition ("face the other way, turn around" is one half turn).  The notes say what
    was merged."""
    out, notes = [], []
    for st in plan.steps:
        if out and st == out[-1] and (st.skill in IDEMPOTENT or (st.skill in ("move", "turn") and not _REPEAT_WORDS.search(text))):
            notes.append(f"{st.skill} said twice: done once")
            continue
        out.append(st)
    plan.steps = out
    return notes


def clamp(plan: ifc.Plan, limits: Limits) -> List[str]:
    """Distances, angles, durations and repeat counts within the limits, in place (inside
    repeat and if_visible too); the notes say what was clamped."""
    notes: List[str] = []
    for s in ifc.walk_steps(plan.steps):
        if s.skill == "move" and s.distance_m > limits.max_move_m:
            notes.append(f"move: {s.distance_m:g} m clamped to {limits.max_move_m:g}")
            s.distance_m = limits.max_move_m
        elif s.skill == "turn" and s.angle_deg > limits.max_turn_deg:
            notes.append(f"turn: {s.angle_deg:g} degrees clamped to {limits.max_turn_deg:g}")
            s.angle_deg = limits.max_turn_deg
        elif s.skill == "explore" and s.duration_s > limits.max_explore_s:
            notes.append(f"explore: {s.duration_s:g} s clamped to {limits.max_explore_s:g}")
            s.duration_s = limits.max_explore_s
    return notes


@dataclass
class ParseResult:
    text: str
    plan: ifc.Plan
    confidence: float
    source: str  # "model" | "rule"
    reason: str = ""
    notes: List[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    def goal_json(self) -> dict:
        return self.plan.compact()


def default_weights() -> str:
    import os

    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "language.pt"))


class ModelParser:
    """The fine-tuned joint model (embedded default backend)."""

    name = "model"

    def __init__(self, weights: Optional[str] = None, quantize: bool = True, threads: Optional[int] = None):
        t = time.perf_counter()
        self.weights = weights or default_weights()
        self.tok, self.model, self.meta = LM.load(self.weights, quantize=quantize, threads=threads)
        self.load_s = time.perf_counter() - t

    @torch.inference_mode()
    def predict(self, words: List[str]):
        """(tags per word, tag probability per word, skills per step, skill probs, actionable prob)."""
        enc, word_ids = LM.encode_words(self.tok, [words])
        first = LM.first_subtoken_index(word_ids[0], len(words))
        h = self.model.encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
        tok_logits, sent_logits = self.model.token_head(h), self.model.sentence_head(h[:, 0])
        tp = torch.softmax(tok_logits[0], -1)
        tags, tprob = [], []
        for i, t in enumerate(first):
            if t < 0:
                tags.append("O")
                tprob.append(1.0)
            else:
                k = int(tp[t].argmax())
                tags.append(TAGS[k])
                tprob.append(float(tp[t, k]))
        # I-STEP without B-STEP becomes B-STEP
        for i, t in enumerate(tags):
            if t == "I-STEP" and (i == 0 or tags[i - 1] not in ("B-STEP", "I-STEP")):
                tags[i] = "B-STEP"
        spans = step_spans(tags)
        skills, sprob = [], []
        if spans:
            T = enc["input_ids"].shape[1]
            masks = torch.zeros(1, len(spans), T)
            for s, (lo, hi) in enumerate(spans):
                for t, w in enumerate(word_ids[0]):
                    if w is not None and lo <= w < hi:
                        masks[0, s, t] = 1.0
            pooled = torch.einsum("bst,bth->bsh", masks, h) / masks.sum(-1, keepdim=True).clamp(min=1)
            sp = torch.softmax(self.model.step_head(pooled)[0], -1)
            for s in range(len(spans)):
                k = int(sp[s].argmax())
                skills.append(SKILL_LABELS[k])
                sprob.append(float(sp[s, k]))
        actionable = float(torch.softmax(sent_logits[0], -1)[1])
        return tags, tprob, skills, sprob, actionable


#: words that only plan language v2 can express: with any of them the router asks the planner
V2_CUES = re.compile(
    r"\b(nearest|closest|farthest|furthest|leftmost|rightmost|most distant|far (left|right)|on the (left|right)|to the (left|right) of|next to|near|nearby|beside|by the|close to|alongside"
    r"|slow|slowly|careful|carefully|gently|cautiously|crawl|rush|until|till|remember|save|mark|call|name|store|home|here|start|started|starting|began|begin|return|back to|"
    r"explore|exploring|wander|roam|tour|scout|patrol|map|how far|how many|how close|is there|are there|is the|are the|do you|did you|visible|in view|in sight|count|"
    r"twice|thrice|times|repeat|again|back and forth|if|otherwise|else|unless|in case|should you|when|place|spot|location|position|dock|base)\b",
    re.IGNORECASE)
ROUTER_CONFIDENCE = 0.9  # the tagger's plan is used when it is at least this sure and the text has no v2 words


class Parser:
    """Rules + a backend + schema and limits.  Backends: ``model`` (the fine-tuned MiniLM
    tagger: the six skills of plan language v1), ``planner`` (the fine-tuned generative
    planner: plan language v2), ``router`` (the tagger where it is sure and the text has
    no word of v2, the planner otherwise), ``causal_lm`` (any causal LM, prompted)."""

    BACKENDS = ("router", "model", "planner", "causal_lm")

    def __init__(self, backend: str = "model", weights: Optional[str] = None, limits: Optional[Limits] = None, quantize: bool = True, causal_model: str = "",
                 threads: Optional[int] = None, planner: Optional[str] = None, planner_base: Optional[str] = None, router_confidence: float = ROUTER_CONFIDENCE):
        self.limits = limits or Limits()
        self.backend_name = backend
        self.router_confidence = router_confidence
        self.backend = self.planner = None
        t = time.perf_counter()
        if backend not in self.BACKENDS:
            raise ValueError(f"unknown language backend {backend!r} ({', '.join(self.BACKENDS)})")
        if backend in ("model", "router"):
            self.backend = ModelParser(weights, quantize=quantize, threads=threads)
        if backend in ("planner", "router"):
            from autogpt_ros.language.planner import Planner

            self.planner = Planner(planner or None, base=planner_base or None, threads=threads, max_move_m=self.limits.max_move_m)
        if backend == "causal_lm":
            from autogpt_ros.language.causal import CausalLMParser

            self.backend = CausalLMParser(causal_model or None, limits=self.limits)
        self._load_s = time.perf_counter() - t

    @property
    def load_s(self) -> float:
        return self._load_s

    def parse(self, text: str, scene: str = "") -> ParseResult:
        t0 = time.perf_counter()
        raw = text if isinstance(text, str) else ""
        clean = normalize(raw).strip()
        timings = {}
        if not clean:
            return ParseResult(raw, ifc.Plan(), 1.0, "rule", "empty instruction", timings={"parse_ms": 0.0})
        if len(clean) > MAX_CHARS:
            return ParseResult(raw, ifc.Plan(), 1.0, "rule", f"instruction longer than {MAX_CHARS} characters refused", timings={"parse_ms": 0.0})
        if STOP_ONLY.match(clean):
            return ParseResult(raw, ifc.Plan(steps=[ifc.StopStep()]), 1.0, "rule", "stop word", timings={"parse_ms": (time.perf_counter() - t0) * 1000})
        if INJECTION.search(clean):
            return ParseResult(raw, ifc.Plan(refusal=INJECTION_REFUSAL), 1.0, "rule", "looks like an attempt to change the robot's instructions or limits: refused",
                               timings={"parse_ms": (time.perf_counter() - t0) * 1000})
        why = out_of_scope(clean)
        if why:  # something the robot cannot do: say so, never the nearest motion
            return ParseResult(raw, ifc.Plan(refusal=why), 1.0, "rule", f"refused: {why}", timings={"parse_ms": (time.perf_counter() - t0) * 1000})
        if self.backend_name == "causal_lm":
            res = self.backend.parse(clean, scene)
            res.timings["parse_ms"] = (time.perf_counter() - t0) * 1000
            return res
        if self.backend_name == "planner":
            return self._plan(raw, clean, t0, {})
        res = self._tag(raw, clean, t0)
        cues = V2_CUES.search(clean)
        # the tagger's own doubt (a negative or unreadable number, an unknown word where a colour
        # or object should be) stays a question unless the text needs plan language v2
        doubt = bool(res.plan.steps) and res.confidence <= DOUBT_CONFIDENCE and res.reason != "parsed"
        if self.backend_name == "router" and (cues or (not doubt and (res.confidence < self.router_confidence or not res.plan.steps))):
            return self._plan(raw, clean, t0, {"tagger_ms": res.timings.get("parse_ms", 0.0), "routed": "planner"})
        return res

    def _plan(self, raw: str, clean: str, t0: float, timings: dict) -> ParseResult:
        """The generative planner's plan, clamped to the limits."""
        plan, conf, info = self.planner.plan(clean)
        notes = clamp(plan, self.limits) + said_once(plan, clean)
        timings = {**timings, "planner_ms": info["planner_ms"], "model_calls": info["model_calls"], "parse_ms": (time.perf_counter() - t0) * 1000}
        if "error" in info:
            return ParseResult(raw, plan, 0.0, "planner", f"the planner gave no plan ({info['error']})", notes, timings)
        reason = "refused: " + plan.refusal if plan.refusal else ("parsed" if plan.steps else "nothing to do (chit-chat, a question the robot cannot answer, or an instruction it cannot follow)")
        return ParseResult(raw, plan, float(conf), "planner", reason, notes, timings)

    def _tag(self, raw: str, clean: str, t0: float) -> ParseResult:
        """The tagger's plan (plan language v1)."""
        words = rotation_words(split_words(clean))
        if not words:
            return ParseResult(raw, ifc.Plan(), 1.0, "rule", "no words", timings={"parse_ms": 0.0})
        tags, tprob, skills, sprob, actionable = self.backend.predict(words)
        if actionable < 0.5 or not skills:
            reason = "nothing actionable (chit-chat, a question, or an instruction the robot cannot follow)"
            return ParseResult(raw, ifc.Plan(), float(1 - actionable), "model", reason, timings={"parse_ms": (time.perf_counter() - t0) * 1000})
        dec = decode(words, tags, skills, self.limits)
        dec.notes.extend(said_once(dec.plan, clean))
        slot_p = [p for p, t in zip(tprob, tags) if t != "O"] or [1.0]
        conf = float(min(actionable, min(sprob) if sprob else 1.0, float(np.mean(slot_p))))
        for s in dec.plan.steps:
            if s.skill in ("go_to", "find") and s.target.color is None and s.target.shape is None:
                conf = min(conf, DOUBT_CONFIDENCE)
                dec.notes.append(f"{s.skill}: no colour or shape understood")
        reason = "parsed"
        if dec.doubts:  # the agent asks rather than guess
            conf = min(conf, DOUBT_CONFIDENCE)
            reason = "; ".join(dec.doubts)
            dec.notes.extend(d for d in dec.doubts if d not in dec.notes)
        return ParseResult(raw, dec.plan, conf, "model", reason, dec.notes, {"parse_ms": (time.perf_counter() - t0) * 1000})
