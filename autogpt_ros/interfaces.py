"""The topic contract: names, message types, QoS and JSON payload schemas.

This module is the single source of truth for how the nodes talk to each
other.  Nodes, launch files, configs, tests and the README all agree with it
(``test/test_contract.py`` checks them).  It imports no rclpy at module
level, so tools that only need names and schemas (the launcher, docs, the
pure-Python logic) stay ROS-free; :func:`msg_class` and :func:`qos_profile`
import the ROS pieces on demand.

Structured payloads travel as JSON in ``std_msgs/String``.  Every payload has
a ``schema`` name and a ``version``; :func:`decode` validates it with pydantic
and raises :class:`PayloadError` (one clear error type) for anything
malformed, which nodes log and count instead of crashing.
"""
from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass
from typing import Annotated, ClassVar, Dict, List, Literal, Optional, Tuple, Type, TypeVar, Union

import pydantic


def require_pydantic_v2(version: str) -> None:
    """Raise a clear ImportError for pydantic 1.x (Ubuntu 24.04's python3-pydantic
    is 1.10.14): the payload models need pydantic 2 (ConfigDict, model_validator),
    which requirements-robot.txt installs (`make robot-deps`)."""
    if int(version.split(".")[0]) < 2:
        raise ImportError(
            f"autogpt_ros needs pydantic >= 2, found {version} (the distribution's python3-pydantic?): "
            "run `make robot-deps` and build and run from its virtual environment (README, \"On a robot\")"
        )


require_pydantic_v2(pydantic.VERSION)

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator  # noqa: E402

from autogpt_ros.vocabulary import COLORS, SHAPES

# --------------------------------------------------------------------------
# QoS profiles (plain data; turned into rclpy QoSProfile by qos_profile()).
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class QoS:
    reliability: str  # "reliable" | "best_effort"
    durability: str = "volatile"  # "volatile" | "transient_local"
    depth: int = 10


#: Sensor streams.  Publishers are reliable (matched by any subscriber),
#: subscribers are best-effort and keep only the newest few samples (matched
#: by any publisher, never queue stale frames): the usual ROS 2 pairing.
SENSOR_PUB = QoS("reliable", depth=5)
SENSOR_SUB = QoS("best_effort", depth=1)
#: Commands, text and decisions: reliable, volatile.
RELIABLE = QoS("reliable", depth=10)
#: Instructions in: a deep queue, so that a burst reaches the node, which counts what it drops.
TEXT_IN = QoS("reliable", depth=100)
#: State that a late joiner must still see (e-stop, the current world).
LATCHED = QoS("reliable", "transient_local", depth=1)
#: Raw audio: reliable with a deep queue so no chunk is dropped.
AUDIO = QoS("reliable", depth=100)
#: /tf and /tf_static as tf2's broadcasters and listeners use them (depth 100; the static
#: transforms latched: one message with all of them, kept for late joiners).
TF = QoS("reliable", depth=100)
TF_STATIC_PUB = QoS("reliable", "transient_local", depth=1)
TF_STATIC_SUB = QoS("reliable", "transient_local", depth=100)


@dataclass(frozen=True)
class Topic:
    name: str
    type: str  # "pkg/msg/Type"
    pub_qos: QoS
    sub_qos: QoS
    publisher: str
    description: str

    @property
    def key(self) -> str:
        return self.name


def _t(name, type_, pub, sub, publisher, description):
    return Topic(name, type_, pub, sub, publisher, description)


# fmt: off
TOPICS: Dict[str, Topic] = {t.name: t for t in [
    _t("/camera/image_raw", "sensor_msgs/msg/Image", SENSOR_PUB, SENSOR_SUB, "simulator or camera driver", "RGB camera image (rgb8)"),
    _t("/camera/camera_info", "sensor_msgs/msg/CameraInfo", SENSOR_PUB, SENSOR_SUB, "simulator or camera driver", "camera intrinsics"),
    _t("/camera/depth/image_raw", "sensor_msgs/msg/Image", SENSOR_PUB, SENSOR_SUB, "simulator or camera driver", "depth image, 32FC1 in metres"),
    _t("/scan", "sensor_msgs/msg/LaserScan", SENSOR_PUB, SENSOR_SUB, "simulator or lidar", "planar laser scan"),
    _t("/odom", "nav_msgs/msg/Odometry", SENSOR_PUB, SENSOR_SUB, "simulator or base", "wheel odometry"),
    _t("/clock", "rosgraph_msgs/msg/Clock", RELIABLE, QoS("best_effort", depth=1), "simulator", "simulation time (use_sim_time)"),
    _t("/audio/pcm", "std_msgs/msg/Int16MultiArray", AUDIO, AUDIO, "microphone source", "16 kHz mono PCM chunks"),
    _t("/speech/transcript", "std_msgs/msg/String", RELIABLE, TEXT_IN, "microphone_node", "one lower-case transcript per utterance"),
    _t("/agent/instruction", "std_msgs/msg/String", RELIABLE, TEXT_IN, "people and tools", "typed instruction, plain text"),
    _t("/perception/objects", "std_msgs/msg/String", RELIABLE, QoS("reliable", depth=1), "camera_node", "JSON: detected objects (schema autogpt_ros/objects)"),
    _t("/perception/detections", "autogpt_ros_interfaces/msg/DetectedObjects", RELIABLE, QoS("reliable", depth=1), "camera_node", "the objects of /perception/objects, typed: label, colour, shape, confidence, box, bearing, distance, position in the optical frame"),
    _t("/perception/detections_2d", "vision_msgs/msg/Detection2DArray", RELIABLE, QoS("reliable", depth=1), "camera_node", "the same objects as vision_msgs detections (class_id the label, score the confidence, pose the position in the optical frame)"),
    _t("/perception/scene", "std_msgs/msg/String", RELIABLE, QoS("reliable", depth=1), "camera_node", "plain-English scene description"),
    _t("/perception/markers", "visualization_msgs/msg/MarkerArray", RELIABLE, RELIABLE, "camera_node", "RViz markers of detections"),
    _t("/perception/debug_image", "sensor_msgs/msg/Image", SENSOR_PUB, SENSOR_SUB, "camera_node", "annotated camera image"),
    _t("/agent/goal", "std_msgs/msg/String", RELIABLE, RELIABLE, "reasoning_node", "JSON: the step being executed (schema autogpt_ros/goal)"),
    _t("/agent/decision", "std_msgs/msg/String", RELIABLE, RELIABLE, "reasoning_node", "JSON: every decision with reason and timings (schema autogpt_ros/decision)"),
    _t("/agent/decision_record", "autogpt_ros_interfaces/msg/Decision", RELIABLE, RELIABLE, "reasoning_node", "every decision of /agent/decision, typed (plan and arguments as JSON strings)"),
    _t("/agent/say", "std_msgs/msg/String", RELIABLE, RELIABLE, "reasoning_node", "text for people: clarification questions, descriptions"),
    _t("/agent/memory", "std_msgs/msg/String", LATCHED, LATCHED, "fusion_node", "JSON: objects remembered in the odometry frame (schema autogpt_ros/memory)"),
    _t("/agent/state", "std_msgs/msg/Float32MultiArray", RELIABLE, QoS("reliable", depth=1), "fusion_node", "observation vector with labelled layout"),
    _t("/agent/status", "std_msgs/msg/String", RELIABLE, RELIABLE, "policy_node", "JSON: skill progress (schema autogpt_ros/status)"),
    _t("/agent/estop", "std_msgs/msg/Bool", LATCHED, LATCHED, "anyone", "emergency stop: true stops, false releases"),
    _t("/agent/forget", "std_msgs/msg/Empty", RELIABLE, RELIABLE, "people and tools", "forget the object memory (fusion_node) and the places (reasoning_node; home becomes the pose of the next odometry message): the robot was carried elsewhere, or the world was reset"),
    _t("/cmd_vel", "geometry_msgs/msg/Twist", RELIABLE, RELIABLE, "policy_node", "velocity command to the base (geometry_msgs/msg/TwistStamped with cmd_vel_stamped:=true)"),
    _t("/tf", "tf2_msgs/msg/TFMessage", TF, TF, "sim_node (a robot: its base driver)", "odom -> base_footprint, the pose of /odom at the same stamp"),
    _t("/tf_static", "tf2_msgs/msg/TFMessage", TF_STATIC_PUB, TF_STATIC_SUB, "sim_node (a robot: robot_state_publisher)", "the URDF's fixed joints: base_footprint -> base_link -> camera_link -> camera_optical_frame, lidar_link, casters"),
    _t("/robot_description", "std_msgs/msg/String", LATCHED, LATCHED, "sim_node (a robot: robot_state_publisher)", "the URDF (for RViz's RobotModel)"),
    # simulator-only topics, for evaluation and tools
    _t("/sim/ground_truth", "nav_msgs/msg/Odometry", SENSOR_PUB, SENSOR_SUB, "sim_node", "true robot pose (evaluation only)"),
    _t("/sim/world", "std_msgs/msg/String", LATCHED, LATCHED, "sim_node", "JSON: current world (schema autogpt_ros/world)"),
]}
# fmt: on

#: Services offered by the simulator.
#: Actions (name -> type).
ACTIONS = {
    "/agent/execute": "autogpt_ros_interfaces/action/ExecuteInstruction",
}

SERVICES = {
    "/sim/reset": "std_srvs/srv/Trigger",
    "/sim/get_world": "std_srvs/srv/Trigger",
}

# Short names used in code (one name for one thing).
IMAGE = "/camera/image_raw"
CAMERA_INFO = "/camera/camera_info"
DEPTH = "/camera/depth/image_raw"
SCAN = "/scan"
ODOM = "/odom"
CLOCK = "/clock"
AUDIO_PCM = "/audio/pcm"
TRANSCRIPT = "/speech/transcript"
INSTRUCTION = "/agent/instruction"
OBJECTS = "/perception/objects"
SCENE = "/perception/scene"
MARKERS = "/perception/markers"
DEBUG_IMAGE = "/perception/debug_image"
GOAL = "/agent/goal"
DECISION = "/agent/decision"
SAY = "/agent/say"
STATE = "/agent/state"
MEMORY = "/agent/memory"
STATUS = "/agent/status"
ESTOP = "/agent/estop"
FORGET = "/agent/forget"
CMD_VEL = "/cmd_vel"
GROUND_TRUTH = "/sim/ground_truth"
WORLD = "/sim/world"
SIM_RESET = "/sim/reset"
SIM_GET_WORLD = "/sim/get_world"
DETECTIONS = "/perception/detections"
DETECTIONS_2D = "/perception/detections_2d"
DECISION_RECORD = "/agent/decision_record"
TF_TOPIC = "/tf"
TF_STATIC = "/tf_static"
ROBOT_DESCRIPTION = "/robot_description"
EXECUTE = "/agent/execute"

#: /cmd_vel's type when ``cmd_vel_stamped`` is true (policy_node and sim_node):
#: bases whose controller takes stamped commands (diff_drive_controller on Jazzy
#: and later).  Publisher and subscriber must agree: a node of the other type on
#: the same name never matches it (DDS keeps one type per topic name).
CMD_VEL_STAMPED_TYPE = "geometry_msgs/msg/TwistStamped"


def cmd_vel_class(stamped: bool):
    """The message class of /cmd_vel: Twist, or TwistStamped when ``stamped``."""
    return import_type(CMD_VEL_STAMPED_TYPE) if stamped else msg_class(CMD_VEL)


def topic(name: str) -> Topic:
    """Look a topic up by its contract name (with or without leading slash)."""
    key = name if name.startswith("/") else "/" + name
    try:
        return TOPICS[key]
    except KeyError:
        raise KeyError(f"{name!r} is not a topic in the contract (autogpt_ros.interfaces.TOPICS)") from None


def relative(name: str) -> str:
    """The topic name without its leading slash, as nodes create it.

    Nodes use relative names so that a namespace (``__ns``) moves the whole
    agent, while remaps written with the absolute contract name still apply.
    ``/clock`` stays absolute, as ROS requires.
    """
    return name.lstrip("/")


def import_type(type_name: str):
    """Import a ROS interface class from "pkg/msg/Type" or "pkg/srv/Type"."""
    pkg, kind, name = type_name.split("/")
    return getattr(importlib.import_module(f"{pkg}.{kind}"), name)


def msg_class(name: str):
    return import_type(topic(name).type)


def to_qos_profile(q: QoS):
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=q.depth,
        reliability=ReliabilityPolicy.RELIABLE if q.reliability == "reliable" else ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.TRANSIENT_LOCAL if q.durability == "transient_local" else DurabilityPolicy.VOLATILE,
    )


def qos_profile(name: str, role: str):
    """rclpy QoSProfile for publishing (role="pub") or subscribing ("sub")."""
    t = topic(name)
    if role not in ("pub", "sub"):
        raise ValueError("role must be 'pub' or 'sub'")
    return to_qos_profile(t.pub_qos if role == "pub" else t.sub_qos)


# --------------------------------------------------------------------------
# JSON payloads
# --------------------------------------------------------------------------


class PayloadError(ValueError):
    """A JSON payload that is not valid for its schema.  The message says why."""


Color = Literal[COLORS]  # type: ignore[valid-type]
Shape = Literal[SHAPES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


SELECT = ("nearest", "farthest", "leftmost", "rightmost")
SPEEDS = ("slow", "normal")
QUESTIONS = ("color", "shape", "distance", "count", "visible")
#: built-in places: where the agent started, and where the robot was when the instruction arrived
BUILTIN_PLACES = ("home", "here")
MAX_REPEAT = 10
MAX_NESTING = 3  # targets inside targets, steps inside repeat / if_visible
PlaceName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9 _-]{0,39}$")]


class Target(_Strict):
    """Which object: colour and shape (None: any), which one when several match
    (``select``), and near which other object (``near``)."""

    color: Optional[Color] = None
    shape: Optional[Shape] = None
    select: Optional[Literal[SELECT]] = None  # type: ignore[valid-type]
    near: Optional["Target"] = None

    @model_validator(mode="after")
    def _nesting(self):
        depth, t = 0, self
        while t.near is not None:
            depth, t = depth + 1, t.near
            if depth > MAX_NESTING:
                raise ValueError(f"a target nested more than {MAX_NESTING} deep")
        return self

    def label(self) -> str:
        text = " ".join(x for x in (self.select, self.color, self.shape or "object") if x)
        return f"{text} near the {self.near.label()}" if self.near is not None else text


class GoToStep(_Strict):
    skill: Literal["go_to"] = "go_to"
    target: Target
    speed: Literal[SPEEDS] = "normal"  # type: ignore[valid-type]


class FindStep(_Strict):
    skill: Literal["find"] = "find"
    target: Target


class MoveStep(_Strict):
    skill: Literal["move"] = "move"
    direction: Literal["forward", "backward"] = "forward"
    distance_m: float = Field(1.0, ge=0.0, allow_inf_nan=False)
    until: Optional[Target] = None  # stop early, succeeded, once this is in view
    speed: Literal[SPEEDS] = "normal"  # type: ignore[valid-type]


class TurnStep(_Strict):
    skill: Literal["turn"] = "turn"
    direction: Literal["left", "right"] = "left"
    angle_deg: float = Field(90.0, ge=0.0, allow_inf_nan=False)


class StopStep(_Strict):
    skill: Literal["stop"] = "stop"


class DescribeStep(_Strict):
    skill: Literal["describe"] = "describe"


class RememberPlaceStep(_Strict):
    skill: Literal["remember_place"] = "remember_place"
    place: PlaceName


class GoToPlaceStep(_Strict):
    skill: Literal["go_to_place"] = "go_to_place"
    place: PlaceName


class ExploreStep(_Strict):
    skill: Literal["explore"] = "explore"
    duration_s: float = Field(30.0, gt=0.0, allow_inf_nan=False)


class AnswerStep(_Strict):
    skill: Literal["answer"] = "answer"
    question: Literal[QUESTIONS]  # type: ignore[valid-type]
    target: Target = Field(default_factory=Target)


class RepeatStep(_Strict):
    skill: Literal["repeat"] = "repeat"
    times: int = Field(ge=1, le=MAX_REPEAT)
    steps: List["Step"] = Field(min_length=1)


class IfVisibleStep(_Strict):
    skill: Literal["if_visible"] = "if_visible"
    target: Target
    then: List["Step"] = Field(default_factory=list)
    else_: List["Step"] = Field(default_factory=list, alias="else")


Step = Annotated[
    Union[GoToStep, FindStep, MoveStep, TurnStep, StopStep, DescribeStep, RememberPlaceStep, GoToPlaceStep, ExploreStep, AnswerStep, RepeatStep, IfVisibleStep],
    Field(discriminator="skill"),
]
#: the skills of plan language version 1 (the others came with version 2)
SKILLS_V1 = ("go_to", "find", "move", "turn", "stop", "describe")
RepeatStep.model_rebuild()
IfVisibleStep.model_rebuild()


def inner_steps(step) -> list:
    """The steps a repeat or an if_visible holds (repeat's, then then's and else's); [] for others."""
    return list(getattr(step, "steps", None) or []) + list(getattr(step, "then", None) or []) + list(getattr(step, "else_", None) or [])


def walk_steps(steps):
    """Every step of a plan, nested ones included, in the order they are written (pre-order)."""
    for st in steps:
        yield st
        yield from walk_steps(inner_steps(st))


def _step_depth(steps, depth: int = 0) -> int:
    deepest = depth
    for st in steps:
        inner = inner_steps(st)
        if inner:
            deepest = max(deepest, _step_depth(inner, depth + 1))
    return deepest


_V2_DEFAULTS = {"select": None, "near": None, "until": None, "speed": "normal", "refusal": None}


def _compact(x):
    if isinstance(x, dict):
        return {k: _compact(v) for k, v in x.items() if not (k in _V2_DEFAULTS and v == _V2_DEFAULTS[k])}
    if isinstance(x, list):
        return [_compact(v) for v in x]
    return x


class Plan(_Strict):
    """The goal format of an instruction: ``{"steps": [STEP, ...]}``; a request the
    robot cannot carry out is ``{"steps": [], "refusal": "a sentence for people"}``."""

    steps: List[Step] = Field(default_factory=list)
    refusal: Optional[str] = Field(None, min_length=1, max_length=300)

    def compact(self) -> dict:
        """The plan as JSON-ready data without the version-2 fields left at their defaults
        (``select``, ``near``, ``until``: null; ``speed``: normal; ``refusal``: null), so a
        plan of version-1 steps reads exactly as in version 1."""
        return _compact(self.model_dump(by_alias=True))

    @model_validator(mode="after")
    def _check(self):
        if self.refusal is not None and self.steps:
            raise ValueError("a refusal has no steps")
        if _step_depth(self.steps) > MAX_NESTING:
            raise ValueError(f"steps nested more than {MAX_NESTING} deep")
        return self


class Payload(_Strict):
    """Base of every JSON payload: a schema name and a version."""

    SCHEMA: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    #: older versions this build still reads (their payloads are valid payloads of VERSION)
    READS: ClassVar[Tuple[int, ...]] = ()
    schema_name: str = Field("", alias="schema")
    version: int = 0

    @model_validator(mode="before")
    @classmethod
    def _check_schema(cls, data):
        if isinstance(data, dict):
            s = data.get("schema", data.get("schema_name"))
            if s is None:
                data = {**data, "schema": cls.SCHEMA}
            elif s != cls.SCHEMA:
                raise ValueError(f"schema is {s!r}, expected {cls.SCHEMA!r}")
            v = data.get("version")
            if v is None:
                data = {**data, "version": cls.VERSION}
            elif v != cls.VERSION and v not in cls.READS:
                raise ValueError(f"{cls.SCHEMA} version {v!r} is not supported (this build reads version {', '.join(map(str, (*cls.READS, cls.VERSION)))})")
        return data

    def model_post_init(self, _ctx) -> None:
        self.schema_name = self.SCHEMA
        self.version = self.VERSION


class DetectedObject(_Strict):
    label: str
    color: Optional[Color] = None
    shape: Optional[Shape] = None
    confidence: float = Field(ge=0.0, le=1.0)
    bbox: Tuple[int, int, int, int]  # x, y, width, height in pixels
    bearing_rad: float = Field(allow_inf_nan=False)  # positive to the left
    distance_m: Optional[float] = Field(None, ge=0.0, allow_inf_nan=False)
    distance_source: Literal["depth", "size", "none"] = "none"  # how distance_m was measured
    stamp: float = 0.0  # source image time, seconds


class ObjectsPayload(Payload):
    SCHEMA: ClassVar[str] = "autogpt_ros/objects"
    stamp: float = 0.0
    frame_id: str = ""
    latency_ms: float = 0.0
    objects: List[DetectedObject] = Field(default_factory=list)


class RememberedObject(_Strict):
    color: Optional[Color] = None
    shape: Optional[Shape] = None
    x: float = Field(allow_inf_nan=False)  # odometry frame, metres
    y: float = Field(allow_inf_nan=False)
    last_seen: float = 0.0  # seconds (the node's clock)
    seen_count: int = Field(1, ge=1)


class MemoryPayload(Payload):
    """Every object fusion_node remembers (seen, not since forgotten), in ``frame_id``.
    Emptied when odometry jumps (a reset): old positions mean nothing in the new frame."""

    SCHEMA: ClassVar[str] = "autogpt_ros/memory"
    stamp: float = 0.0
    frame_id: str = "odom"
    objects: List[RememberedObject] = Field(default_factory=list)


class GoalPayload(Payload):
    """One step of a plan.  Version 2 is plan language v2 (places, relations, speed,
    move-until, explore, answers, repeat, if_visible, refusals); version 1 goals, whose
    steps are a subset, stay valid."""

    SCHEMA: ClassVar[str] = "autogpt_ros/goal"
    VERSION: ClassVar[int] = 2
    READS: ClassVar[Tuple[int, ...]] = (1,)
    goal_id: str
    plan_id: str = ""
    index: int = 0
    count: int = 1
    step: Step
    instruction: str = ""
    stamp: float = 0.0
    #: where the step goes, (x, y) in the odometry frame: for go_to / find with ``select`` or ``near``
    #: the object the agent chose (fusion follows that object and no other match; null: any match,
    #: the nearest first), for go_to_place the place
    target_xy: Optional[Tuple[float, float]] = None

    @field_validator("target_xy")
    @classmethod
    def _finite_xy(cls, v):
        if v is not None and not all(math.isfinite(c) for c in v):
            raise ValueError("target_xy must be finite")
        return v


class DecisionPayload(Payload):
    SCHEMA: ClassVar[str] = "autogpt_ros/decision"
    instruction: str = ""
    plan: Plan = Field(default_factory=Plan)
    index: int = -1
    skill: Optional[str] = None
    arguments: dict = Field(default_factory=dict)
    reason: str = ""
    source: Literal["model", "planner", "rule", "perception", "policy", "operator"] = "rule"
    confidence: float = 1.0
    timings: Dict[str, float] = Field(default_factory=dict)


class StatusPayload(Payload):
    SCHEMA: ClassVar[str] = "autogpt_ros/status"
    goal_id: str = ""
    skill: Optional[str] = None
    state: Literal["idle", "running", "succeeded", "failed"] = "idle"
    progress: float = Field(0.0, ge=0.0, le=1.0)
    value: Optional[float] = None
    reason: str = ""
    stamp: float = 0.0
    speed: Literal[SPEEDS] = "normal"  # type: ignore[valid-type]  # slow: the step runs at half the limits


class WorldObject(_Strict):
    name: str
    color: Color
    shape: Shape
    size: Tuple[float, float, float]  # x, y, z extent in metres
    x: float
    y: float
    yaw: float = 0.0


class WorldPayload(Payload):
    SCHEMA: ClassVar[str] = "autogpt_ros/world"
    scenario: str = ""
    seed: Optional[int] = None
    arena: Tuple[float, float] = (6.0, 6.0)
    objects: List[WorldObject] = Field(default_factory=list)
    obstacles: List[dict] = Field(default_factory=list)
    robot: Tuple[float, float, float] = (0.0, 0.0, 0.0)  # x, y, yaw (true pose)
    collisions: int = 0
    sim_time: float = 0.0


P = TypeVar("P", bound=BaseModel)


def encode(payload: BaseModel) -> str:
    """Serialise a payload to compact JSON (with ``schema`` and ``version``)."""
    return payload.model_dump_json(by_alias=True)


def decode(cls: Type[P], text: Union[str, bytes]) -> P:
    """Parse and validate JSON ``text`` as ``cls``; raise PayloadError if it is not."""
    name = getattr(cls, "SCHEMA", "") or cls.__name__
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as e:
        raise PayloadError(f"{name}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise PayloadError(f"{name}: expected a JSON object, got {type(data).__name__}")
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        errs = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in e.errors()[:5])
        raise PayloadError(f"{name}: {errs}") from None


SCHEMAS: Dict[str, Type[Payload]] = {c.SCHEMA: c for c in (ObjectsPayload, MemoryPayload, GoalPayload, DecisionPayload, StatusPayload, WorldPayload)}
