"""autogpt-ros launch: children die with a killed launcher; <include> cycles are clear errors."""
import os
import signal
import time

import pytest

from autogpt_ros.tools import launch_xml
from conftest import ROOT, launch_cmd, pid_alive

HERE = os.path.join(ROOT, "test", "launch")


def children_of(pid: int):
    """Live processes whose parent is ``pid``, read from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return out


@pytest.mark.ros
def test_sigkill_of_the_launcher_takes_its_children_with_it(procs):
    lp = procs(launch_cmd(os.path.join(HERE, "two_sims.launch.xml")))
    pids = []
    try:
        lp.wait_for_output(r"\[sim_a-1\].*world 'red_box_ahead'", timeout=90)
        lp.wait_for_output(r"\[sim_b-1\].*world 'red_box_ahead'", timeout=90)
        pids = lp.child_pids()
        assert len(pids) == 2 and all(pid_alive(p) for p in pids)
        assert sorted(children_of(lp.popen.pid)) == sorted(pids)
        os.kill(lp.popen.pid, signal.SIGKILL)
        lp.popen.wait(10)
        deadline = time.monotonic() + 20
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in pids if pid_alive(p)]
        assert not left, f"child process(es) {left} outlived the SIGKILLed launcher"
    finally:
        for p in pids:  # never leave orphans behind, even when the test fails
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.ros
def test_sigint_shutdown_still_ends_children_cleanly(procs):
    lp = procs(launch_cmd(os.path.join(HERE, "two_sims.launch.xml")))
    lp.wait_for_output(r"\[sim_a-1\].*world 'red_box_ahead'", timeout=90)
    lp.wait_for_output(r"\[sim_b-1\].*world 'red_box_ahead'", timeout=90)
    pids = lp.child_pids()
    assert lp.stop(signal.SIGINT) == 0
    time.sleep(0.2)
    assert not any(pid_alive(p) for p in pids)
    assert "process has died" not in lp.output, lp.output[-3000:]


def test_self_include_is_a_clear_error_naming_the_file():
    with pytest.raises(
        launch_xml.LaunchError,
        match=r"self_include\.launch\.xml:5: recursive <include>: self_include\.launch\.xml -> self_include\.launch\.xml",
    ):
        launch_xml.load(os.path.join(HERE, "self_include.launch.xml"))


def test_include_cycle_through_another_file_names_both_files():
    with pytest.raises(launch_xml.LaunchError, match=r"recursive <include>: cycle_a\.launch\.xml -> cycle_b\.launch\.xml -> cycle_a\.launch\.xml") as e:
        launch_xml.load(os.path.join(HERE, "cycle_a.launch.xml"))
    assert "cycle_a.launch.xml:4" in str(e.value) and "cycle_b.launch.xml:5" in str(e.value)
    # started from the other file, the same cycle is found
    with pytest.raises(launch_xml.LaunchError, match=r"recursive <include>: cycle_[ab]\.launch\.xml -> cycle_[ab]\.launch\.xml -> cycle_[ab]\.launch\.xml") as e:
        launch_xml.load(os.path.join(HERE, "cycle_b.launch.xml"))
    assert "cycle_a.launch.xml" in str(e.value) and "cycle_b.launch.xml" in str(e.value)


def test_a_guarded_self_include_that_ends_is_allowed():
    desc = launch_xml.load(os.path.join(HERE, "include_self_once.launch.xml"))
    assert [n.label for n in desc.nodes] == ["sim_first_true", "sim_first_false"]
