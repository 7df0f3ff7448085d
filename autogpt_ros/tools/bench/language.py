"""`autogpt-ros bench language`: the parser on the hand-written paraphrase sets, figures, not tests."""
from __future__ import annotations

import os
import time

from autogpt_ros.tools.bench import machine, print_table, write_json


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _data(name: str) -> str:
    return os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "data", name)


def run(json_path: str = "", backend: str = "router", planner: str = "", planner_base: str = "") -> dict:
    """The parser as reasoning_node runs it (``backend``, one thread) on every hand-written set."""
    import json

    import torch

    from autogpt_ros.language.parser import Parser
    from autogpt_ros.tools.train_language import evaluate_parser, load_paraphrases, paraphrases_path
    from autogpt_ros.tools.train_planner import evaluate_planner

    torch.set_num_threads(1)  # as reasoning_node runs it (threads: 1)
    rss0 = _rss_mb()
    t = time.perf_counter()
    parser = Parser(backend, threads=1, planner=planner or None, planner_base=planner_base or None)
    load_s = time.perf_counter() - t
    rss = _rss_mb()
    items = load_paraphrases()
    for it in items[:10]:
        parser.parse(it["text"])  # warm up
    parser = _Recording(parser)
    r = evaluate_parser(parser, items, "paraphrases")
    # further hand-written sets, each written before a change of the generator and never used to change
    # anything after: the held-out figures (fresh: after the decoding rules were added; holdout3 and
    # holdout4: before the first and the second broadening of the generator; holdout5:
    # after the second broadening, before the final model was measured on it)
    folder = os.path.dirname(paraphrases_path())
    extra = {}
    for key, name in (("fresh", "paraphrases_fresh.jsonl"), ("holdout3", "paraphrases_holdout3.jsonl"), ("holdout4", "paraphrases_holdout4.jsonl"), ("holdout5", "paraphrases_holdout5.jsonl")):
        if os.path.exists(os.path.join(folder, name)):
            e = evaluate_parser(parser, load_paraphrases(os.path.join(folder, name)), name)
            extra.update({f"exact_match_{key}": e["exact_match"], f"slot_f1_{key}": e["slot_f1"], f"paraphrases_{key}": e["n"], f"failures_{key}": e["failures"][:40]})
    # where the v1 sets went: the tagger path's latency, and how much the planner took
    tagger_ms = sorted(ms for src, ms in parser.log if src != "planner")
    planner_share = sum(src == "planner" for src, _ in parser.log) / max(1, len(parser.log))
    if tagger_ms:
        extra.update({"tagger_latency_p50_ms": tagger_ms[len(tagger_ms) // 2], "tagger_latency_p95_ms": tagger_ms[min(len(tagger_ms) - 1, int(0.95 * len(tagger_ms)))]})
    extra["v1_sets_routed_to_planner"] = planner_share
    # plan language v2: hand-written before any planner was trained (test/data/plans_v2_holdout.jsonl)
    v2_path = _data("plans_v2_holdout.jsonl")
    if os.path.exists(v2_path):
        v2 = [json.loads(line) for line in open(v2_path) if line.strip() and not line.startswith("#")]
        sources = []

        def parse_v2(text):
            res = parser.parse(text)
            sources.append(res.source)
            return res.plan.model_dump(by_alias=True)

        e = evaluate_planner(parse_v2, v2, "plan language v2")
        extra.update({"exact_match_v2": e["exact_match"], "plans_v2": e["n"], "per_skill_v2": e["per_skill"], "failures_v2": e["failures"][:60],
                      "v2_routed_to_planner": sources.count("planner") / max(1, len(sources))})
        if parser.planner is not None:  # the generative path alone, one thread: its latency
            lat = sorted(parser.planner.plan(it["text"])[2]["planner_ms"] for it in v2)
            extra.update({"planner_latency_p50_ms": lat[len(lat) // 2], "planner_latency_p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
                          "planner_load_s": parser.planner.load_s, "planner_base": parser.planner.base})
    # requests the robot cannot do: refusals_blind4.jsonl is the figure (written without the code, measured once);
    # the earlier sets are reported as seen sets: refusals_holdout.jsonl was read while the refusal rules were
    # written, refusals_blind.jsonl's misses were read after its measurement, and the categories (not the
    # sentences) of the misses of refusals_blind2.jsonl and refusals_blind3.jsonl after theirs
    extra.update(refusals(parser, _data("refusals_blind4.jsonl")))
    for suffix, name in (("seen", "refusals_holdout.jsonl"), ("blind1", "refusals_blind.jsonl"), ("blind2", "refusals_blind2.jsonl"), ("blind3", "refusals_blind3.jsonl")):
        seen = refusals(parser, _data(name))
        extra.update({f"{k}_{suffix}": v for k, v in seen.items()})
    res = {"backend": backend, "exact_match": r["exact_match"], "slot_f1": r["slot_f1"], "skill_accuracy": r["skill_accuracy"], "latency_p50_ms": r["latency_p50_ms"],
           "latency_p95_ms": r["latency_p95_ms"], "load_s": load_s, "paraphrases": r["n"], "slot_f1_by_slot": r["slot_f1_by_slot"], "failures": r["failures"][:40],
           # memory of the process after all of the above (weights are paged in as they are used): what reasoning_node holds
           "planner_rss_mb": _rss_mb(), "peak_rss_mb": _peak_mb(), "rss_after_load_mb": rss, "rss_before_load_mb": rss0,
           **extra,
           "targets": {"exact_match": ">= 0.97 (every existing set)", "tagger_latency_p95_ms": "< 15", "exact_match_v2": ">= 0.90", "refusal_rate": ">= 0.95",
                       "motion_on_refusal": "0", "planner_latency_p95_ms": "< 2000", "planner_load_s": "<= 15 (cached weights)", "planner_rss_mb": "<= 1000"},
           "machine": machine()}
    print_table(f"bench language ({backend})", {k: v for k, v in res.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    write_json(json_path, res)
    return res


class _Recording:
    """A parser that remembers (source, parse_ms) of every parse."""

    def __init__(self, parser):
        self.parser, self.log = parser, []

    def __getattr__(self, name):
        return getattr(self.parser, name)

    def parse(self, text, scene=""):
        r = self.parser.parse(text, scene)
        self.log.append((r.source, r.timings.get("parse_ms", 0.0)))
        return r


MOTION = ("go_to", "find", "move", "turn", "go_to_place", "explore")  # every step that drives the robot


def _drives(steps) -> bool:
    """A step that drives the robot, also inside repeat and if_visible (go_to_place only to home
    or here: a place the agent does not know is a question, never motion)."""
    from autogpt_ros.interfaces import walk_steps

    return any(st.skill in MOTION and (st.skill != "go_to_place" or st.place in ("home", "here")) for st in walk_steps(steps))


def refusals(parser, path: str = "") -> dict:
    """Requests the robot cannot do (a set under test/data written by hand from the robot's
    capabilities): ``refusal_rate`` (a refusal came back), ``motion_on_refusal`` (a plan with a step
    that drives the robot (``MOTION``) that the agent would act on, confidence >= 0.5: must be 0)."""
    import json

    path = path or _data("refusals_blind4.jsonl")
    if not os.path.exists(path):
        return {}
    items = [json.loads(line) for line in open(path) if line.strip() and not line.startswith("#")]
    refused, moved, missed = 0, 0, []
    for it in items:
        r = parser.parse(it["text"])
        refused += bool(r.plan.refusal)
        if _drives(r.plan.steps) and r.confidence >= 0.5:
            moved += 1
        if not r.plan.refusal:
            missed.append({"text": it["text"], "got": r.plan.compact(), "confidence": round(r.confidence, 3)})
    return {"refusal_rate": refused / max(1, len(items)), "motion_on_refusal": moved, "refusal_requests": len(items), "not_refused": missed}
