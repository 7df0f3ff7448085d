"""Early stopping on a validation score, for the training loops (train_vision, train_language)."""
from __future__ import annotations

from typing import Any, Callable, Union


class EarlyStopping:
    """Stops training after ``patience`` epochs in a row without a better validation
    score, and keeps the state of the best epoch.

    A score is better when it exceeds the best so far by more than ``min_delta``;
    the first must exceed ``baseline`` by that much.  Per epoch::

        if stopper.step(score, lambda: copy_of(model.state_dict())):
            break
        ...
        model.load_state_dict(stopper.best_state)
    """

    def __init__(self, patience: int, min_delta: float = 1e-4, baseline: float = -1.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = baseline
        self.best_state: Any = None
        self.bad_epochs = 0

    def step(self, score: float, state: Union[Any, Callable[[], Any]]) -> bool:
        """Record one epoch's score; True when training should stop.  ``state`` is the
        model's state, or a function that returns it (called only when the score is
        the best so far, so nothing is copied otherwise)."""
        if score > self.best + self.min_delta:
            self.best, self.bad_epochs = score, 0
            self.best_state = state() if callable(state) else state
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience
