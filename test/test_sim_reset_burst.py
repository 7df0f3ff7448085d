"""/sim/reset under a burst of concurrent calls: every caller is answered."""
import os
import time

import pytest
from std_srvs.srv import Trigger

from autogpt_ros import interfaces as ifc
from conftest import ROOT, Proc, tool

pytestmark = pytest.mark.ros


def test_twenty_concurrent_resets_are_all_answered(probe):
    cfg = os.path.join(ROOT, "test", "config", "small_sim.yaml")
    p = Proc([tool("sim_node"), "--ros-args", "--params-file", cfg, "-r", "__node:=burst_sim"])
    try:
        p.wait_for_output(r"world 'red_box_ahead'", timeout=60)
        # the client keeps every response (a default client keeps 10, and drops answers it has not
        # taken yet when the machine is loaded): what is tested is that the server answers all
        from rclpy.qos import QoSProfile
        cli = probe.node.create_client(Trigger, ifc.SIM_RESET, qos_profile=QoSProfile(depth=100))
        assert cli.wait_for_service(timeout_sec=30)
        futures = [cli.call_async(Trigger.Request()) for _ in range(20)]  # all at once
        deadline = time.monotonic() + 60
        while not all(f.done() for f in futures) and time.monotonic() < deadline:
            time.sleep(0.02)
        answered = [f.result() for f in futures if f.done()]
        assert len(answered) == 20, f"{20 - len(answered)} of 20 reset calls never answered:\n{p.output[-2000:]}"
        for r in answered:
            assert r.success, r.message
            assert "world 'red_box_ahead'" in r.message
        # the node lives on and still answers
        assert probe.call(Trigger, ifc.SIM_RESET).success
    finally:
        p.stop()
    assert p.popen.returncode in (0, -2), p.output[-3000:]
