"""How the vision nets run: ONNX Runtime, TorchScript or eager torch.

The nets are trained and stored as torch modules (one checkpoint format for
the package's weights and a user's).  At load, :class:`~autogpt_ros.perception.detector.Detector`
exports them to ONNX in memory and runs them with ONNX Runtime when both
``onnx`` and ``onnxruntime`` are installed (``runtime="auto"``): the same
outputs to float rounding (tested), and on this project's 2-core machine the
segmenter 40 % and the shape classifier 3-4x faster than frozen TorchScript
(measured interleaved: 3.0 against 5.2 ms; 0.25 against 1.1 ms for 3-5
proposals), most of it in the bilinear upsampling and max pooling that
ONNX Runtime does natively.  Without them, TorchScript; ``eager`` is plain
torch (the reference the others are tested against).
Pure Python, no rclpy.
"""
from __future__ import annotations

import copy
import io
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

# torch is imported where it is used: the command line reads RUNTIMES without loading it
RUNTIMES = ("auto", "onnxruntime", "torchscript", "eager")


def onnxruntime_available() -> bool:
    try:
        import onnx  # noqa: F401 - torch.onnx.export writes through it
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_runtime(runtime: str) -> str:
    """``auto`` -> ``onnxruntime`` when installed, else ``torchscript``; the
    others as given (``onnxruntime`` without the packages is an ImportError)."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}: one of {', '.join(RUNTIMES)}")
    if runtime == "auto":
        return "onnxruntime" if onnxruntime_available() else "torchscript"
    if runtime == "onnxruntime" and not onnxruntime_available():
        raise ImportError("runtime 'onnxruntime' needs the onnx and onnxruntime packages (pip install onnx onnxruntime)")
    return runtime


def export_onnx(net: "torch.nn.Module", example: Sequence["torch.Tensor"], input_names: List[str], output_names: List[str],
                dynamic_batch: bool = False) -> bytes:
    """``net`` as an ONNX model (bytes), traced on ``example``; with
    ``dynamic_batch`` the first axis of every input and output is free."""
    import torch

    axes = {n: {0: "batch"} for n in list(input_names) + list(output_names)} if dynamic_batch else None
    buf = io.BytesIO()
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), tuple(example), buf, input_names=list(input_names), output_names=list(output_names),
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    return buf.getvalue()


class OnnxNet:
    """An ONNX model run by ONNX Runtime on the CPU: ``net(*arrays)`` -> list of
    float32 arrays, inputs in the order they were exported with."""

    def __init__(self, model: bytes, threads: int = 1):
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting worker threads: the graph's other nodes share these cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, *arrays: np.ndarray) -> List[np.ndarray]:
        feed: Dict[str, np.ndarray] = {n: np.ascontiguousarray(a, dtype=np.float32) for n, a in zip(self.inputs, arrays)}
        return self.session.run(None, feed)


def exportable(net: "torch.nn.Module") -> "torch.nn.Module":
    """A copy of ``net`` with the layers this project wrote for torch's CPU speed
    (:class:`~autogpt_ros.perception.model.MaxPool2`, the transposed-convolution
    upsampling) put back as the standard operators they equal, which ONNX
    Runtime runs natively."""
    import torch

    from autogpt_ros.perception.model import MaxPool2

    out = copy.deepcopy(net).eval()
    for mod in list(out.modules()):
        for child_name, child in list(mod.named_children()):
            if isinstance(child, MaxPool2):
                setattr(mod, child_name, torch.nn.MaxPool2d(2))
    if hasattr(out, "standard_ops"):
        out.standard_ops = True
    return out


def optional_threads(threads: Optional[int]) -> int:
    import torch

    return int(threads) if threads else max(1, torch.get_num_threads())
