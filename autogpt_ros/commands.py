"""Subcommands of ``autogpt-ros`` beyond launch/run (registered on import)."""
from __future__ import annotations

import argparse
import os
import sys

from autogpt_ros.cli import subcommand


# ------------------------------------------------------------------------ sim


def cmd_sim(a) -> int:
    from autogpt_ros.sim.world import ScenarioError, generate, resolve_scenario

    try:
        sc = resolve_scenario(a.scenario) if a.scenario else generate(a.seed)
    except ScenarioError as e:
        print(f"autogpt-ros sim: error: {e}", file=sys.stderr)
        return 2
    if a.action == "snapshot":
        from autogpt_ros.sim.snapshot import snapshot

        files = snapshot(sc, a.out, a.width, a.height)
        for k, v in files.items():
            print(f"{k}: {v}")
        return 0
    if a.action == "sdf":
        from autogpt_ros.sim.sdf import spawn_pose, write_world

        out = a.out if a.out.endswith(".sdf") else os.path.join(a.out, f"{sc.name}.sdf")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        write_world(sc, out)
        p = spawn_pose(sc)
        print(f"wrote {out}")
        print(f"ros2 launch autogpt_ros gazebo.launch.xml world:={os.path.abspath(out)} x:={p['x']:.3f} y:={p['y']:.3f} yaw:={p['Y']:.3f}")
        return 0
    from autogpt_ros.nodes.base import run_nodes
    from autogpt_ros.nodes.sim_node import SimNode

    ros = ["--ros-args", "-p", f"seed:={a.seed}", "-p", f"real_time_factor:={a.real_time_factor}"]
    if a.scenario:
        ros += ["-p", f"scenario:={a.scenario}"]
    if not a.headless:
        ros += ["-p", "viewer:=true"]
    return run_nodes([SimNode], [sys.argv[0]] + ros + list(a.ros_args))


@subcommand
def _sim(sub):
    p = sub.add_parser(
        "sim",
        help="run the embedded simulator, or write pictures / a Gazebo world of a scenario",
        description=(
            "run (default): sim_node in this process, publishing what Gazebo + ros_gz_bridge would. "
            "snapshot: camera.png, depth.png, segmentation.png and a top-down map.png of the world. "
            "sdf: the world as SDF for gz-sim (gazebo.launch.xml), with the robot's spawn pose."
        ),
        epilog="examples: autogpt-ros sim --seed 3 --headless | autogpt-ros sim snapshot --seed 3 --out snap/",
    )
    p.add_argument("action", nargs="?", default="run", choices=["run", "snapshot", "sdf"])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scenario", default="", help="scenario file or name in worlds/")
    g.add_argument("--seed", type=int, default=0, help="seed of a random layout")
    p.add_argument("--headless", action="store_true", help="no MuJoCo viewer window (always so without a display)")
    p.add_argument("--real-time-factor", type=float, default=1.0, help="0: as fast as possible")
    p.add_argument("--out", default="snapshot", help="output folder (snapshot) or .sdf file/folder (sdf)")
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--ros-args", nargs=argparse.REMAINDER, default=[], help="extra rclpy arguments")
    p.set_defaults(func=cmd_sim)


# ---------------------------------------------------------------------- bench


def cmd_bench(a) -> int:
    targets = ["sim"] if a.what == "all" else [a.what]
    for what in targets:
        json_path = a.json or (os.path.join(a.out, f"bench_{what}.json") if a.out else "")
        if what == "sim":
            from autogpt_ros.bench import sim_bench

            sim_bench.run(json_path, quick=a.quick)
    return 0


@subcommand
def _bench(sub):
    p = sub.add_parser("bench", help="measure speed and quality; prints figures and writes JSON", description="Benchmarks print their figures and write them as JSON (tests never time anything).")
    p.add_argument("what", choices=["sim", "all"])
    p.add_argument("--json", default="", help="write the figures to this JSON file")
    p.add_argument("--out", default="", help="folder for JSON files (with `all`)")
    p.add_argument("--quick", action="store_true", help="shorter runs (rougher figures)")
    p.set_defaults(func=cmd_bench)
