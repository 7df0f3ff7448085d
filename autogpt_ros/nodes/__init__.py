"""Thin rclpy node classes.  The logic they call lives in ROS-free modules.

``NODES`` maps each console-script name to ``module:Class``; ``autogpt-ros
run`` and the launch-file checks read it.
"""

NODES = {
    "sim_node": "autogpt_ros.nodes.sim_node:SimNode",
    "camera_node": "autogpt_ros.nodes.camera_node:CameraNode",
    "microphone_node": "autogpt_ros.nodes.microphone_node:MicrophoneNode",
    "reasoning_node": "autogpt_ros.nodes.reasoning_node:ReasoningNode",
    "fusion_node": "autogpt_ros.nodes.fusion_node:FusionNode",
    "policy_node": "autogpt_ros.nodes.policy_node:PolicyNode",
}


def node_class(name: str):
    import importlib

    try:
        spec = NODES[name]
    except KeyError:
        raise KeyError(f"unknown node {name!r}; known: {', '.join(sorted(NODES))}") from None
    mod, cls = spec.split(":")
    return getattr(importlib.import_module(mod), cls)
