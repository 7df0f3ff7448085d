"""Task success criteria: one definition for the environment, policy_node and evaluation.

* go_to: the robot's base centre within ``GO_TO_DISTANCE`` (0.5 m) of the
  target's surface and facing it within ``GO_TO_FACING`` (30 degrees);
* find: the target in view (inside the field of view, not occluded) and
  centred within ``FIND_CENTRED`` (15 degrees);
* go_to_place: the base centre within ``PLACE_DISTANCE`` (0.3 m) of the place;
* within ``TIME_LIMIT`` (60 s).
Pure Python.
"""
from __future__ import annotations

import math

GO_TO_DISTANCE = 0.5
GO_TO_FACING = math.radians(30.0)
FIND_CENTRED = math.radians(15.0)
TIME_LIMIT = 60.0
PLACE_DISTANCE = 0.3  # go_to_place: the base centre this close to the remembered pose


def go_to_reached(surface_distance: float, bearing: float) -> bool:
    return surface_distance <= GO_TO_DISTANCE and abs(bearing) <= GO_TO_FACING


def find_reached(visible: bool, bearing: float) -> bool:
    return bool(visible) and abs(bearing) <= FIND_CENTRED
