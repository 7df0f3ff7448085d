"""Plots shared by the training reports (matplotlib, PNG)."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def confusion_png(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], path: str, title: str, xlabel: str = "predicted", ylabel: str = "true") -> str:
    """A row-normalised confusion matrix with counts, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = list(labels)
    cm = confusion_matrix(list(y_true), list(y_pred), labels=labels)
    big = len(labels) > 10
    fig, ax = plt.subplots(figsize=(max(6, len(labels) * 0.42), max(5, len(labels) * 0.4)))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90 if big else 45, fontsize=7 if big else 9)
    ax.set_yticks(range(len(labels)), labels, fontsize=7 if big else 9)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=6 if big else 8, color="w" if norm[i, j] > 0.5 else "k")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
