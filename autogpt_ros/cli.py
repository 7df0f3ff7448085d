"""``autogpt-ros``: the project's command-line tool.

Subcommands import what they need when they run, so ``--help`` is instant.
"""
from __future__ import annotations

import argparse
import os
import sys


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


# ---------------------------------------------------------------- launch / run


def cmd_launch(a) -> int:
    from autogpt_ros.tools import launcher

    try:
        path = launcher.resolve_launch_file(a.file)
        args = launcher.parse_launch_args(a.args)
        if a.show_args:
            desc = launcher.load(path, {})
            for name, (default, doc) in desc.declared.items():
                print(f"'{name}':\n    {doc}\n    (default: {default!r})")
            return 0
        if a.print:
            print(launcher.describe(launcher.load(path, args)))
            return 0
        return launcher.run(path, args)
    except launcher.LaunchError as e:
        print(f"autogpt-ros launch: error: {e}", file=sys.stderr)
        return 2


def cmd_run(a) -> int:
    from autogpt_ros.nodes import NODES, node_class
    from autogpt_ros.nodes.base import run_nodes

    try:
        classes = [node_class(n) for n in a.nodes]
    except KeyError as e:
        print(f"autogpt-ros run: error: {e.args[0]}", file=sys.stderr)
        return 2
    ros_args = ["--ros-args"]
    for f in a.params_file:
        ros_args += ["--params-file", f]
    ros_args += a.ros_args
    return run_nodes(classes, [sys.argv[0]] + ros_args)


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autogpt-ros", description="autogpt_ros: a language-driven ROS 2 robot agent.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    lp = sub.add_parser(
        "launch",
        help="run a ROS 2 XML launch file (no ros2 launch needed)",
        description=(
            "Run a ROS 2 XML launch file the way `ros2 launch` would: every <node> is started as its "
            "executable with --ros-args (node name, namespace, parameter files, remaps), output prefixed "
            "with [name-N]; Ctrl-C or SIGTERM ends every child; a crashed child is reported and, with "
            "respawn=\"true\", restarted.  FILE is a path or a file name in share/autogpt_ros/launch "
            "(for example sim.launch.xml).  Supported: <launch> <arg> <let> <node> <param> <remap> "
            "<group> <push-ros-namespace> <include> <set-env> <unset-env> <set_parameter>, if/unless, "
            "$(var) $(env) $(optenv) $(find-pkg-share) $(find-pkg-prefix) $(dirname) $(filename) $(anon)."
        ),
        epilog="example: autogpt-ros launch sim.launch.xml seed:=3 use_sim_time:=true",
    )
    lp.add_argument("file", help="launch file path or name")
    lp.add_argument("args", nargs="*", help="launch arguments as name:=value")
    lp.add_argument("--show-args", "-s", action="store_true", help="list the file's arguments and exit")
    lp.add_argument("--print", "-p", action="store_true", help="print the nodes, parameters and remaps it would start, and exit")
    lp.set_defaults(func=cmd_launch)

    rp = sub.add_parser(
        "run",
        help="run several nodes in one process (manual composition)",
        description=(
            "Run the named nodes in one process on one single-threaded executor, for the lowest latency "
            "between them (intra-process hops skip DDS serialisation).  Parameter files apply as with "
            "ros2 run; anything after --ros-args is passed to rclpy (remaps, -p name:=value, __ns)."
        ),
        epilog="example: autogpt-ros run sim_node --params-file config/sim.yaml --ros-args -p seed:=4",
    )
    rp.add_argument("nodes", nargs="+", help="node names (sim_node, camera_node, ...)")
    rp.add_argument("--params-file", action="append", default=[], help="a YAML file with ros__parameters (repeatable)")
    rp.add_argument("--ros-args", nargs=argparse.REMAINDER, default=[], help="rclpy arguments")
    rp.set_defaults(func=cmd_run)

    for extra in _EXTRA:
        extra(sub)
    return p


#: Further subcommands register here (each adds its parser to ``sub``).
_EXTRA = []


def subcommand(fn):
    _EXTRA.append(fn)
    return fn


def main(argv=None) -> None:
    _ensure_env()
    from autogpt_ros.tools import commands  # noqa: F401  (registers the other subcommands)

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


if __name__ == "__main__":  # python -m autogpt_ros.cli: use the package module, where subcommands register
    from autogpt_ros.cli import main as _main

    _main()
