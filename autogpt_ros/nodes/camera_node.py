"""camera_node: camera frames in, objects and a scene sentence out.

Subscribes ``/camera/image_raw``, ``/camera/camera_info`` and (when present)
``/camera/depth/image_raw``; publishes ``/perception/objects`` (JSON, schema
autogpt_ros/objects), ``/perception/scene`` (one sentence),
``/perception/markers`` and, only while someone subscribes,
``/perception/debug_image``.

Only the newest frame is processed: frames are handed to a worker thread
through a one-slot mailbox, so a frame that arrives while the last is still
being processed replaces the waiting one.  Malformed frames are warned about
(rate-limited), counted and skipped.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Optional

import numpy as np
from std_msgs.msg import String
from visualization_msgs.msg import Marker, MarkerArray

from autogpt_ros import interfaces as ifc
from autogpt_ros.image import CvBridgeError, cv2_to_imgmsg, imgmsg_to_cv2
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.params import Param
from autogpt_ros.perception.detector import MIN_CONFIDENCE, PRIOR_CORRECTION, Detector, draw
from autogpt_ros.perception.geometry import Intrinsics
from autogpt_ros.perception.runtime import RUNTIMES
from autogpt_ros.perception.scene import scene_sentence
from autogpt_ros.sim.world import DEFAULT_SIZE
from autogpt_ros.vocabulary import COLOR_RGB


def stamp_s(header) -> float:
    return header.stamp.sec + header.stamp.nanosec * 1e-9


class CameraNode(AgentNode):
    NAME = "camera_node"
    PARAMS = (
        Param("backend", "cnn", "Perception model: `cnn` = colour segmenter + shape classifier trained by train-vision.", choices=("cnn",)),
        Param("weights", "", "Checkpoint of the model; empty: the package's trained weights."),
        Param("min_confidence", MIN_CONFIDENCE, "Detections below this confidence are dropped.", range=(0.0, 1.0)),
        Param("prior_correction", PRIOR_CORRECTION, "Share (0-1) of the segmenter's training class weighting undone at run time (higher: tighter boxes, fewer pixels called object).", range=(0.0, 1.0)),
        Param("use_depth", True, "Use the depth image (when it arrives) for distances."),
        Param("depth_max_age", 0.1, "A depth image is used only if its stamp is within this many seconds of the colour image.", range=(0.0, 5.0)),
        Param("runtime", "auto", "How the model's nets run: `auto` (ONNX Runtime when installed, else TorchScript), `onnxruntime`, `torchscript` or `eager` (plain torch). Same detections to float rounding; ONNX Runtime is the fastest on CPU (see bench perception).", choices=RUNTIMES),
        Param("threads", 1, "CPU threads for the model (1: the graph shares few cores; more threads in several processes fight for them).", range=(1, 16)),
        Param("marker_lifetime", 0.5, "Lifetime of RViz markers in seconds.", range=(0.0, 60.0)),
    )

    def configure(self) -> None:
        if self.param("threads"):
            import torch

            torch.set_num_threads(int(self.param("threads")))
        self.detector = Detector(self.param("weights") or None, min_confidence=float(self.param("min_confidence")),
                                 prior_correction=float(self.param("prior_correction")), threads=int(self.param("threads")),
                                 runtime=str(self.param("runtime")))
        self.get_logger().info(f"perception model: {self.detector.weights} ({self.detector.runtime})")
        if self.detector.runtime_note:
            self.get_logger().warning(self.detector.runtime_note)
        self.K: Optional[Intrinsics] = None
        self.depth = None  # (stamp, array)
        self._slot = None
        self._cv = threading.Condition()
        self.frames = 0
        self.debug_frames = 0  # annotated frames drawn (only while someone subscribes)
        self.pub_objects = self.publisher(ifc.OBJECTS)
        self.pub_scene = self.publisher(ifc.SCENE)
        self.pub_markers = self.publisher(ifc.MARKERS)
        self.pub_debug = self.publisher(ifc.DEBUG_IMAGE)
        self.subscription(ifc.IMAGE, self.on_image)
        self.subscription(ifc.CAMERA_INFO, self.on_info)
        self.subscription(ifc.DEPTH, self.on_depth)

    def activate(self) -> None:
        self._worker = threading.Thread(target=self._work, name="camera_worker", daemon=True)
        self._worker.start()

    def deactivate(self) -> None:
        with self._cv:
            self._cv.notify_all()
        if getattr(self, "_worker", None):
            self._worker.join(2.0)

    # ---- inputs ----------------------------------------------------------------
    def on_info(self, msg) -> None:
        try:
            self.K = Intrinsics.from_camera_info(msg)
        except ValueError as e:
            self.reject("camera_info", str(e))

    def on_depth(self, msg) -> None:
        if not self.param("use_depth"):
            return
        if msg.encoding not in ("32FC1", "16UC1"):
            self.reject("depth", f"encoding {msg.encoding!r} is not 32FC1 (metres) or 16UC1 (millimetres)")
            return
        try:
            d = imgmsg_to_cv2(msg)
        except CvBridgeError as e:
            self.reject("depth", str(e))
            return
        d = d.astype(np.float32) / 1000.0 if msg.encoding == "16UC1" else d
        if not np.isfinite(d).any():
            self.reject("depth", "no finite depth value in the image (all NaN/inf); distances fall back to object size")
            return
        self.depth = (stamp_s(msg.header), d)

    def on_image(self, msg) -> None:
        with self._cv:
            self._slot = (msg, time.perf_counter())  # replaces a frame still waiting
            self._cv.notify()

    # ---- processing --------------------------------------------------------------
    def _work(self) -> None:
        while self.active:
            with self._cv:
                while self._slot is None and self.active:
                    self._cv.wait(0.5)
                item, self._slot = self._slot, None
            if item is None:
                continue
            try:
                self.process(*item)
            except Exception as e:  # a bad frame never stops the worker
                self.errors["process"] += 1
                self.get_logger().error(f"frame processing failed: {type(e).__name__}: {e}", throttle_duration_sec=2.0)

    def process(self, msg, received: float) -> None:
        if self.K is None:
            self.reject("image", "no camera_info received yet: cannot compute bearings")
            return
        if msg.encoding not in ("rgb8", "bgr8", "rgba8", "bgra8"):
            self.reject("image", f"encoding {msg.encoding!r} is not a colour encoding (rgb8, bgr8, rgba8, bgra8)")
            return
        try:
            rgb = imgmsg_to_cv2(msg, "rgb8")
        except CvBridgeError as e:
            self.reject("image", str(e))
            return
        t_img = stamp_s(msg.header)
        depth = None
        if self.depth is not None and abs(self.depth[0] - t_img) <= self.param("depth_max_age"):
            depth = self.depth[1]
            if depth.shape[:2] != rgb.shape[:2]:
                self.reject("depth", f"depth {depth.shape[1]}x{depth.shape[0]} does not match the image {rgb.shape[1]}x{rgb.shape[0]}")
                depth = None
        dets = self.detector.detect(np.ascontiguousarray(rgb), self.K, depth)
        latency = (time.perf_counter() - received) * 1000.0
        objs = [
            ifc.DetectedObject(
                label=d.label, color=d.color, shape=d.shape, confidence=round(d.confidence, 4), bbox=d.bbox,
                bearing_rad=round(d.bearing_rad, 5), distance_m=None if d.distance_m is None else round(max(0.0, d.distance_m), 4), distance_source=d.distance_source, stamp=t_img,
            )
            for d in dets
        ]
        payload = ifc.ObjectsPayload(stamp=t_img, frame_id=msg.header.frame_id, latency_ms=round(latency, 3), objects=objs)
        self.pub_objects.publish(String(data=ifc.encode(payload)))
        self.pub_scene.publish(String(data=scene_sentence(objs)))
        self.pub_markers.publish(self.markers(msg.header, objs))
        if self.pub_debug.get_subscription_count() > 0:
            if self.debug_frames == 0:
                self.get_logger().info("debug image subscribed: drawing annotated frames")
            dbg = cv2_to_imgmsg(draw(rgb, dets), "rgb8", header=msg.header)
            self.pub_debug.publish(dbg)
            self.debug_frames += 1
        self.frames += 1

    def markers(self, header, objs) -> MarkerArray:
        arr = MarkerArray()
        clear = Marker()
        clear.header = header
        clear.action = Marker.DELETEALL
        arr.markers.append(clear)
        life = float(self.param("marker_lifetime"))
        for i, o in enumerate(objs):
            if o.distance_m is None:
                continue
            sx, sy, sz = DEFAULT_SIZE[o.shape]
            r = o.distance_m + sx / 2
            for kind in ("shape", "text"):
                m = Marker()
                m.header = header
                m.ns = f"perception_{kind}"
                m.id = i
                m.action = Marker.ADD
                m.type = {"box": Marker.CUBE, "ball": Marker.SPHERE, "cylinder": Marker.CYLINDER}[o.shape] if kind == "shape" else Marker.TEXT_VIEW_FACING
                # optical frame: x right, y down, z forward
                m.pose.position.x = -r * math.sin(o.bearing_rad)
                m.pose.position.z = r * math.cos(o.bearing_rad)
                m.pose.position.y = 0.0 if kind == "shape" else -sz
                if kind == "shape":
                    m.pose.orientation.x = -math.sqrt(0.5)  # cylinder axis along -y (up in the optical frame)
                    m.pose.orientation.w = math.sqrt(0.5)
                    m.scale.x, m.scale.y, m.scale.z = sx, sy, sz
                else:
                    m.text = f"{o.label} {o.distance_m:.1f} m"
                    m.scale.z = 0.12
                c = COLOR_RGB[o.color]
                m.color.r, m.color.g, m.color.b, m.color.a = float(c[0]), float(c[1]), float(c[2]), 0.8
                m.lifetime.sec, m.lifetime.nanosec = int(life), int((life % 1) * 1e9)
                arr.markers.append(m)
        return arr


main = main_for(CameraNode)

if __name__ == "__main__":
    main()
