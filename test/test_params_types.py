"""Double parameters take integers: `-p real_time_factor:=0`, a launch argument
"0" or YAML `0` arrive as integers, which a statically typed double refused
(the node died at start).  They come back as floats; non-numbers and values out
of range are still refused."""
import pytest
from rclpy.parameter import Parameter

from conftest import tool

pytestmark = pytest.mark.ros


def test_an_integer_for_a_double_parameter_is_accepted_as_a_float(rclpy_context):
    from autogpt_ros.nodes.sim_node import SimNode

    node = SimNode(parameter_overrides=[Parameter("real_time_factor", Parameter.Type.INTEGER, 0), Parameter("cmd_timeout", Parameter.Type.INTEGER, 2)])
    try:
        assert node.param("real_time_factor") == 0.0 and isinstance(node.param("real_time_factor"), float)
        assert node.param("cmd_timeout") == 2.0 and isinstance(node.param("cmd_timeout"), float)
        assert node.set_parameters([Parameter("real_time_factor", Parameter.Type.INTEGER, 3)])[0].successful
        assert node.param("real_time_factor") == 3.0
        assert node.set_parameters([Parameter("real_time_factor", Parameter.Type.DOUBLE, 0.5)])[0].successful
        bad = [Parameter("real_time_factor", Parameter.Type.STRING, "fast"), Parameter("real_time_factor", Parameter.Type.BOOL, True), Parameter("real_time_factor", Parameter.Type.INTEGER, 1000)]
        for p in bad:
            assert not node.set_parameters([p])[0].successful, p.value
        assert node.param("real_time_factor") == 0.5
        assert node.param("seed") == 0 and isinstance(node.param("seed"), int)  # integers stay integers
    finally:
        node.destroy_node()


def test_a_bad_override_for_a_double_fails_clearly(rclpy_context):
    from autogpt_ros.nodes.sim_node import SimNode

    for value, why in ((Parameter("real_time_factor", Parameter.Type.STRING, "fast"), "must be a number"), (Parameter("real_time_factor", Parameter.Type.INTEGER, 500), "outside")):
        with pytest.raises(ValueError, match=why):
            SimNode(parameter_overrides=[value])


def test_sim_node_runs_with_real_time_factor_0_given_as_an_integer(procs, probe):
    sim = procs([tool("sim_node"), "--ros-args", "-p", "real_time_factor:=0", "-p", "scenario:=red_box_ahead"])
    sim.wait_for_output(r"world 'red_box_ahead'", timeout=60)
    clock = probe.subscribe("/clock")
    probe.wait_for(clock, lambda m: m.clock.sec >= 2, timeout=60)  # as fast as possible: seconds of sim time quickly
    assert sim.popen.poll() is None
