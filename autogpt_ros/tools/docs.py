"""The README's reference section, generated from the code (the topic contract, the JSON
payload models and the node PARAMS lists).  `autogpt-ros docs --write` refreshes README.md; a test checks it is current."""
from __future__ import annotations

import os

from autogpt_ros import interfaces as ifc
from autogpt_ros.params import COMMON, markdown_table

BEGIN = "<!-- BEGIN GENERATED REFERENCE (autogpt-ros docs --write) -->"
END = "<!-- END GENERATED REFERENCE -->"


def reference() -> str:
    from autogpt_ros.nodes import NODES, node_class

    out = ["### Topics (autogpt_ros/interfaces.py)", "", "| topic | type | QoS (publisher / subscriber) | from | what |", "|---|---|---|---|---|"]
    q = lambda x: f"{x.reliability}{', transient local' if x.durability == 'transient_local' else ''}, depth {x.depth}"
    for t in ifc.TOPICS.values():
        out.append(f"| `{t.name}` | `{t.type}` | {q(t.pub_qos)} / {q(t.sub_qos)} | {t.publisher} | {t.description} |")
    out += ["", "Services: " + ", ".join(f"`{k}` (`{v}`)" for k, v in ifc.SERVICES.items()) + ".", ""]
    out += ["Actions: " + ", ".join(f"`{k}` (`{v}`)" for k, v in ifc.ACTIONS.items()) + ".", ""]
    out += interface_files()
    out += payloads()
    for name in NODES:
        cls = node_class(name)
        doc = (cls.__module__ and __import__(cls.__module__, fromlist=["x"]).__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        out += [f"### {name}", "", doc, "", markdown_table(list(cls.PARAMS) + list(COMMON)), ""]
    return "\n".join(out).rstrip() + "\n"


def interface_files() -> list:
    """The definitions of autogpt_ros_interfaces (its .action and .msg files, as written)."""
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "autogpt_ros_interfaces")
    if not os.path.isdir(root):
        return []
    out = ["### Action and messages (autogpt_ros_interfaces)", ""]
    for kind in ("action", "msg"):
        for name in sorted(os.listdir(os.path.join(root, kind))):
            text = open(os.path.join(root, kind, name)).read().strip()
            out += [f"#### `autogpt_ros_interfaces/{kind}/{name.rsplit('.', 1)[0]}`", "", "```", text, "```", ""]
    return out


def _type_name(annotation) -> str:
    """A readable type from a pydantic field annotation (typing objects, Literal values)."""
    import re
    import typing

    text = repr(annotation) if not isinstance(annotation, type) else annotation.__name__
    text = text.replace("typing.", "").replace("autogpt_ros.interfaces.", "")
    text = re.sub(r"Annotated\[Union\[([^\]]*)\], FieldInfo\([^)]*\)(, [^\]]*)?\]", r"\1", text)
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    if getattr(annotation, "__origin__", None) is typing.Literal:
        text = " / ".join(repr(a) for a in annotation.__args__)
    text = re.sub(r"Literal\[([^\]]*)\]", lambda m: m.group(1).replace(", ", " / "), text)
    return text.replace("NoneType", "None")


def _fields(model) -> list:
    rows = []
    for name, f in model.model_fields.items():
        if name in ("schema_name", "version"):
            continue
        default = "required" if f.is_required() else repr(f.default if f.default_factory is None else f.default_factory())
        rows.append(f"| `{f.alias or name}` | `{_type_name(f.annotation)}` | {default} |")
    return rows


def payloads() -> list:
    """The JSON of every structured topic, from the pydantic models in interfaces.py."""
    import typing

    from pydantic import BaseModel

    topic_of = {}
    for t in ifc.TOPICS.values():
        if "schema autogpt_ros/" in t.description:
            topic_of[t.description.split("schema ")[1].rstrip(")")] = t.name
    out = ["### JSON payloads (autogpt_ros/interfaces.py)", "",
           "Every JSON topic carries `\"schema\"` and `\"version\"` beside the fields below; a payload of another "
           "schema or version is refused with a warning.", ""]
    seen, nested = set(), []

    def walk(ann):
        for a in getattr(ann, "__args__", ()) or ():
            walk(a)
        if isinstance(ann, type) and issubclass(ann, BaseModel) and ann not in seen and not issubclass(ann, ifc.Payload):
            seen.add(ann)
            nested.append(ann)
            for f in ann.model_fields.values():
                walk(f.annotation)

    for schema, cls in ifc.SCHEMAS.items():
        where = f"`{topic_of[schema]}`" if schema in topic_of else "(no topic)"
        out += [f"#### {where}: `{schema}` version {cls.VERSION}", "", "| field | type | default |", "|---|---|---|"] + _fields(cls) + [""]
        for f in cls.model_fields.values():
            walk(f.annotation)
    for m in nested:
        out += [f"#### `{m.__name__}`", "", "| field | type | default |", "|---|---|---|"] + _fields(m) + [""]
    return out


def write_readme(path: str) -> bool:
    text = open(path).read()
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:a] + "\n" + reference() + text[b:]
    if new != text:
        with open(path, "w") as f:
            f.write(new)
        return True
    return False
