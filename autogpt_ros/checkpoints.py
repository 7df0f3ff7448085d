"""Loading the project's small torch checkpoints with clear errors."""
from __future__ import annotations

import os
from typing import Type


def load_checkpoint_file(path: str, fmt: str, what: str, command: str, error: Type[Exception]) -> dict:
    """The dict saved at ``path``; ``error`` with a message saying what is wrong and how to fix it."""
    import torch

    if not os.path.isfile(path):
        raise error(f"{what} not found: {path} (train with `autogpt-ros {command}`)")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise error(f"cannot read {what} {path}: {e}") from None
    if not isinstance(ck, dict) or ck.get("format") != fmt:
        raise error(f"{path} is not an autogpt_ros {what} checkpoint (format {fmt})")
    return ck
