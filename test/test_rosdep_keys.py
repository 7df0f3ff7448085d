"""Every dependency of every package.xml in the repository is a name rosdep can
resolve: a rosdep key (base.yaml, python.yaml) or a ROS package released in both
supported distributions (kilted and jazzy), or a package of this repository.

The names come from test/data/rosdep_keys.txt, the names package.xml files use as
read in ros/rosdistro's files (each file's commit in its header), which
scripts/refresh_rosdep_keys.py rewrites on a machine with internet or from a local
copy of ros/rosdistro."""
import importlib.util
import os
import re
import subprocess

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


def test_the_keys_file_is_what_the_refresh_script_writes(tmp_path):
    """Its header names each file's commit as refresh.header() does, its sections are
    written as refresh.write_keys_file() writes them (sorted, one name a line)."""
    path = os.path.join(ROOT, "test", "data", "rosdep_keys.txt")
    text = open(path).read()
    head = [line[2:] if line.startswith("# ") else "" for line in text.split("\n\n[")[0].splitlines()]
    commits = {}
    for _section, source, _what in refresh.SOURCES:
        line = [h for h in head if f" {source} at commit " in h]
        assert len(line) == 1, source
        commits[source] = line[0].rsplit(" ", 1)[1]
        assert re.fullmatch(r"[0-9a-f]{40}", commits[source]), line
    only_used = "--only-used" in head[len(refresh.SOURCES) + 2]
    expected = refresh.header(commits, only_used, head[len(refresh.SOURCES) + 3 :])
    assert head == expected
    if only_used:  # exactly the names package.xml files use, no others
        used = {d for deps in refresh.package_xml_dependencies(ROOT).values() for d in deps}
        assert set().union(*KEYS.values()) <= used
    again = tmp_path / "keys.txt"
    refresh.write_keys_file(str(again), {s: KEYS[s] for s, _p, _w in refresh.SOURCES}, expected)
    assert again.read_text() == text


def resolvable(name, ours, keys=KEYS):
    return name in ours or name in keys["base.yaml"] | keys["python.yaml"] or (name in keys["kilted"] and name in keys["jazzy"])


def unresolved(deps, ours, keys=KEYS):
    return [d for d in deps if not resolvable(d, ours, keys)]


@pytest.mark.parametrize("path", sorted(refresh.package_xml_dependencies(ROOT)))
def test_every_package_xml_dependency_resolves(path):
    deps = refresh.package_xml_dependencies(ROOT)[path]
    assert deps, path
    ours = refresh.workspace_packages(ROOT)
    missing = unresolved(deps, ours)
    assert not missing, f"{path}: not rosdep keys, nor ROS packages of kilted and jazzy: {missing}"


def test_a_package_xml_naming_an_unlisted_key_is_caught(tmp_path):
    """The check above fails for a dependency the keys file does not list, and for a
    ROS package released in only one of the two distributions."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "package.xml").write_text(
        '<?xml version="1.0"?><package format="3"><name>probe</name><version>0.0.0</version>'
        "<description>d</description><maintainer email='a@b.c'>m</maintainer><license>MIT</license>"
        "<depend>rclpy</depend><exec_depend>python3-numpy</exec_depend><exec_depend>not_a_rosdep_key</exec_depend>"
        "<test_depend>python3-torch</test_depend></package>"
    )
    deps = refresh.package_xml_dependencies(str(tmp_path))["pkg/package.xml"]
    assert unresolved(deps, refresh.workspace_packages(str(tmp_path))) == ["not_a_rosdep_key", "python3-torch"]
    jazzy_only = dict(KEYS, kilted=KEYS["kilted"] - {"rclpy"})
    assert unresolved(["rclpy", "std_msgs"], set(), jazzy_only) == ["rclpy"]


def test_the_refresh_script_reads_a_local_copy_with_each_files_commit(tmp_path):
    """--from-dir: the four files from a git clone, each file's commit in the header,
    --only-used keeps the names package.xml files use."""
    d = tmp_path / "rosdistro"
    (d / "rosdep").mkdir(parents=True)
    (d / "rosdep" / "base.yaml").write_text("portaudio19-dev:\n  ubuntu: [portaudio19-dev]\nunused-key:\n  ubuntu: [x]\n")
    (d / "rosdep" / "python.yaml").write_text("python3-numpy:\n  ubuntu: [python3-numpy]\n")
    for distro in ("kilted", "jazzy"):
        (d / distro).mkdir()
        (d / distro / "distribution.yaml").write_text(
            "repositories:\n  rclpy:\n    release:\n      version: 1.0.0-1\n"
            "  common_interfaces:\n    release:\n      packages: [std_msgs, shape_msgs]\n"
        )
    git = lambda *a: subprocess.run(["git", "-C", str(d), "-c", "user.name=t", "-c", "user.email=t@t", *a], check=True, capture_output=True, text=True)
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "files")
    sha = git("rev-parse", "HEAD").stdout.strip()
    out = tmp_path / "keys.txt"
    assert refresh.main(["--from-dir", str(d), "--only-used", "--out", str(out)]) == 0
    assert refresh.read_keys_file(str(out)) == {"base.yaml": {"portaudio19-dev"}, "python.yaml": {"python3-numpy"}, "kilted": {"rclpy", "std_msgs"}, "jazzy": {"rclpy", "std_msgs"}}
    text = out.read_text()
    for _section, source, _what in refresh.SOURCES:
        assert f" {source} at commit {sha}" in text


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
