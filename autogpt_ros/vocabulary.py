"""The words the agent understands: one list, used by every part.

Perception labels, the goal schema, the language model's data generator and
the speech grammar are all built from these tuples, so a colour or skill
added here reaches all of them.
"""

COLORS = ("red", "green", "blue", "yellow", "orange", "purple", "white", "black")
SHAPES = ("box", "ball", "cylinder")
SKILLS = ("go_to", "find", "move", "turn", "stop", "describe")

#: words people use for each shape (the canonical name first)
SHAPE_SYNONYMS = {
    "box": ("box", "cube", "block", "crate"),
    "ball": ("ball", "sphere"),
    "cylinder": ("cylinder", "can", "barrel", "pillar"),
}

#: RGB of each colour as the simulator paints it (0..1)
COLOR_RGB = {
    "red": (0.85, 0.10, 0.10),
    "green": (0.10, 0.70, 0.15),
    "blue": (0.10, 0.25, 0.90),
    "yellow": (0.95, 0.85, 0.10),
    "orange": (1.00, 0.50, 0.00),
    "purple": (0.55, 0.15, 0.75),
    "white": (0.95, 0.95, 0.95),
    "black": (0.06, 0.06, 0.06),
}

STOP_WORDS = ("stop", "halt", "freeze")
