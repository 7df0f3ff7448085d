"""The offline tools' small pieces: early stopping, the train-policy command's defaults."""
from autogpt_ros.tools.early_stopping import EarlyStopping


def test_early_stopping_keeps_the_best_state_and_stops_after_patience_epochs_without_gain():
    stopper = EarlyStopping(patience=2)
    copies = []

    def state(tag):
        def copy():
            copies.append(tag)
            return tag
        return copy

    assert not stopper.step(0.5, state("a"))
    assert not stopper.step(0.50005, state("b"))  # within min_delta: no gain
    assert not stopper.step(0.7, state("c"))  # a gain resets the count
    assert not stopper.step(0.6, state("d"))
    assert stopper.step(0.7, state("e"))  # the second epoch in a row without gain
    assert stopper.best_state == "c" and stopper.best == 0.7
    assert copies == ["a", "c"]  # the state is copied only when it is the best so far


def test_early_stopping_takes_a_state_as_well_as_a_function():
    stopper = EarlyStopping(patience=1)
    assert not stopper.step(0.1, {"w": 1})
    assert stopper.step(0.1, {"w": 2})
    assert stopper.best_state == {"w": 1}


def test_early_stopping_needs_a_score_above_the_baseline():
    stopper = EarlyStopping(patience=1)  # baseline -1.0, as the training loops always had
    assert stopper.step(-1.5, {"w": 1})
    assert stopper.best_state is None


def test_train_policy_steps_default_is_the_function_s(monkeypatch, tmp_path):
    """`autogpt-ros train-policy` without --steps trains for train_policy's default number of steps."""
    import inspect

    from autogpt_ros import cli
    from autogpt_ros.tools import train_policy as tp

    assert inspect.signature(tp.train_policy).parameters["steps"].default == 1_000_000  # what the command always trained for
    calls = []
    monkeypatch.setattr(tp, "train_policy", lambda out_dir, **kw: calls.append(kw) or {})
    a = cli.build_parser().parse_args(["train-policy", "--out", str(tmp_path)])
    assert a.func(a) == 0
    assert "steps" not in calls[0]
    a = cli.build_parser().parse_args(["train-policy", "--out", str(tmp_path), "--steps", "5000"])
    a.func(a)
    assert calls[1]["steps"] == 5000


def test_train_commands_write_to_runs_and_over_the_package_data_only_with_install(monkeypatch, tmp_path):
    """train-vision, train-language and train-policy write to runs/<name>/ (or the path given);
    the package's data/ file is written only with --install (the trainers are stand-ins here)."""
    import os

    from autogpt_ros import cli
    from autogpt_ros.tools import commands, train_language, train_policy, train_vision

    data = tmp_path / "package_data"
    data.mkdir()
    monkeypatch.setattr(commands, "_data_dir", lambda: str(data))
    monkeypatch.chdir(tmp_path)
    calls = []

    def fake_trainer(out, report_dir, **kw):
        calls.append((out, report_dir))
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            f.write("weights")

    def fake_policy(out_dir, export_path=None, **kw):
        calls.append((out_dir, export_path))
        if export_path:
            with open(export_path, "w") as f:
                f.write("policy")

    monkeypatch.setattr(train_vision, "train_vision", fake_trainer)
    monkeypatch.setattr(train_language, "train_language", fake_trainer)
    monkeypatch.setattr(train_policy, "train_policy", fake_policy)

    def run(*argv):
        a = cli.build_parser().parse_args(list(argv))
        assert a.func(a) == 0
        return calls[-1]

    assert run("train-vision") == (os.path.join("runs", "vision", "vision.pt"), os.path.join("runs", "vision"))
    assert run("train-language") == (os.path.join("runs", "language", "language.pt"), os.path.join("runs", "language"))
    assert run("train-policy") == ("runs/policy", None)
    assert run("train-vision", "--out", "v.pt", "--report-dir", "r") == ("v.pt", "r")
    assert os.listdir(data) == []  # nothing over the committed models
    assert run("train-vision", "--install") == (os.path.join("runs", "vision", "vision.pt"), "reports")
    assert run("train-language", "--out", "l.pt", "--install") == ("l.pt", "reports")
    assert run("train-policy", "--install") == ("runs/policy", str(data / "policy.pt"))
    assert sorted(os.listdir(data)) == ["language.pt", "policy.pt", "vision.pt"]
    run("train-policy", "--export", "p.pt", "--install")
    assert (tmp_path / "p.pt").exists() and (data / "policy.pt").read_text() == "policy"


def test_bench_graph_finds_node_processes_and_reads_their_cpu_and_memory(tmp_path):
    """`bench graph` reads each node's CPU time and memory from /proc, finding the nodes
    below the launcher by their executables' names."""
    import os
    import subprocess
    import time

    from autogpt_ros.tools.bench import graph

    exe = tmp_path / "fusion_node"
    exe.symlink_to("/bin/sleep")
    launcher = subprocess.Popen(["/bin/sh", "-c", f"'{exe}' 30 & wait"])  # stands in for the launcher and its node
    try:
        deadline = time.monotonic() + 10
        while not graph.node_pids(launcher.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = graph.node_pids(launcher.pid)
        assert list(pids) == ["fusion_node"] and pids["fusion_node"] in graph.descendants(launcher.pid)
        node = pids["fusion_node"]
        assert graph.cpu_seconds(node) >= 0.0 and graph.memory_mb(node)["rss_mb"] > 0
        assert graph.cpu_seconds(os.getpid()) > 0.0  # this process has run
    finally:
        for pid in graph.descendants(launcher.pid):
            os.kill(pid, 9)
        launcher.wait()
    assert graph.cpu_seconds(node) != graph.cpu_seconds(node)  # gone: nan
