"""The embedded simulator (MuJoCo): robot, worlds, physics, sensors, Gymnasium env.

Rendering is headless by default: without a display, MuJoCo uses EGL (the
stock Mesa libraries); set MUJOCO_GL yourself to choose (egl, osmesa, glfw).
"""
import os as _os

if "MUJOCO_GL" not in _os.environ and not _os.environ.get("DISPLAY"):
    _os.environ["MUJOCO_GL"] = "egl"
if "MUJOCO_GL" in _os.environ:
    _os.environ.setdefault("PYOPENGL_PLATFORM", _os.environ["MUJOCO_GL"] if _os.environ["MUJOCO_GL"] != "glfw" else "")
