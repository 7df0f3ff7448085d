"""The vision model: a colour segmenter (proposals) and a shape classifier.

Stage 1, :class:`ColorSegNet`: a small fully convolutional net that labels
every pixel of a 160x120 image with one of ``COLOR_CLASSES`` (background or an
object colour).  OpenCV's connected components on its label map give the
proposals (mask and box per coloured blob).

Stage 2, :class:`ShapeNet`: classifies each proposal, a 32x32 crop of the
full-resolution image plus its mask, as box, ball, cylinder or ``none`` (not
an object: wall, floor, stray blobs), and regresses the object's box inside
the crop (the segmenter works at half resolution and a light object can bleed
into a light wall; the full-resolution crop puts the edges back where they are)
and the column of the object's centre (outside the crop for an object cut by
the image edge: a ball's visible arc tells where its middle is).

Both are trained by ``autogpt-ros train-vision`` on labelled renders of the
simulator (see :mod:`autogpt_ros.tools.train_vision`); weights live in one
checkpoint file, loaded by :func:`load_checkpoint` for the default model and a
user's own alike.
"""
from __future__ import annotations

import os
from typing import Dict, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from autogpt_ros.vocabulary import COLORS, SHAPES

COLOR_CLASSES = ("background",) + COLORS
SHAPE_CLASSES = SHAPES + ("none",)
SEG_SIZE = (160, 120)  # width, height of the segmenter's input
CROP = 32
N_EXTRA = 4  # bbox aspect, mask fill ratio, cut by a vertical edge, cut by a horizontal edge


def conv(cin, cout, stride=1, dilation=1, kernel=3):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding=dilation * (kernel // 2), dilation=dilation, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def bilinear(x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


_UP2 = torch.tensor([0.25, 0.75, 0.75, 0.25])


def upsample2x(x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Bilinear upsampling to ``size`` (``align_corners=False``).  For exactly
    twice the size (the segmenter's case) as a depthwise transposed convolution
    of the edge-replicated input: the same values to float rounding, and faster
    on CPU than ``F.interpolate`` (0.30 against 0.50 ms for 16 x 60 x 80)."""
    n, c, h, w = x.shape
    if tuple(size) != (2 * h, 2 * w):
        return bilinear(x, size)
    k = torch.outer(_UP2, _UP2).to(x).expand(c, 1, 4, 4)
    return F.conv_transpose2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k, None, 2, 3, groups=c)


#: the segmenter's shape as train-vision builds it; a checkpoint stores the shape it was trained with
#: (one without that record is a 3x3 fuse)
SEG_ARCH = {"fuse_kernel": 3}


class ColorSegNet(nn.Module):
    """``fuse_kernel``: the convolution joining the context (upsampled) with the
    80x60 features.  A 1x1 one costs a ninth of the 3x3's multiply-adds (40 % of
    the net's); measured and not adopted (2026-12-01, docs/experiments.md): the net 19 % faster, the
    detector 7-9 %, the same bench figures, but objects 0.35-0.8 m away found
    with the right label in 97.6 % of views against 99.1 %."""

    def __init__(self, n_classes: int = len(COLOR_CLASSES), width: int = 16, fuse_kernel: int = SEG_ARCH["fuse_kernel"]):
        super().__init__()
        self.arch = {"fuse_kernel": int(fuse_kernel)}
        self.full = conv(5, 8)  # 160x120 ; input: RGB + 2 coordinate channels
        self.stem = conv(8, width, stride=2)  # 80x60
        self.down = conv(width, 2 * width, stride=2)  # 40x30
        self.ctx1 = conv(2 * width, 2 * width, dilation=2)
        self.ctx2 = conv(2 * width, 2 * width, dilation=4)
        self.fuse = conv(3 * width, width, kernel=fuse_kernel)  # 80x60
        self.refine = nn.Sequential(nn.Conv2d(width + 8, 16, 1), nn.ReLU(inplace=True))  # 160x120: sharp boundaries
        self.head = nn.Conv2d(16, n_classes, 1)
        # True: bilinear upsampling by F.interpolate (what ONNX export wants); False: upsample2x, faster in torch
        self.standard_ops = False
        self._coords: Dict[Tuple[int, int], torch.Tensor] = {}

    def coords(self, n, h, w, device):
        key = (h, w)
        if key not in self._coords:
            ys = torch.linspace(-1, 1, h).view(1, 1, h, 1).expand(1, 1, h, w)
            xs = torch.linspace(-1, 1, w).view(1, 1, 1, w).expand(1, 1, h, w)
            self._coords[key] = torch.cat([xs, ys], 1)
        return self._coords[key].to(device).expand(n, -1, -1, -1)

    def forward(self, x):  # x: N x 3 x H x W in [0, 1]
        n, _, h, w = x.shape
        f0 = self.full(torch.cat([x, self.coords(n, h, w, x.device)], 1))
        s = self.stem(f0)
        d = self.ctx2(self.ctx1(self.down(s)))
        up = bilinear if self.standard_ops else upsample2x
        u = up(d, s.shape[-2:])
        f = self.fuse(torch.cat([s, u], 1))
        # refine is a 1x1 convolution of [f0, up(f)]; its part on up(f) equals the upsampled 1x1
        # convolution of f (both are linear, the upsampling's weights sum to one), computed at
        # 80x60 and with no 160x120 concatenation: the same values, the net 18 % faster in ONNX Runtime
        conv = self.refine[0]
        k = f0.shape[1]
        r = F.conv2d(f0, conv.weight[:, :k], conv.bias) + up(F.conv2d(f, conv.weight[:, k:]), (h, w))
        return self.head(self.refine[1](r))


class MaxPool2(nn.Module):
    """2x2 max pooling, stride 2 (as ``nn.MaxPool2d(2)``: an odd last row or
    column is dropped), as the maximum of the four strided views: same values,
    and on CPU an order of magnitude faster than ``max_pool2d`` on NCHW tensors
    (which computes the indices too: 0.46 against 0.06 ms for 5 x 16 x 32 x 32)."""

    def forward(self, x):
        h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
        x = x[..., :h, :w]
        return torch.maximum(torch.maximum(x[..., 0::2, 0::2], x[..., 0::2, 1::2]), torch.maximum(x[..., 1::2, 0::2], x[..., 1::2, 1::2]))


class ShapeNet(nn.Module):
    def __init__(self, n_classes: int = len(SHAPE_CLASSES)):
        super().__init__()
        self.features = nn.Sequential(
            conv(4, 16), MaxPool2(),  # 16
            conv(16, 32), MaxPool2(),  # 8
            conv(32, 48), MaxPool2(),  # 4
            conv(48, 64),
        )
        self.head = nn.Linear(64 + N_EXTRA, n_classes)
        # the object's box in the crop (left, top, right, bottom) and the image column of its centre,
        # in crop widths; the centre of an object cut by the image edge lies outside what is seen
        self.box = nn.Linear(64 + N_EXTRA, 5)

    def forward(self, crops, extra):  # crops: N x 4 x 32 x 32 (rgb, mask); extra: N x N_EXTRA box features
        f = torch.cat([self.features(crops).mean(dim=(2, 3)), extra], 1)
        return self.head(f), self.box(f)


def default_weights() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    cand = os.path.join(here, "..", "data", "vision.pt")
    return os.path.abspath(cand)


def save_checkpoint(path: str, seg: ColorSegNet, shape: ShapeNet, meta: Optional[dict] = None) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save(
        {
            "format": "autogpt_ros.vision/1",
            "color_classes": COLOR_CLASSES,
            "shape_classes": SHAPE_CLASSES,
            "seg_size": SEG_SIZE,
            "seg_arch": getattr(seg, "arch", {}),
            "seg": {k: v.half() if v.is_floating_point() else v for k, v in seg.state_dict().items()},
            "shape": {k: v.half() if v.is_floating_point() else v for k, v in shape.state_dict().items()},
            "meta": meta or {},
        },
        path,
    )


class CheckpointError(RuntimeError):
    pass


def load_checkpoint(path: str) -> Tuple[ColorSegNet, ShapeNet, dict]:
    """Load a checkpoint written by train-vision (the default one or a user's)."""
    from autogpt_ros.checkpoints import load_checkpoint_file

    ck = load_checkpoint_file(path, "autogpt_ros.vision/1", "vision weights", "train-vision", CheckpointError)
    if tuple(ck["color_classes"]) != COLOR_CLASSES or tuple(ck["shape_classes"]) != SHAPE_CLASSES:
        raise CheckpointError(f"{path} was trained for other classes: {ck['color_classes']} / {ck['shape_classes']}")
    arch = {"fuse_kernel": 3, **(ck.get("seg_arch") or {})}  # no record: written before the record, a 3x3 fuse
    seg, shape = ColorSegNet(fuse_kernel=arch["fuse_kernel"]), ShapeNet()
    seg.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck["seg"].items()})
    state = {k: v.float() if v.is_floating_point() else v for k, v in ck["shape"].items()}
    has_box = state.get("box.weight") is not None and tuple(state["box.weight"].shape) == tuple(shape.box.weight.shape)
    if not has_box:  # written before the box head existed: classification only
        state.update({k: v for k, v in shape.state_dict().items() if k.startswith("box.")})
    shape.load_state_dict(state)
    shape.has_box = has_box
    seg.eval()
    shape.eval()
    return seg, shape, ck.get("meta", {})
