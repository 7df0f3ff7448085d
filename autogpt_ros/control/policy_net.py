"""The learned policy as plain PyTorch modules (no training library at run time).

``autogpt-ros train-policy`` trains with stable-baselines3 and exports the
actor (observation -> normalised (v, w)) and the critic (observation -> value,
the affordance the reasoning node may use) into one small checkpoint.
"""
from __future__ import annotations

import os
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from autogpt_ros.observation import LAYOUT, OBS_SIZE


def mlp(sizes: Sequence[int], act=nn.Tanh) -> nn.Sequential:
    layers: List[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class Actor(nn.Module):
    def __init__(self, hidden: Sequence[int] = (64, 64)):
        super().__init__()
        self.net = mlp([OBS_SIZE, *hidden, 2])

    def forward(self, obs):
        return torch.clamp(self.net(obs), -1.0, 1.0)


class Critic(nn.Module):
    def __init__(self, hidden: Sequence[int] = (64, 64)):
        super().__init__()
        self.net = mlp([OBS_SIZE, *hidden, 1])

    def forward(self, obs):
        return self.net(obs).squeeze(-1)


def default_weights() -> str:
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "policy.pt"))


class PolicyError(RuntimeError):
    pass


def save(path: str, actor: Actor, critic: Critic, hidden, meta: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save({"format": "autogpt_ros.policy/1", "layout": list(LAYOUT), "hidden": list(hidden), "actor": actor.state_dict(), "critic": critic.state_dict(), "meta": meta}, path)


#: inputs older layouts had that were always zero: a checkpoint with them loads with their
#: first-layer weights removed, which gives the same outputs
RETIRED_INPUTS = ("skill_argument",)


def _drop_retired_inputs(ck: dict) -> None:
    layout = list(ck["layout"])
    for name in RETIRED_INPUTS:
        if name in layout and name not in LAYOUT:
            i = layout.index(name)
            for net in ("actor", "critic"):
                w = ck[net]["net.0.weight"]
                ck[net]["net.0.weight"] = torch.cat([w[:, :i], w[:, i + 1 :]], dim=1)
            layout.pop(i)
    ck["layout"] = layout


class Policy:
    """The deployed policy: ``act(obs) -> (a_v, a_w)`` in [-1, 1], ``value(obs)``."""

    def __init__(self, path: Optional[str] = None):
        path = path or default_weights()
        from autogpt_ros.checkpoints import load_checkpoint_file

        ck = load_checkpoint_file(path, "autogpt_ros.policy/1", "policy", "train-policy", PolicyError)
        _drop_retired_inputs(ck)
        if list(ck["layout"]) != list(LAYOUT):
            raise PolicyError(f"{path} was trained on another observation layout; retrain with train-policy")
        self.actor, self.critic = Actor(ck["hidden"]), Critic(ck["hidden"])
        self.actor.load_state_dict(ck["actor"])
        self.critic.load_state_dict(ck["critic"])
        self.actor.eval()
        self.critic.eval()
        self.meta = ck.get("meta", {})
        self.path = path

    @torch.inference_mode()
    def act(self, obs: np.ndarray) -> Tuple[float, float]:
        a = self.actor(torch.as_tensor(np.asarray(obs, np.float32)).unsqueeze(0))[0]
        return float(a[0]), float(a[1])

    @torch.inference_mode()
    def value(self, obs: np.ndarray) -> float:
        return float(self.critic(torch.as_tensor(np.asarray(obs, np.float32)).unsqueeze(0))[0])
