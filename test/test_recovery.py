"""Recovery behaviours around the learned policy: pure logic, then the real policy in the simulator."""
import math

import numpy as np

from autogpt_ros.control.recovery import RecoveringPolicy, RecoveryConfig
from autogpt_ros.observation import INDEX, N_SECTORS

DT = 0.05


class Constant:
    def __init__(self, v, w):
        self.a = (v, w)

    def act(self, obs):
        return self.a


def obs_with(v=0.0, w=0.0, known=False, scan=None):
    o = np.zeros(len(INDEX), np.float32)
    o[INDEX["bearing_cos"]] = 1.0
    o[INDEX["target_known"]] = 1.0 if known else 0.0
    s = np.ones(N_SECTORS, np.float32) if scan is None else np.asarray(scan, np.float32)
    o[INDEX["scan_0"] : INDEX["scan_0"] + N_SECTORS] = s
    o[INDEX["linear_velocity"]] = v
    o[INDEX["angular_velocity"]] = w
    return o


def test_pressed_against_an_obstacle_backs_off_and_turns_to_the_open_side():
    scan = np.ones(N_SECTORS)
    scan[[0, 1, 15]] = 0.03  # blocked ahead
    scan[N_SECTORS // 2 + 1 :] = 0.1  # the right side is cluttered: turn left
    rp = RecoveringPolicy(Constant(1.0, 0.0), DT)
    o = obs_with(v=0.0, known=True, scan=scan)
    acts = [rp.act(o) for _ in range(int(1.4 / DT))]
    assert all(a == (1.0, 0.0) for a in acts) and rp.mode == "policy"  # not yet: 1.4 s < stuck_s
    acts = [rp.act(o) for _ in range(5)]
    assert acts[-1][0] < 0 and rp.mode == "backup" and rp.recoveries == 1
    o_back = obs_with(v=-0.5, known=True, scan=scan)
    while rp.mode == "backup":
        a = rp.act(o_back)
    assert rp.mode == "turn" and a[1] > 0  # turning left, the open side
    o_turn = obs_with(w=0.5, known=True, scan=np.ones(N_SECTORS))
    while rp.mode == "turn":
        a = rp.act(o_turn)
    assert rp.mode == "escape" and a == (0.6, 0.0)
    o_drive = obs_with(v=0.6, known=True)
    for _ in range(int(RecoveryConfig().escape_s / DT) + 2):
        a = rp.act(o_drive)
    assert rp.mode == "policy" and a == (1.0, 0.0)  # handed back


def test_moving_policy_is_left_alone():
    rp = RecoveringPolicy(Constant(1.0, 0.2), DT)
    for _ in range(2000):
        assert rp.act(obs_with(v=1.0, w=0.2, known=True)) == (1.0, 0.2)
    assert rp.recoveries == 0


def test_spinning_without_seeing_the_target_heads_for_open_space():
    scan = np.full(N_SECTORS, 0.2)
    scan[4] = scan[5] = scan[6] = 1.0  # open to the left-rear (sector 5: 112.5 degrees)
    rp = RecoveringPolicy(Constant(0.0, 1.0), DT)
    o = obs_with(w=1.0, known=False, scan=scan)
    turns = RecoveryConfig().spin_turns * 2 * math.pi / (1.0 * RecoveryConfig().max_angular * DT)
    for _ in range(int(turns) - 2):
        assert rp.act(o) == (0.0, 1.0)
    for _ in range(4):
        a = rp.act(o)
    assert rp.mode == "turn" and a[1] > 0 and rp.recoveries == 1
    # a target seen meanwhile is not a reason to stop this manoeuvre, but seeing it before resets the count
    rp2 = RecoveringPolicy(Constant(0.0, 1.0), DT)
    for i in range(int(turns) * 2):
        rp2.act(obs_with(w=1.0, known=(i % 50 == 0), scan=scan))
    assert rp2.recoveries == 0


def test_recovery_gets_the_real_policy_out_of_a_dead_end():
    """World 2000032: the blue ball is behind the blue cylinder; the learned policy alone
    drives into the cylinder and stays there for the whole minute; with the recovery
    behaviours the robot gets round and reaches it."""
    from autogpt_ros.control.policy_net import Policy
    from autogpt_ros.tools.train_policy import run_episodes

    pol = Policy()
    act = lambda o: np.array(pol.act(o), np.float32)
    alone = run_episodes(act, 1, 2_000_032, skills=("go_to",), progress=False)
    helped = run_episodes(act, 1, 2_000_032, skills=("go_to",), progress=False, recovery=True)
    assert alone["success_rate"] == 0.0
    assert helped["success_rate"] == 1.0 and helped["episodes_with_recovery"] == 1 and helped["collision_rate"] == 0.0
