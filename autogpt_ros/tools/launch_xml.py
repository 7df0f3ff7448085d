"""ROS 2 XML launch files read into the nodes they would start (no processes).

``launch``/``launch_ros`` and the ``ros2`` command are not installable from
PyPI, so ``autogpt-ros launch FILE [name:=value ...]`` interprets the same
``*.launch.xml`` files that ``ros2 launch autogpt_ros FILE`` runs on a ROS 2
machine.  :func:`load` reads one (and its includes) into a
:class:`LaunchDescription`, a flat list of :class:`NodeAction`; starting and
supervising them is :mod:`autogpt_ros.tools.supervisor`.  It supports the
subset this package uses:

``<launch>``, ``<arg name default description>``, ``<let name value>``,
``<node pkg exec name namespace output respawn respawn_delay args ros_args>``
with ``<param name value>``, ``<param from="file.yaml">`` and
``<remap from to>``, ``<group>`` (scoped) with ``<push-ros-namespace>``,
``<include file>`` with ``<arg name value>``, ``<set-env>``/``<unset-env>``,
``<set_parameter>``, ``if``/``unless`` on every element, and the
substitutions ``$(var)``, ``$(env NAME [default])``, ``$(find-pkg-share)``,
``$(find-pkg-prefix)``, ``$(dirname)``, ``$(filename)`` and ``$(anon)``.
Anything else, an ``<include>`` cycle too, is a :class:`LaunchError` that
names the tag and the line.

This module does not import rclpy.
"""
from __future__ import annotations

import os
import re
import shlex
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import yaml


class LaunchError(RuntimeError):
    """A launch file that cannot be run as written; the message says where."""


# --------------------------------------------------------------------------
# Parsing into a flat description
# --------------------------------------------------------------------------


@dataclass
class NodeAction:
    package: str
    executable: str
    name: Optional[str]
    namespace: str
    params: List[Tuple[str, object]] = field(default_factory=list)  # ("file", path) or (name, value)
    remaps: List[Tuple[str, str]] = field(default_factory=list)
    output: str = "screen"
    respawn: bool = False
    respawn_delay: float = 0.0
    args: List[str] = field(default_factory=list)
    ros_args: List[str] = field(default_factory=list)
    env: Dict[str, Optional[str]] = field(default_factory=dict)
    source: str = ""  # file:line

    @property
    def label(self) -> str:
        return self.name or self.executable


@dataclass
class LaunchDescription:
    nodes: List[NodeAction]
    args: Dict[str, str]  # the resolved top-level arguments
    declared: Dict[str, Tuple[Optional[str], str]]  # name -> (default, description)


class _Scope:
    def __init__(self, variables: Dict[str, str], namespace: str = "", env=None, global_params=None):
        self.variables = dict(variables)
        self.namespace = namespace
        self.env: Dict[str, Optional[str]] = dict(env or {})
        self.global_params: List[Tuple[str, object]] = list(global_params or [])

    def child(self) -> "_Scope":
        return _Scope(self.variables, self.namespace, self.env, self.global_params)


_LINES: Dict[int, int] = {}  # id(element) -> line number in its file


def _line(el) -> str:
    return str(_LINES.get(id(el), "?"))


def parse_xml(path: str):
    """Parse a launch file, remembering each element's line for error messages."""
    import xml.parsers.expat as expat

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise LaunchError(f"cannot read launch file {path}: {e}") from None
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()

    def start(tag, attrs):
        el = builder.start(tag, attrs)
        _LINES[id(el)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise LaunchError(f"{path}: not well-formed XML: {e}") from None
    root = builder.close()
    _keep.append(root)  # ids stay valid while the tree lives
    return root


_keep: List = []


def find_package_prefix(package: str) -> str:
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    except ImportError:  # pragma: no cover
        raise LaunchError("ament_index_python is not installed") from None
    try:
        return get_package_prefix(package)
    except (PackageNotFoundError, LookupError, KeyError, ValueError) as e:
        raise LaunchError(
            f"package {package!r} not found in AMENT_PREFIX_PATH={os.environ.get('AMENT_PREFIX_PATH', '')!r} ({e})"
        ) from None


def find_package_share(package: str) -> str:
    return os.path.join(find_package_prefix(package), "share", package)


_SUBST = re.compile(r"\$\(")


def substitution_span(text: str, start: int = 0) -> Optional[Tuple[int, int]]:
    """(index of "$(", index of its closing ")") of the first substitution at or after
    ``start``, nested ones included; the closing index is -1 when it is never closed;
    None when there is none."""
    j = text.find("$(", start)
    if j < 0:
        return None
    depth, k = 0, j
    while k < len(text):
        if text.startswith("$(", k):
            depth += 1
            k += 2
            continue
        if text[k] == ")":
            depth -= 1
            if depth == 0:
                return j, k
        k += 1
    return j, -1


def replace_substitutions(text: str, evaluate) -> str:
    """``text`` with every top-level ``$(...)`` replaced by ``evaluate(what is inside)``;
    ValueError for one that is never closed."""
    out, i = [], 0
    while i < len(text):
        span = substitution_span(text, i)
        if span is None:
            out.append(text[i:])
            break
        j, k = span
        if k < 0:
            raise ValueError(f"unclosed substitution in {text!r}")
        out.append(text[i:j])
        out.append(evaluate(text[j + 2 : k]))
        i = k + 1
    return "".join(out)


class _Substitutor:
    def __init__(self, scope: _Scope, path: str, line: str):
        self.scope, self.path, self.line = scope, path, line

    def error(self, msg: str) -> LaunchError:
        return LaunchError(f"{self.path}:{self.line}: {msg}")

    def __call__(self, text: Optional[str]) -> Optional[str]:
        if text is None:
            return None
        try:  # nested substitutions first
            return replace_substitutions(text, lambda inner: self._evaluate(self(inner).strip()))
        except ValueError as e:
            raise self.error(str(e)) from None

    def _evaluate(self, expr: str) -> str:
        parts = shlex.split(expr)
        if not parts:
            raise self.error("empty substitution $()")
        kind, rest = parts[0], parts[1:]
        if kind == "var":
            if len(rest) != 1:
                raise self.error("$(var NAME) takes one name")
            if rest[0] not in self.scope.variables:
                raise self.error(f"undefined launch argument or variable {rest[0]!r}")
            return self.scope.variables[rest[0]]
        if kind == "env":
            if not rest or len(rest) > 2:
                raise self.error("$(env NAME [DEFAULT]) takes one or two words")
            if rest[0] in self.scope.env and self.scope.env[rest[0]] is not None:
                return self.scope.env[rest[0]]
            if rest[0] in os.environ:
                return os.environ[rest[0]]
            if len(rest) == 2:
                return rest[1]
            raise self.error(f"environment variable {rest[0]!r} is not set and no default was given")
        if kind == "optenv":
            return os.environ.get(rest[0], rest[1] if len(rest) > 1 else "")
        if kind == "find-pkg-share":
            return find_package_share(rest[0])
        if kind == "find-pkg-prefix":
            return find_package_prefix(rest[0])
        if kind == "dirname":
            return os.path.dirname(os.path.abspath(self.path))
        if kind == "filename":
            return os.path.basename(self.path)
        if kind == "anon":
            return f"{rest[0]}_{uuid.uuid4().hex[:8]}"
        raise self.error(f"unsupported substitution $({kind} ...): supported are var, env, optenv, find-pkg-share, find-pkg-prefix, dirname, filename, anon")


def _truthy(value: str, where: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise LaunchError(f"{where}: condition value {value!r} is not true/false")


_ALLOWED_ATTRS = {
    "launch": {"version"},
    "arg": {"name", "default", "description", "value", "choices"},
    "let": {"name", "value"},
    "node": {"pkg", "exec", "name", "namespace", "ns", "output", "respawn", "respawn_delay", "args", "ros_args", "exec_name", "emulate_tty"},
    "param": {"name", "value", "from", "value-sep"},
    "remap": {"from", "to"},
    "group": {"scoped", "forwarding"},
    "include": {"file"},
    "push-ros-namespace": {"namespace"},
    "push_ros_namespace": {"namespace"},
    "set-env": {"name", "value"},
    "set_env": {"name", "value"},
    "unset-env": {"name"},
    "unset_env": {"name"},
    "set_parameter": {"name", "value"},
    "set-parameter": {"name", "value"},
    "env": {"name", "value"},
}


def _parse_value(text: str):
    """A parameter value as ros2 launch reads it: YAML scalars and lists."""
    try:
        v = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if v is None:
        return text
    return v


MAX_INCLUDE_DEPTH = 40  # nested <include>s; deeper is taken for a cycle


class _Loader:
    def __init__(self):
        self.nodes: List[NodeAction] = []
        self.declared: Dict[str, Tuple[Optional[str], str]] = {}
        self.top_args: Dict[str, str] = {}
        self.includes: List[Tuple[tuple, str, str]] = []  # open <include>s: (state, file, where)

    def load(self, path: str, given: Dict[str, str], scope: _Scope, top: bool) -> None:
        root = parse_xml(path)
        if root.tag != "launch":
            raise LaunchError(f"{path}:{_line(root)}: root element must be <launch>, not <{root.tag}>")
        self._children(root, path, scope, given, top)

    def _children(self, el, path, scope: _Scope, given, top):
        for child in el:
            if not isinstance(child.tag, str):
                continue  # comments
            self._element(child, path, scope, given, top)

    def _element(self, el, path, scope: _Scope, given, top):
        where = f"{path}:{_line(el)}"
        tag = el.tag
        allowed = _ALLOWED_ATTRS.get(tag)
        if allowed is None:
            raise LaunchError(f"{where}: unsupported tag <{tag}> (autogpt-ros launch supports: {', '.join(sorted(_ALLOWED_ATTRS))})")
        sub = _Substitutor(scope, path, _line(el))
        cond_attrs = {"if", "unless"}
        unknown = set(el.attrib) - allowed - cond_attrs
        if unknown:
            raise LaunchError(f"{where}: unsupported attribute(s) {sorted(unknown)} on <{tag}>")
        if tag == "arg":  # declared before conditions may reference it
            self._arg(el, where, sub, scope, given, top)
            return
        if "if" in el.attrib and not _truthy(sub(el.attrib["if"]), where):
            return
        if "unless" in el.attrib and _truthy(sub(el.attrib["unless"]), where):
            return
        a = {k: sub(v) for k, v in el.attrib.items() if k not in cond_attrs}
        if tag == "let":
            scope.variables[a["name"]] = a.get("value", "")
        elif tag in ("push-ros-namespace", "push_ros_namespace"):
            scope.namespace = _join_ns(scope.namespace, a.get("namespace", ""))
        elif tag in ("set-env", "set_env", "env"):
            scope.env[a["name"]] = a.get("value", "")
        elif tag in ("unset-env", "unset_env"):
            scope.env[a["name"]] = None
        elif tag in ("set_parameter", "set-parameter"):
            scope.global_params.append((a["name"], _parse_value(a.get("value", ""))))
        elif tag == "group":
            inner = scope.child() if a.get("scoped", "true").lower() != "false" else scope
            self._children(el, path, inner, given, False)
        elif tag == "include":
            self._include(el, a, path, where, scope)
        elif tag == "node":
            self._node(el, a, path, where, scope)
        elif tag == "launch":
            raise LaunchError(f"{where}: nested <launch>")
        else:
            raise LaunchError(f"{where}: <{tag}> is only allowed inside <node>")

    def _arg(self, el, where, sub, scope, given, top):
        name = el.attrib.get("name")
        if not name:
            raise LaunchError(f"{where}: <arg> needs a name")
        default = sub(el.attrib.get("default")) if "default" in el.attrib else None
        if "value" in el.attrib:
            default = sub(el.attrib["value"])
        if top:
            self.declared[name] = (default, el.attrib.get("description", ""))
        if name in given:
            value = given[name]
        elif not top and name in scope.variables:
            value = scope.variables[name]  # set by an including file
        elif default is not None:
            value = default
        else:
            raise LaunchError(f"{where}: launch argument {name!r} is required (pass {name}:=VALUE)")
        choices = el.attrib.get("choices")
        if choices and value not in [c.strip() for c in choices.split("|")]:
            raise LaunchError(f"{where}: argument {name}={value!r} is not one of {choices}")
        scope.variables[name] = value
        if top:
            self.top_args[name] = value

    def _include(self, el, a, path, where, scope):
        file = a.get("file")
        if not file:
            raise LaunchError(f"{where}: <include> needs file=")
        if not os.path.isabs(file):
            file = os.path.join(os.path.dirname(os.path.abspath(path)), file)
        passed: Dict[str, str] = {}
        sub = _Substitutor(scope, path, _line(el))
        for c in el:
            if not isinstance(c.tag, str):
                continue
            if c.tag != "arg":
                raise LaunchError(f"{path}:{_line(c)}: only <arg> is allowed inside <include>, not <{c.tag}>")
            if "if" in c.attrib and not _truthy(sub(c.attrib["if"]), where):
                continue
            passed[c.attrib["name"]] = sub(c.attrib.get("value", c.attrib.get("default", "")))
        inner = scope.child()  # included files see the including file's variables, as in ros2 launch
        state = _include_state(file, passed, inner)
        self._check_cycle(state, file, where)
        self.includes.append((state, file, where))
        try:
            self.load(file, passed, inner, top=False)
        finally:
            self.includes.pop()

    def _check_cycle(self, state: tuple, file: str, where: str) -> None:
        """A file included again, inside itself, with everything it sees the
        same (arguments, variables, namespace, environment) would repeat
        forever: that is an error naming the files of the cycle.  A
        self-include that changes an argument and is guarded by if=/unless=
        ends, and is allowed (up to MAX_INCLUDE_DEPTH)."""
        name = os.path.basename
        for i, (other, _, _) in enumerate(self.includes):
            if other == state:
                loop = self.includes[i + 1 :] + [(state, file, where)]
                chain = " -> ".join([name(file)] + [name(f) for _, f, _ in loop])
                sites = ", ".join(name(w) for _, _, w in loop)
                raise LaunchError(
                    f"{where}: recursive <include>: {chain} (included at {sites}) would include the same files forever; "
                    f"remove the cycle or guard the <include> with if=/unless="
                )
        if len(self.includes) >= MAX_INCLUDE_DEPTH:
            chain = " -> ".join(name(f) for _, f, _ in self.includes[-6:] + [(state, file, where)])
            raise LaunchError(f"{where}: <include> nested more than {MAX_INCLUDE_DEPTH} deep (... -> {chain}): a recursive <include>?")

    def _node(self, el, a, path, where, scope):
        if "pkg" not in a or "exec" not in a:
            raise LaunchError(f"{where}: <node> needs pkg= and exec=")
        ns = _join_ns(scope.namespace, a.get("namespace", a.get("ns", "")))
        node = NodeAction(
            package=a["pkg"],
            executable=a["exec"],
            name=a.get("name"),
            namespace=ns,
            output=a.get("output", "screen"),
            respawn=_truthy(a.get("respawn", "false"), where),
            respawn_delay=float(a.get("respawn_delay", "0") or 0),
            args=shlex.split(a.get("args", "")),
            ros_args=shlex.split(a.get("ros_args", "")),
            env=dict(scope.env),
            source=where,
        )
        node.params.extend(scope.global_params)
        sub = _Substitutor(scope, path, _line(el))
        for c in el:
            if not isinstance(c.tag, str):
                continue
            cw = f"{path}:{_line(c)}"
            allowed = _ALLOWED_ATTRS.get(c.tag)
            if c.tag not in ("param", "remap", "env"):
                raise LaunchError(f"{cw}: unsupported tag <{c.tag}> inside <node> (allowed: param, remap, env)")
            unknown = set(c.attrib) - allowed - {"if", "unless"}
            if unknown:
                raise LaunchError(f"{cw}: unsupported attribute(s) {sorted(unknown)} on <{c.tag}>")
            if "if" in c.attrib and not _truthy(sub(c.attrib["if"]), cw):
                continue
            if "unless" in c.attrib and _truthy(sub(c.attrib["unless"]), cw):
                continue
            ca = {k: sub(v) for k, v in c.attrib.items()}
            if c.tag == "param":
                if "from" in ca:
                    if not os.path.isfile(ca["from"]):
                        raise LaunchError(f"{cw}: parameter file {ca['from']!r} does not exist")
                    node.params.append(("file", ca["from"]))
                elif "name" in ca and "value" in ca:
                    node.params.append((ca["name"], _parse_value(ca["value"])))
                else:
                    raise LaunchError(f"{cw}: <param> needs name= and value=, or from=")
            elif c.tag == "remap":
                if "from" not in ca or "to" not in ca:
                    raise LaunchError(f"{cw}: <remap> needs from= and to=")
                node.remaps.append((ca["from"], ca["to"]))
            else:
                node.env[ca["name"]] = ca.get("value", "")
        self.nodes.append(node)


def _include_state(file: str, passed: Dict[str, str], scope: _Scope) -> tuple:
    """Everything an included file's content depends on, comparable."""
    return (
        os.path.realpath(file),
        tuple(sorted(passed.items())),
        tuple(sorted(scope.variables.items())),
        scope.namespace,
        tuple(sorted((k, repr(v)) for k, v in scope.env.items())),
        repr(scope.global_params),
    )


def _join_ns(outer: str, inner: str) -> str:
    inner = (inner or "").strip()
    if inner.startswith("/"):
        return inner.rstrip("/") or ""
    parts = [p for p in (outer or "").strip("/").split("/") + inner.strip("/").split("/") if p]
    return "/" + "/".join(parts) if parts else ""


def parse_launch_args(argv: Sequence[str]) -> Dict[str, str]:
    out = {}
    for a in argv:
        if ":=" not in a:
            raise LaunchError(f"launch arguments are name:=value, got {a!r}")
        k, v = a.split(":=", 1)
        out[k] = v
    return out


def load(path: str, args: Optional[Dict[str, str]] = None) -> LaunchDescription:
    """Parse a launch file (and its includes) into the nodes it would start."""
    loader = _Loader()
    loader.load(path, dict(args or {}), _Scope({}), top=True)
    unknown = set(args or {}) - set(loader.declared)
    if unknown:
        raise LaunchError(f"{path}: unknown launch argument(s) {sorted(unknown)}; declared: {sorted(loader.declared)}")
    return LaunchDescription(loader.nodes, loader.top_args, loader.declared)


def resolve_launch_file(spec: str) -> str:
    """A path, or a file name inside ``share/autogpt_ros/launch``."""
    if os.path.isfile(spec):
        return spec
    for pkg_share in _share_candidates():
        p = os.path.join(pkg_share, "launch", spec)
        if os.path.isfile(p):
            return p
    raise LaunchError(f"launch file {spec!r} not found (give a path or a file name in share/autogpt_ros/launch)")


def _share_candidates():
    try:
        yield find_package_share("autogpt_ros")
    except LaunchError:
        pass


def describe(desc: LaunchDescription) -> str:
    lines = []
    for n in desc.nodes:
        lines.append(f"{n.namespace or ''}/{n.label}  ({n.package} {n.executable})")
        for k, v in n.params:
            lines.append(f"    param {'file ' + str(v) if k == 'file' else f'{k} = {v!r}'}")
        for s, d in n.remaps:
            lines.append(f"    remap {s} -> {d}")
    return "\n".join(lines)
