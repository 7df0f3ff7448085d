"""The README's reference section, generated from the code (the node PARAMS lists and the
topic contract).  `autogpt-ros docs --write` refreshes README.md; a test checks it is current."""
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
    for name in NODES:
        cls = node_class(name)
        doc = (cls.__module__ and __import__(cls.__module__, fromlist=["x"]).__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        out += [f"### {name}", "", doc, "", markdown_table(list(cls.PARAMS) + list(COMMON)), ""]
    return "\n".join(out).rstrip() + "\n"


def write_readme(path: str) -> bool:
    text = open(path).read()
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:a] + "\n" + reference() + text[b:]
    if new != text:
        with open(path, "w") as f:
            f.write(new)
        return True
    return False
