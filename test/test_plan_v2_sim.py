"""Plan language v2 on the robot: the embedded simulator and the five agent nodes as processes
over DDS, instructions typed through `autogpt-ros evaluate --instructions`, each judged by
ground truth (autogpt_ros/tools/judge.py): the nearest of two balls, back home after a go_to,
a move that ends once its target is in view, an answer that matches the world, both branches
of if_visible, and a refusal that publishes no goal."""
import json
import subprocess

import pytest

from conftest import ROOT, tool

pytestmark = [pytest.mark.ros, pytest.mark.slow]

ITEMS = [
    {"text": "go to the nearest red ball", "scenario": "two_red_balls", "kind": "go_to", "target": {"color": "red", "shape": "ball", "select": "nearest"}},
    {"text": "drive to the blue ball, then go back to where you started", "scenario": "red_box_ahead", "kind": "go_to_place", "place": "home"},
    {"text": "move forward until you see the yellow box", "scenario": "hidden_ahead", "kind": "move_until", "target": {"color": "yellow", "shape": "box"}},
    {"text": "how far away is the red box", "scenario": "red_box_ahead", "kind": "answer", "question": "distance", "target": {"color": "red", "shape": "box"}},
    {"text": "if you see the red box go to it, otherwise turn left 90 degrees", "scenario": "red_box_ahead", "kind": "if_visible", "target": {"color": "red", "shape": "box"}},
    {"text": "if the white box is in view go to it, otherwise turn right 90 degrees", "scenario": "red_box_ahead", "kind": "if_visible", "target": {"color": "white", "shape": "box"}},
    {"text": "bring me the red ball", "scenario": "two_red_balls", "kind": "refusal"},
]


def test_v2_steps_carried_out_in_the_simulator_and_judged_by_ground_truth(tmp_path):
    instr = tmp_path / "v2.jsonl"
    instr.write_text("".join(json.dumps(it) + "\n" for it in ITEMS))
    js = tmp_path / "eval.json"
    r = subprocess.run([tool("autogpt-ros"), "evaluate", "--instructions", str(instr), "--json", str(js), "--out", str(tmp_path / "eval"), "--min-success", "0"],
                       capture_output=True, text=True, timeout=1200, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rep = json.loads(js.read_text())
    failed = [(x["text"], x["reason"]) for x in rep["results"] if not x["success"]]
    assert not failed, failed
    assert set(rep["success_rate_by_skill"]) == {"go_to_select", "go_to_place", "move_until", "answer", "if_visible", "refusal"}
    assert rep["contacts"] == 0
    by_text = {x["text"]: x for x in rep["results"]}
    assert "red ball at (0.0, 0.6)" in by_text["go to the nearest red ball"]["reason"]  # the near one of the two
