"""`autogpt-ros bench policy`: policy step and fusion-to-command times, success in unseen worlds; figures, not tests."""
from __future__ import annotations

import time

import numpy as np

from autogpt_ros.tools.bench import machine, print_table, write_json


def run(json_path: str = "", episodes: int = 100, seed: int = 2_000_000) -> dict:
    from autogpt_ros.control.fusion import Fusion, Scan
    from autogpt_ros.control.policy_net import Policy
    from autogpt_ros.tools.train_policy import run_episodes
    from autogpt_ros.observation import OBS_SIZE
    from autogpt_ros import interfaces as ifc

    pol = Policy()
    obs = np.random.default_rng(0).uniform(-1, 1, OBS_SIZE).astype(np.float32)
    for _ in range(50):
        pol.act(obs)
    t = time.perf_counter()
    for _ in range(2000):
        pol.act(obs)
    step_ms = (time.perf_counter() - t) / 2000 * 1000
    f = Fusion()
    f.set_goal(ifc.GoalPayload(goal_id="g", step={"skill": "go_to", "target": {"color": "red", "shape": "box"}}))
    f.odometry((0, 0, 0), (0, 0), 0.0)
    f.laser(Scan(np.full(360, 3.0, np.float32), -3.14159, 0.0175, 8.0), 0.0)
    payload = ifc.ObjectsPayload(objects=[dict(label="red box", color="red", shape="box", confidence=0.9, bbox=(0, 0, 5, 5), bearing_rad=0.2, distance_m=1.5)])
    t = time.perf_counter()
    for i in range(1000):
        f.detections(payload, 0.0)
        o, _ = f.observation(0.01)
        pol.act(o)
    chain_ms = (time.perf_counter() - t) / 1000 * 1000
    # what policy_node runs (the learned policy inside the recovery behaviours), and the learned policy alone
    ev = run_episodes(lambda o: np.array(pol.act(o), np.float32), episodes, seed, recovery=True)
    ev.pop("_trajectories")
    alone = run_episodes(lambda o: np.array(pol.act(o), np.float32), episodes, seed, recovery=False)
    alone.pop("_trajectories")
    res = {"policy_step_ms": step_ms, "fusion_to_cmd_vel_ms": chain_ms, **ev, "learned_policy_only": alone, "train": pol.meta, "targets": {"policy_step_ms": "< 1", "success_rate_go_to": ">= 0.95", "success_rate_find": ">= 0.95", "collision_rate": "<= 0.02"}, "machine": machine()}
    print_table("bench policy", {k: v for k, v in res.items() if isinstance(v, (int, float))})
    write_json(json_path, res)
    return res

