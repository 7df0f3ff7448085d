"""Starting and supervising the nodes of a launch file (``autogpt-ros launch``).

Each node of a :class:`~autogpt_ros.tools.launch_xml.LaunchDescription` is
started as its executable with ``--ros-args`` exactly as ros2 launch does it
(``-r __node:=``, ``-r __ns:=``, ``--params-file``, ``-r from:=to``), its
output prefixed with ``[name-N]``.  Ctrl-C or SIGTERM end every child; on
Linux a launcher killed outright (SIGKILL) takes its children with it (they
get SIGTERM, ``PR_SET_PDEATHSIG``).  A child that dies is reported and, with
``respawn``, restarted.

This module does not import rclpy.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional

import yaml

from autogpt_ros.tools.launch_xml import LaunchDescription, LaunchError, NodeAction, find_package_prefix, load


# --------------------------------------------------------------------------
# Command lines, as ros2 launch builds them
# --------------------------------------------------------------------------


def find_executable(package: str, executable: str) -> str:
    prefix = find_package_prefix(package)
    cand = os.path.join(prefix, "lib", package, executable)
    if os.path.isfile(cand) and os.access(cand, os.X_OK):
        return cand
    raise LaunchError(f"executable {executable!r} not found in {os.path.join(prefix, 'lib', package)} (is package {package} installed?)")


def command_line(node: NodeAction, tmpdir: str, index: int) -> List[str]:
    cmd = [find_executable(node.package, node.executable)] + list(node.args) + ["--ros-args"]
    if node.name:
        cmd += ["-r", f"__node:={node.name}"]
    if node.namespace:
        cmd += ["-r", f"__ns:={node.namespace}"]
    inline: Dict[str, object] = {}
    for key, value in node.params:
        if key == "file":
            if inline:  # keep the order of params and files, as ros2 launch does
                cmd += ["--params-file", _write_params(inline, tmpdir, index, len(cmd))]
                inline = {}
            cmd += ["--params-file", str(value)]
        else:
            inline[key] = value
    if inline:
        cmd += ["--params-file", _write_params(inline, tmpdir, index, len(cmd))]
    for src, dst in node.remaps:
        cmd += ["-r", f"{src}:={dst}"]
    cmd += list(node.ros_args)
    return cmd


def _write_params(params: Dict[str, object], tmpdir: str, index: int, n: int) -> str:
    path = os.path.join(tmpdir, f"launch_params_{index}_{n}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump({"/**": {"ros__parameters": params}}, f)
    return path


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


def _die_with_parent():
    """A ``preexec_fn`` that makes the child get SIGTERM when the launcher dies.

    A launcher killed with SIGKILL cannot forward the signal, and each child
    runs in its own session, so without this the nodes would live on as
    orphans.  Linux only (``prctl(PR_SET_PDEATHSIG)``); elsewhere None.  The
    signal is sent when the *thread* that started the child ends: children
    are started from the thread that runs :meth:`Supervisor.spin`.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sigterm, 0, 0, 0)
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os.kill(os.getpid(), sigterm)

    return preexec


class _Proc:
    def __init__(self, node: NodeAction, label: str, cmd: List[str], env: Dict[str, str]):
        self.node, self.label, self.cmd, self.env = node, label, cmd, env
        self.popen: Optional[subprocess.Popen] = None
        self.restarts = 0
        self.done = False


class Supervisor:
    """Starts the nodes of a LaunchDescription and supervises them."""

    def __init__(self, description: LaunchDescription, out=None, log_dir: Optional[str] = None):
        self.description = description
        self.out = out or sys.stdout
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.tmpdir = tempfile.mkdtemp(prefix="autogpt_ros_launch_")
        self.log_dir = log_dir or os.path.join(os.environ.get("ROS_LOG_DIR", os.path.expanduser("~/.ros/log")), f"autogpt_ros_launch_{time.strftime('%Y-%m-%d-%H-%M-%S')}_{os.getpid()}")
        self.procs: List[_Proc] = []
        counts: Dict[str, int] = {}
        for i, node in enumerate(description.nodes):
            base = node.label
            counts[base] = counts.get(base, 0) + 1
            label = f"{base}-{counts[base]}"
            env = dict(os.environ)
            for k, v in node.env.items():
                if v is None:
                    env.pop(k, None)
                else:
                    env[k] = v
            env.setdefault("PYTHONUNBUFFERED", "1")
            env.setdefault("RCUTILS_LOGGING_BUFFERED_STREAM", "0")
            self.procs.append(_Proc(node, label, command_line(node, self.tmpdir, i), env))

    def log(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def _spawn(self, p: _Proc) -> None:
        p.popen = subprocess.Popen(
            p.cmd,
            env=p.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        self.log(f"[INFO] [{p.label}]: process started with pid [{p.popen.pid}]")
        threading.Thread(target=self._pump, args=(p, p.popen), daemon=True).start()

    def _pump(self, p: _Proc, popen: subprocess.Popen) -> None:
        logf = None
        if p.node.output == "log":
            os.makedirs(self.log_dir, exist_ok=True)
            logf = open(os.path.join(self.log_dir, f"{p.label}.log"), "a")
        for raw in iter(popen.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if logf:
                logf.write(line + "\n")
                logf.flush()
            else:
                self.log(f"[{p.label}] {line}")
        if logf:
            logf.close()

    def start(self) -> None:
        os.makedirs(self.tmpdir, exist_ok=True)
        for p in self.procs:
            self._spawn(p)

    def poll(self) -> bool:
        """Check children; restart respawning ones.  False when none is left."""
        alive = False
        for p in self.procs:
            if p.done or p.popen is None:
                continue
            rc = p.popen.poll()
            if rc is None:
                alive = True
                continue
            if self._stop.is_set():
                p.done = True
                continue
            if rc == 0:
                self.log(f"[INFO] [{p.label}]: process has finished cleanly [pid {p.popen.pid}]")
            else:
                self.log(f"[ERROR] [{p.label}]: process has died [pid {p.popen.pid}, exit code {rc}, cmd '{' '.join(p.cmd)}']")
            if p.node.respawn:
                p.restarts += 1
                time.sleep(p.node.respawn_delay)
                if not self._stop.is_set():
                    self.log(f"[INFO] [{p.label}]: respawning (restart {p.restarts})")
                    self._spawn(p)
                    alive = True
            else:
                p.done = True
        return alive

    def shutdown(self, timeout: float = 10.0) -> None:
        """SIGINT every child, then SIGTERM, then SIGKILL, like ros2 launch."""
        self._stop.set()
        running = [p for p in self.procs if p.popen and p.popen.poll() is None]
        for sig, wait in ((signal.SIGINT, timeout * 0.5), (signal.SIGTERM, timeout * 0.3), (signal.SIGKILL, timeout * 0.2)):
            for p in running:
                try:
                    os.killpg(p.popen.pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(p.popen.poll() is None for p in running):
                time.sleep(0.05)
            running = [p for p in running if p.popen.poll() is None]
            if not running:
                break
            self.log(f"[WARNING] [launch]: {len(running)} process(es) still running after {sig.name}")
        for p in self.procs:
            if p.popen is not None:
                try:
                    os.killpg(p.popen.pid, signal.SIGKILL)  # children of children
                except (ProcessLookupError, PermissionError):
                    pass
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def spin(self) -> int:
        """Run until every child has ended or we are told to stop."""
        self.start()
        try:
            while not self._stop.is_set():
                if not self.poll():
                    break
                time.sleep(0.1)
        finally:
            self.shutdown()
        failed = [p for p in self.procs if p.popen and p.popen.returncode not in (0, -2, -15, None)]
        return 1 if failed and not self._stop.is_set() else 0

    def request_stop(self, *_):
        self._stop.set()


def run(path: str, args: Dict[str, str], out=None) -> int:
    """Run a launch file until Ctrl-C or SIGTERM; returns an exit code."""
    desc = load(path, args)
    supervisor = Supervisor(desc, out=out)
    supervisor.log(f"[INFO] [launch]: {os.path.basename(path)}: {len(desc.nodes)} node(s); logs in {supervisor.log_dir}")
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, supervisor.request_stop)
    return supervisor.spin()
