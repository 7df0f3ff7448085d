"""Every dependency of every package.xml in the repository is a name rosdep can
resolve: a rosdep key (base.yaml, python.yaml) or a ROS package released in both
supported distributions (kilted and jazzy), or a package of this repository.

The names come from test/data/rosdep_keys.txt, a copy of ros/rosdistro's files
that scripts/refresh_rosdep_keys.py rewrites on a machine with internet."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("refresh_rosdep_keys", os.path.join(ROOT, "scripts", "refresh_rosdep_keys.py"))
refresh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(refresh)

KEYS = refresh.read_keys_file(os.path.join(ROOT, "test", "data", "rosdep_keys.txt"))


def test_the_keys_file_has_its_four_sections_and_says_where_it_comes_from():
    assert set(KEYS) == {"base.yaml", "python.yaml", "kilted", "jazzy"}
    head = open(os.path.join(ROOT, "test", "data", "rosdep_keys.txt")).read().split("\n[")[0]
    assert "ros/rosdistro" in head and "commit" in head
    for path in ("rosdep/base.yaml", "rosdep/python.yaml", "kilted/distribution.yaml", "jazzy/distribution.yaml"):
        assert path in head


def resolvable(name, ours):
    return name in ours or name in KEYS["base.yaml"] | KEYS["python.yaml"] or (name in KEYS["kilted"] and name in KEYS["jazzy"])


@pytest.mark.parametrize("path", sorted(refresh.package_xml_dependencies(ROOT)))
def test_every_package_xml_dependency_resolves(path):
    deps = refresh.package_xml_dependencies(ROOT)[path]
    assert deps, path
    ours = refresh.workspace_packages(ROOT)
    missing = [d for d in deps if not resolvable(d, ours)]
    assert not missing, f"{path}: not rosdep keys, nor ROS packages of kilted and jazzy: {missing}"


def test_the_package_xml_dependencies_found_include_this_package():
    deps = refresh.package_xml_dependencies(ROOT)
    assert "package.xml" in deps and "rclpy" in deps["package.xml"]


def test_the_refresh_script_extracts_keys_and_packages(tmp_path):
    base = "espeak:\n  ubuntu: [espeak]\nlibespeak-ng1:\n  debian: [libespeak-ng1]\n  ubuntu: [libespeak-ng1]\n"
    assert refresh.rosdep_keys(base) == ["espeak", "libespeak-ng1"]
    dist = (
        "release_platforms:\n  ubuntu: [noble]\nrepositories:\n"
        "  ros_gz:\n    release:\n      packages: [ros_gz_bridge, ros_gz_sim]\n      version: 2.1.16-1\n"
        "  robot_state_publisher:\n    release:\n      version: 3.4.3-1\n"
        "  source_only:\n    source:\n      type: git\n"
    )
    assert refresh.distribution_packages(dist) == ["robot_state_publisher", "ros_gz_bridge", "ros_gz_sim"]
    out = tmp_path / "keys.txt"
    refresh.write_keys_file(str(out), {"base.yaml": ["espeak"], "jazzy": ["rclpy"]}, ["a header", ""])
    assert refresh.read_keys_file(str(out)) == {"base.yaml": {"espeak"}, "jazzy": {"rclpy"}}


def test_names_that_are_not_rosdep_keys_are_refused():
    ours = refresh.workspace_packages(ROOT)
    for bad in ("espeak-ng", "python3-onnx-pip", "python3-pydantic-pip", "python3-torch"):
        assert not resolvable(bad, ours), bad
