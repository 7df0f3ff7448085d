#!/usr/bin/env python3
"""Refresh test/data/rosdep_keys.txt from the ros/rosdistro repository.

The file lists the names a package.xml dependency may have: rosdep keys (the
top-level keys of rosdep/base.yaml and rosdep/python.yaml) and the ROS packages
released into the distributions this package supports (kilted/distribution.yaml
and jazzy/distribution.yaml).  test/test_rosdep_keys.py checks every dependency
of every package.xml in the repository against it, without a network.

Run it on a machine with internet access:

    python3 scripts/refresh_rosdep_keys.py              # every key and package name
    python3 scripts/refresh_rosdep_keys.py --only-used  # only the names package.xml files use
    python3 scripts/refresh_rosdep_keys.py --ref <commit or branch>

It needs PyYAML.  The header of the written file names the repository, the
files and the commit (or branch) they were read at.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import urllib.request
import xml.etree.ElementTree as ET
from typing import Dict, Iterable, List, Sequence, Set

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "data", "rosdep_keys.txt")
REPO = "ros/rosdistro"
ROSDEP_FILES = ("rosdep/base.yaml", "rosdep/python.yaml")
DISTROS = ("kilted", "jazzy")
DEPEND_TAGS = ("depend", "build_depend", "build_export_depend", "exec_depend", "test_depend", "doc_depend", "buildtool_depend", "buildtool_export_depend")


def rosdep_keys(text: str) -> List[str]:
    """The top-level keys of a rosdep YAML file."""
    import yaml

    data = yaml.safe_load(text) or {}
    return sorted(str(k) for k in data)


def distribution_packages(text: str) -> List[str]:
    """The package names a distribution.yaml releases: each repository's
    release.packages, or the repository's own name when it releases one package."""
    import yaml

    data = yaml.safe_load(text) or {}
    names: Set[str] = set()
    for repo, entry in (data.get("repositories") or {}).items():
        release = (entry or {}).get("release")
        if not release:
            continue
        names.update(release.get("packages") or [repo])
    return sorted(names)


def package_xml_dependencies(root: str = ROOT) -> Dict[str, List[str]]:
    """{package.xml path: [dependency names]} for every package.xml under root
    (virtual environments, build and install trees skipped)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(root, "**", "package.xml"), recursive=True)):
        rel = os.path.relpath(path, root)
        if rel.split(os.sep)[0] in (".venv", "build", "install", "log") or "site-packages" in rel:
            continue
        tree = ET.parse(path).getroot()
        out[rel] = sorted({e.text.strip() for tag in DEPEND_TAGS for e in tree.iter(tag) if e.text and e.text.strip()})
    return out


def colcon_ignored(root: str, rel: str) -> bool:
    """True when a folder on the way to ``rel`` has a COLCON_IGNORE file (colcon and
    rosdep never see that package.xml: the tf2_msgs and vision_msgs stand-ins of
    autogpt_ros_interfaces/compat/, built only where those packages are missing)."""
    parts = os.path.dirname(rel).split(os.sep)
    return any(os.path.exists(os.path.join(root, *parts[:i], "COLCON_IGNORE")) for i in range(1, len(parts) + 1))


def workspace_packages(root: str = ROOT) -> Set[str]:
    """The names of the packages colcon builds from this repository."""
    names = set()
    for rel in package_xml_dependencies(root):
        if colcon_ignored(root, rel):
            continue
        name = ET.parse(os.path.join(root, rel)).getroot().findtext("name")
        if name:
            names.add(name.strip())
    return names


def read_keys_file(path: str = OUT) -> Dict[str, Set[str]]:
    """{section: names} of a keys file ("[section]" lines, then one name a line, # comments)."""
    sections: Dict[str, Set[str]] = {}
    current = None
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
        elif current is None:
            raise ValueError(f"{path}: {line!r} before any [section]")
        else:
            current.add(line)
    return sections


def write_keys_file(path: str, sections: Dict[str, Iterable[str]], header: Sequence[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for h in header:
            f.write(f"# {h}\n" if h else "#\n")
        for name, values in sections.items():
            f.write(f"\n[{name}]\n")
            for v in sorted(set(values)):
                f.write(v + "\n")


def fetch(ref: str, path: str) -> str:
    url = f"https://raw.githubusercontent.com/{REPO}/{ref}/{path}"
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read().decode("utf-8")


def resolve_commit(ref: str) -> str:
    """The commit a branch name points at (the ref itself when that fails)."""
    try:
        with urllib.request.urlopen(f"https://api.github.com/repos/{REPO}/commits/{ref}", timeout=60) as r:
            return json.load(r)["sha"]
    except Exception:
        return ref


def main(argv: Sequence[str] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="master", help="commit or branch of ros/rosdistro (default master)")
    ap.add_argument("--only-used", action="store_true", help="write only the names that package.xml files use")
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args(argv)
    commit = resolve_commit(a.ref)
    sections: Dict[str, List[str]] = {}
    for path in ROSDEP_FILES:
        sections[os.path.basename(path)] = rosdep_keys(fetch(commit, path))
    for distro in DISTROS:
        sections[distro] = distribution_packages(fetch(commit, f"{distro}/distribution.yaml"))
    if a.only_used:
        used = {d for deps in package_xml_dependencies().values() for d in deps}
        sections = {k: [v for v in vs if v in used] for k, vs in sections.items()}
    header = [
        "Names a package.xml dependency may have, for test/test_rosdep_keys.py.",
        f"Source: repository {REPO} at commit {commit}:",
        "  [base.yaml] [python.yaml]: top-level keys of rosdep/base.yaml and rosdep/python.yaml",
        "  [kilted] [jazzy]: package names released in kilted/distribution.yaml and jazzy/distribution.yaml",
        "Written by scripts/refresh_rosdep_keys.py" + (" --only-used (only the names package.xml files use)." if a.only_used else "."),
    ]
    write_keys_file(a.out, sections, header)
    print(f"wrote {a.out}: " + ", ".join(f"{k} {len(v)}" for k, v in sections.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
