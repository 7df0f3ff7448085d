"""The shared base of every autogpt_ros node: a thin rclpy lifecycle node.

What it gives a node:

* parameters declared from the node's ``PARAMS`` list with descriptors
  (type, range, description) and checked on every change;
* the ``autostart`` parameter (default true): configure and activate at start,
  like a plain node; false leaves it unconfigured for a lifecycle manager;
* publishers and subscriptions named and QoS'd from the topic contract
  (:mod:`autogpt_ros.interfaces`), created with *relative* names so that
  ``__ns`` namespaces and ``-r`` remaps work;
* callbacks that never take the node down: an exception in a callback is
  logged (rate-limited) and counted in ``self.errors``;
* :func:`main_for` / :func:`run_nodes`: the console-script entry points,
  ending cleanly on Ctrl-C and SIGTERM.
"""
from __future__ import annotations

import collections
import sys
import time
import traceback
from typing import Callable, Dict, List, Optional, Sequence, Type

import rclpy
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, ParameterType, SetParametersResult
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn

from autogpt_ros import interfaces as ifc
from autogpt_ros.params import COMMON, Param

_PTYPE = {
    "bool": ParameterType.PARAMETER_BOOL,
    "int": ParameterType.PARAMETER_INTEGER,
    "double": ParameterType.PARAMETER_DOUBLE,
    "string": ParameterType.PARAMETER_STRING,
    "string_array": ParameterType.PARAMETER_STRING_ARRAY,
    "double_array": ParameterType.PARAMETER_DOUBLE_ARRAY,
}


def descriptor(p: Param) -> ParameterDescriptor:
    d = ParameterDescriptor(name=p.name, type=_PTYPE[p.type_name], description=p.description, read_only=p.read_only)
    if p.range is not None and p.type_name == "double":
        d.floating_point_range = [FloatingPointRange(from_value=float(p.range[0]), to_value=float(p.range[1]), step=0.0)]
    elif p.range is not None and p.type_name == "int":
        d.integer_range = [IntegerRange(from_value=int(p.range[0]), to_value=int(p.range[1]), step=0)]
    if p.choices:
        d.additional_constraints = "one of: " + ", ".join(p.choices)
    if p.type_name == "double":
        # A whole number arrives as an integer (`-p real_time_factor:=0`, a launch
        # argument "0", YAML `0`), which a statically typed double refuses; doubles
        # are typed dynamically and AgentNode checks they are numbers and returns floats.
        d.dynamic_typing = True
        d.additional_constraints = "a number (integers accepted)"
    return d


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class AgentNode(LifecycleNode):
    """Base class.  Subclasses set ``NAME`` and ``PARAMS`` and implement
    :meth:`configure` (create publishers, subscriptions, timers, logic) and
    optionally :meth:`activate`, :meth:`deactivate`, :meth:`cleanup`."""

    NAME = "agent_node"
    PARAMS: Sequence[Param] = ()

    def __init__(self, node_name: Optional[str] = None, **kwargs) -> None:
        super().__init__(node_name or self.NAME, **kwargs)
        self._specs: Dict[str, Param] = {}
        for p in list(COMMON) + list(self.PARAMS):
            self._specs[p.name] = p
            self.declare_parameter(p.name, p.default, descriptor(p))
            if p.type_name == "double":  # dynamically typed: rclpy checked neither type nor range of an integer
                value = self.get_parameter(p.name).value
                why = p.check(value) if is_number(value) else f"{p.name} must be a number, got {value!r}"
                if why:
                    raise ValueError(f"{self.get_name()}: parameter {why}")
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.errors: collections.Counter = collections.Counter()
        self._last_warn: Dict = {}
        self.active = False
        self._owned: List = []  # subscriptions, timers, services to destroy on cleanup
        self._pubs: List = []

    # ---- parameters -------------------------------------------------------
    def param(self, name: str):
        value = self.get_parameter(name).value
        spec = self._specs.get(name)
        if spec is not None and spec.type_name == "double" and is_number(value):
            return float(value)  # declared double, set as an integer
        return value

    def _on_set_parameters(self, params) -> SetParametersResult:
        for prm in params:
            spec = self._specs.get(prm.name)
            if spec is None:
                continue
            if spec.type_name == "double" and not is_number(prm.value):
                return SetParametersResult(successful=False, reason=f"{prm.name} must be a number, got {prm.value!r}")
            why = spec.check(prm.value)
            if why:
                return SetParametersResult(successful=False, reason=why)
        return SetParametersResult(successful=True)

    # ---- entities from the contract --------------------------------------
    def publisher(self, name: str, qos=None, msg_type=None):
        """A lifecycle publisher of contract topic ``name`` (``msg_type`` overrides
        the contract's type where the contract allows another, e.g. /cmd_vel stamped)."""
        pub = self.create_lifecycle_publisher(msg_type or ifc.msg_class(name), ifc.relative(name), qos or ifc.qos_profile(name, "pub"))
        self._pubs.append(pub)
        return pub

    def subscription(self, name: str, callback: Callable, qos=None, msg_type=None):
        sub = self.create_subscription(msg_type or ifc.msg_class(name), ifc.relative(name), self._guard(callback, name), qos or ifc.qos_profile(name, "sub"))
        self._owned.append(sub)
        return sub

    def timer(self, period_s: float, callback: Callable, wall_clock: bool = False):
        """A guarded timer on the node's clock (sim time with use_sim_time), or on
        the steady wall clock with ``wall_clock=True``."""
        clock = Clock(clock_type=ClockType.STEADY_TIME) if wall_clock else None
        t = self.create_timer(period_s, self._guard(callback, getattr(callback, "__name__", "timer")), clock=clock)
        self._owned.append(t)
        return t

    def service(self, srv_type, name: str, callback: Callable):
        s = self.create_service(srv_type, ifc.relative(name), callback)
        self._owned.append(s)
        return s

    def _guard(self, fn: Callable, where: str) -> Callable:
        def wrapped(*args):
            if not self.active:
                return None
            try:
                return fn(*args)
            except Exception as e:  # never let one bad message take the node down
                self.errors[where] += 1
                self.get_logger().error(
                    f"{where}: {type(e).__name__}: {e} (count {self.errors[where]})\n{traceback.format_exc(limit=3)}",
                    throttle_duration_sec=2.0,
                )
                return None

        return wrapped

    def reject(self, what: str, why: str, period: float = 2.0) -> None:
        """Count and log an input that was skipped or corrected; the log is
        rate-limited per kind of problem (``what`` and the reason's first words)."""
        self.errors[what] += 1
        key = (what, " ".join(why.split()[:2]))
        now = time.monotonic()
        if now - self._last_warn.get(key, -1e9) >= period:
            self._last_warn[key] = now
            self.get_logger().warning(f"{what}: {why} (count {self.errors[what]})")

    def payload(self, cls, msg, what: str):
        """The JSON payload of a String message as ``cls``, or None (counted and warned about)."""
        try:
            return ifc.decode(cls, msg.data)
        except ifc.PayloadError as e:
            self.reject(what, str(e))
            return None

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # ---- lifecycle -----------------------------------------------------------
    def configure(self) -> None:  # pragma: no cover - overridden
        pass

    def activate(self) -> None:
        pass

    def deactivate(self) -> None:
        pass

    def cleanup(self) -> None:
        pass

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self.configure()
        except Exception as e:
            self.get_logger().error(f"configure failed: {type(e).__name__}: {e}")
            self._destroy_owned()
            return TransitionCallbackReturn.FAILURE
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        ret = super().on_activate(state)
        self.active = True
        self.activate()
        return ret

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        self.deactivate()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        self.cleanup()
        self._destroy_owned()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        return TransitionCallbackReturn.SUCCESS

    def _destroy_owned(self) -> None:
        for e in self._owned:
            for kind in ("destroy_subscription", "destroy_timer", "destroy_service"):
                try:
                    if getattr(self, kind)(e):
                        break
                except Exception:
                    pass
        self._owned.clear()
        for p in self._pubs:
            try:
                self.destroy_lifecycle_publisher(p)
            except Exception:
                pass
        self._pubs.clear()

    def start(self) -> bool:
        """Configure and activate when ``autostart`` is true.  True if active."""
        if not self.param("autostart"):
            self.get_logger().info("autostart is false: waiting for lifecycle transitions")
            return False
        if self.trigger_configure() != TransitionCallbackReturn.SUCCESS:
            self.get_logger().error("configure failed; the node stays unconfigured")
            return False
        self.trigger_activate()
        return True


def run_nodes(classes: Sequence[Type[AgentNode]], args: Optional[Sequence[str]] = None) -> int:
    """Create the nodes in one process, start them and spin until shut down."""
    args = list(sys.argv if args is None else args)
    rclpy.init(args=args)
    nodes: List[AgentNode] = []
    executor = SingleThreadedExecutor()
    code = 0
    try:
        for cls in classes:
            node = cls()
            nodes.append(node)
            executor.add_node(node)
        for node in nodes:
            node.start()
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception as e:
        print(f"fatal: {type(e).__name__}: {e}", file=sys.stderr)
        traceback.print_exc()
        code = 1
    finally:
        for node in nodes:
            try:
                node.active = False
                node.destroy_node()
            except Exception:
                pass
        executor.shutdown(timeout_sec=1.0)
        rclpy.try_shutdown()
    return code


def main_for(cls: Type[AgentNode]) -> Callable[[], None]:
    """A console-script ``main`` for one node class."""

    def main(args: Optional[Sequence[str]] = None) -> None:
        sys.exit(run_nodes([cls], args))

    main.__doc__ = f"Run {cls.NAME}."
    return main
