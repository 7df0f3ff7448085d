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


# ---------------------------------------------------------------------------
# The command lexicon: the words of instructions, by role.  The language
# model's data generator builds its sentences from these lists, and the speech
# grammar (autogpt_ros.speech.grammar) is generated from them, so the
# recogniser hears every word the language node understands.
# ---------------------------------------------------------------------------

GO_TO_VERBS = ("go to", "drive to", "move to", "head to", "navigate to", "approach", "get to", "come to", "go over to",
               "walk to", "go towards", "move towards", "drive towards", "go near", "bring me to", "go up to", "travel to", "proceed to")
FIND_VERBS = ("find", "look for", "search for", "locate", "where is", "spot", "try to find", "seek", "can you see", "check for")
MOVE_VERBS = ("move", "go", "drive", "roll", "travel")
BACK_UP = ("back up", "reverse", "back away")
TURN_VERBS = ("turn", "rotate", "spin", "veer", "pivot")
TURN_AROUND = ("turn around", "turn back")
DESCRIBE_PHRASES = ("describe the scene", "describe what you see", "what do you see", "tell me what you see", "describe your surroundings",
                    "what is in front of you", "what are you looking at", "tell me about the scene", "list what you see", "what is around")
FORWARD_WORDS = ("forward", "forwards", "ahead", "straight")
BACKWARD_WORDS = ("backward", "backwards", "back")
LEFT_WORDS = ("left",)
RIGHT_WORDS = ("right",)
DETERMINERS = ("the", "a", "that", "this")
GENERIC_OBJECTS = ("object", "thing", "one")
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "half", "quarter", "point", "a", "and",
)
METRE_UNITS = ("meter", "meters", "metre", "metres")
CENTIMETRE_UNITS = ("centimeter", "centimeters", "centimetre", "centimetres")
DEGREE_UNITS = ("degree", "degrees")
JOINERS = ("and", "then", "and then", "after that", "afterwards", "next")
OPENERS = ("uh", "um", "robot", "hey robot", "okay", "okay robot", "please", "could you", "can you", "would you", "now")
POLITE = ("please", "could you", "can you", "would you", "kindly", "now")
CLOSERS = ("please", "thanks", "thank you", "now")
FILLERS = tuple(dict.fromkeys(OPENERS + POLITE + CLOSERS))
BY_WORDS = ("by", "about")

#: how much more often people say a word than the others that can take its place
#: (1 when not listed): a prior for the speech recogniser, whose acoustics alone
#: hear "move forwards" in "move forward two meters" and "that" in "go to the ...".
#: Chosen on a speech development set (other voices and sentences than bench speech).
USAGE_WEIGHTS = {"the": 10, "forward": 10, "backward": 10}

#: spellings that sound the same: the speech grammar uses the first form only
SPELLING_VARIANTS = {"metre": "meter", "metres": "meters", "centimetre": "centimeter", "centimetres": "centimeters"}

#: words that may stand before an object's name without being a colour (sizes, places,
#: materials, determiners): the parser takes "the big box" as a box of any colour, but
#: asks about any other word it does not know there ("the mauve ball", "the blxck box")
#: instead of dropping it and going to an object of another colour
TARGET_MODIFIERS = ("big", "small", "little", "large", "tiny", "huge", "tall", "short", "low", "high", "round", "square",
                    "nearest", "closest", "near", "nearby", "far", "farthest", "furthest", "other", "same", "first", "second",
                    "third", "last", "next", "only", "single", "lone", "wooden", "plastic", "metal", "shiny", "an", "any",
                    "some", "those", "these", "your", "my", "our", "its", "of")


# ---- what the language model labels (the tagger's heads) ---------------------------------------
TAGS = ("O", "B-STEP", "I-STEP", "B-COLOR", "B-SHAPE", "B-DIR", "B-NUM", "I-NUM", "B-UNIT")
SKILL_LABELS = SKILLS

NUMBER_WORDS_0_20 = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
TENS_WORDS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}

#: the objects' sizes (metres: x, y, z) when nothing else is known: the simulator builds them,
#: perception measures distance from them
DEFAULT_SIZE = {"box": (0.25, 0.25, 0.25), "ball": (0.25, 0.25, 0.25), "cylinder": (0.2, 0.2, 0.35)}


def vocabulary_words() -> set:
    """Every spoken word the language data uses (for the speech grammar check)."""
    ws = set()
    groups = [COLORS, GO_TO_VERBS, FIND_VERBS, MOVE_VERBS, BACK_UP, TURN_VERBS, TURN_AROUND, DESCRIBE_PHRASES,
              FORWARD_WORDS, BACKWARD_WORDS, LEFT_WORDS, RIGHT_WORDS, DETERMINERS, GENERIC_OBJECTS,
              METRE_UNITS, CENTIMETRE_UNITS, DEGREE_UNITS, STOP_WORDS, JOINERS, FILLERS, BY_WORDS]
    for g in groups:
        for phrase in g:
            ws.update(phrase.split())
    for syn in SHAPE_SYNONYMS.values():
        ws.update(syn)
    ws.update(NUMBER_WORDS_0_20)
    ws.update(TENS_WORDS.values())
    ws.update(["hundred", "half", "quarter", "point", "and", "a"])
    return ws

