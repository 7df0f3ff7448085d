"""`autogpt-ros bench language`: the parser on the hand-written paraphrase sets, figures, not tests."""
from __future__ import annotations

import os
import time

from autogpt_ros.tools.bench import machine, print_table, write_json


def run(json_path: str = "") -> dict:
    from autogpt_ros.language.parser import Parser
    from autogpt_ros.tools.train_language import evaluate_parser, load_paraphrases, paraphrases_path

    t = time.perf_counter()
    parser = Parser("model")
    load_s = time.perf_counter() - t
    items = load_paraphrases()
    for it in items[:10]:
        parser.parse(it["text"])  # warm up
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
    extra.update(refusals(parser))
    res = {"exact_match": r["exact_match"], "slot_f1": r["slot_f1"], "skill_accuracy": r["skill_accuracy"], "latency_p50_ms": r["latency_p50_ms"],
           "latency_p95_ms": r["latency_p95_ms"], "load_s": load_s, "paraphrases": r["n"], "slot_f1_by_slot": r["slot_f1_by_slot"], "failures": r["failures"][:40],
           **extra,
           "targets": {"exact_match": ">= 0.95", "latency_p95_ms": "< 15", "refusal_rate": ">= 0.95", "motion_on_refusal": "0"}, "machine": machine()}
    print_table("bench language (hand-written paraphrases)", {k: v for k, v in res.items() if isinstance(v, (int, float))})
    write_json(json_path, res)
    return res


MOTION = ("go_to", "find", "move", "turn")


def refusals(parser, path: str = "") -> dict:
    """Requests the robot cannot do (test/data/refusals_holdout.jsonl, written by hand from the
    robot's capabilities): ``refusal_rate`` (a refusal came back), ``motion_on_refusal`` (a plan with
    go_to/find/move/turn that the agent would act on, confidence >= 0.5: must be 0)."""
    import json

    path = path or os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "data", "refusals_holdout.jsonl")
    if not os.path.exists(path):
        return {}
    items = [json.loads(line) for line in open(path) if line.strip() and not line.startswith("#")]
    refused, moved, missed = 0, 0, []
    for it in items:
        r = parser.parse(it["text"])
        refused += bool(r.plan.refusal)
        if any(st.skill in MOTION for st in r.plan.steps) and r.confidence >= 0.5:
            moved += 1
        if not r.plan.refusal:
            missed.append({"text": it["text"], "got": r.plan.compact(), "confidence": round(r.confidence, 3)})
    return {"refusal_rate": refused / max(1, len(items)), "motion_on_refusal": moved, "refusal_requests": len(items), "not_refused": missed}
