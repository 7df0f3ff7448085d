"""Pictures of a world for people: camera, depth and a top-down map."""
from __future__ import annotations

import math
import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from autogpt_ros.sim.core import OBSTACLE_RGB, Simulator, WALL_RGB
from autogpt_ros.sim.world import Scenario
from autogpt_ros.vocabulary import COLOR_RGB


def top_down(ax, sc: Scenario, robot_pose: Optional[Tuple[float, float, float]] = None, hfov: Optional[float] = None, trajectory: Optional[Sequence[Tuple[float, float]]] = None, highlight: Optional[str] = None):
    """Draw a scenario on a matplotlib axis (metres, x right, y up)."""
    from matplotlib import patches

    w, l = sc.arena
    ax.add_patch(patches.Rectangle((-w / 2, -l / 2), w, l, fill=False, lw=3, ec=WALL_RGB))
    for ob in sc.obstacles:
        rect = patches.Rectangle((-ob.size[0] / 2, -ob.size[1] / 2), ob.size[0], ob.size[1], color=OBSTACLE_RGB)
        import matplotlib.transforms as mt

        rect.set_transform(mt.Affine2D().rotate(ob.yaw).translate(ob.x, ob.y) + ax.transData)
        ax.add_patch(rect)
    for o in sc.objects:
        c = COLOR_RGB[o.color]
        ec = "k" if o.color != "black" else "0.6"
        lw = 2.5 if highlight and o.label == highlight else 0.8
        if o.shape == "box":
            import matplotlib.transforms as mt

            p = patches.Rectangle((-o.size[0] / 2, -o.size[1] / 2), o.size[0], o.size[1], fc=c, ec=ec, lw=lw)
            p.set_transform(mt.Affine2D().rotate(o.yaw).translate(o.x, o.y) + ax.transData)
        elif o.shape == "ball":
            p = patches.Circle((o.x, o.y), o.size[0] / 2, fc=c, ec=ec, lw=lw)
        else:
            p = patches.RegularPolygon((o.x, o.y), 6, radius=o.size[0] / 2, fc=c, ec=ec, lw=lw)
        ax.add_patch(p)
        ax.annotate(o.label, (o.x, o.y + 0.22), ha="center", fontsize=7)
    if trajectory is not None and len(trajectory) > 1:
        t = np.asarray(trajectory)
        ax.plot(t[:, 0], t[:, 1], "-", color="tab:cyan", lw=1.5)
    if robot_pose is not None:
        x, y, yaw = robot_pose
        if hfov:
            wedge = patches.Wedge((x, y), 1.5, math.degrees(yaw - hfov / 2), math.degrees(yaw + hfov / 2), alpha=0.15, color="tab:blue")
            ax.add_patch(wedge)
        ax.add_patch(patches.Circle((x, y), 0.19, fc="0.3", ec="k"))
        ax.arrow(x, y, 0.3 * math.cos(yaw), 0.3 * math.sin(yaw), width=0.03, color="w")
    ax.set_xlim(-w / 2 - 0.3, w / 2 + 0.3)
    ax.set_ylim(-l / 2 - 0.3, l / 2 + 0.3)
    ax.set_aspect("equal")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")


def snapshot(sc: Scenario, out_dir: str, width: int = 320, height: int = 240) -> Dict[str, str]:
    """Write camera.png, depth.png (+ depth.npy), segmentation.png and map.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    os.makedirs(out_dir, exist_ok=True)
    sim = Simulator(sc)
    try:
        sim.step(0.2)  # settle on the wheels
        files = {}
        rgb = sim.render_rgb(width, height)
        files["camera"] = os.path.join(out_dir, "camera.png")
        Image.fromarray(rgb).save(files["camera"])
        depth = sim.render_depth(width, height)
        files["depth_npy"] = os.path.join(out_dir, "depth.npy")
        np.save(files["depth_npy"], depth)
        finite = np.where(np.isfinite(depth), depth, np.nan)
        fig, ax = plt.subplots(figsize=(5, 4))
        im = ax.imshow(finite, cmap="viridis")
        fig.colorbar(im, ax=ax, label="depth [m]")
        ax.set_title("depth (32FC1, metres)")
        ax.axis("off")
        files["depth"] = os.path.join(out_dir, "depth.png")
        fig.savefig(files["depth"], dpi=100, bbox_inches="tight")
        plt.close(fig)
        seg = sim.render_segmentation(width, height)
        lut = np.zeros((len(sc.objects) + 1, 3), np.uint8)
        for i, o in enumerate(sc.objects):
            lut[i + 1] = (np.array(COLOR_RGB[o.color]) * 255).astype(np.uint8)
        files["segmentation"] = os.path.join(out_dir, "segmentation.png")
        Image.fromarray(lut[seg + 1]).save(files["segmentation"])
        fig, ax = plt.subplots(figsize=(6, 6))
        p = sim.true_pose()
        top_down(ax, sc, (p.x, p.y, p.yaw), sim.robot.camera.hfov)
        visible = [sc.objects[i].label for i in sim.objects_in_view()]
        ax.set_title(f"{sc.name}: in view: {', '.join(visible) or 'nothing'}", fontsize=9)
        files["map"] = os.path.join(out_dir, "map.png")
        fig.savefig(files["map"], dpi=100, bbox_inches="tight")
        plt.close(fig)
        return files
    finally:
        sim.close()
