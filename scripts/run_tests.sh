#!/usr/bin/env bash
# Runs the whole suite with the project's venv.  Each test session gets its own
# ROS_DOMAIN_ID (see test/conftest.py) and localhost-only discovery.
set -euo pipefail
cd "$(dirname "$0")/.."
export AMENT_PREFIX_PATH="$PWD/.venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export MUJOCO_GL="${MUJOCO_GL:-egl}"
export PYOPENGL_PLATFORM="${PYOPENGL_PLATFORM:-egl}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m pytest -q -rs "$@"
