"""autogpt-ros bench sim: physics, rendering, environment and sim_node speed."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
from tqdm import tqdm

from autogpt_ros.frames import stamp_to_s
from autogpt_ros.tools.bench import machine, print_table, write_json


def physics_steps_per_s(seconds: float = 3.0) -> float:
    from autogpt_ros.sim.core import Simulator
    from autogpt_ros.sim.world import generate

    sim = Simulator(generate(1))
    sim.set_twist(0.3, 0.5)
    import mujoco

    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(500):
            mujoco.mj_step(sim.model, sim.data)
        n += 500
    return n / (time.perf_counter() - t0)


def render_ms(width: int, height: int, frames: int = 60) -> float:
    from autogpt_ros.sim.core import Simulator
    from autogpt_ros.sim.world import generate

    sim = Simulator(generate(2))
    try:
        sim.render_rgb(width, height)  # context and buffers
        times = []
        for _ in range(frames):
            sim.step(0.01)
            t = time.perf_counter()
            sim.render_rgb(width, height)
            times.append(time.perf_counter() - t)
        return float(np.median(times) * 1000)
    finally:
        sim.close()


def env_steps_per_s(seconds: float = 5.0) -> float:
    from autogpt_ros.sim.env import AgentEnv

    env = AgentEnv()
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, size=(4096, 2)).astype(np.float32)
    env.reset(seed=0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        _, _, term, trunc, _ = env.step(actions[n % len(actions)])
        n += 1
        if term or trunc:
            env.reset()
    return n / (time.perf_counter() - t0)


def node_real_time_factor(seconds: float = 10.0) -> float:
    """sim_node as a process, as fast as possible, with camera, depth and scan subscribed."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node

    from autogpt_ros import interfaces as ifc

    env = dict(os.environ)
    env.setdefault("ROS_DOMAIN_ID", "77")
    os.environ["ROS_DOMAIN_ID"] = env["ROS_DOMAIN_ID"]
    exe = os.path.join(os.path.dirname(sys.executable), "sim_node")
    proc = subprocess.Popen([exe, "--ros-args", "-p", "real_time_factor:=0.0", "-p", "seed:=3"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rclpy.init()
    node = Node("bench_sim_probe")
    counts = {"image": 0, "depth": 0, "scan": 0}
    clock = []

    def counter(key):
        def cb(_m):
            counts[key] += 1

        return cb

    node.create_subscription(ifc.msg_class(ifc.IMAGE), ifc.IMAGE, counter("image"), ifc.qos_profile(ifc.IMAGE, "sub"))
    node.create_subscription(ifc.msg_class(ifc.DEPTH), ifc.DEPTH, counter("depth"), ifc.qos_profile(ifc.DEPTH, "sub"))
    node.create_subscription(ifc.msg_class(ifc.SCAN), ifc.SCAN, counter("scan"), ifc.qos_profile(ifc.SCAN, "sub"))
    node.create_subscription(ifc.msg_class(ifc.CLOCK), ifc.CLOCK, lambda m: clock.append((time.monotonic(), stamp_to_s(m.clock))), 10)
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    try:
        deadline = time.monotonic() + 60
        while counts["image"] < 3 and time.monotonic() < deadline:  # warm-up: matched and rendering
            ex.spin_once(timeout_sec=0.05)
        clock.clear()
        t_end = time.monotonic() + seconds
        with tqdm(total=int(seconds), desc="sim_node real-time factor", unit="s") as bar:
            last = time.monotonic()
            while time.monotonic() < t_end:
                ex.spin_once(timeout_sec=0.05)
                if time.monotonic() - last >= 1:
                    bar.update(1)
                    last = time.monotonic()
        if len(clock) < 2:
            return float("nan")
        (w0, s0), (w1, s1) = clock[0], clock[-1]
        return (s1 - s0) / (w1 - w0)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        proc.terminate()
        proc.wait(10)


def run(json_path: str = "", quick: bool = False) -> dict:
    secs = 1.0 if quick else 3.0
    res = {}
    with tqdm(total=6, desc="bench sim") as bar:
        res["physics_steps_per_s"] = physics_steps_per_s(secs); bar.update()
        for w, h in ((160, 120), (320, 240), (640, 480)):
            res[f"render_ms_{w}x{h}"] = render_ms(w, h, 20 if quick else 60); bar.update()
        res["env_steps_per_s"] = env_steps_per_s(secs * 1.5); bar.update()
        res["node_real_time_factor"] = node_real_time_factor(4.0 if quick else 10.0); bar.update()
    res["targets"] = {"env_steps_per_s": ">= 2000", "node_real_time_factor": ">= 1.5 (camera 320x240 + depth at 15 Hz, scan 10 Hz)"}
    res["machine"] = machine()
    print_table("bench sim", {k: v for k, v in res.items() if isinstance(v, float)})
    write_json(json_path, res)
    return res
