"""What the robot cannot do, said before any model guesses a plan.

The robot drives on a flat floor, looks with one camera and a 2D laser, and
writes text.  It has no arm, does not recognise people, cannot open anything,
climb, fly, leave the room, speak aloud, charge itself or do chores, has no sense
of temperature, smell, weight or touch, and drives at its own safe speed.  A request for any of that gets a refusal that says why
(``{"steps": [], "refusal": ...}``) instead of the nearest motion the tagger
can find in it (for example "bring me the red ball" driving to the ball).
The phrases are written from these capabilities, not from a test set.  Pure Python.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

_W = r"(?:\w+\s+){0,4}?"  # a few words in between ("pick the red ball up")
_OBJ = r"(box|ball|cylinder|cube|block|crate|sphere|can|barrel|pillar|it|them|one|thing|object|toy)e?s?"

_BEING = r"(person|man|woman|guy|girl|boy|kid|child|children|kids|people|baby|lady|gentleman|visitor|guest|customer|worker|operator|technician|owner|stranger|intruder|dog|cat|puppy|kitten|pet|animal|bird|hamster|rabbit)"
_PEOPLE = (r"(me|us|him|her|(that|this|the|a|an|my|your|our|his|her|their|some|any) (\w+ )?" + _BEING + r"s?|someone|somebody|anyone|anybody|everybody|everyone"
           r"|my (friend|wife|husband|mom|mum|dad|mother|father|son|daughter|brother|sister|boss|grandma|grandpa|grandmother|grandfather|parents|family|colleague|coworker))\b(?!'s)")

#: things people ask for that the detector does not know (it knows coloured boxes, balls and cylinders)
_THING = (r"(cup|mug|glass|bottle|plate|bowl|spoon|fork|knife|key|keys|phone|wallet|purse|remote|glasses|book|bag|backpack|shoe|sock|laptop|computer|tablet|tv|television"
          r"|table|desk|chair|sofa|couch|bed|plant|lamp|fridge|sink|toilet|window|door|shelf|cabinet|wardrobe|carpet|rug|pillow|blanket|umbrella|coat|jacket|hat|doll|pen|pencil"
          r"|paper|charger|cable|tool|toolbox|screwdriver|hammer|wrench|pallet|forklift|machine|helmet|glove|ladder|bucket|trash|rubbish|garbage|food|apple|banana|sandwich)")

#: things that are never a place's name (a place can be called "the table"): as the target of a drive
_SMALL_THING = (r"(cup|mug|glass|bottle|plate|bowl|spoon|fork|knife|key|keys|phone|wallet|purse|remote|glasses|book|bag|backpack|shoe|sock|laptop|tablet"
                r"|pen|pencil|charger|cable|screwdriver|hammer|wrench|helmet|glove|bucket|apple|banana|sandwich|chair|sofa|couch|cat|dog)")

#: a request for a sense or skill the robot has not got (temperature, smell, weight, touch)
OTHER = ("I cannot do that: I can drive to coloured boxes, balls and cylinders, find them, turn, remember places, "
         "explore the room and answer questions about what I see.")

#: (pattern, refusal): the first that matches wins
RULES: Tuple[Tuple[re.Pattern, str], ...] = tuple((re.compile(p), r) for p, r in (
    (rf"\b(fetch|grab|grasp|lift|throw|toss|kick|stack)(s|es|ed|ing|bing)?\b|\bcarr(y|ies|ied|ying)\b(?!\s+on\b)|\bbring\b(?!\s+(the robot|yourself|you)\b)|\bpick\s+{_W}up\b"
     rf"|\bget\s+(me|us)\s+(the|a|an|my|some|that|this|those|one)\b|\bget\s+(the|a|an|my|that|this)\s+{_W}\w+\s+(from|off|out of|for me)\b"
     rf"|\b(give|hand|pass) (me|us)\s+(the\s+|a\s+|an\s+|that\s+|this\s+)?(\w+\s+)?{_OBJ}\b"
     rf"|\b(put|place|drop|push|pull)\s+(it|them|that|this|the\s+\w+(\s+\w+)?)\s+(on|onto|in|into|on top of|inside|under)\s+(the|a|an|my|your|that|this)\s+(?!(left|right)\b)",
     "I have no arm, so I cannot pick up, carry or move objects. I can drive to them, find them and tell you about them."),
    (rf"\b(follow|accompan(y|ies|ied|ying)|chas(e|es|ed|ing)|track|watch|guard|protect|greet|escort|lead|recogni[sz]e|identify|pet|feed|play with|stay with|walk with|keep an eye on)(s|ed|ing)?\s+{_PEOPLE}"
     rf"|\bcome (with|after|to|back to|over to) me\b|\b(move|drive|go|head|run|roll|charge)\s+(straight\s+)?(towards?|into|at)\s+{_PEOPLE}|\b(ram|hit|bump into|run over|crash into)\s+{_PEOPLE}|\b(find|look for|search for|locate|go to|drive to|head to|go over to|drive over to|come to|approach|wave (at|to)|say (hi|hello) to|look at)\s+{_PEOPLE}(?!\s+(a|an|the|some|one)\b)"
     rf"|\bwhere (is|are|'s|did) {_PEOPLE}|\bwho (is|are|'s) (that|this|there|here|in|at)\b|\b(is|are) (there )?(anyone|anybody|someone|somebody|people|a person)\b",
     "I cannot recognise or track people or animals, so I cannot follow, find or approach anyone."),
    (r"(?<!the )(?<!an )(?<!a )\b(open|close|shut|unlock|lock|knock on)\s+(the\s+|a\s+)?(door|window|drawer|fridge|gate|cupboard|lid)s?\b"
     r"|\b(turn|switch) (on|off) (the |a |my )?(light|lights|lamp|tv|television|radio|music|fan|oven|stove|heater|alarm|computer)\b"
     r"|\bpower (down|off|on|up)\b|\b(shut|turn|switch) (down|off|on) (the |a |my )?(\w+ )?(machine|conveyor|computer|system|power|printer|engine|motor|pump|line)s?\b",
     "I have no way to open, close or switch things: I can only drive, look and answer."),
    (r"\b(climb|fly|flies|flying|jump|hop|swim|crawl)(s|ed|ing|ping|ming)?\b|\b(back ?flip|front ?flip|flip over|somersault|cartwheel|wheelie|handstand|do a flip|stand up on)s?\b|\b(go|walk|drive|get|come) (up|down) (the )?stairs\b|\b(up|down)stairs\b|\bto the (ceiling|roof)\b",
     "I can only drive on a flat floor: I cannot climb, jump or fly."),
    (r"\b(go|drive|head|move|get)\s+(out|outside)\b(?!\s+(of\s+)?(the\s+)?(way|box|circle|area|corner))|\bleave the (room|house|building)\b|\b(go|drive|head|move)\s+(in)?to the (next|other|another|kitchen|bedroom|living|bath)\w*\s*room\b|\b(go|drive|head)\s+(in)?to the (garden|street|yard)\b",
     "I can only move inside this room."),
    (r"\b(sing|dance|whistle|play (some )?music|play a song)\b|\b(say|shout|speak|read)\s+\w+\s+(out loud|aloud)\b|\bcall (my|the)\b",
     "I have no speaker and no phone: I can only write text on /agent/say."),
    (r"\b(re)?charge\s+(yourself|your|the batter|up|now|it)\b|\b(re)?charge\W*$|\bgo (and )?(re)?charge\b|\bplug\s+(yourself|in)\b|\bcharger\b|\bget (re)?charged\b"
     r"|\bcharging (station|dock|point|pad|port|cable|spot)\b|\btop up (your|the) batter(y|ies)\b",
     "I cannot charge myself."),
    (r"\b(vacuum|mop|sweep|cook|bake|iron)\b|\b(clean|tidy|wash|dust)\s+(up\s+)?(the|my|this|that|your|all|everything|up)\b|\bmake (me )?(a |some )?(coffee|tea|sandwich|breakfast|lunch|dinner|food|bed)\b|\bwater the\b",
     "I cannot do household chores: I can drive, look for objects, and answer questions about what I see."),
    (r"\b\d+(\.\d+)?\s*(km/h|kph|mph|kmh|miles per hour|kilomet(er|re)s per hour)\b|\b(full|top|maximum|max|highest|high|crazy) (speed|throttle|velocity|power|tilt)\b|\bas (fast|quick(ly)?) as (you can|you're able|possible)\b"
     r"|\b(floor|gun) it\b|\bstep on it\b|\bpedal to the metal\b|\bthrottle\b|\bturbo\b|\bspeed limits?\b|\b(ignore|remove|disable|raise|increase|lift) (your|the|its) (speed|limits?|safety)\b"
     r"|\b(go|drive|move|get|run) (much |a lot |way )?faster( than)?\b(?!\s+(forward|backward|ahead|back)\b)|\bspeed (it )?up\b|\b(sprint|zoom|race|dash|bolt)(s|ed|ing)?\s+(to|over|across|back|towards?|around|home|off)\b",
     "I drive at my own safe speed (at most 0.4 m/s); I cannot go faster."),
    (r"\b(find|look for|search for|locate|where (is|are|'s|did)|have you seen|can you see|do you see|is there|are there)\s+(me\s+)?(the|a|an|my|your|our|some|any)\s+(\w+\s+)?" + _THING + r"s?\b"
     r"|\b(go|drive|head|move|come|get|roll|navigate)\s+(over\s+|up\s+|straight\s+)?(to|towards?|next to|up to)\s+(the|a|an|my|your|our|that|this)\s+(\w+\s+)?" + _SMALL_THING + r"s?\b",
     "I only know coloured boxes, balls and cylinders: I cannot recognise other things."),
    (r"\b(take|snap|grab) (a |an |some |me a |me some )?(photo|picture|pic|snapshot|selfie|video|screenshot)s?\b|\b(record|film)\s+(a |the |me\b|us\b|this|that|what|everything|some)"
     r"|\b(send|text|email|e-mail|message|whatsapp|tweet|post)\s+(me|him|her|them|it|this|that|a|an|the|my|to)\b|\b(check|read) (my|the) (email|e-mail|mail|messages|texts|calendar|news|notifications)\b"
     r"|\b(search|browse|google|look up)\b.{0,25}\b(web|internet|online|google|news|weather|wikipedia)\b"
     r"|\b(set|start) (an? |the )?(alarm|timer|reminder)\b|\bremind me\b|\border (me )?(a |some |pizza|food|groceries)|\b(turn on|connect to) (the )?(wifi|wi-fi|bluetooth)\b"
     r"|\b(print|translate|buy)\s+(a |an |the |this |that |me |some |my )",
     OTHER),
    (r"\b(temperatures?|thermometer|humidity|humid|smell(s|ing|y)?|sniff(s|ing)?|odou?rs?|stinks?|stinky|smoke|smoky|fumes|gas leak|carbon monoxide|weigh(s|t)?|tast(e|es|y))\b"
     r"|\bhow (hot|cold|warm|loud|heavy|wet)\b|\b(is|are) (it|something|anything|the \w+) (burning|on fire|hot|cold|wet)\b|\bfeel (if|whether|how|the)\b",
     OTHER),
))
#: a request that starts with a stop word is left to the parser (the stop path): "stop, don't
#: follow me" must stop; what a request says not to do is not read by the rules ("go to the
#: box without pushing it"), the rest of it is ("pick up the ball without dropping it")
_NOT_A_REQUEST = re.compile(r"^\W*(stop|halt|freeze|wait)\b")
_NEGATED = re.compile(r"\b(don'?t|do not|never|no need to|without)\b(?:[^,.;!?]|\.(?=\d))*")


#: a place being named: its name may be any words ("remember this spot as the charging corner")
_PLACE_NAME = re.compile(r"(\b(remember|save|mark|store|name|call|label)\b.{0,30}?\b(spot|place|position|location|point|area|corner|it|this|here)\b.{0,12}?\bas)\s+((the|my|our)\s+)?\w+(\s+\w+)?")


_SPEED = re.compile(r"(\d+(?:\.\d+)?)\s*(m/s|mps|meters? per second|metres? per second|m per s)\b")
MAX_SPEED = 0.4  # m/s, the robot's limit (config/agent.yaml max_linear)


def refusal(text: str) -> Optional[str]:
    """The refusal for a request outside what the robot can do, or None.  ``text`` is the
    normalised instruction (lower case is not required)."""
    t = " ".join(text.lower().split())
    if _NOT_A_REQUEST.search(t):
        return None
    t = _NEGATED.sub(" ", t)
    t = _PLACE_NAME.sub(r"\1 <place>", t)
    for m in _SPEED.finditer(t):  # "drive to the yellow cylinder at 1 m/s"
        if float(m.group(1)) > MAX_SPEED:
            return RULES[SPEED_RULE][1]
    for pattern, why in RULES:
        if pattern.search(t):
            return why
    return None


SPEED_RULE = next(i for i, (_, why) in enumerate(RULES) if "safe speed" in why)
