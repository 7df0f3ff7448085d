"""`autogpt-ros bench graph`: what the simulated graph costs, node by node; figures, not tests.

The graph is started as `autogpt-ros evaluate` starts it (sim.launch.xml: sim_node and the
five agent nodes as processes over DDS). After a warm-up, a fixed seeded sequence of go_to
and find instructions (one every ``interval`` seconds) runs for ``seconds`` of wall time;
each node's CPU time over that window (from /proc, its threads and children included) per
wall second is its ``cpu_share``, its resident memory at the end ``rss_mb`` (peak
``rss_peak_mb``). ``agent_cpu_share`` and ``agent_rss_mb`` add up the five agent nodes
(sim_node apart). The end-to-end latencies measured in the same run (instruction to goal,
image to objects, a typed stop to zero /cmd_vel) show that nothing was bought with latency.
Only the multi-process launch exists: the composed form is reported as not available.
"""
from __future__ import annotations

import os
import random
import time
from typing import Dict, List, Optional

from autogpt_ros.tools.bench import machine, print_table, write_json

AGENT_NODES = ("camera_node", "microphone_node", "reasoning_node", "fusion_node", "policy_node")
NODES = ("sim_node",) + AGENT_NODES
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> Optional[List[str]]:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields after the command name: state, ppid, ...


def descendants(root: int) -> List[int]:
    """Every process below ``root`` (from /proc's parent links)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(int(d))
            if st is not None:
                parent[int(d)] = int(st[1])
    out, frontier = [], [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        frontier += kids
    return out


def node_pids(root: int) -> Dict[str, int]:
    """The node processes below the launcher, by node name (their executables are named so)."""
    out = {}
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        for a in argv[:2]:
            name = os.path.basename(a)
            if name in NODES and name not in out:
                out[name] = pid
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, its finished children included."""
    st = _stat(pid)
    if st is None:
        return float("nan")
    # after the command name: utime, stime, cutime, cstime are fields 12-15 (0-based 11-14)
    return sum(int(x) for x in st[11:15]) / _TICK


def memory_mb(pid: int) -> Dict[str, float]:
    out = {"rss_mb": float("nan"), "rss_peak_mb": float("nan")}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_mb"] = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    out["rss_peak_mb"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def _p95(xs) -> Optional[float]:
    xs = sorted(x for x in xs if x is not None)
    return xs[min(len(xs) - 1, int(0.95 * len(xs)))] if xs else None


def run(json_path: str = "", seconds: float = 60.0, warmup: float = 20.0, interval: float = 20.0, seed: int = 7) -> dict:
    from autogpt_ros import interfaces as ifc
    from autogpt_ros.tools.evaluate import Harness, make_instruction

    h = Harness(launch_args={"seed": str(seed)})
    rng = random.Random(seed)
    try:
        h.start()
        pids = node_pids(h.proc.pid)
        missing = [n for n in NODES if n not in pids]
        if missing:
            raise RuntimeError(f"node processes not found: {', '.join(missing)}")
        world = h.reset(seed=seed)
        h.say(make_instruction(world, rng)[0])
        time.sleep(warmup)
        h.clear()
        c0, t0 = {n: cpu_seconds(p) for n, p in pids.items()}, time.monotonic()
        sent = []
        while time.monotonic() - t0 < seconds:
            text = make_instruction(world, rng)[0]
            sent.append((h.say(text), text))
            time.sleep(min(interval, max(0.0, seconds - (time.monotonic() - t0))))
        wall = time.monotonic() - t0
        c1 = {n: cpu_seconds(p) for n, p in pids.items()}
        nodes = {n: {"cpu_share": (c1[n] - c0[n]) / wall, **memory_mb(pids[n])} for n in NODES}
        goals = [t for t, _ in h.got("goal")]
        to_goal = [(min((g for g in goals if g >= ts), default=None) or float("nan")) - ts for ts, _ in sent]
        objs = [ifc.decode(ifc.ObjectsPayload, m.data).latency_ms for _, m in h.got("objects")]
        stop_ms = h.stop_latency(spoken=False)
    finally:
        h.stop()
    res = {
        "form": "multi-process (sim.launch.xml)",
        "composed": None,  # `autogpt-ros run` (the agent nodes in one process) does not exist yet
        "seconds": round(wall, 1), "instructions": len(sent), "nodes": nodes,
        "agent_cpu_share": sum(nodes[n]["cpu_share"] for n in AGENT_NODES),
        "agent_rss_mb": sum(nodes[n]["rss_mb"] for n in AGENT_NODES),
        "sim_cpu_share": nodes["sim_node"]["cpu_share"],
        "instruction_to_goal_p95_ms": _p95([x * 1000 for x in to_goal if x == x]),
        "image_to_objects_p95_ms": _p95(objs),
        "stop_typed_ms": stop_ms,
        "targets": {"agent_cpu_share": "<= 0.5", "agent_rss_mb": "<= 1500 (planner loaded)", "stop_typed_ms": "< 20 (p95)", "image_to_objects_p95_ms": "< 20"},
        "machine": machine(),
    }
    flat = {f"{n}_cpu_share": v["cpu_share"] for n, v in nodes.items()}
    flat.update({f"{n}_rss_mb": v["rss_mb"] for n, v in nodes.items()})
    flat.update({k: v for k, v in res.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    print_table("bench graph (multi-process)", flat)
    write_json(json_path, res)
    return res
