"""The topic contract and the JSON payload schemas."""
import glob
import json
import os
import xml.etree.ElementTree as ET

import pytest
import yaml

from autogpt_ros import interfaces as ifc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_topic_type_imports_and_qos_builds():
    assert len(ifc.TOPICS) >= 20
    for name, t in ifc.TOPICS.items():
        assert name.startswith("/") and name == t.name
        cls = ifc.msg_class(name)
        assert cls.__name__ == t.type.split("/")[-1]
        for role in ("pub", "sub"):
            assert ifc.qos_profile(name, role).depth >= 1
    for srv in ifc.SERVICES.values():
        assert ifc.import_type(srv)


def test_issue_contract_names_are_present():
    required = {
        "/camera/image_raw": "sensor_msgs/msg/Image",
        "/camera/camera_info": "sensor_msgs/msg/CameraInfo",
        "/camera/depth/image_raw": "sensor_msgs/msg/Image",
        "/scan": "sensor_msgs/msg/LaserScan",
        "/odom": "nav_msgs/msg/Odometry",
        "/clock": "rosgraph_msgs/msg/Clock",
        "/audio/pcm": "std_msgs/msg/Int16MultiArray",
        "/speech/transcript": "std_msgs/msg/String",
        "/agent/instruction": "std_msgs/msg/String",
        "/perception/objects": "std_msgs/msg/String",
        "/perception/scene": "std_msgs/msg/String",
        "/perception/markers": "visualization_msgs/msg/MarkerArray",
        "/perception/debug_image": "sensor_msgs/msg/Image",
        "/agent/goal": "std_msgs/msg/String",
        "/agent/decision": "std_msgs/msg/String",
        "/agent/state": "std_msgs/msg/Float32MultiArray",
        "/agent/status": "std_msgs/msg/String",
        "/agent/estop": "std_msgs/msg/Bool",
        "/cmd_vel": "geometry_msgs/msg/Twist",
    }
    for name, type_ in required.items():
        assert ifc.topic(name).type == type_
    assert ifc.topic("/agent/estop").pub_qos.durability == "transient_local"
    # sensor subscribers are best effort and keep the newest only; publishers reliable
    assert ifc.topic("/camera/image_raw").sub_qos.reliability == "best_effort"
    assert ifc.topic("/camera/image_raw").pub_qos.reliability == "reliable"


def test_unknown_topic_is_a_clear_error():
    with pytest.raises(KeyError, match="not a topic in the contract"):
        ifc.topic("/camera/rgb")


def test_payload_round_trip_carries_schema_and_version():
    p = ifc.GoalPayload(goal_id="g1", step={"skill": "go_to", "target": {"color": "red", "shape": "box"}})
    text = ifc.encode(p)
    d = json.loads(text)
    assert d["schema"] == "autogpt_ros/goal" and d["version"] == 2  # plan language v2; version 1 goals are still read
    back = ifc.decode(ifc.GoalPayload, text)
    assert back.step.skill == "go_to" and back.step.target.color == "red"
    objs = ifc.ObjectsPayload(objects=[dict(label="red box", color="red", shape="box", confidence=0.9, bbox=(1, 2, 3, 4), bearing_rad=0.1, distance_m=1.5)])
    assert ifc.decode(ifc.ObjectsPayload, ifc.encode(objs)).objects[0].label == "red box"
    with pytest.raises(ifc.PayloadError, match="bearing_rad"):
        ifc.decode(ifc.ObjectsPayload, '{"objects": [{"label": "x", "confidence": 1, "bbox": [0,0,1,1], "bearing_rad": Infinity}]}')


@pytest.mark.parametrize(
    "text,why",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"schema": "autogpt_ros/status", "goal_id": "x", "step": {"skill": "stop"}}', "schema is 'autogpt_ros/status'"),
        ('{"schema": "autogpt_ros/goal", "version": 7, "goal_id": "x", "step": {"skill": "stop"}}', "version 7 is not supported"),
        ('{"goal_id": "x", "step": {"skill": "fly"}}', "step"),
        ('{"goal_id": "x", "step": {"skill": "go_to", "target": {"color": "magenta"}}}', "color"),
        ('{"goal_id": "x", "step": {"skill": "move", "distance_m": NaN}}', "distance_m"),
        ('{"goal_id": "x", "step": {"skill": "turn", "angle_deg": -5}}', "angle_deg"),
        ("", "not valid JSON"),
    ],
)
def test_malformed_payloads_raise_the_one_clear_error(text, why):
    with pytest.raises(ifc.PayloadError, match=why):
        ifc.decode(ifc.GoalPayload, text)


def test_plan_format():
    plan = ifc.Plan.model_validate({"steps": [{"skill": "go_to", "target": {"color": "red", "shape": None}}, {"skill": "turn", "direction": "left", "angle_deg": 90}]})
    assert [s.skill for s in plan.steps] == ["go_to", "turn"]
    assert ifc.Plan().steps == []


def _launch_files():
    return sorted(glob.glob(os.path.join(ROOT, "launch", "*.launch.xml")))


def test_launch_remaps_refer_to_contract_topics():
    for path in _launch_files():
        for remap in ET.parse(path).getroot().iter("remap"):
            src = remap.get("from")
            assert src in ifc.TOPICS or "/" + src in ifc.TOPICS, f"{path}: remap from {src!r} is not a contract topic"


def test_config_files_only_set_declared_parameters():
    from autogpt_ros.nodes import NODES, node_class
    from autogpt_ros.params import COMMON

    for path in glob.glob(os.path.join(ROOT, "config", "*.yaml")):
        if os.path.basename(path) == "gz_bridge.yaml":
            continue
        data = yaml.safe_load(open(path))
        for node_name, section in data.items():
            key = node_name.split("/")[-1]
            assert key in NODES, f"{path}: {node_name} is not a node of this package"
            declared = {p.name for p in node_class(key).PARAMS} | {p.name for p in COMMON} | {"use_sim_time"}
            unknown = set(section["ros__parameters"]) - declared
            assert not unknown, f"{path}: {node_name} sets undeclared parameters {unknown}"
            for p in node_class(key).PARAMS:
                if p.name in section["ros__parameters"]:
                    assert p.check(section["ros__parameters"][p.name]) is None


# ---- plan language v2 (autogpt_ros/goal version 2) ------------------------------------------
V2_PLANS = [
    {"steps": [{"skill": "go_to", "target": {"color": "red", "shape": "box", "select": "nearest", "near": {"color": "green", "shape": "cylinder", "select": None, "near": None}}, "speed": "slow"}]},
    {"steps": [{"skill": "move", "direction": "forward", "distance_m": 3.0, "until": {"color": "blue", "shape": "ball", "select": None, "near": None}, "speed": "normal"}]},
    {"steps": [{"skill": "remember_place", "place": "dock"}, {"skill": "go_to_place", "place": "home"}, {"skill": "explore", "duration_s": 60.0}]},
    {"steps": [{"skill": "answer", "question": q, "target": {"color": None, "shape": "ball", "select": None, "near": None}} for q in ("color", "shape", "distance", "count", "visible")]},
    {"steps": [{"skill": "repeat", "times": 2, "steps": [{"skill": "go_to", "target": {"color": "red", "shape": "box", "select": None, "near": None}, "speed": "normal"},
                                                            {"skill": "go_to", "target": {"color": "blue", "shape": "ball", "select": None, "near": None}, "speed": "normal"}]}]},
    {"steps": [{"skill": "if_visible", "target": {"color": "red", "shape": "box", "select": None, "near": None},
                "then": [{"skill": "go_to", "target": {"color": "red", "shape": "box", "select": None, "near": None}, "speed": "normal"}],
                "else": [{"skill": "turn", "direction": "left", "angle_deg": 180.0}]}]},
    {"steps": [], "refusal": "I have no arm, so I cannot pick things up."},
]


@pytest.mark.parametrize("plan", V2_PLANS)
def test_v2_plans_round_trip_through_the_models(plan):
    p = ifc.Plan.model_validate(plan)
    assert json.loads(p.model_dump_json(by_alias=True)) == {**plan, "refusal": plan.get("refusal")}
    assert ifc.Plan.model_validate(p.compact()) == p  # the compact form means the same plan
    for st in p.steps:  # and every step travels as a goal of version 2
        g = ifc.decode(ifc.GoalPayload, ifc.encode(ifc.GoalPayload(goal_id="g", step=st)))
        assert g.step == st and g.version == 2


def test_v1_plans_and_goals_stay_valid_and_read_the_same():
    v1 = {"steps": [{"skill": "go_to", "target": {"color": "red", "shape": None}}, {"skill": "move", "direction": "backward", "distance_m": 0.5}]}
    assert ifc.Plan.model_validate(v1).compact() == {"steps": [{"skill": "go_to", "target": {"color": "red", "shape": None}}, {"skill": "move", "direction": "backward", "distance_m": 0.5}]}
    g = ifc.decode(ifc.GoalPayload, json.dumps({"schema": "autogpt_ros/goal", "version": 1, "goal_id": "a", "step": {"skill": "turn", "direction": "left", "angle_deg": 90}}))
    assert g.step.angle_deg == 90
    with pytest.raises(ifc.PayloadError):
        ifc.decode(ifc.GoalPayload, json.dumps({"schema": "autogpt_ros/goal", "version": 3, "goal_id": "a", "step": {"skill": "stop"}}))


@pytest.mark.parametrize("bad", [
    {"steps": [{"skill": "repeat", "times": 11, "steps": [{"skill": "stop"}]}]},  # at most 10
    {"steps": [{"skill": "repeat", "times": 2, "steps": []}]},
    {"steps": [{"skill": "go_to_place", "place": "Kitchen; rm -rf"}]},  # place names are plain words
    {"steps": [{"skill": "explore", "duration_s": -5}]},
    {"steps": [{"skill": "answer", "question": "weather"}]},
    {"steps": [{"skill": "go_to", "target": {"color": "red", "select": "biggest"}}]},
    {"steps": [{"skill": "fly"}]},
    {"steps": [{"skill": "stop"}], "refusal": "no"},  # a refusal has no steps
    {"steps": [{"skill": "go_to", "target": {"near": {"near": {"near": {"near": {"shape": "box"}}}}}}]},  # nested too deep
])
def test_v2_plans_outside_the_contract_are_refused(bad):
    with pytest.raises(Exception):
        ifc.Plan.model_validate(bad)


def test_every_hand_written_v2_plan_is_a_valid_plan():
    """The held-out sets (written by hand from the plan language alone) are all expressible."""
    n = 0
    for name in ("plans_v2_holdout.jsonl", "refusals_holdout.jsonl"):
        for line in open(os.path.join(os.path.dirname(__file__), "data", name)):
            if line.strip() and not line.startswith("#"):
                item = json.loads(line)
                p = ifc.Plan.model_validate(item["plan"])
                assert ifc.Plan.model_validate(json.loads(p.model_dump_json(by_alias=True))) == p
                n += 1
    assert n >= 110 + 30
