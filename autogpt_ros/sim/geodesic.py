"""Shortest-path distance to a target around obstacles, on an occupancy grid.

The training reward for ``go_to`` pays for progress along this distance, not
the straight-line one: behind a wall the straight line points into the wall (a
local minimum where greedy progress stalls), the path around it does not.  The
difference of a potential is shaping that leaves the best policy unchanged
(Ng et al., 1999); the policy still sees only its own observation.  Pure numpy
and scipy, no rclpy.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from autogpt_ros.sim.world import Scenario


def _rect_sdf(X: np.ndarray, Y: np.ndarray, cx: float, cy: float, sx: float, sy: float, yaw: float) -> np.ndarray:
    """Signed distance to a rotated rectangle (negative inside)."""
    c, s = math.cos(-yaw), math.sin(-yaw)
    dx, dy = X - cx, Y - cy
    lx, ly = c * dx - s * dy, s * dx + c * dy
    qx, qy = np.abs(lx) - sx / 2, np.abs(ly) - sy / 2
    return np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0)) + np.minimum(np.maximum(qx, qy), 0.0)


def _object_sdf(X: np.ndarray, Y: np.ndarray, o) -> np.ndarray:
    if o.shape == "box":
        return _rect_sdf(X, Y, o.x, o.y, o.size[0], o.size[1], o.yaw)
    return np.hypot(X - o.x, Y - o.y) - o.radius


def _pairs(d: int, n: int):
    """Index ranges of cells k and k + d that both lie in 0..n-1."""
    return (slice(0, n - d), slice(d, n)) if d >= 0 else (slice(-d, n), slice(0, n + d))


class GeodesicField:
    """Distances (metres) from every free cell to the cells within ``reach`` of the
    target's surface, for a robot of radius ``robot_radius`` (obstacles inflated)."""

    def __init__(self, scenario: Scenario, target_index: int, robot_radius: float, resolution: float = 0.1, reach: float = 0.35):
        from scipy.ndimage import distance_transform_edt
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import dijkstra

        self.res = resolution
        ax, ay = scenario.arena
        self.x0, self.y0 = -ax / 2, -ay / 2
        nx, ny = int(math.ceil(ax / resolution)), int(math.ceil(ay / resolution))
        xs = self.x0 + (np.arange(nx) + 0.5) * resolution
        ys = self.y0 + (np.arange(ny) + 0.5) * resolution
        X, Y = np.meshgrid(xs, ys, indexing="ij")
        pad = robot_radius * 0.8  # the robot's half-width, a little less than its corner radius
        occ = (X < self.x0 + pad) | (X > -self.x0 - pad) | (Y < self.y0 + pad) | (Y > -self.y0 - pad)
        for o in scenario.obstacles:
            occ |= _rect_sdf(X, Y, o.x, o.y, o.size[0], o.size[1], o.yaw) <= pad
        for i, o in enumerate(scenario.objects):
            if i != target_index:
                occ |= _object_sdf(X, Y, o) <= pad
        surf = _object_sdf(X, Y, scenario.objects[target_index])
        occ |= surf <= 0.0
        goal = (~occ) & (surf <= reach)
        free = ~occ
        idx = -np.ones((nx, ny), np.int64)
        idx[free] = np.arange(int(free.sum()))
        rows, cols, w = [], [], []
        for di, dj in ((1, 0), (0, 1), (1, 1), (1, -1)):  # 8-connected, each edge once
            (ai, bi), (aj, bj) = _pairs(di, nx), _pairs(dj, ny)
            both = free[ai, aj] & free[bi, bj]
            ia, ib = idx[ai, aj][both], idx[bi, bj][both]
            rows.append(ia)
            cols.append(ib)
            w.append(np.full(len(ia), resolution * math.hypot(di, dj)))
        n = int(free.sum())
        dist = np.full((nx, ny), np.inf)
        if n and goal.any():
            g = coo_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsr()
            d = dijkstra(g, directed=False, indices=idx[goal], min_only=True)
            dist[free] = d
        # occupied cells (the robot's centre may graze an inflated margin) take the value
        # of the nearest free cell plus the way out
        _, (ii, jj) = distance_transform_edt(occ, return_indices=True)
        way_out = np.hypot(ii - np.arange(nx)[:, None], jj - np.arange(ny)[None, :]) * resolution
        self.dist = np.where(occ, dist[ii, jj] + way_out, dist)
        self.reachable = bool(np.isfinite(dist[free]).any())

    def distance(self, x: float, y: float) -> Optional[float]:
        """Path length from (x, y) to near the target; None when no path exists."""
        i = int(np.clip((x - self.x0) / self.res, 0, self.dist.shape[0] - 1))
        j = int(np.clip((y - self.y0) / self.res, 0, self.dist.shape[1] - 1))
        d = float(self.dist[i, j])
        return d if math.isfinite(d) else None
