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

or from a local copy of ros/rosdistro (a git clone: each file's commit is
read from git; otherwise --ref names it):

    python3 scripts/refresh_rosdep_keys.py --from-dir ~/rosdistro --only-used

It needs PyYAML.  The header of the written file names the repository and,
for each of the four files, the commit (or branch) it was read at.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from typing import Dict, Iterable, List, Optional, Sequence, Set

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "data", "rosdep_keys.txt")
REPO = "ros/rosdistro"
#: (section, file in ros/rosdistro, what the section lists), in the order the keys file holds them.
SOURCES = (
    ("base.yaml", "rosdep/base.yaml", "top-level keys of"),
    ("python.yaml", "rosdep/python.yaml", "top-level keys of"),
    ("kilted", "kilted/distribution.yaml", "package names released in"),
    ("jazzy", "jazzy/distribution.yaml", "package names released in"),
)
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


def header(commits: Dict[str, str], only_used: bool, notes: Sequence[str] = ()) -> List[str]:
    """The header lines of a keys file: where each section was read, at which commit."""
    lines = ["Names a package.xml dependency may have, for test/test_rosdep_keys.py.", f"Source: repository {REPO}, each file at the commit named:"]
    lines += [f"  [{section}] {what} {path} at commit {commits[path]}" for section, path, what in SOURCES]
    lines.append("Rewritten by: python3 scripts/refresh_rosdep_keys.py" + (" --only-used (only the names package.xml files use)." if only_used else " (every name)."))
    return lines + list(notes)


def sections_from(texts: Dict[str, str]) -> Dict[str, List[str]]:
    """{section: names} from the text of each source file ({path: text})."""
    return {
        section: (rosdep_keys if path.startswith("rosdep/") else distribution_packages)(texts[path])
        for section, path, _what in SOURCES
    }


def only_used(sections: Dict[str, List[str]], root: str = ROOT) -> Dict[str, List[str]]:
    used = {d for deps in package_xml_dependencies(root).values() for d in deps}
    return {k: [v for v in vs if v in used] for k, vs in sections.items()}


def git_commit(folder: str, path: str) -> Optional[str]:
    """The last commit of path in a git clone at folder, or None."""
    try:
        out = subprocess.run(["git", "-C", folder, "log", "-1", "--format=%H", "--", path], capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


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
    ap.add_argument("--from-dir", default="", help="read the files from this local copy of ros/rosdistro instead of downloading them")
    ap.add_argument("--only-used", action="store_true", help="write only the names that package.xml files use")
    ap.add_argument("--note", action="append", default=[], help="a further header line (repeatable)")
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args(argv)
    texts: Dict[str, str] = {}
    commits: Dict[str, str] = {}
    if a.from_dir:
        for _section, path, _what in SOURCES:
            with open(os.path.join(a.from_dir, path), encoding="utf-8") as f:
                texts[path] = f.read()
            commits[path] = git_commit(a.from_dir, path) or a.ref
    else:
        commit = resolve_commit(a.ref)
        for _section, path, _what in SOURCES:
            texts[path] = fetch(commit, path)
            commits[path] = commit
    sections = sections_from(texts)
    if a.only_used:
        sections = only_used(sections)
    write_keys_file(a.out, sections, header(commits, a.only_used, a.note))
    print(f"wrote {a.out}: " + ", ".join(f"{k} {len(v)}" for k, v in sections.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
