"""End-to-end evaluation: the whole graph as processes over DDS, judged by ground truth.

:class:`Harness` starts ``sim.launch.xml`` (sim_node and the five agent nodes)
with ``autogpt-ros launch``, and drives it from a probe node in this process:
reset the world with a seed (or a scenario), give one instruction typed on
/agent/instruction or spoken (espeak-ng audio on /audio/pcm into
microphone_node), wait for the agent to finish, and judge the result from
/sim/ground_truth with the evaluation criteria of :mod:`autogpt_ros.tasks`.
Used by ``autogpt-ros evaluate`` and ``autogpt-ros demo``.
"""
from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from autogpt_ros import interfaces as ifc
from autogpt_ros import tasks
from autogpt_ros.frames import stamp_to_s, wrap, yaw_from_quaternion

PHRASES = {
    "go_to": ["go to the {t}", "drive to the {t}", "please go to the {t}", "navigate to the {t}", "move to the {t}", "robot, head to the {t}", "approach the {t}", "get to the {t} please"],
    "find": ["find the {t}", "look for the {t}", "search for the {t}", "where is the {t}", "locate the {t}", "please find the {t}"],
}


def stamp_of(msg) -> float:
    return stamp_to_s(msg.header.stamp)


@dataclass
class Episode:
    text: str
    seed: Optional[int] = None
    scenario: Optional[str] = None
    skill: str = ""
    target: str = ""
    success: bool = False
    reason: str = ""
    collisions: int = 0
    time_to_goal_s: Optional[float] = None
    timings: Dict[str, float] = field(default_factory=dict)
    trajectory: List = field(default_factory=list)
    decisions: List[dict] = field(default_factory=list)
    heard: str = ""


def synthesize(text: str, voice: str = "en-us+f2") -> np.ndarray:
    """16 kHz int16 speech from espeak-ng (raises FileNotFoundError without it).

    The default voice is en-us+f2: with espeak's male en-us voices PocketSphinx hears
    "box" as "ball" (see `autogpt-ros bench speech`, which reports every voice)."""
    from autogpt_ros.speech.audio import load_16k

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise FileNotFoundError("espeak-ng is not installed")
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "s.wav")
        subprocess.run([exe, "-v", voice, "-w", p, text], check=True)
        return load_16k(p)


class Harness:
    def __init__(self, out=sys.stdout, launch_args: Optional[Dict[str, str]] = None, log_dir: Optional[str] = None):
        self.out = out
        self.launch_args = {"real_time_factor": "1.0", "speech_source": "topic", **(launch_args or {})}
        self.log_dir = log_dir
        self.proc: Optional[subprocess.Popen] = None
        self.node = None
        self.interrupted = False

    def log(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # ---- processes -----------------------------------------------------------------
    def start(self, timeout: float = 120.0, flow_timeout: float = 20.0, attempts: int = 2) -> None:
        """Launch sim.launch.xml and wait until every node is active *and* data flows end
        to end (/agent/state is published on fusion_node's timer, which runs on /clock).
        Nodes that are active while nothing flows (now and then DDS discovery leaves a
        subscription unmatched) get the graph restarted, once."""
        exe = os.path.join(os.path.dirname(sys.executable), "autogpt-ros")
        args = [f"{k}:={v}" for k, v in self.launch_args.items()]
        if self.node is None:
            self._make_node()
        for attempt in range(1, attempts + 1):
            logf = open(os.path.join(self.log_dir, "launch.log" if attempt == 1 else f"launch_{attempt}.log"), "w") if self.log_dir else subprocess.DEVNULL
            self.proc = subprocess.Popen([exe, "launch", "sim.launch.xml", *args], stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            self.log(f"started the graph (sim_node + agent) with {' '.join(args)}; waiting for it")
            if self._wait_up(timeout, flow_timeout):
                return
            if attempt < attempts:
                self.log(f"all nodes are active but /agent/state has not flowed for {flow_timeout:.0f} s: restarting the graph")
                self._stop_graph()
        raise RuntimeError(f"the graph came up but no /agent/state flowed after {attempts} attempts; see {self.log_dir or 'the launch output'}")

    def _wait_up(self, timeout: float, flow_timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        needed = {"sim_node", "camera_node", "reasoning_node", "fusion_node", "policy_node"}
        if self.launch_args.get("with_speech", "true") != "false":
            needed.add("microphone_node")
        active, all_active_t = set(), None
        self.clear()
        while time.monotonic() < deadline:
            names = set(self.node.get_node_names())
            for n in sorted((needed & names) - active):
                if self._lifecycle_state(n) == "active":  # configured: models loaded, subscriptions made
                    active.add(n)
            if active == needed and self.got("world") and self.got("objects"):
                all_active_t = all_active_t or time.monotonic()
                if self.got("state"):
                    self.log(f"graph up: {', '.join(sorted(active))} active, /agent/state flowing")
                    return True
                if time.monotonic() - all_active_t > flow_timeout:
                    return False
            if self.proc.poll() is not None:
                raise RuntimeError(f"the graph exited (code {self.proc.returncode}); see {self.log_dir or 'the launch output'}")
            time.sleep(0.2)
        raise RuntimeError(f"the graph did not come up within {timeout:.0f} s (nodes seen: {sorted(set(self.node.get_node_names()))})")

    def _stop_graph(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def _lifecycle_state(self, node_name: str) -> str:
        from lifecycle_msgs.srv import GetState

        try:
            return self._call(GetState, f"/{node_name}/get_state", GetState.Request(), timeout=2.0).current_state.label
        except RuntimeError:
            return "unknown"

    def stop(self) -> None:
        self._stop_graph()
        if self.node is not None:
            self._run = False
            self._thread.join(2)
            self.node.destroy_node()
            import rclpy

            rclpy.try_shutdown()

    def _make_node(self) -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node

        if not rclpy.ok():
            rclpy.init()
        self.node = Node(f"autogpt_evaluator_{os.getpid()}")
        self.lock = threading.Lock()
        self.msgs: Dict[str, list] = {}
        for key, topic in (("truth", ifc.GROUND_TRUTH), ("world", ifc.WORLD), ("goal", ifc.GOAL), ("decision", ifc.DECISION), ("status", ifc.STATUS),
                           ("cmd", ifc.CMD_VEL), ("transcript", ifc.TRANSCRIPT), ("objects", ifc.OBJECTS), ("say", ifc.SAY), ("estop", ifc.ESTOP), ("state", ifc.STATE)):
            self.msgs[key] = []
            self.node.create_subscription(ifc.msg_class(topic), topic, self._cb(key), ifc.qos_profile(topic, "sub") if key not in ("goal", "status", "cmd", "decision") else 50)
        self.pub_instruction = self.node.create_publisher(ifc.msg_class(ifc.INSTRUCTION), ifc.INSTRUCTION, ifc.qos_profile(ifc.INSTRUCTION, "pub"))
        self.pub_forget = self.node.create_publisher(ifc.msg_class(ifc.FORGET), ifc.FORGET, ifc.qos_profile(ifc.FORGET, "pub"))
        self.pub_pcm = self.node.create_publisher(ifc.msg_class(ifc.AUDIO_PCM), ifc.AUDIO_PCM, ifc.qos_profile(ifc.AUDIO_PCM, "pub"))
        self.ex = SingleThreadedExecutor()
        self.ex.add_node(self.node)
        self._run = True
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        import rclpy

        while self._run:
            if not rclpy.ok():  # Ctrl-C or SIGTERM shut rclpy down: stop the evaluation
                self._run = False
                self.interrupted = True
                return
            try:
                self.ex.spin_once(timeout_sec=0.05)
            except Exception as e:  # a bad callback must not stop the evaluator
                if self._run and rclpy.ok():
                    self.log(f"evaluator callback error: {type(e).__name__}: {e}")
                    time.sleep(0.05)

    def _cb(self, key):
        def cb(m):
            with self.lock:
                self.msgs[key].append((time.monotonic(), m))
                if key in ("truth", "objects") and len(self.msgs[key]) > 4000:
                    del self.msgs[key][:2000]

        return cb

    def got(self, key) -> list:
        with self.lock:
            return list(self.msgs[key])

    def clear(self) -> None:
        with self.lock:
            for k in self.msgs:
                if k != "world":
                    self.msgs[k] = []

    # ---- world control ---------------------------------------------------------------
    def reset(self, seed: Optional[int] = None, scenario: Optional[str] = None) -> ifc.WorldPayload:
        from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
        from rcl_interfaces.srv import SetParameters
        from std_srvs.srv import Trigger

        params = [Parameter(name="scenario", value=ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=scenario or ""))]
        if seed is not None:
            params.append(Parameter(name="seed", value=ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=int(seed))))
        self._call(SetParameters, "/sim_node/set_parameters", SetParameters.Request(parameters=params))
        res = self._call(Trigger, ifc.SIM_RESET, Trigger.Request())
        if not res.success:
            raise RuntimeError(res.message)
        m = re.search(r"starts at t=([0-9.]+)", res.message)
        self.t_world = float(m.group(1)) if m else 0.0
        world = ifc.decode(ifc.WorldPayload, self._call(Trigger, ifc.SIM_GET_WORLD, Trigger.Request()).message)
        time.sleep(1.0)  # let perception see the new world
        # a new world: what the agent remembers of the old one means nothing (odometry restarting
        # near where it ended would not show a jump)
        self.pub_forget.publish(ifc.msg_class(ifc.FORGET)())
        time.sleep(0.3)
        self.clear()
        return world

    def check(self) -> None:
        if self.interrupted:
            raise KeyboardInterrupt("evaluation interrupted")

    def _call(self, srv, name, req, timeout=30.0):
        self.check()
        cli = self.node.create_client(srv, name)
        if not cli.wait_for_service(timeout_sec=timeout):
            raise RuntimeError(f"service {name} is not available")
        fut = cli.call_async(req)
        deadline = time.monotonic() + timeout
        while not fut.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.node.destroy_client(cli)
        if not fut.done():
            raise RuntimeError(f"service {name} did not answer")
        return fut.result()

    # ---- instructions ------------------------------------------------------------------
    def say(self, text: str) -> float:
        from std_msgs.msg import String

        t = time.monotonic()
        self.pub_instruction.publish(String(data=text))
        return t

    def speak(self, text: str, speech: Optional[np.ndarray] = None) -> float:
        """Play synthesised speech on /audio/pcm at real time; returns the wall time the
        sound of the words ended (not the end of the clip: espeak-ng pads it with silence)."""
        from std_msgs.msg import Int16MultiArray

        from autogpt_ros.speech.audio import sound_end

        speech = synthesize(text) if speech is None else speech
        pcm = np.concatenate([np.zeros(4800, np.int16), speech, np.zeros(16000, np.int16)])
        t0 = time.monotonic()
        end_of_speech = t0 + (4800 + sound_end(speech)) / 16000.0
        for i in range(0, len(pcm), 480):
            m = Int16MultiArray()
            m.data = pcm[i : i + 480].tolist()
            self.pub_pcm.publish(m)
            delay = t0 + (i + 480) / 16000.0 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return end_of_speech

    # ---- judging ------------------------------------------------------------------------
    @staticmethod
    def _pose(m):
        q = m.pose.pose.orientation
        return m.pose.pose.position.x, m.pose.pose.position.y, yaw_from_quaternion(q.x, q.y, q.z, q.w)

    @staticmethod
    def _scenario(world: ifc.WorldPayload, pose):
        """The world as the simulator built it, with the robot at ``pose``."""
        from autogpt_ros.sim.world import from_dict

        x, y, yaw = pose
        return from_dict({"arena": {"size": list(world.arena)}, "objects": [{"color": o.color, "shape": o.shape, "x": o.x, "y": o.y, "size": list(o.size), "yaw": o.yaw} for o in world.objects],
                          "obstacles": [dict(o) for o in world.obstacles], "robot": {"x": x, "y": y, "yaw": yaw}}, world.scenario)

    @staticmethod
    def _visibility(sc):
        """Which of the world's objects the camera sees from the scenario's robot pose."""
        from autogpt_ros.sim.core import Simulator

        sim = Simulator(sc, dynamics="kinematic")
        try:
            vis = [sim.visible(i) for i in range(len(sc.objects))]
        finally:
            sim.close()
        return vis

    def judge_v2(self, item: dict, world: ifc.WorldPayload, t_sent: float, home) -> tuple:
        """(success, reason) of a plan language v2 episode (``item["kind"]``), by ground truth:
        :func:`autogpt_ros.tools.judge.judge` on what this episode recorded."""
        from autogpt_ros.robot import load_robot
        from autogpt_ros.tools import judge as J

        truth = self.got("truth")
        if not truth:
            return False, "no ground truth received"
        before = [m for t, m in truth if t <= t_sent] or [truth[0][1]]
        start, end = self._pose(before[-1]), self._pose(truth[-1][1])
        statuses = [(t, ifc.decode(ifc.StatusPayload, m.data)) for t, m in self.got("status")]
        reached = []
        for t, st in statuses:
            if st.state == "succeeded" and st.goal_id not in {g for g, _ in reached}:
                pose = next((self._pose(m) for tt, m in truth if tt >= t), end)
                reached.append((st.goal_id, (st.skill, pose)))
        rec = J.Record(start=start, end=end, home=home, said=[m.data for t, m in self.got("say") if t >= t_sent],
                       decisions=[ifc.decode(ifc.DecisionPayload, m.data).reason for _, m in self.got("decision")],
                       goals=sum(1 for t, m in self.got("goal") if t >= t_sent and ifc.decode(ifc.GoalPayload, m.data).step.skill != "stop"),
                       moved=any(abs(m.linear.x) > 1e-3 or abs(m.angular.z) > 1e-3 for t, m in self.got("cmd") if t >= t_sent),
                       reached=[r for _, r in reached], path=[self._pose(m) for t, m in truth[::5] if t >= t_sent])
        sc_start, sc_end = self._scenario(world, start), self._scenario(world, end)
        vis_start, vis_end = self._visibility(sc_start), self._visibility(sc_end)
        robot = load_robot()
        return J.judge(item, sc_start.objects, rec, lambda i: vis_start[i], lambda i: vis_end[i], camera_offset=robot.camera.xyz[0], scenario=sc_start, hfov=robot.camera.hfov)

    def judge(self, world: ifc.WorldPayload, skill: str, target_label: str):
        """(success, reason) from the newest ground-truth pose."""
        from autogpt_ros.sim.core import Simulator

        truth = self.got("truth")
        if not truth:
            return False, "no ground truth received"
        sc = self._scenario(world, self._pose(truth[-1][1]))
        x, y, yaw = sc.robot
        idx = [i for i, o in enumerate(sc.objects) if o.label == target_label]
        if not idx:
            return False, f"no {target_label} in the world"
        i = idx[0]
        o = sc.objects[i]
        sim = Simulator(sc, dynamics="kinematic")
        try:
            bearing_cam, _ = sim.relative(o)
            if skill == "go_to":
                d = o.surface_distance(x, y)
                b = wrap(math.atan2(o.y - y, o.x - x) - yaw)
                ok = tasks.go_to_reached(d, b)
                return ok, f"{d:.2f} m from the surface, facing {math.degrees(b):.0f} degrees off"
            vis = sim.visible(i)
            ok = tasks.find_reached(vis, bearing_cam)
            return ok, f"{'in view' if vis else 'not in view'}, {math.degrees(bearing_cam):.0f} degrees off centre"
        finally:
            sim.close()

    def run_episode(self, text: str, world: ifc.WorldPayload, skill: str, target: str, spoken: bool = False, time_limit: float = tasks.TIME_LIMIT,
                    item: Optional[dict] = None) -> Episode:
        """One instruction, judged by ground truth: as go_to / find of ``target``, or, when ``item``
        has a ``kind``, by :mod:`autogpt_ros.tools.judge` (plan language v2)."""
        ep = Episode(text=text, seed=world.seed, scenario=world.scenario, skill=skill, target=target)
        collisions0 = world.collisions
        truth = self.got("truth")
        home = self._pose(truth[-1][1]) if truth else tuple(world.robot)
        if item and item.get("kind"):
            time_limit = float(item.get("time_limit", 4 * tasks.TIME_LIMIT if item["kind"] == "repeat" else 2 * tasks.TIME_LIMIT))
        t_sent = self.speak(text) if spoken else self.say(text)
        ep.timings["instruction_sent_wall"] = t_sent
        start_sim = None
        deadline_wall = time.monotonic() + time_limit * 3 + 30
        final = None
        while time.monotonic() < deadline_wall:
            self.check()
            truth = self.got("truth")
            if truth:
                t_now = stamp_of(truth[-1][1])
                start_sim = start_sim if start_sim is not None else t_now
                if t_now - start_sim > time_limit:
                    final = "time limit"
                    break
            decisions = [ifc.decode(ifc.DecisionPayload, m.data) for _, m in self.got("decision")]
            if any(d.reason == "plan complete" for d in decisions):
                final = "plan complete"
                break
            if any(d.reason.startswith(("no action", "refused", "unknown place")) or "plan abandoned" in d.reason or "clarification" in d.reason for d in decisions):
                final = decisions[-1].reason
                break
            time.sleep(0.1)
        time.sleep(0.3)
        if item and item.get("kind"):
            ep.success, ep.reason = self.judge_v2(item, world, t_sent, home)
        else:
            ep.success, ep.reason = self.judge(world, skill, target)
        if final and final != "plan complete":
            ep.reason = f"{final}; {ep.reason}"
        from std_srvs.srv import Trigger

        w = ifc.decode(ifc.WorldPayload, self._call(Trigger, ifc.SIM_GET_WORLD, Trigger.Request()).message)
        ep.collisions = w.collisions - collisions0 if w.scenario == world.scenario else w.collisions
        ep.trajectory = [(m.pose.pose.position.x, m.pose.pose.position.y) for _, m in self.got("truth")[::10]]
        ep.decisions = [json.loads(m.data) for _, m in self.got("decision")]
        heard = self.got("transcript")
        ep.heard = heard[0][1].data if heard else ""
        self._latencies(ep, t_sent, spoken, start_sim)
        return ep

    def _latencies(self, ep: Episode, t_sent: float, spoken: bool, start_sim) -> None:
        goals = self.got("goal")
        cmds = [(t, m) for t, m in self.got("cmd") if abs(m.linear.x) > 1e-4 or abs(m.angular.z) > 1e-4]
        tr = self.got("transcript")
        if spoken and tr:
            ep.timings["speech_end_to_transcript_ms"] = (tr[0][0] - t_sent) * 1000
        if goals:
            t_goal = goals[0][0]
            ref = tr[0][0] if (spoken and tr) else t_sent
            ep.timings["instruction_to_goal_ms"] = (t_goal - ref) * 1000
            if spoken:
                ep.timings["speech_end_to_goal_ms"] = (t_goal - t_sent) * 1000
            if cmds:
                ep.timings["goal_to_cmd_vel_ms"] = max(0.0, (cmds[0][0] - t_goal) * 1000)
        objs = self.got("objects")
        if objs:
            ep.timings["image_to_objects_ms"] = float(np.median([ifc.decode(ifc.ObjectsPayload, m.data).latency_ms for _, m in objs[-50:]]))
        sts = [ifc.decode(ifc.StatusPayload, m.data) for _, m in self.got("status")]
        done = [s for s in sts if s.state == "succeeded"]
        if done and start_sim is not None:
            ep.time_to_goal_s = max(0.0, done[-1].stamp - start_sim)

    def stop_latency(self, spoken: bool) -> Optional[float]:
        """Start a motion, say "stop", and time the first zero /cmd_vel after it (ms)."""
        speech = synthesize("stop") if spoken else None  # ready before the motion starts
        self.clear()
        self.say("turn left 360 degrees")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not [1 for _, m in self.got("cmd") if abs(m.angular.z) > 0.2]:
            time.sleep(0.05)
        t_ref = self.speak("stop", speech) if spoken else self.say("stop")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            zero = [t for t, m in self.got("cmd") if t >= t_ref and abs(m.linear.x) < 1e-6 and abs(m.angular.z) < 1e-6]
            if zero:
                return (zero[0] - t_ref) * 1000
            time.sleep(0.01)
        return None


def make_instruction(world: ifc.WorldPayload, rng: random.Random, skills=("go_to", "find")):
    obj = rng.choice(world.objects)
    skill = rng.choice(skills)
    return rng.choice(PHRASES[skill]).format(t=f"{obj.color} {obj.shape}"), skill, f"{obj.color} {obj.shape}"


BAG_TOPICS = [ifc.ODOM, ifc.SCAN, ifc.CMD_VEL, ifc.GROUND_TRUTH, ifc.OBJECTS, ifc.SCENE, ifc.GOAL, ifc.DECISION, ifc.STATUS, ifc.STATE,
              ifc.ESTOP, ifc.TRANSCRIPT, ifc.INSTRUCTION, ifc.SAY, ifc.WORLD, ifc.DEBUG_IMAGE]


class BagRecorder:
    """Records topics as a rosbag2 (MCAP) with the rosbags library: readable by Foxglove and `ros2 bag`."""

    def __init__(self, node, path: str, topics=BAG_TOPICS):
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import Stores, get_typestore

        self.typestore = get_typestore(Stores.ROS2_KILTED)
        self.writer = Writer(path, version=9, storage_plugin=StoragePlugin.MCAP)
        self.writer.open()
        self.lock = threading.Lock()
        self.conns = {}
        self.subs = []
        self.node = node
        self.count = 0
        for t in topics:
            self.conns[t] = self.writer.add_connection(t, ifc.topic(t).type, typestore=self.typestore)
            self.subs.append(node.create_subscription(ifc.msg_class(t), t, self._cb(t), ifc.qos_profile(t, "sub"), raw=True))

    def _cb(self, topic):
        def cb(data: bytes):
            with self.lock:
                if self.writer is not None:
                    self.writer.write(self.conns[topic], time.time_ns(), data)
                    self.count += 1

        return cb

    def close(self) -> int:
        for s in self.subs:
            self.node.destroy_subscription(s)
        with self.lock:
            self.writer.close()
            self.writer = None
        return self.count
