"""`autogpt-ros bench safety`: how fast stale input stops the robot, measured over DDS.

policy_node runs as its own process, as on a robot.  This process feeds it
odometry and a scan at 20 Hz (and, for go_to/find, the state fusion_node would
send) until the robot moves, then silences one input, the way a dead driver or
a killed fusion_node would: the figure is the time from the last message of that
input to the first zero /cmd_vel that follows.  Target: < 500 ms, always.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from typing import Dict, List

import numpy as np
from tqdm import tqdm

from autogpt_ros.tools.bench import machine, print_table, write_json

INPUTS = ("state", "scan", "odom")


def run(json_path: str = "", trials: int = 10) -> Dict:
    import rclpy
    from nav_msgs.msg import Odometry
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import LaserScan
    from std_msgs.msg import String

    from autogpt_ros import interfaces as ifc
    from autogpt_ros.observation import INDEX, LAYOUT, state_message

    exe = os.path.join(os.path.dirname(sys.executable), "policy_node")
    proc = subprocess.Popen([exe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    rclpy.init()
    node = rclpy.create_node(f"bench_safety_{os.getpid()}")
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    cmds: List = []
    lock = threading.Lock()

    def on_cmd(m):
        with lock:
            cmds.append((time.monotonic(), m.linear.x, m.angular.z))

    node.create_subscription(ifc.msg_class(ifc.CMD_VEL), ifc.CMD_VEL, on_cmd, ifc.qos_profile(ifc.CMD_VEL, "sub"))
    pubs = {k: node.create_publisher(ifc.msg_class(k), k, ifc.qos_profile(k, "pub")) for k in (ifc.ODOM, ifc.SCAN, ifc.STATE, ifc.GOAL)}
    scan = LaserScan()
    scan.angle_min, scan.angle_increment, scan.range_min, scan.range_max = -math.pi, 2 * math.pi / 360, 0.12, 12.0
    scan.ranges = [5.0] * 360
    odom = Odometry()
    odom.pose.pose.orientation.w = 1.0
    obs = np.zeros(len(LAYOUT), np.float32)
    obs[INDEX["bearing_cos"]] = 1.0
    state = state_message(obs)
    feeding = {"state": True, "scan": True, "odom": True}
    last_sent: Dict[str, float] = {}
    goal = {"msg": None}
    run_flag = {"on": True}

    def feeder():
        i = 0
        while run_flag["on"]:
            for k, topic, msg in (("odom", ifc.ODOM, odom), ("scan", ifc.SCAN, scan), ("state", ifc.STATE, state)):
                if feeding[k]:
                    pubs[topic].publish(msg)
                    last_sent[k] = time.monotonic()
            if goal["msg"] is not None and i % 10 == 0:
                pubs[ifc.GOAL].publish(goal["msg"])
            i += 1
            time.sleep(0.05)

    spinner = threading.Thread(target=lambda: [ex.spin_once(timeout_sec=0.05) for _ in iter(lambda: run_flag["on"], False)], daemon=True)
    spinner.start()
    threading.Thread(target=feeder, daemon=True).start()
    lat: Dict[str, List[float]] = {k: [] for k in INPUTS}
    misses: Dict[str, int] = {k: 0 for k in INPUTS}
    try:
        n = 0
        for k in tqdm([k for k in INPUTS for _ in range(trials)], desc="stale input to zero /cmd_vel"):
            n += 1
            step = ifc.FindStep(target=ifc.Target(color="red", shape="box")) if k == "state" else ifc.MoveStep(direction="forward", distance_m=3.0)
            goal["msg"] = String(data=ifc.encode(ifc.GoalPayload(goal_id=f"b{n}", step=step)))
            for key in feeding:
                feeding[key] = True
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # moving again
                with lock:
                    recent = [c for c in cmds[-3:] if c[1] != 0.0 or c[2] != 0.0]
                if len(recent) == 3:
                    break
                time.sleep(0.02)
            time.sleep(0.3 + 0.2 * np.random.rand())  # a random phase against the control loop
            feeding[k] = False
            time.sleep(0.06)
            t_last = last_sent[k]
            deadline = time.monotonic() + 5
            hit = None
            while hit is None and time.monotonic() < deadline:
                with lock:  # the first zero that stays zero (three in a row), not a passing one
                    after = [(t, v == 0.0 and w == 0.0) for t, v, w in cmds if t > t_last]
                hit = next((after[i][0] for i in range(len(after) - 2) if after[i][1] and after[i + 1][1] and after[i + 2][1]), None)
                time.sleep(0.01)
            if hit is None:
                misses[k] += 1
            else:
                lat[k].append((hit - t_last) * 1000)
            goal["msg"] = None
            time.sleep(1.0)
    finally:
        run_flag["on"] = False
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        node.destroy_node()
        rclpy.try_shutdown()
    out = {"machine": machine(), "trials": trials, "targets": {f"stale_{k}_to_zero_max_ms": "< 500" for k in INPUTS}}
    for k in INPUTS:
        v = lat[k]
        out[f"stale_{k}_to_zero_p50_ms"] = float(np.percentile(v, 50)) if v else None
        out[f"stale_{k}_to_zero_p95_ms"] = float(np.percentile(v, 95)) if v else None
        out[f"stale_{k}_to_zero_max_ms"] = float(max(v)) if v else None
        out[f"stale_{k}_never_stopped"] = misses[k]
    print_table("stale input -> zero /cmd_vel (policy_node over DDS)", {k: v for k, v in out.items() if k.startswith("stale_")})
    write_json(json_path, out)
    return out
