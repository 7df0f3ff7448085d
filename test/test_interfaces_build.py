"""autogpt_ros_interfaces builds without a ROS installation (scripts/build_interfaces.py,
`make setup`'s .venv/.interfaces-stamp), and the package has the contract's action."""
import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("build_interfaces", os.path.join(ROOT, "scripts", "build_interfaces.py"))
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)
STAMP = os.path.join(ROOT, ".venv", ".interfaces-stamp")


def test_the_action_is_the_contract_exactly():
    text = open(os.path.join(ROOT, "autogpt_ros_interfaces", "action", "ExecuteInstruction.action")).read()
    parts = [[ln.split("#")[0].split() for ln in part.splitlines() if ln.split("#")[0].strip()] for part in text.split("---")]
    assert parts == [[["string", "instruction"], ["string", "source"]],
                     [["bool", "success"], ["string", "message"], ["string", "plan_json"]],
                     [["string", "plan_json"], ["int32", "step_index"], ["string", "state"], ["float32", "progress"]]]
    root = ET.parse(os.path.join(ROOT, "autogpt_ros_interfaces", "package.xml")).getroot()
    assert root.get("format") == "3" and root.findtext("export/build_type") == "ament_cmake"
    assert root.findtext("member_of_group") == "rosidl_interface_packages"


def make_q(*args):
    return subprocess.run(["make", "-q", *args, STAMP], cwd=ROOT, capture_output=True, text=True).returncode


def test_the_stamp_rebuilds_on_the_package_files_and_the_dependencies_only():
    assert os.path.exists(STAMP), "run make setup: it builds the interfaces (make test does)"
    plain = make_q()
    for f in ("autogpt_ros_interfaces/action/ExecuteInstruction.action", "autogpt_ros_interfaces/msg/Decision.msg",
              "autogpt_ros_interfaces/compat/tf2_msgs/msg/TFMessage.msg", "scripts/build_interfaces.py", "requirements.txt", "constraints.txt"):
        assert make_q("-W", f) == 1, f  # would rebuild
    assert make_q("-W", "README.md") == plain == make_q("-W", "autogpt_ros/agent.py")


def test_the_wheels_cmake_files_are_pointed_at_this_python(tmp_path):
    d = tmp_path / "share" / "std_msgs" / "cmake"
    d.mkdir(parents=True)
    f = d / "export_std_msgs__rosidl_generator_pyExport.cmake"
    f.write_text('INTERFACE_INCLUDE_DIRECTORIES "/opt/python/cp311-cp311/include/python3.11;'
                 '/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include;${_IMPORT_PREFIX}/include"\n')
    assert build.fix_wheel_cmake_files(str(tmp_path)) == [str(f)]
    text = f.read_text()
    assert "/opt/python" not in text and build.python_include() in text and build.numpy_include() in text and "${_IMPORT_PREFIX}/include" in text
    assert build.fix_wheel_cmake_files(str(tmp_path)) == []  # idempotent


@pytest.mark.slow
def test_builds_from_a_clean_state_into_a_temporary_prefix(tmp_path):
    """The whole build (configure, generate, compile, install) into an empty prefix, then
    the generated modules import from there (the script's own check)."""
    prefix, b = tmp_path / "prefix", tmp_path / "build"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "build_interfaces.py"), "--prefix", str(prefix), "--build-dir", str(b)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-3000:]
    assert "autogpt_ros_interfaces: built and installed" in r.stdout and "ExecuteInstruction has the contract's fields" in r.stdout
    assert (prefix / "share" / "ament_index" / "resource_index" / "packages" / "autogpt_ros_interfaces").exists()
    assert list(prefix.glob("lib/python3*/site-packages/autogpt_ros_interfaces/action/_execute_instruction.py"))
