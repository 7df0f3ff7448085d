"""How each instruction ends (Agent's outcome actions, which end /agent/execute's goals)."""
import pytest

from autogpt_ros import interfaces as ifc
from autogpt_ros.agent import Agent
from autogpt_ros.language.parser import Parser


@pytest.fixture(scope="module")
def parser():
    return Parser("model")


def outcomes(actions):
    return [a.payload for a in actions if a.kind == "outcome"]


def goals(actions):
    return [a.payload for a in actions if a.kind == "goal"]


def test_a_plan_that_completes_ends_with_success_and_its_plan(parser):
    ag = Agent(parser.parse)
    acts = ag.instruction("go to the red box", 0.0)
    iid = ag.instruction_id
    assert outcomes(acts) == [] and acts[-1].kind != "outcome"
    g = goals(acts)[0]
    acts = ag.status(ifc.StatusPayload(goal_id=g.goal_id, state="succeeded"), 1.0)
    assert outcomes(acts) == []
    acts = ag.status(ifc.StatusPayload(goal_id=goals(acts)[0].goal_id, state="succeeded"), 2.0)
    (o,) = outcomes(acts)
    assert o.instruction_id == iid and o.success and o.message == "plan complete" and [s.skill for s in o.plan] == ["find", "go_to"]
    assert acts[-1].kind == "outcome"  # outcomes come last


def test_a_failed_plan_a_replaced_plan_and_instructions_that_never_became_plans(parser):
    ag = Agent(parser.parse)
    acts = ag.instruction("turn left 90 degrees", 0.0)
    first = ag.instruction_id
    acts = ag.status(ifc.StatusPayload(goal_id=goals(acts)[0].goal_id, state="failed", reason="blocked"), 1.0)
    (o,) = outcomes(acts)
    assert o.instruction_id == first and not o.success and "blocked" in o.message
    ag.instruction("move forward one meter", 2.0)
    second = ag.instruction_id
    acts = ag.instruction("turn right", 3.0)  # replaces it
    (o,) = outcomes(acts)
    assert o.instruction_id == second and not o.success and "replaced" in o.message
    third = ag.instruction_id
    acts = ag.instruction("what is the weather tomorrow", 4.0)  # no action: it ends at once, the turn runs on
    (o,) = outcomes(acts)
    assert o.instruction_id == ag.instruction_id != third and not o.success
    assert ag.plan and ag.plan_instruction == third


def test_stop_and_cancel_stop_the_running_plan(parser):
    ag = Agent(parser.parse)
    ag.instruction("move forward two meters", 0.0)
    moving = ag.instruction_id
    acts = ag.instruction("stop", 1.0)
    assert [a.kind for a in acts][:2] == ["estop", "goal"]
    by_id = {o.instruction_id: o for o in outcomes(acts)}
    assert not by_id[moving].success and by_id[moving].message == "stopped"
    assert by_id[ag.instruction_id].success
    ag.instruction("turn left 180 degrees", 2.0)  # releases the e-stop and runs
    turning = ag.instruction_id
    acts = ag.stop(3.0, "the action goal was canceled")
    kinds = [a.kind for a in acts]
    assert kinds[:2] == ["estop", "goal"] and acts[0].payload is True and goals(acts)[0].step.skill == "stop"
    (o,) = outcomes(acts)
    assert o.instruction_id == turning and not o.success and o.message == "the action goal was canceled"
    assert ag.plan == [] and ag.current_goal is None and ag.estop_mine
    acts = ag.instruction("turn right", 4.0)
    assert acts[0].kind == "estop" and acts[0].payload is False  # the next instruction releases it
