#!/usr/bin/env python3
"""Build autogpt_ros_interfaces (and, where they are missing, the tf2_msgs and
vision_msgs stand-ins of autogpt_ros_interfaces/compat/) into a prefix, without
a ROS installation: CMake + ament_cmake + rosidl from the ROS 2 wheels on PyPI
(requirements.txt).  `make setup` runs it into .venv; on a ROS 2 machine colcon
builds the package instead (README, "On a robot").

    .venv/bin/python scripts/build_interfaces.py                 # into this Python's prefix (.venv)
    .venv/bin/python scripts/build_interfaces.py --prefix /tmp/p --build-dir /tmp/b

Run it with the Python of the environment to build for: its prefix is the
default install prefix, its site-packages receives the generated Python
modules, and its include directory and numpy's are the ones the message
wheels' CMake files are pointed at.  The steps:

1. The message wheels' ``share/*/cmake/*.cmake`` name the include directories of
   the machine the wheels were built on (``/opt/python/cp311-cp311/include/python3.11``
   and its numpy ``_core/include``); they are rewritten to this Python's
   (``sysconfig.get_paths()['include']``, ``numpy.get_include()``).  Done on every
   run, since reinstalling a wheel brings the old paths back.
2. tf2_msgs and vision_msgs: used as they are when installed (a ROS installation
   on AMENT_PREFIX_PATH, or a wheel); otherwise the stand-ins are built.
3. autogpt_ros_interfaces: configured with ``-DCMAKE_PREFIX_PATH``,
   ``-DPython3_EXECUTABLE``, ``-DCMAKE_INSTALL_PREFIX`` and ``-DBUILD_TESTING=OFF``,
   built and installed.  CMake's build trees are kept (``--build-dir``), so a
   rebuild after a small change compiles only what changed.
4. The result is checked: the generated Python modules import and the action's
   fields are those of the contract.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "autogpt_ros_interfaces")
COMPAT = os.path.join(PACKAGE, "compat")
#: stand-ins in build order, each with a module that tells whether the real package is there
COMPAT_PACKAGES = ("tf2_msgs", "vision_msgs")
MARKER = "autogpt_ros_compat"

_BUILDER_INCLUDE = re.compile(r"/opt/python/cp3\d+-cp3\d+/include/python3\.\d+")
_BUILDER_NUMPY = re.compile(r"/opt/python/cp3\d+-cp3\d+/lib/python3\.\d+/site-packages/numpy/(?:_core|core)/include")


def log(msg: str) -> None:
    print(f"build_interfaces: {msg}", flush=True)


def python_include() -> str:
    return sysconfig.get_paths()["include"]


def numpy_include() -> str:
    import numpy

    return numpy.get_include()


def fix_wheel_cmake_files(prefix: str) -> List[str]:
    """Point the message wheels' CMake export files at this Python's include
    directories (see the module docstring).  Returns the files changed."""
    inc, npy = python_include(), numpy_include()
    changed = []
    for path in sorted(glob.glob(os.path.join(prefix, "share", "*", "cmake", "*.cmake"))):
        try:
            text = open(path, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError):
            continue
        if "/opt/python/" not in text:
            continue
        new = _BUILDER_NUMPY.sub(npy, _BUILDER_INCLUDE.sub(inc, text))
        if new != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            changed.append(path)
    return changed


def prefixes(prefix: str) -> List[str]:
    """The install prefix, this Python's prefix and AMENT_PREFIX_PATH, without repeats."""
    out: List[str] = []
    for p in [prefix, sys.prefix] + os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        if p and os.path.isdir(p) and os.path.abspath(p) not in out:
            out.append(os.path.abspath(p))
    return out


def installed_share(name: str, search: List[str]) -> Optional[str]:
    """share/<name> of the first prefix whose ament index lists package ``name``."""
    for p in search:
        if os.path.exists(os.path.join(p, "share", "ament_index", "resource_index", "packages", name)):
            return os.path.join(p, "share", name)
    return None


def needs_standin(name: str, prefix: str, search: List[str]) -> bool:
    """Whether to build the stand-in for ``name`` into ``prefix``: when no ``name`` is
    installed at all, or when the one found is our stand-in in ``prefix`` itself (rebuilt:
    a no-op unless its files changed).  A real one anywhere, or our stand-in in another
    prefix of the search path (the venv, when building into a temporary prefix), is used."""
    share = installed_share(name, search)
    if share is not None:
        ours = os.path.exists(os.path.join(share, MARKER))
        return ours and os.path.commonpath([share, prefix]) == prefix
    try:  # a wheel without an ament index entry
        import importlib.util

        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    return spec is None


def cmake_exe() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "cmake")
    return here if os.path.exists(here) else (shutil.which("cmake") or "cmake")


def build_env(search: List[str]) -> Dict[str, str]:
    env = dict(os.environ)
    env["AMENT_PREFIX_PATH"] = os.pathsep.join(search)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def run(cmd: List[str], env: Dict[str, str], quiet: bool) -> None:
    if not quiet:
        log(" ".join(cmd))
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None, text=True)
    if r.returncode != 0:
        if quiet and r.stdout:
            sys.stdout.write(r.stdout[-20000:])
        raise SystemExit(f"build_interfaces: failed ({r.returncode}): {' '.join(cmd)}")


def build_package(src: str, name: str, prefix: str, build_root: str, search: List[str], jobs: int, quiet: bool) -> float:
    t0 = time.monotonic()
    build = os.path.join(build_root, name)
    env = build_env(search)
    cmake = cmake_exe()
    configure = [
        cmake, "-S", src, "-B", build,
        f"-DCMAKE_INSTALL_PREFIX={prefix}",
        f"-DCMAKE_PREFIX_PATH={';'.join(search)}",
        f"-DPython3_EXECUTABLE={sys.executable}",
        "-DBUILD_TESTING=OFF",
        "-DCMAKE_BUILD_TYPE=Release",
    ]
    run(configure, env, quiet)
    run([cmake, "--build", build, "-j", str(jobs)], env, quiet)
    run([cmake, "--install", build], env, quiet)
    took = time.monotonic() - t0
    log(f"{name}: built and installed into {prefix} in {took:.1f} s")
    return took


def site_packages(prefix: str) -> str:
    return os.path.join(prefix, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages")


CHECK = """
import sys
from autogpt_ros_interfaces.action import ExecuteInstruction as A
from autogpt_ros_interfaces.msg import Decision, DetectedObjects
from tf2_msgs.msg import TFMessage
from vision_msgs.msg import Detection2DArray
want = ({'instruction': 'string', 'source': 'string'},
        {'success': 'boolean', 'message': 'string', 'plan_json': 'string'},
        {'plan_json': 'string', 'step_index': 'int32', 'state': 'string', 'progress': 'float'})
got = tuple(dict(c.get_fields_and_field_types()) for c in (A.Goal, A.Result, A.Feedback))
assert got == want, got
print(A.__module__)
"""


def check(prefix: str, search: List[str]) -> None:
    env = build_env(search)
    paths = [site_packages(p) for p in search if os.path.isdir(site_packages(p)) and os.path.abspath(p) != os.path.abspath(sys.prefix)]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        libs = [os.path.join(p, "lib") for p in search if os.path.abspath(p) != os.path.abspath(sys.prefix)]
        env["LD_LIBRARY_PATH"] = os.pathsep.join(libs + [env.get("LD_LIBRARY_PATH", "")]).rstrip(os.pathsep)
    r = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"build_interfaces: the built interfaces do not import:\n{r.stdout}{r.stderr}")
    log(f"checked: {r.stdout.strip()} imports, ExecuteInstruction has the contract's fields")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prefix", default=sys.prefix, help="install prefix (default: this Python's prefix, the venv)")
    ap.add_argument("--build-dir", default="", help="CMake build trees (default: PREFIX/build/interfaces)")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--verbose", "-v", action="store_true", help="show CMake's and the compilers' output")
    ap.add_argument("--no-check", action="store_true", help="skip the import check")
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    prefix = os.path.abspath(a.prefix)
    os.makedirs(prefix, exist_ok=True)
    build_root = os.path.abspath(a.build_dir or os.path.join(prefix, "build", "interfaces"))
    fixed = fix_wheel_cmake_files(sys.prefix)
    if os.path.abspath(sys.prefix) != prefix:
        fixed += fix_wheel_cmake_files(prefix)
    if fixed:
        log(f"pointed {len(fixed)} wheel CMake file(s) at {python_include()} and {numpy_include()}")
    search = prefixes(prefix)
    for name in COMPAT_PACKAGES:
        if needs_standin(name, prefix, search):
            build_package(os.path.join(COMPAT, name), name, prefix, build_root, search, a.jobs, not a.verbose)
        else:
            log(f"{name}: installed ({installed_share(name, search) or 'a Python package'}), the stand-in is not built")
    build_package(PACKAGE, "autogpt_ros_interfaces", prefix, build_root, search, a.jobs, not a.verbose)
    if not a.no_check:
        check(prefix, search)
    log(f"done in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
