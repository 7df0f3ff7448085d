"""autogpt-ros train-policy / evaluate-policy: learn go_to and find in the simulator.

Training uses stable-baselines3 (PPO by default, SAC or DQN on request) on
vectorised :class:`autogpt_ros.sim.env.AgentEnv` instances, evaluates on
fixed seeds every ``eval_every`` steps, keeps the best checkpoint, logs CSV
and draws the learning curve, then exports the actor and critic to plain
PyTorch (:mod:`autogpt_ros.control.policy_net`).
"""
from __future__ import annotations

import csv
import json
import math
import os
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from tqdm import tqdm

from autogpt_ros.control import policy_net as PN
from autogpt_ros.sim.env import AgentEnv

EVAL_SEED_BASE = 1_000_000  # evaluation worlds never used in training (training seeds are < 1e6)


class DiscreteActions:
    """For DQN: 9 (v, w) pairs."""

    TABLE = [(1, 0), (1, 0.5), (1, -0.5), (0.5, 1), (0.5, -1), (0, 1), (0, -1), (0, 0), (-0.5, 0)]


def make_env(seed: int, discrete: bool = False, time_limit: float = 45.0):
    import gymnasium as gym

    def thunk():
        env = AgentEnv(time_limit=time_limit, terminate_on_collision=True)
        if discrete:
            env = _Discretize(env)
        env.reset(seed=seed)
        return env

    return thunk


class _Discretize:
    def __new__(cls, env):
        import gymnasium as gym

        class D(gym.ActionWrapper):
            def __init__(self, e):
                super().__init__(e)
                self.action_space = gym.spaces.Discrete(len(DiscreteActions.TABLE))

            def action(self, a):
                return np.array(DiscreteActions.TABLE[int(a)], np.float32)

        return D(env)


class _Acting:
    def __init__(self, act):
        self.act = act


def run_episodes(act, episodes: int, seed: int, skills: Sequence[str] = ("go_to", "find"), trajectories: int = 0, progress: bool = True, recovery: bool = False) -> Dict:
    """Evaluate ``act(obs) -> action`` in fresh worlds of seeds seed..seed+episodes-1
    (with ``recovery``: inside the recovery behaviours policy_node runs it in)."""
    from autogpt_ros.control.recovery import RecoveringPolicy, RecoveryConfig

    env = AgentEnv(skills=skills)
    res = {s: [] for s in skills}
    collisions, contacts, times, eff, trajs = 0, 0, [], [], []
    recovered = 0
    L = env.safety_limits
    rp = RecoveringPolicy(_Acting(act), env.dt, RecoveryConfig(max_linear=L.max_linear, max_angular=L.max_angular)) if recovery else None
    step_act = act if rp is None else (lambda o: np.array(rp.act(o), np.float32))
    for ep in tqdm(range(episodes), desc="evaluating policy", disable=not progress, leave=False):
        obs, info = env.reset(seed=seed + ep, options={"skill": skills[ep % len(skills)]})
        if rp is not None:
            rp.reset()
        start = info["pose"]
        traj = [start[:2]]
        collided = False
        while True:
            obs, r, term, trunc, info = env.step(step_act(obs))
            traj.append(info["pose"][:2])
            collided |= info["collisions"] > 0
            if term or trunc:
                break
        contacts += info["collisions"]  # every touch, also brief (the simulator counts each new contact)
        res[info["skill"]].append(bool(info["success"]))
        collisions += collided
        recovered += bool(rp is not None and rp.recoveries)
        if info["success"]:
            times.append(info["time"])
            if info["skill"] == "go_to" and info["path_length"] > 0.05:
                straight = max(0.0, info["start_distance"] - 0.5)
                eff.append(min(1.0, straight / info["path_length"]))
        if len(trajs) < trajectories:
            trajs.append({"scenario": env.sim.scenario, "traj": traj, "skill": info["skill"], "target": info["target"], "success": info["success"]})
    env.close()
    all_s = [x for v in res.values() for x in v]
    out = {
        "episodes": episodes,
        "success_rate": float(np.mean(all_s)) if all_s else 0.0,
        "collision_rate": collisions / max(1, episodes),
        "contacts": int(contacts),
        "episodes_with_contact": int(collisions),
        "mean_time_to_goal_s": float(np.mean(times)) if times else float("nan"),
        "path_efficiency": float(np.mean(eff)) if eff else float("nan"),
    }
    for s in skills:
        out[f"success_rate_{s}"] = float(np.mean(res[s])) if res[s] else float("nan")
    out["recovery"] = recovery
    if recovery:
        out["episodes_with_recovery"] = recovered
    out["_trajectories"] = trajs
    return out


def plot_trajectories(trajs: List[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from autogpt_ros.sim.snapshot import top_down

    n = len(trajs)
    if not n:
        return
    cols = min(4, n)
    rows = int(math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax, t in zip(axes.flat, trajs):
        top_down(ax, t["scenario"], None, None, t["traj"], highlight=t["target"])
        x0, y0 = t["traj"][0]
        ax.plot([x0], [y0], "o", color="tab:cyan")
        ax.set_title(f"{t['skill']} {t['target']}: {'success' if t['success'] else 'FAILED'}", fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def export(model, algo: str, path: str, meta: dict) -> None:
    """Copy the SB3 networks into plain Actor/Critic modules."""
    hidden = (64, 64)
    actor, critic = PN.Actor(hidden), PN.Critic(hidden)
    pol = model.policy
    if algo == "ppo":
        lin = [m for m in pol.mlp_extractor.policy_net if isinstance(m, torch.nn.Linear)] + [pol.action_net]
        vlin = [m for m in pol.mlp_extractor.value_net if isinstance(m, torch.nn.Linear)] + [pol.value_net]
    elif algo == "sac":
        lin = [m for m in pol.actor.latent_pi if isinstance(m, torch.nn.Linear)] + [pol.actor.mu]
        vlin = [m for m in pol.critic.qf0 if isinstance(m, torch.nn.Linear)]
    else:
        raise ValueError("export supports ppo and sac (dqn has no continuous actor)")
    for dst, src in zip([m for m in actor.net if isinstance(m, torch.nn.Linear)], lin):
        dst.load_state_dict(src.state_dict())
    if algo == "ppo":
        for dst, src in zip([m for m in critic.net if isinstance(m, torch.nn.Linear)], vlin):
            dst.load_state_dict(src.state_dict())
    else:  # SAC's Q(s, a) takes the action too: keep the state part as a value proxy (documented)
        critic = PN.Critic(hidden)
    if algo == "sac":
        actor.net = torch.nn.Sequential(*actor.net, torch.nn.Tanh())
    PN.save(path, actor, critic, hidden, meta)


class _Recorder:
    def __init__(self, out_dir: str):
        self.rows = []
        self.path = os.path.join(out_dir, "train_log.csv")

    def add(self, row: dict):
        self.rows.append(row)
        with open(self.path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row.keys()))
            w.writeheader()
            w.writerows(self.rows)

    def plot(self, path: str):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        if not self.rows:
            return
        x = [r["timesteps"] for r in self.rows]
        fig, ax = plt.subplots(figsize=(7, 4))
        for key, label in (("success_rate", "success (all)"), ("success_rate_go_to", "go_to"), ("success_rate_find", "find"), ("collision_rate", "collisions")):
            ax.plot(x, [r[key] for r in self.rows], marker="o", label=label)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("rate on fixed evaluation seeds")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title("policy learning curve")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def train_policy(out_dir: str, algo: str = "ppo", steps: int = 1_000_000, seed: int = 0, n_envs: int = 8, eval_every: int = 100_000, eval_episodes: int = 40, export_path: Optional[str] = None, init: str = "", log=print) -> dict:
    from stable_baselines3 import DQN, PPO, SAC
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.vec_env import DummyVecEnv

    t0 = time.time()
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    discrete = algo == "dqn"
    venv = DummyVecEnv([make_env(seed * 10_000 + i, discrete) for i in range(n_envs if algo == "ppo" else 1)])
    if algo == "ppo":
        model = PPO("MlpPolicy", venv, n_steps=256, batch_size=512, n_epochs=5, learning_rate=3e-4, gamma=0.99, gae_lambda=0.95, clip_range=0.2,
                    ent_coef=0.0, policy_kwargs=dict(net_arch=dict(pi=[64, 64], vf=[64, 64]), activation_fn=torch.nn.Tanh, log_std_init=-0.5), seed=seed, verbose=0, device="cpu")
    elif algo == "sac":
        model = SAC("MlpPolicy", venv, learning_rate=3e-4, buffer_size=200_000, batch_size=256, train_freq=4, gradient_steps=1, learning_starts=2000,
                    policy_kwargs=dict(net_arch=[64, 64], activation_fn=torch.nn.Tanh), seed=seed, verbose=0, device="cpu")
    elif algo == "dqn":
        model = DQN("MlpPolicy", venv, learning_rate=5e-4, buffer_size=200_000, learning_starts=2000, train_freq=4, target_update_interval=2000, exploration_fraction=0.3,
                    policy_kwargs=dict(net_arch=[64, 64]), seed=seed, verbose=0, device="cpu")
    else:
        raise ValueError(f"unknown algorithm {algo!r} (ppo, sac, dqn)")
    if init:  # continue from a saved stable-baselines3 model (best_<algo>.zip)
        model = {"ppo": PPO, "sac": SAC, "dqn": DQN}[algo].load(init, env=venv, device="cpu")
        log(f"continuing from {init}")
    rec = _Recorder(out_dir)
    best = {"success_rate": -1.0}
    best_path = os.path.join(out_dir, "best_policy.pt")
    sb3_best = os.path.join(out_dir, f"best_{algo}.zip")

    def evaluate_now(timesteps: int):
        if algo == "dqn":
            act = lambda o: DiscreteActions.TABLE[int(model.predict(o, deterministic=True)[0])]
        else:
            act = lambda o: model.predict(o, deterministic=True)[0]
        r = run_episodes(act, eval_episodes, EVAL_SEED_BASE, progress=False)
        r.pop("_trajectories")
        row = {"timesteps": timesteps, "wall_s": round(time.time() - t0, 1), **{k: round(v, 4) for k, v in r.items() if isinstance(v, float)}}
        rec.add(row)
        log(f"[{row['wall_s']:.0f} s] {timesteps} steps: success {r['success_rate']:.3f} (go_to {r['success_rate_go_to']:.3f}, find {r['success_rate_find']:.3f}), collisions {r['collision_rate']:.3f}")
        if r["success_rate"] > best["success_rate"]:
            best.update(r)
            best["timesteps"] = timesteps
            model.save(sb3_best)
            if algo != "dqn":
                export(model, algo, best_path, {"algo": algo, "timesteps": timesteps, "seed": seed, "eval": {k: v for k, v in r.items()}})

    class EvalCB(BaseCallback):
        def __init__(self):
            super().__init__()
            self.next = eval_every

        def _on_training_start(self):
            # continuing (--init): the counter starts where the loaded model stopped
            self.next = self.num_timesteps + eval_every

        def _on_step(self):
            if self.num_timesteps >= self.next:
                self.next += eval_every
                evaluate_now(self.num_timesteps)
            return True

    if init:
        evaluate_now(model.num_timesteps)  # the starting point, so that continuing never exports something worse
    model.learn(total_timesteps=steps, callback=EvalCB(), progress_bar=True, reset_num_timesteps=not init)
    evaluate_now(model.num_timesteps)
    rec.plot(os.path.join(out_dir, "learning_curve.png"))
    summary = {"algo": algo, "steps": steps, "seed": seed, "train_seconds": round(time.time() - t0, 1), "best": best}
    if export_path and os.path.exists(best_path):
        import shutil

        shutil.copy(best_path, export_path)
        summary["exported"] = export_path
    with open(os.path.join(out_dir, "train_summary.json"), "w") as f:
        json.dump(summary, f, indent=2, default=float)
    log(f"best: success {best['success_rate']:.3f} at {best.get('timesteps')} steps; {time.time() - t0:.0f} s")
    return summary


def evaluate_policy(weights: Optional[str], episodes: int, seed: int, json_path: str = "", plot: str = "", log=print, recovery: bool = True) -> Dict:
    pol = PN.Policy(weights)
    res = run_episodes(lambda o: np.array(pol.act(o), np.float32), episodes, seed, trajectories=8 if plot else 0, recovery=recovery)
    trajs = res.pop("_trajectories")
    if plot:
        plot_trajectories(trajs, plot)
        res["plot"] = plot
    res["weights"] = pol.path
    if json_path:
        os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
        with open(json_path, "w") as f:
            json.dump(res, f, indent=2)
    log(json.dumps({k: v for k, v in res.items()}, indent=2))
    return res
