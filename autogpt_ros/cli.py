"""``autogpt-ros``: the project's command-line tool.

:data:`COMMANDS` lists every subcommand; each is implemented in
:mod:`autogpt_ros.tools.commands`, which imports what it needs when it runs, so
``--help`` is instant.
"""
from __future__ import annotations

import argparse
import os
import sys

from autogpt_ros.tools import commands as c


def _ensure_env() -> None:
    """Make a venv install behave like a sourced ROS workspace."""
    share_marker = os.path.join(sys.prefix, "share", "ament_index", "resource_index", "packages", "autogpt_ros")
    paths = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    if os.path.exists(share_marker) and sys.prefix not in paths:
        os.environ["AMENT_PREFIX_PATH"] = os.pathsep.join([sys.prefix] + paths)
    # Large images over Fast DDS: the measured fix for lost best-effort frames.
    os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


#: The subcommands in the order ``autogpt-ros --help`` lists them, each with the
#: function that adds its parser (and its ``func``) to the subparsers.
COMMANDS = (
    ("launch", c.add_launch),
    ("run", c.add_run),
    ("sim", c.add_sim),
    ("bench", c.add_bench),
    ("train-vision", c.add_train_vision),
    ("train-language", c.add_train_language),
    ("train-planner", c.add_train_planner),
    ("train-policy", c.add_train_policy),
    ("evaluate-policy", c.add_evaluate_policy),
    ("parse", c.add_parse),
    ("transcribe", c.add_transcribe),
    ("evaluate", c.add_evaluate),
    ("demo", c.add_demo),
    ("send", c.add_send),
    ("docs", c.add_docs),
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autogpt-ros", description="autogpt_ros: a language-driven ROS 2 robot agent.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, add in COMMANDS:
        add(sub, name)
    return p


def main(argv=None) -> None:
    _ensure_env()
    parser = build_parser()
    a, extra = parser.parse_known_args(argv)
    if a.command == "launch":  # name:=value may follow options
        a.args += [x for x in extra if ":=" in x]
        extra = [x for x in extra if ":=" not in x]
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        code = a.func(a)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
