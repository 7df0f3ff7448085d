"""The whole agent in the loop: sim_node and the five agent nodes as processes over DDS.

`make demo`'s code path (spoken through espeak-ng and the real recogniser) and
`autogpt-ros evaluate` with typed instructions, judged from /sim/ground_truth."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, tool

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def test_demo_spoken_go_to_the_red_box(tmp_path):
    assert shutil.which("espeak-ng"), "make setup installs espeak-ng; without it the demo would fall back to typing"
    out = tmp_path / "demo_out"
    r = subprocess.run([tool("autogpt-ros"), "demo", "--out", str(out)], capture_output=True, text=True, timeout=400, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "heard: 'go to the" in r.stdout and "result: SUCCESS" in r.stdout
    assert "decision: " in r.stdout
    for f in ("trajectory.png", "decisions.jsonl", "launch.log"):
        assert (out / f).exists(), f
    assert list(out.glob("camera_*.png"))
    decisions = [json.loads(l) for l in (out / "decisions.jsonl").read_text().splitlines()]
    assert any(d["skill"] == "go_to" for d in decisions) and decisions[-1]["reason"] == "plan complete"


def test_evaluate_typed_episodes_with_stop_latency(tmp_path):
    instr = tmp_path / "instructions.jsonl"
    instr.write_text(
        json.dumps({"text": "find the blue ball", "scenario": "red_box_ahead"}) + "\n"
        + json.dumps({"text": "please drive to the red box", "scenario": "red_box_ahead"}) + "\n"
    )
    js = tmp_path / "eval.json"
    r = subprocess.run([tool("autogpt-ros"), "evaluate", "--instructions", str(instr), "--json", str(js), "--out", str(tmp_path / "eval"), "--stop-every", "2", "--bag"],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rep = json.loads(js.read_text())
    for key in ("success_rate", "success_rate_by_skill", "collision_rate", "episodes", "stop_typed_p95_ms", "stop_spoken_p95_ms", "speech_to_goal_p95_ms", "goal_to_cmd_vel_p95_ms", "results"):
        assert key in rep
    assert rep["episodes"] == 2 and rep["success_rate"] == 1.0, rep["results"]
    assert rep["success_rate_by_skill"] == {"find": 1.0, "go_to": 1.0}
    assert rep["stop_typed_p95_ms"] is not None and rep["goal_to_cmd_vel_p95_ms"] is not None
    assert (tmp_path / "eval" / "evaluation.md").exists() and (tmp_path / "eval" / "trajectories.png").exists()
    # the episodes were recorded as rosbag2 (MCAP) files that rosbags reads back
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import Stores, get_typestore

    bag = tmp_path / "eval" / "bags" / "episode_002"
    with AnyReader([bag], default_typestore=get_typestore(Stores.ROS2_KILTED)) as reader:
        topics = {c.topic for c in reader.connections}
        assert {"/cmd_vel", "/agent/decision", "/sim/ground_truth"} <= topics
        cmds = [reader.deserialize(raw, c.msgtype) for c, t, raw in reader.messages() if c.topic == "/cmd_vel"]
        assert any(abs(m.linear.x) > 0.01 for m in cmds)
