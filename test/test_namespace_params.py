"""namespace:=X keeps the parameter files: config/*.yaml name each node with the
wildcard form /**/<node>, which matches /X/<node> as well as /<node>.  Over DDS:
camera_node in namespace /robot7 with a copy of config/agent.yaml (one value
changed, the keys as in the file) reports that value on
/robot7/camera_node/get_parameters."""
import glob
import os

import pytest
import yaml
from rcl_interfaces.srv import GetParameters

from conftest import ROOT, tool

pytestmark = pytest.mark.ros


def test_every_config_file_names_its_nodes_with_the_wildcard():
    for path in glob.glob(os.path.join(ROOT, "config", "*.yaml")):
        if os.path.basename(path) == "gz_bridge.yaml":
            continue
        keys = list(yaml.safe_load(open(path)))
        assert keys and all(k.startswith("/**/") for k in keys), f"{path}: {keys} (plain names do not match a namespaced node)"


@pytest.mark.parametrize("namespace", ["/robot7", "/fleet/robot7"])
def test_a_namespaced_node_loads_the_config_file(procs, probe, tmp_path, namespace):
    data = yaml.safe_load(open(os.path.join(ROOT, "config", "agent.yaml")))
    key = "/**/camera_node"
    assert data[key]["ros__parameters"]["marker_lifetime"] != 0.75
    data[key]["ros__parameters"]["marker_lifetime"] = 0.75
    data[key]["ros__parameters"]["min_confidence"] = 0.61
    params = tmp_path / "agent.yaml"
    params.write_text(yaml.safe_dump(data))
    node = procs([tool("camera_node"), "--ros-args", "-r", f"__ns:={namespace}", "--params-file", str(params)])
    node.wait_for_output(r"perception model", timeout=90)
    req = GetParameters.Request(names=["marker_lifetime", "min_confidence"])
    res = probe.call(GetParameters, f"{namespace}/camera_node/get_parameters", req, timeout=30)
    assert [v.double_value for v in res.values] == [0.75, 0.61]
