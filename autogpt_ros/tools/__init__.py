"""Offline tools, not part of the running robot: training (train_*), benchmarks (bench/),
end-to-end evaluation (evaluate), the launch-file runner (launch_xml reads a file,
supervisor runs its nodes) and the ``autogpt-ros`` subcommands (commands)."""
