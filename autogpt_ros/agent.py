"""The AutoGPT-style agent loop, made safe.  Pure Python (no rclpy).

For each instruction the agent makes a plan (the parser), grounds it in what
it sees and remembers (a ``go_to`` whose target is neither visible nor
remembered becomes ``find`` then ``go_to``; several matches pick the nearest
and say so), then runs it step by step: publish the step as the goal, wait
for the policy's status, advance on success, re-plan once on failure.  A stop
preempts everything and raises the e-stop; a new instruction replaces the
plan.  Every decision is reported with its reason, source, confidence and
timings.  Only the skills of plan language v2 exist, and the parser's schema and
limits hold for any text.

The node (reasoning_node) calls :meth:`Agent.instruction`,
:meth:`Agent.objects`, :meth:`Agent.status`, :meth:`Agent.tick` and
:meth:`Agent.stop` and performs the returned :class:`Action` list: publish a
goal, a decision, a sentence, or the e-stop.  How each instruction ended is an
``outcome`` action (an :class:`Outcome`, always after the others): its plan
complete, failed, replaced by a newer instruction or stopped, or, for an
instruction that never became a plan, refused, not understood or not actionable.
The action server (/agent/execute) ends its goals by them.

Plan language v2 beyond the six skills is carried out here or by policy_node: answers,
repeat (written out when planned), if_visible (decided when reached, from the latest camera
frame), remember_place, go_to_place, explore (a summary of what was found when it ends),
``select`` / ``near`` in every target (go_to and find follow the one object chosen when the
step starts: ``GoalPayload.target_xy``), ``until`` and ``speed: slow`` (policy_node).
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from autogpt_ros import answers
from autogpt_ros import interfaces as ifc
from autogpt_ros import memory as object_memory
from autogpt_ros.memory import Remembered


#: an e-stop raised this long before a spoken or typed "stop" belongs to that stop (seconds)
VOICE_STOP_WINDOW = 2.0


@dataclass
class Action:
    kind: str  # "goal" | "decision" | "say" | "estop"
    payload: object


@dataclass
class Outcome:
    """How the instruction ``instruction_id`` (:attr:`Agent.instruction_id` after the call
    that received it) ended."""

    instruction_id: int
    success: bool
    message: str
    plan: List = field(default_factory=list)  # the (grounded) plan it ran, [] if none


@dataclass
class AgentConfig:
    min_confidence: float = 0.5
    step_timeout: float = 90.0
    objects_max_age: float = 1.0
    replan_attempts: int = 1


PLACE_JUMP_M = 0.5  # odometry that jumps this far between two messages was reset: places are dropped


def expand_repeats(steps) -> List:
    """Every repeat written out: N copies of its steps (inside if_visible branches too)."""
    out = []
    for st in steps:
        if st.skill == "repeat":
            inner = expand_repeats(st.steps)
            for _ in range(st.times):
                out += [s.model_copy(deep=True) for s in inner]
        elif st.skill == "if_visible":
            out.append(st.model_copy(update={"then": expand_repeats(st.then), "else_": expand_repeats(st.else_)}))
        else:
            out.append(st)
    return out


def _places_named(steps) -> List[str]:
    """Places that go_to_place steps drive to, in order, except those a remember_place step
    before them in the same plan names ("remember this spot as base, ..., go back to base")."""
    remembered, out = set(), []
    for st in ifc.walk_steps(steps):
        if st.skill == "remember_place":
            remembered.add(st.place)
        if st.skill == "go_to_place" and st.place not in remembered:
            out.append(st.place)
    return out


class Agent:
    def __init__(self, parse: Callable, config: Optional[AgentConfig] = None, clock: Callable[[], float] = time.monotonic):
        self.parse = parse  # text -> ParseResult
        self.cfg = config or AgentConfig()
        self.clock = clock
        self.remembered: List[Remembered] = []  # from fusion_node's /agent/memory: one owner of the memory
        self.latest_objects: Optional[ifc.ObjectsPayload] = None
        self.latest_objects_t = -1e9
        self.scene = "I have not seen anything yet."
        self.pose = (0.0, 0.0, 0.0)  # odometry
        self.odom_seen = False
        self.places = {}  # name -> pose in the odometry frame; "home": where the agent started
        self.chosen = {}  # target (JSON) -> (x, y) of the object it means in the running plan
        self.here = self.pose  # where the robot was when the current instruction arrived
        self.plan_moved = False  # the running plan has published a goal
        self.plan: List = []
        self.index = -1
        self.plan_id = ""
        self.goal_id = ""
        self.goal_t = 0.0
        self.instruction_text = ""
        self.instruction_t = 0.0
        self.timings = {}
        self.replans = 0
        self.estop_mine = False
        self.estop_other = False
        self.estop_other_t = -1e9
        self.current_goal: Optional[ifc.GoalPayload] = None  # re-sent as a heartbeat while running
        self._ids = itertools.count(1)
        self.instruction_id = 0  # of the latest instruction received
        self.plan_instruction = 0  # of the instruction the running plan came from
        self._instruction_ids = itertools.count(1)

    # ---- inputs --------------------------------------------------------------
    def objects(self, payload: ifc.ObjectsPayload, now: float) -> None:
        self.latest_objects, self.latest_objects_t = payload, now

    def memory(self, payload: ifc.MemoryPayload) -> None:
        """What fusion_node remembers (it forgets, and empties it when odometry jumps)."""
        self.remembered = [Remembered(o.color, o.shape, o.x, o.y, o.last_seen, o.seen_count) for o in payload.objects]

    def odometry(self, pose: Tuple[float, float, float]) -> None:
        jumped = self.odom_seen and math.hypot(pose[0] - self.pose[0], pose[1] - self.pose[1]) > PLACE_JUMP_M
        if jumped:  # a reset: places and chosen objects in the old frame mean nothing now
            self.places = {}
            self.chosen = {}
        if not self.odom_seen or jumped:
            self.places["home"] = tuple(pose)
        self.odom_seen = True
        self.pose = pose

    def forget(self) -> None:
        """/agent/forget: the places and the copy of the object memory are dropped, home is
        where the next odometry message puts the robot (it was carried elsewhere, or the world reset)."""
        self.places = {}
        self.odom_seen = False  # home is set by the next odometry message (the pose after a reset)
        self.chosen = {}
        self.remembered = []
        self.latest_objects = None

    def estop(self, engaged: bool, mine: bool, now: float = 0.0) -> None:
        """An /agent/estop message: ``mine`` when this agent published it."""
        if mine:
            return
        # a release is a release, whoever sent it: after it nothing is engaged
        self.estop_other = engaged
        self.estop_other_t = now
        self.estop_mine = False

    # ---- decisions ------------------------------------------------------------
    def _decision(self, reason: str, source: str, confidence: float, skill=None, arguments=None, index=None, plan: Optional[ifc.Plan] = None) -> Action:
        """``plan``: the plan decided about when it is not the running one (a refusal, a question)."""
        return Action(
            "decision",
            ifc.DecisionPayload(
                instruction=self.instruction_text,
                plan=plan if plan is not None else ifc.Plan(steps=list(self.plan)),
                index=self.index if index is None else index,
                skill=skill,
                arguments=arguments or {},
                reason=reason,
                source=source,
                confidence=round(float(confidence), 4),
                timings=dict(self.timings),
            ),
        )

    def _outcome(self, instruction_id: int, success: bool, message: str, plan=None) -> Action:
        return Action("outcome", Outcome(instruction_id, success, message, list(plan or [])))

    def instruction(self, text: str, now: float, origin: str = "typed", parsed=None) -> List[Action]:
        """A new instruction (typed or a transcript): plan, ground, start.  The plan running
        until now, if it is replaced or stopped, ends with an outcome (failed), and so does
        this instruction at once when it does not become a plan."""
        old = (self.plan_instruction, list(self.plan)) if self.plan else None
        self.instruction_id = next(self._instruction_ids)
        actions = self._instruction(text, now, origin, parsed)
        replaced = old is not None and (self.plan_instruction != old[0] or not self.plan)
        ended = [a for a in actions if a.kind == "outcome"]
        if old is not None and replaced:
            why = "stopped" if text and self.estop_mine else f"replaced by a newer instruction: {text!r}"
            ended.insert(0, self._outcome(old[0], False, why, old[1]))
            if not any(a.kind == "goal" for a in actions):  # the old step would run on until policy_node's watchdog: stop it now
                pid = f"p{next(self._ids)}"
                actions.append(Action("goal", ifc.GoalPayload(goal_id=f"{pid}-0", plan_id=pid, index=0, count=1, step=ifc.StopStep(), instruction=text, stamp=now)))
        if self.plan_instruction != self.instruction_id and not any(o.payload.instruction_id == self.instruction_id for o in ended):
            # never became a plan: say how it ended, from the last decision
            reason = next((a.payload.reason for a in reversed(actions) if a.kind == "decision"), "no action")
            ended.append(self._outcome(self.instruction_id, False, reason))
        return [a for a in actions if a.kind != "outcome"] + ended

    def stop(self, now: float, reason: str, source: str = "operator") -> List[Action]:
        """Stop as a spoken or typed "stop" does (e-stop raised, a stop goal, the plan
        dropped; the next instruction releases it), for ``reason`` (a cancelled action goal)."""
        old = (self.plan_instruction, list(self.plan)) if self.plan else None
        acts = self._stop_actions(now, f"stop: {reason}; preempts everything, e-stop raised", source)
        if old is not None:
            acts.append(self._outcome(old[0], False, reason, old[1]))
        return acts

    def _instruction(self, text: str, now: float, origin: str, parsed=None) -> List[Action]:
        self.timings = {"instruction_received": now}
        self.instruction_text = text
        here = tuple(self.pose)  # "here": where the robot is as the instruction arrives (kept if it becomes the plan)
        t0 = time.perf_counter()
        # ``parsed``: parsed already (reasoning_node parses outside its lock), else here
        res = parsed if parsed is not None else self.parse(text, self.scene)
        parse_s = res.timings.get("parse_ms", 0.0) / 1000 if parsed is not None else time.perf_counter() - t0
        self.timings["parse_ms"] = round(parse_s * 1000, 3)
        self.timings["parse_done"] = now + parse_s
        for k in ("tagger_ms", "planner_ms", "model_calls"):  # where the parse went: the tagger, the planner, or both
            if k in res.timings:
                self.timings[k] = round(float(res.timings[k]), 3)
        steps = list(res.plan.steps)
        actions: List[Action] = []
        if steps and steps[0].skill == "stop" and all(s.skill == "stop" for s in steps):
            return self._stop(res, now)
        preempt_note = ""
        if steps and steps[0].skill == "stop":  # "stop, then turn left": the new plan preempts the old one
            steps = [s for s in steps[1:] if s.skill != "stop"] or steps[:1]
            preempt_note = "stop: the current plan is preempted; "
        if res.plan.refusal:  # a request the robot cannot carry out: it says why and does not move
            actions.append(self._decision(f"refused: {res.plan.refusal}", res.source, res.confidence, plan=res.plan))
            actions.append(Action("say", res.plan.refusal))
            return actions
        unknown = [p for p in dict.fromkeys(_places_named(res.plan.steps)) if p != "here" and p not in self.places]
        if unknown:  # never motion towards a place the robot does not know
            q = f"I do not know a place called '{unknown[0]}'. Take me there and say \"remember this spot as {unknown[0]}\"."
            actions.append(self._decision(f"unknown place '{unknown[0]}': asking", res.source, res.confidence, plan=res.plan))
            actions.append(Action("say", q))
            return actions
        if not steps:
            reason = res.reason or "nothing actionable"
            actions.append(self._decision(f"no action: {reason}", res.source, res.confidence, plan=res.plan))
            actions.append(Action("say", f"I will not act on that: {reason}."))
            return actions
        if res.confidence < self.cfg.min_confidence:
            q = self._clarify(res)
            actions.append(self._decision(f"confidence {res.confidence:.2f} below {self.cfg.min_confidence}: asking for clarification", res.source, res.confidence, plan=res.plan))
            actions.append(Action("say", q))
            return actions
        if self.estop_other:
            actions.append(self._decision("the e-stop is engaged by someone else: release it first", "rule", 1.0))
            actions.append(Action("say", "My emergency stop is engaged. Release it before giving me a new task."))
            return actions
        if self.estop_mine:  # the operator stopped us; a new instruction from them releases it
            actions.append(Action("estop", False))
            self.estop_mine = False
        self.plan_id = f"p{next(self._ids)}"
        self.here = here
        self.plan = self._ground(expand_repeats(steps), now)
        self.chosen = {}  # target -> the object it was resolved to in this plan (one object per target: a patrol returns to the same one)
        self.plan_moved = False
        self.plan_instruction = self.instruction_id
        self.replans = 0
        notes = "; ".join(res.notes)
        actions.append(self._decision(f"{preempt_note}new plan from {origin} instruction ({len(self.plan)} steps){': ' + notes if notes else ''}", res.source, res.confidence, index=-1))
        self.index = -1
        actions += self._advance(now, res.source, res.confidence)
        return actions

    def _clarify(self, res) -> str:
        why = (getattr(res, "reason", "") or "").split(": ", 1)[-1].strip()
        if why.endswith("?"):  # the parser's own doubt, put as a question ("I do not know the word 'mauve': ...")
            return why[0].upper() + why[1:]
        for s in res.plan.steps:
            if s.skill in ("go_to", "find") and s.target.color is None and s.target.shape is None:
                return "Which object do you mean? Please tell me its colour and shape."
        return f"I am not sure I understood \"{res.text.strip()}\". Could you say it another way?"

    def _stop(self, res, now: float) -> List[Action]:
        if self.estop_other and now - self.estop_other_t <= VOICE_STOP_WINDOW:
            # the microphone raised the e-stop for this very "stop": it is the operator's
            self.estop_other = False
        acts = self._stop_actions(now, "stop: preempts everything, e-stop raised", res.source)
        acts.append(self._outcome(self.instruction_id, True, "stopped", [ifc.StopStep()]))
        return acts

    def _stop_actions(self, now: float, reason: str, source: str) -> List[Action]:
        self.plan = [ifc.StopStep()]
        self.plan_id = f"p{next(self._ids)}"
        self.index = 0
        self.goal_id = f"{self.plan_id}-0"
        self.estop_mine = True
        goal = ifc.GoalPayload(goal_id=self.goal_id, plan_id=self.plan_id, index=0, count=1, step=ifc.StopStep(), instruction=self.instruction_text, stamp=now)
        self.timings["goal_published"] = now
        self.plan = []
        self.index = -1
        self.current_goal = None
        self.plan_instruction = self.instruction_id
        return [
            Action("estop", True),
            Action("goal", goal),
            self._decision(reason, source, 1.0, skill="stop", index=0),
        ]

    def _visible(self, target, now: float) -> List:
        """Objects of the latest camera frame that match, when that frame is not older than
        ``objects_max_age`` (an old frame says nothing about what is in view now)."""
        fresh = self.latest_objects is not None and now - self.latest_objects_t <= self.cfg.objects_max_age
        objs = self.latest_objects.objects if fresh else []
        return [o for o in objs if (target.color is None or o.color == target.color) and (target.shape is None or o.shape == target.shape)]

    def _known(self, now: float) -> List[answers.Known]:
        fresh = self.latest_objects is not None and now - self.latest_objects_t <= self.cfg.objects_max_age
        return answers.known_objects(self.latest_objects.objects if fresh else [], self.remembered, self.pose)

    def _ground(self, steps: List, now: float) -> List:
        out = []
        for s in steps:
            if s.skill == "go_to" and (s.target.select or s.target.near):
                known = self._known(now)
                ref_unknown = s.target.near is not None and not answers.resolve(s.target.near, known)
                if not answers.resolve(s.target, known) and not ref_unknown and (s.target.color or s.target.shape):  # no candidate yet: look for one first
                    out.append(ifc.FindStep(target=ifc.Target(color=s.target.color, shape=s.target.shape)))
            elif s.skill == "go_to":
                seen = self._visible(s.target, now)
                known = object_memory.find(self.remembered, s.target.color, s.target.shape, self.pose)
                prev = out[-1] if out else None
                already_finding = prev is not None and prev.skill == "find" and prev.target == s.target
                if not seen and not known and not already_finding:
                    out.append(ifc.FindStep(target=s.target))
            out.append(s)
        return out

    def _advance(self, now: float, source: str = "model", confidence: float = 1.0) -> List[Action]:
        actions: List[Action] = []
        while True:
            self.index += 1
            if self.index >= len(self.plan):
                if self.plan:
                    actions.append(self._decision("plan complete", "policy", 1.0))
                    if self.plan_moved:  # a plan of answers alone has said what it had to say
                        actions.append(Action("say", "Done."))
                    actions.append(self._outcome(self.plan_instruction, True, "plan complete", self.plan))
                self.plan, self.index, self.goal_id, self.current_goal = [], -1, "", None
                return actions
            step = self.plan[self.index]
            if step.skill == "describe":  # answered here, from perception
                actions.append(self._decision("describe: reporting the scene", "perception", 1.0, skill="describe"))
                actions.append(Action("say", self.scene))
                continue
            if step.skill == "answer":  # from the latest frame and the object memory
                said = answers.answer(step.question, step.target, self._known(now))
                actions.append(self._decision(f"answer ({step.question} of the {step.target.label()}): {said}", "perception", 1.0, skill="answer",
                                              arguments=step.model_dump(by_alias=True)))
                actions.append(Action("say", said))
                continue
            if step.skill == "remember_place":
                self.places[step.place] = tuple(self.pose)
                x, y, _ = self.pose
                actions.append(self._decision(f"remember_place: '{step.place}' is ({x:.2f}, {y:.2f}) in the odometry frame", "rule", 1.0, skill="remember_place"))
                actions.append(Action("say", f"I will remember this spot as '{step.place}'."))
                continue
            if step.skill == "if_visible":  # decided now, from what the camera sees now
                seen = [k for k in answers.resolve(step.target, self._known(now)) if k.in_view]
                branch = step.then if seen else step.else_
                self.plan = self.plan[: self.index + 1] + self._ground(list(branch), now) + self.plan[self.index + 1 :]
                actions.append(self._decision(f"if_visible: the {step.target.label()} is {'in view' if seen else 'not in view'}: "
                                              f"{'then' if seen else 'else'} ({len(branch)} steps)", "perception", 1.0, skill="if_visible"))
                continue
            target_xy = None
            reason, args = self._explain(step, now)
            key = step.target.model_dump_json() if step.skill in ("go_to", "find") else None
            repeated = key is not None and sum(1 for s in self.plan if s.skill in ("go_to", "find") and s.target.model_dump_json() == key) > 1
            if key is not None and key in self.chosen:  # the same target again in this plan: the same object
                target_xy = self.chosen[key]
                reason = f"{step.skill} the {step.target.label()}: the same one as before, at ({target_xy[0]:.2f}, {target_xy[1]:.2f})"
                args["target_xy"] = list(target_xy)
            elif key is not None and (step.target.select or step.target.near or repeated):
                chosen, why = self._choose(step.target, now)
                if chosen is None and (step.target.select or step.target.near) and (step.skill == "go_to" or step.target.near is not None):
                    return actions + self._abandon(why)
                if chosen is not None:  # fusion follows this object and no other match
                    target_xy = (round(chosen.x, 3), round(chosen.y, 3))
                    self.chosen[key] = target_xy
                    reason = f"{step.skill} the {step.target.label()}: {why}"
                    args["target_xy"] = list(target_xy)
            if step.skill == "go_to_place":
                pose = self.here if step.place == "here" else self.places.get(step.place)
                if pose is None:  # dropped since the plan began (odometry jumped)
                    return actions + self._abandon(f"I no longer know where '{step.place}' is: my odometry was reset.")
                target_xy = (round(pose[0], 3), round(pose[1], 3))
                args["target_xy"] = list(target_xy)
                d = math.hypot(pose[0] - self.pose[0], pose[1] - self.pose[1])
                reason = f"go_to_place '{step.place}': ({pose[0]:.2f}, {pose[1]:.2f}) in the odometry frame, {d:.1f} m away"
            self.goal_id = f"{self.plan_id}-{self.index}"
            self.goal_t = now
            self.plan_moved = True
            self.timings["goal_published"] = now
            goal = ifc.GoalPayload(goal_id=self.goal_id, plan_id=self.plan_id, index=self.index, count=len(self.plan), step=step, instruction=self.instruction_text,
                                   stamp=now, target_xy=target_xy)
            self.current_goal = goal
            actions.append(Action("goal", goal))
            actions.append(self._decision(reason, source, confidence, skill=step.skill, arguments=args))
            return actions

    def _choose(self, target, now: float) -> Tuple[Optional[answers.Known], str]:
        """The one object a target with ``select`` / ``near`` means now (in view or remembered, with
        a position), and why; (None, a sentence for people) when there is none or the ``near``
        reference is not known."""
        known = self._known(now)
        if target.near is not None and not answers.resolve(target.near, known):
            return None, f"I do not know where the {target.near.label()} is. Ask me to find it first, or show it to me."
        hits = [k for k in answers.resolve(target, known) if k.distance is not None]
        if not hits:
            return None, f"I do not see a {target.label()}."
        k = hits[0]
        n = sum(1 for h in known if (target.color is None or h.color == target.color) and (target.shape is None or h.shape == target.shape))
        where = f"{k.distance:.1f} m away at {math.degrees(k.bearing):.0f} degrees, {'in view' if k.in_view else 'remembered'}"
        return k, f"{n} {'match' if n == 1 else 'matches'}, chose the {k.name()} {where} at ({k.x:.2f}, {k.y:.2f})"

    def _abandon(self, why: str) -> List[Action]:
        """The running plan ends here, without motion: ``why`` is said, the instruction fails."""
        acts = [self._decision(f"plan abandoned: {why}", "perception", 1.0, skill=self.plan[self.index].skill if 0 <= self.index < len(self.plan) else None)]
        acts.append(Action("say", why))
        acts.append(self._outcome(self.plan_instruction, False, why, self.plan))
        self.plan, self.index, self.goal_id, self.current_goal = [], -1, "", None
        return acts

    def _explain(self, step, now: float) -> Tuple[str, dict]:
        args = step.model_dump()
        args.pop("skill", None)
        if step.skill == "find":
            return f"find the {step.target.label()}: not in view, turning to search", args
        if step.skill == "go_to":
            seen = self._visible(step.target, now)
            if len(seen) > 1:
                near = min(seen, key=lambda o: o.distance_m if o.distance_m is not None else 1e9)
                return f"go to the {step.target.label()}: {len(seen)} match, taking the nearest ({near.label}, {near.distance_m:.1f} m)", args
            if seen:
                o = seen[0]
                d = f", {o.distance_m:.1f} m away" if o.distance_m is not None else ""
                return f"go to the {o.label}: in view{d}", args
            known = object_memory.find(self.remembered, step.target.color, step.target.shape, self.pose)
            if known:
                b, d = known[0].relative(self.pose)
                return f"go to the {step.target.label()}: remembered {d:.1f} m away at {math.degrees(b):.0f} degrees", args
            return f"go to the {step.target.label()}", args
        if step.skill == "move":
            until = f", until the {step.until.label()} is in view" if step.until is not None else ""
            return f"move {step.direction} {step.distance_m:g} m{until}", args
        if step.skill == "turn":
            return f"turn {step.direction} {step.angle_deg:g} degrees", args
        return step.skill, args

    def status(self, st: ifc.StatusPayload, now: float) -> List[Action]:
        if not self.goal_id or st.goal_id != self.goal_id:
            return []
        if st.state == "succeeded":
            step = self.plan[self.index] if 0 <= self.index < len(self.plan) else None
            acts = []
            if step is not None and step.skill == "explore":  # what it found, from the object memory
                said = answers.summary(self.remembered)
                acts = [self._decision(f"explore: {st.reason or 'done'}; {said}", "perception", 1.0, skill="explore"), Action("say", said)]
            return acts + self._advance(now, "policy", 1.0)
        if st.state == "failed":
            step = self.plan[self.index] if 0 <= self.index < len(self.plan) else None
            if step is not None and step.skill == "go_to" and self.replans < self.cfg.replan_attempts:
                self.replans += 1
                self.chosen.pop(step.target.model_dump_json(), None)  # choose again: that object was not reached
                self.plan = self.plan[: self.index] + [ifc.FindStep(target=step.target), step] + self.plan[self.index + 1 :]
                self.index -= 1
                acts = [self._decision(f"{step.skill} failed ({st.reason}): re-planning with a search first", "policy", 1.0)]
                return acts + self._advance(now, "rule", 1.0)
            acts = [self._decision(f"step failed ({st.reason}): plan abandoned", "policy", 1.0, skill=st.skill)]
            acts.append(Action("say", f"I could not complete that: {st.reason or 'the step failed'}."))
            acts.append(self._outcome(self.plan_instruction, False, f"step {self.index} ({st.skill or 'step'}) failed: {st.reason or 'no reason given'}", self.plan))
            self.plan, self.index, self.goal_id, self.current_goal = [], -1, "", None
            return acts
        return []

    def tick(self, now: float) -> List[Action]:
        """Periodic check: a step without a result for step_timeout fails."""
        step = self.plan[self.index] if self.plan and 0 <= self.index < len(self.plan) else None
        limit = self.cfg.step_timeout + (step.duration_s if step is not None and step.skill == "explore" else 0.0)
        if self.goal_id and self.plan and now - self.goal_t > limit:
            st = ifc.StatusPayload(goal_id=self.goal_id, state="failed", reason=f"no result within {limit:g} s")
            self.replans = self.cfg.replan_attempts  # do not retry a silent policy
            return self.status(st, now)
        return []
