"""The generative (causal_lm) backend's plumbing with a tiny randomly initialised model:
prompting, parsing, clamping and refusal (never its accuracy)."""
import pytest

from autogpt_ros.language.causal import SYSTEM, CausalLMParser, extract_plan, prompt_messages
from autogpt_ros.language.decode import Limits


def test_prompt_names_the_skills_schema_and_scene():
    msgs = prompt_messages("go to the red box", "I see a red box 1.2 m ahead.")
    assert msgs[0]["role"] == "system" and all(s in SYSTEM for s in ('"go_to"', '"find"', '"move"', '"turn"', '"stop"', '"describe"'))
    assert "I see a red box 1.2 m ahead." in msgs[1]["content"] and "go to the red box" in msgs[1]["content"]


def test_extract_plan_validates_and_clamps():
    plan, err, notes = extract_plan('Sure! {"steps": [{"skill": "move", "direction": "forward", "distance_m": 50}]} done', 3.0, 360.0)
    assert err == "" and plan.steps[0].distance_m == 3.0 and "clamped" in notes[0]
    assert extract_plan("no json here", 3, 360)[1] == "no JSON object in the answer"
    assert extract_plan('{"steps": [{"skill": "fly"}]}', 3, 360)[0] is None
    assert extract_plan('{"steps": [{"skill": "go_to", "target": {"color": "magenta"}}]}', 3, 360)[0] is None


@pytest.fixture(scope="module")
def tiny():
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from autogpt_ros.language.model import base_model_path

    tok = AutoTokenizer.from_pretrained(base_model_path())
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=tok.vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024)
    return LlamaForCausalLM(cfg).eval(), tok


def test_random_model_output_is_refused_with_a_reason(tiny):
    model, tok = tiny
    p = CausalLMParser(model_obj=model, tokenizer=tok, limits=Limits(), max_new_tokens=8)
    r = p.parse("go to the red box", "I see nothing.")
    assert r.plan.steps == [] and r.reason.startswith("refused: the generative model gave no valid plan")


def test_a_valid_answer_goes_through(tiny, monkeypatch):
    model, tok = tiny
    p = CausalLMParser(model_obj=model, tokenizer=tok, limits=Limits(), max_new_tokens=8)
    answers = iter(["nonsense", '{"steps": [{"skill": "turn", "direction": "right", "angle_deg": 720}]}'])
    monkeypatch.setattr(p, "_generate", lambda messages: next(answers))  # the retry path with a fixed answer
    r = p.parse("spin right twice")
    assert [s.skill for s in r.plan.steps] == ["turn"] and r.plan.steps[0].angle_deg == 360.0
