"""Offline tools, not part of the running robot: training (train_*), benchmarks (bench/),
end-to-end evaluation, the launch-file runner and the ``autogpt-ros`` subcommands."""
