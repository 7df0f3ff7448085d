"""Benchmarks (`autogpt-ros bench ...`): they print figures and write JSON; tests never time things."""
import json
import os
import platform
import time


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def write_json(path: str, data: dict) -> None:
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
        print(f"wrote {path}")


def print_table(title: str, rows: dict) -> None:
    print(f"\n{title}")
    w = max(len(k) for k in rows)
    for k, v in rows.items():
        if isinstance(v, float):
            v = f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
        print(f"  {k:<{w}}  {v}")
