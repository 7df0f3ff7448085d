"""Shared test fixtures: a private ROS domain, a probe node, and process helpers.

Every test session gets its own ``ROS_DOMAIN_ID`` and localhost-only
discovery, so parallel runs on one machine never see each other.  Nothing is
mocked: tests start the package's real executables (``autogpt-ros launch``,
the console scripts) and talk to them over DDS.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Optional

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)

os.environ.setdefault("ROS_DOMAIN_ID", str(random.Random(os.getpid() ^ int(time.time())).randint(30, 99)))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYTHONUNBUFFERED", "1")
if os.path.isdir(os.path.join(sys.prefix, "share", "ament_index")):
    paths = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    if sys.prefix not in paths:
        os.environ["AMENT_PREFIX_PATH"] = os.pathsep.join([sys.prefix] + paths)


def tool(name: str) -> str:
    return os.path.join(VENV_BIN, name)


class Proc:
    """A child process (a launch or a node) whose output is kept for asserts."""

    def __init__(self, cmd: List[str], env: Optional[Dict[str, str]] = None):
        self.cmd = cmd
        e = dict(os.environ)
        e.update(env or {})
        self.popen = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=e, start_new_session=True, cwd=ROOT)
        self.lines: List[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for raw in iter(self.popen.stdout.readline, b""):
            with self._lock:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    @property
    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for_output(self, pattern: str, timeout: float = 30.0) -> re.Match:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(self.output)
            if m:
                return m
            if self.popen.poll() is not None:
                time.sleep(0.2)
                m = rx.search(self.output)
                if m:
                    return m
                raise AssertionError(f"process ended (code {self.popen.returncode}) before printing {pattern!r}:\n{self.output[-4000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} within {timeout}s:\n{self.output[-4000:]}")

    def child_pids(self) -> List[int]:
        return [int(x) for x in re.findall(r"process started with pid \[(\d+)\]", self.output)]

    def stop(self, sig=signal.SIGINT, timeout: float = 20.0) -> int:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        return self.popen.returncode


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def procs():
    """Start processes; every one is stopped at the end of the test."""
    started: List[Proc] = []

    def start(cmd: List[str], env=None) -> Proc:
        p = Proc(cmd, env)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def launch_cmd(file: str, *args: str) -> List[str]:
    return [tool("autogpt-ros"), "launch", file, *args]


# ---------------------------------------------------------------------- rclpy


@pytest.fixture(scope="session")
def rclpy_context():
    import rclpy

    rclpy.init()
    yield
    rclpy.try_shutdown()


class Probe:
    """A node in the test process that subscribes, publishes and waits."""

    def __init__(self):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node

        self.node = Node(f"test_probe_{os.getpid()}_{random.randint(0, 1 << 30)}")
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.msgs: Dict[str, list] = {}
        self.lock = threading.Lock()
        self._run = True
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self):
        while self._run:
            try:
                self.executor.spin_once(timeout_sec=0.05)
            except Exception:
                if self._run:
                    raise

    def subscribe(self, topic: str, msg_type=None, qos=None, key: Optional[str] = None, like: Optional[str] = None):
        """Subscribe ``topic`` with the contract type and QoS of ``like`` (default: itself)."""
        from autogpt_ros import interfaces as ifc

        spec = like or topic
        msg_type = msg_type or ifc.msg_class(spec)
        qos = qos or (ifc.qos_profile(spec, "sub") if spec in ifc.TOPICS else 10)
        k = key or topic
        with self.lock:
            self.msgs.setdefault(k, [])

        def cb(m, k=k):
            with self.lock:
                self.msgs[k].append((time.monotonic(), m))

        self.node.create_subscription(msg_type, topic, cb, qos)
        return k

    def publisher(self, topic: str, msg_type=None, qos=None):
        from autogpt_ros import interfaces as ifc

        return self.node.create_publisher(msg_type or ifc.msg_class(topic), topic, qos or (ifc.qos_profile(topic, "pub") if topic in ifc.TOPICS else 10))

    def received(self, key: str) -> list:
        with self.lock:
            return [m for _, m in self.msgs.get(key, [])]

    def clear(self, key: str) -> None:
        with self.lock:
            self.msgs[key] = []

    def wait_for(self, key: str, predicate: Callable = lambda m: True, timeout: float = 20.0, count: int = 1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = [m for m in self.received(key) if predicate(m)]
            if len(hits) >= count:
                return hits[-1] if count == 1 else hits
            time.sleep(0.02)
        got = self.received(key)
        raise AssertionError(f"timed out after {timeout}s waiting for {count} matching message(s) on {key}; got {len(got)}: {str(got[-1:])[:500]}")

    def wait_for_first(self, key: str, predicate: Callable = lambda m: True, timeout: float = 20.0):
        """The earliest received message that matches (wait_for returns the newest)."""
        return self.wait_for(key, predicate, timeout, count=1) and [m for m in self.received(key) if predicate(m)][0]

    def call(self, srv_type, name: str, request=None, timeout: float = 20.0):
        cli = self.node.create_client(srv_type, name)
        if not cli.wait_for_service(timeout_sec=timeout):
            raise AssertionError(f"service {name} not available")
        fut = cli.call_async(request or srv_type.Request())
        deadline = time.monotonic() + timeout
        while not fut.done() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fut.done(), f"service {name} did not answer"
        return fut.result()

    def close(self):
        self._run = False
        self.thread.join(2)
        self.executor.shutdown()
        self.node.destroy_node()


@pytest.fixture
def probe(rclpy_context):
    p = Probe()
    yield p
    p.close()
