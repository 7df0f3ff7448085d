"""The ground-truth judge of plan language v2 episodes (autogpt_ros/tools/judge.py), on worlds
and records made here: each kind succeeds when the world agrees and fails when it does not."""
import math

import pytest

from autogpt_ros.sim.world import Obj
from autogpt_ros.tools import judge as J

BALLS = [Obj("red", "ball", 0.0, 0.6, (0.2, 0.2, 0.2)), Obj("red", "ball", 1.7, -0.9, (0.2, 0.2, 0.2)), Obj("green", "cylinder", 2.3, -0.4, (0.2, 0.2, 0.35))]
START = (-1.5, 0.0, 0.0)
ALL = lambda i: True  # noqa: E731
NONE = lambda i: False  # noqa: E731


def rec(end=START, **kw):
    return J.Record(start=START, end=end, home=START, **kw)


def at(o, back=0.4):
    """A pose facing object ``o`` from ``back`` m before its surface, on the line from the start."""
    a = math.atan2(o.y - START[1], o.x - START[0])
    d = back + o.radius
    return (o.x - d * math.cos(a), o.y - d * math.sin(a), a)


@pytest.mark.parametrize("select,want", [("nearest", 0), ("farthest", 1), ("leftmost", 0), ("rightmost", 1), (None, 0)])
def test_go_to_with_select_is_judged_against_the_object_the_world_implies(select, want):
    item = {"kind": "go_to", "target": {"color": "red", "shape": "ball", "select": select}}
    ok, why = J.judge(item, BALLS, rec(at(BALLS[want])), ALL, ALL)
    assert ok, why
    ok, why = J.judge(item, BALLS, rec(at(BALLS[1 - want])), ALL, ALL)
    assert not ok and f"({BALLS[want].x:.1f}, {BALLS[want].y:.1f})" in why


def test_go_to_near_and_nothing_that_fits():
    item = {"kind": "go_to", "target": {"color": "red", "shape": "ball", "near": {"color": "green", "shape": "cylinder"}}}
    assert J.judge(item, BALLS, rec(at(BALLS[1])), ALL, ALL)[0]
    assert not J.judge(item, BALLS, rec(at(BALLS[0])), ALL, ALL)[0]
    hidden_ref = lambda i: i != 2  # noqa: E731  (the green cylinder out of view at the start)
    assert J.judge(item, BALLS, rec(said=["I do not know where the green cylinder is. Ask me to find it first, or show it to me."]), hidden_ref, ALL)[0]
    assert not J.judge(item, BALLS, rec(at(BALLS[1]), said=["Done."]), hidden_ref, ALL)[0]  # guessed instead of asking
    missing = {"kind": "go_to", "target": {"color": "blue", "shape": "box"}}
    assert J.judge(missing, BALLS, rec(said=["I could not complete that: not found."]), ALL, ALL)[0]
    assert not J.judge(missing, BALLS, rec(), ALL, ALL)[0]  # said nothing
    assert not J.judge(missing, BALLS, rec(at(BALLS[0]), said=["Done."]), ALL, ALL)[0]  # went to something else


def test_places_move_until_refusals_and_if_visible():
    assert J.judge({"kind": "go_to_place", "place": "home"}, BALLS, rec((-1.3, 0.1, 2.0), goals=2), ALL, ALL)[0]
    assert not J.judge({"kind": "go_to_place", "place": "home"}, BALLS, rec((-1.0, 0.1, 2.0), goals=2), ALL, ALL)[0]
    assert not J.judge({"kind": "go_to_place", "place": "home"}, BALLS, rec(said=["I can only move inside this room."]), ALL, ALL)[0]  # never went
    until = {"kind": "move_until", "target": {"color": "green", "shape": "cylinder"}}
    assert J.judge(until, BALLS, rec(), NONE, lambda i: i == 2)[0]
    assert not J.judge(until, BALLS, rec(), NONE, lambda i: i != 2)[0]
    gone = {"kind": "move_until", "target": {"color": "white", "shape": "box"}}
    assert J.judge(gone, BALLS, rec(said=["I could not complete that: moved 3.00 m without seeing the white box."]), ALL, ALL)[0]
    assert J.judge({"kind": "refusal"}, BALLS, rec(said=["I have no arm."]), ALL, ALL)[0]
    assert not J.judge({"kind": "refusal"}, BALLS, rec(said=["I have no arm."], moved=True), ALL, ALL)[0]
    assert not J.judge({"kind": "refusal"}, BALLS, rec(said=["ok"], goals=1), ALL, ALL)[0]
    cond = {"kind": "if_visible", "target": {"color": "green", "shape": "cylinder"}}
    then = ["new plan from typed instruction (1 steps)", "if_visible: the green cylinder is in view: then (1 steps)"]
    assert J.judge(cond, BALLS, rec(decisions=then), ALL, ALL)[0]
    assert not J.judge(cond, BALLS, rec(decisions=then), NONE, ALL)[0]  # not in view at the start: else was right
    with pytest.raises(ValueError):
        J.judge({"kind": "dance"}, BALLS, rec(), ALL, ALL)


def test_answers_are_checked_against_the_world():
    d = BALLS[0].surface_distance(*START[:2])
    dist = {"kind": "answer", "question": "distance", "target": {"color": "red", "shape": "ball", "select": "nearest"}}
    assert J.judge(dist, BALLS, rec(said=[f"The red ball is {d:.1f} m away, 24 degrees to the left."]), ALL, ALL)[0]
    assert not J.judge(dist, BALLS, rec(said=[f"The red ball is {d * 1.3:.1f} m away."]), ALL, ALL)[0]
    count = {"kind": "answer", "question": "count", "target": {"color": "red", "shape": "ball"}}
    assert J.judge(count, BALLS, rec(said=["I can see 2 red balls."]), ALL, ALL)[0]
    assert not J.judge(count, BALLS, rec(said=["I can see 2 red balls."]), lambda i: i == 0, ALL)[0]
    assert J.judge(count, BALLS, rec(said=["I cannot see any red balls."]), NONE, ALL)[0]
    vis = {"kind": "answer", "question": "visible", "target": {"color": "green", "shape": "cylinder"}}
    assert J.judge(vis, BALLS, rec(said=["Yes: a green cylinder, 3.7 m away, ahead."]), ALL, ALL)[0]
    assert not J.judge(vis, BALLS, rec(said=["No, I do not see a green cylinder."]), ALL, ALL)[0]
    colour = {"kind": "answer", "question": "color", "target": {"shape": "cylinder"}}
    assert J.judge(colour, BALLS, rec(said=["The cylinder is green."]), ALL, ALL)[0]
    assert not J.judge(colour, BALLS, rec(said=["The cylinder is blue."]), ALL, ALL)[0]
    assert not J.judge(colour, BALLS, rec(said=["The cylinder is green."], moved=True), ALL, ALL)[0]


def test_repeat_counts_visits_by_ground_truth():
    item = {"kind": "repeat", "targets": [{"color": "red", "shape": "ball", "select": "nearest"}, {"color": "green", "shape": "cylinder"}], "times": 2}
    visits = [("go_to", at(BALLS[0])), ("go_to", at(BALLS[2])), ("go_to", at(BALLS[0])), ("go_to", at(BALLS[2]))]
    assert J.judge(item, BALLS, rec(reached=visits), ALL, ALL)[0]
    ok, why = J.judge(item, BALLS, rec(reached=visits[:3]), ALL, ALL)
    assert not ok and "[2, 1]" in why


def test_answer_sentences_name_things_once():
    from autogpt_ros import answers
    from autogpt_ros import interfaces as ifc

    known = [answers.Known("green", "cylinder", 1.0, 0.0, 0.0, 1.0, True)]
    assert answers.answer("count", ifc.Target(shape="box"), known) == "I cannot see any boxes."
    assert answers.answer("shape", ifc.Target(color="green"), known) == "The green object is a cylinder."
