"""sensor_msgs/Image <-> numpy, with the cv_bridge API.

``imgmsg_to_cv2(msg, desired_encoding)`` and ``cv2_to_imgmsg(array,
encoding)`` behave like ROS 2's ``cv_bridge.CvBridge`` methods.  When a ROS 2
install provides a working ``cv_bridge`` it is used; otherwise (and always on
this project's PyPI-based set-up, where the ``cv-bridge`` package is a broken
ROS 1 port) the conversion is done here with numpy, zero-copy where the
layout allows it (no row padding, native byte order).

Supported encodings: rgb8, bgr8, rgba8, bgra8, mono8, mono16, 8UC1..8UC4,
16UC1, 16SC1, 32SC1, 32FC1, 64FC1.  Row padding (``step`` larger than
``width * bytes per pixel``) and big-endian data are handled.  Anything else
raises :class:`CvBridgeError` with a message that says what was wrong.
"""
from __future__ import annotations

import array
import os
import sys

import numpy as np


class CvBridgeError(TypeError):
    """Raised for unknown encodings, size mismatches and impossible conversions."""


#: encoding -> (numpy dtype, channels)
ENCODINGS = {
    "rgb8": (np.uint8, 3),
    "bgr8": (np.uint8, 3),
    "rgba8": (np.uint8, 4),
    "bgra8": (np.uint8, 4),
    "mono8": (np.uint8, 1),
    "mono16": (np.uint16, 1),
    "8UC1": (np.uint8, 1),
    "8UC2": (np.uint8, 2),
    "8UC3": (np.uint8, 3),
    "8UC4": (np.uint8, 4),
    "16UC1": (np.uint16, 1),
    "16SC1": (np.int16, 1),
    "32SC1": (np.int32, 1),
    "32FC1": (np.float32, 1),
    "64FC1": (np.float64, 1),
}

_COLOR_ORDER = {"rgb8": "RGB", "bgr8": "BGR", "rgba8": "RGBA", "bgra8": "BGRA", "mono8": "L"}


def encoding_info(encoding: str):
    try:
        return ENCODINGS[encoding]
    except KeyError:
        raise CvBridgeError(
            f"unsupported image encoding {encoding!r}; supported: {', '.join(sorted(ENCODINGS))}"
        ) from None


def _as_bytes_view(data) -> memoryview:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return memoryview(data).cast("B")
    if isinstance(data, array.array):
        return memoryview(data).cast("B")
    if isinstance(data, np.ndarray):
        return memoryview(np.ascontiguousarray(data).view(np.uint8).reshape(-1))
    return memoryview(bytes(data))


def msg_to_array(msg) -> np.ndarray:
    """The image as an array in its own encoding (zero-copy when possible)."""
    dtype, channels = encoding_info(msg.encoding)
    h, w = int(msg.height), int(msg.width)
    if h <= 0 or w <= 0:
        raise CvBridgeError(f"image has zero size ({w}x{h})")
    itemsize = np.dtype(dtype).itemsize
    row = w * channels * itemsize
    step = int(msg.step) or row
    if step < row:
        raise CvBridgeError(f"step {step} is smaller than width*channels*bytes = {row} for {msg.encoding} {w}x{h}")
    buf = _as_bytes_view(msg.data)
    need = step * (h - 1) + row
    if len(buf) < need:
        raise CvBridgeError(
            f"data has {len(buf)} bytes but a {w}x{h} {msg.encoding} image with step {step} needs {step * h}"
        )
    dt = np.dtype(dtype).newbyteorder(">" if msg.is_bigendian else "<")
    raw = np.frombuffer(buf, dtype=np.uint8, count=min(len(buf), step * h))
    if step == row and len(raw) >= row * h:
        img = raw[: row * h].view(dt).reshape(h, w, channels)
    else:
        if len(raw) < step * h:  # last row may be unpadded
            raw = np.concatenate([raw, np.zeros(step * h - len(raw), np.uint8)])
        rows = raw.reshape(h, step)[:, :row]
        img = np.ascontiguousarray(rows).view(dt).reshape(h, w, channels)
    if dt.byteorder not in ("=", "|") and dt.byteorder != ("<" if sys.byteorder == "little" else ">"):
        img = img.astype(np.dtype(dtype))  # to native order (copy)
    return img[:, :, 0] if channels == 1 else img


def _convert(img: np.ndarray, src: str, dst: str) -> np.ndarray:
    if dst in ("passthrough", src):
        return img
    if src in _COLOR_ORDER and dst in _COLOR_ORDER:
        s, d = _COLOR_ORDER[src], _COLOR_ORDER[dst]
        if s == "L":
            rgb = np.repeat(img[:, :, None], 3, axis=2)
            s = "RGB"
        else:
            rgb = img
        if d == "L":
            idx = [s.index(c) for c in "RGB"]
            f = rgb[:, :, idx].astype(np.float32)
            return np.clip(0.299 * f[:, :, 0] + 0.587 * f[:, :, 1] + 0.114 * f[:, :, 2] + 0.5, 0, 255).astype(np.uint8)
        out = [rgb[:, :, s.index(c)] if c in s else np.full(rgb.shape[:2], 255, np.uint8) for c in d]
        return np.stack(out, axis=2)
    if src == "mono16" and dst == "mono8":
        return (img >> 8).astype(np.uint8)
    if src == "mono8" and dst == "mono16":
        return img.astype(np.uint16) << 8
    if {src, dst} <= {"mono16", "16UC1"} or {src, dst} <= {"mono8", "8UC1"}:
        return img
    if dst in ENCODINGS and ENCODINGS[src][1] == ENCODINGS[dst][1] and ENCODINGS[src][1] == 1:
        return img.astype(ENCODINGS[dst][0])
    raise CvBridgeError(f"cannot convert {src} to {dst}")


class OwnBridge:
    """numpy implementation of cv_bridge's CvBridge."""

    def imgmsg_to_cv2(self, img_msg, desired_encoding: str = "passthrough") -> np.ndarray:
        return _convert(msg_to_array(img_msg), img_msg.encoding, desired_encoding)

    def cv2_to_imgmsg(self, cvim: np.ndarray, encoding: str = "passthrough", header=None):
        from sensor_msgs.msg import Image

        if not isinstance(cvim, np.ndarray):
            raise CvBridgeError(f"expected a numpy array, got {type(cvim).__name__}")
        if cvim.ndim not in (2, 3) or cvim.size == 0:
            raise CvBridgeError(f"expected a non-empty HxW or HxWxC array, got shape {cvim.shape}")
        h, w = cvim.shape[:2]
        c = 1 if cvim.ndim == 2 else cvim.shape[2]
        if encoding == "passthrough":
            encoding = _default_encoding(cvim.dtype, c)
        dtype, channels = encoding_info(encoding)
        if channels != c:
            raise CvBridgeError(f"encoding {encoding} has {channels} channels, the array has {c}")
        if np.dtype(dtype) != cvim.dtype:
            raise CvBridgeError(f"encoding {encoding} needs dtype {np.dtype(dtype)}, the array is {cvim.dtype}")
        a = np.ascontiguousarray(cvim)
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big"):
            a = a.astype(a.dtype.newbyteorder("<"))
        msg = Image()
        if header is not None:
            msg.header = header
        msg.height, msg.width, msg.encoding = h, w, encoding
        msg.is_bigendian = 0
        msg.step = w * c * a.dtype.itemsize
        buf = array.array("B")
        buf.frombytes(a.reshape(-1).view(np.uint8).data)  # fastest way into a rclpy uint8[] field
        msg.data = buf
        return msg


def _default_encoding(dtype, channels: int) -> str:
    names = {np.uint8: "8U", np.uint16: "16U", np.int16: "16S", np.int32: "32S", np.float32: "32F", np.float64: "64F"}
    for k, v in names.items():
        if np.dtype(k) == dtype:
            enc = f"{v}C{channels}"
            if enc in ENCODINGS:
                return enc
    raise CvBridgeError(f"no encoding for dtype {dtype} with {channels} channels; give one explicitly")


def _real_bridge():
    """ROS 2's cv_bridge, if installed and working; else None."""
    if os.environ.get("AUTOGPT_ROS_IMAGE_BACKEND", "auto") == "numpy":
        return None
    try:
        from cv_bridge import CvBridge  # type: ignore

        b = CvBridge()
        probe = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
        back = b.imgmsg_to_cv2(b.cv2_to_imgmsg(probe, "rgb8"), "rgb8")
        if not np.array_equal(np.asarray(back), probe):
            return None
        return b
    except Exception:  # missing, or the broken ROS 1 port
        return None


_BRIDGE = None


def bridge():
    """The bridge in use: ROS 2 cv_bridge when it works, else :class:`OwnBridge`."""
    global _BRIDGE
    if _BRIDGE is None:
        _BRIDGE = _real_bridge() or OwnBridge()
    return _BRIDGE


def imgmsg_to_cv2(img_msg, desired_encoding: str = "passthrough") -> np.ndarray:
    try:
        return bridge().imgmsg_to_cv2(img_msg, desired_encoding)
    except CvBridgeError:
        raise
    except Exception as e:  # the real cv_bridge raises its own types
        raise CvBridgeError(str(e)) from e


def cv2_to_imgmsg(cvim: np.ndarray, encoding: str = "passthrough", header=None):
    try:
        return bridge().cv2_to_imgmsg(cvim, encoding, header=header)
    except CvBridgeError:
        raise
    except Exception as e:
        raise CvBridgeError(str(e)) from e


def fill_image(msg, frame: np.ndarray, encoding: str) -> None:
    """Fill an existing Image message from a C-contiguous array (hot path)."""
    h, w = frame.shape[:2]
    c = 1 if frame.ndim == 2 else frame.shape[2]
    msg.height, msg.width, msg.encoding, msg.is_bigendian = h, w, encoding, 0
    msg.step = w * c * frame.dtype.itemsize
    buf = array.array("B")
    buf.frombytes(np.ascontiguousarray(frame).reshape(-1).view(np.uint8).data)
    msg.data = buf



def resample_depth(depth: np.ndarray, height: int, width: int) -> np.ndarray:
    """``depth`` (H x W) at ``height`` x ``width`` by nearest neighbour: target
    pixel (r, c) takes source pixel (floor((r + 0.5) * H / height), floor((c + 0.5) * W / width)),
    so the image is scaled by the size ratio about its centre and no depth value is
    invented by interpolating across an object's edge.

    Valid when the depth and colour cameras share the optical centre and the field
    of view (the same view at another resolution: a simulator, or a camera that
    registers depth to colour at a lower resolution).  An unaligned depth stream
    from a separate depth imager (RealSense ``depth/image_rect_raw``) has another
    viewpoint and field of view: this only approximates it; use the camera's
    depth aligned to colour (``aligned_depth_to_color``) where it offers one."""
    h, w = depth.shape[:2]
    if (h, w) == (height, width):
        return depth
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.intp), w - 1)
    return depth[rows[:, None], cols[None, :]]
