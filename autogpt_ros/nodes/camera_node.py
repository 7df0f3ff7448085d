"""camera_node: camera frames in, objects and a scene sentence out.

Subscribes ``/camera/image_raw``, ``/camera/camera_info`` and (when present)
``/camera/depth/image_raw``; publishes ``/perception/objects`` (JSON, schema
autogpt_ros/objects), ``/perception/scene`` (one sentence),
``/perception/markers``, the same objects typed on ``/perception/detections``
(autogpt_ros_interfaces/msg/DetectedObjects) and ``/perception/detections_2d``
(vision_msgs/msg/Detection2DArray) and, only while someone subscribes,
``/perception/debug_image``.

Only the newest frame is processed: frames are handed to a worker thread
through a one-slot mailbox, so a frame that arrives while the last is still
being processed replaces the waiting one.  Malformed frames are warned about
(rate-limited), counted and skipped.

The colour and depth images and the camera info are subscribed with the reliability of their
publishers (``image_reliability: auto``): a best-effort subscription loses
most 640x480 and larger frames between processes over Fast DDS, a reliable one
to a reliable camera none.  Frames lost in transport (DDS ``message_lost``
events) and frames skipped while the worker was busy are reported as a
rate-limited warning with counts; a publisher whose QoS does not match is
warned about.

Depth readings that cannot be distances (not finite, not positive, beyond
``max_depth``) are holes; every published ``distance_m`` is finite and at most
``max_depth``.  A CameraInfo with width or height 0 gives K for the image's own
size (as camera drivers that leave them unset mean).
"""
from __future__ import annotations

import math
import threading
import time
from typing import Dict, Optional

import numpy as np
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import ReliabilityPolicy, qos_policy_name_from_kind
from autogpt_ros_interfaces.msg import DetectedObject, DetectedObjects
from std_msgs.msg import String
from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose
from visualization_msgs.msg import Marker, MarkerArray

from autogpt_ros import interfaces as ifc
from autogpt_ros.frames import stamp_to_s
from autogpt_ros.image import CvBridgeError, cv2_to_imgmsg, imgmsg_to_cv2, resample_depth
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.params import Param
from autogpt_ros.perception.detector import MIN_CONFIDENCE, PRIOR_CORRECTION, Detector, draw
from autogpt_ros.perception.geometry import MAX_DEPTH_M, Intrinsics, plausible_distance
from autogpt_ros.perception.runtime import RUNTIMES
from autogpt_ros.perception.scene import scene_sentence
from autogpt_ros.vocabulary import DEFAULT_SIZE
from autogpt_ros.vocabulary import COLOR_RGB


IMAGE_RELIABILITY = ("auto", "reliable", "best_effort")
QOS_CHECK_S = 1.0  # how often the image topics' publishers are looked up (image_reliability auto)
DROP_REPORT_S = 10.0  # at most one warning about dropped frames per this many seconds


class _Stream:
    """A camera subscription (image, depth, camera info) whose reliability follows its publishers."""

    def __init__(self, name: str, callback) -> None:
        self.name = name  # contract name (the subscription itself is relative: namespaces and remaps apply)
        self.callback = callback
        self.sub = None
        self.reliability: Optional[str] = None
        self.lost = 0  # samples DDS reported lost (message_lost events)
        self.incompatible = 0  # publishers whose QoS did not match (incompatible_qos events)


class CameraNode(AgentNode):
    NAME = "camera_node"
    PARAMS = (
        Param("backend", "cnn", "Perception model: `cnn` = colour segmenter + shape classifier trained by train-vision.", choices=("cnn",)),
        Param("weights", "", "Checkpoint of the model; empty: the package's trained weights."),
        Param("min_confidence", MIN_CONFIDENCE, "Detections below this confidence are dropped.", range=(0.0, 1.0)),
        Param("prior_correction", PRIOR_CORRECTION, "Share (0-1) of the segmenter's training class weighting undone at run time (higher: tighter boxes, fewer pixels called object).", range=(0.0, 1.0)),
        Param("use_depth", True, "Use the depth image (when it arrives) for distances."),
        Param("max_depth", MAX_DEPTH_M, "Depth readings beyond this many metres (the depth camera's far clip), like non-finite, zero or negative ones, are missing depth (the distance falls back to the object's known size); no distance beyond it is published.", range=(0.1, 1000.0)),
        Param("image_reliability", "auto", "QoS reliability of the colour image, depth image and camera_info subscriptions. `auto`: that of the topic's publishers (reliable when all are reliable, else best-effort; looked up every second, so a camera started later or restarted with another QoS is followed; best-effort until one appears). `reliable` or `best_effort`: fixed (a reliable subscription gets nothing from a best-effort camera). Between processes over Fast DDS a best-effort subscription loses most 640x480 and larger frames; a reliable one none.", choices=IMAGE_RELIABILITY),
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
                                 runtime=str(self.param("runtime")), max_depth=float(self.param("max_depth")))
        self.get_logger().info(f"perception model: {self.detector.weights} ({self.detector.runtime})")
        if self.detector.runtime_note:
            self.get_logger().warning(self.detector.runtime_note)
        self.K: Optional[Intrinsics] = None
        self.depth = None  # (stamp, array)
        self._slot = None
        self._cv = threading.Condition()
        self.frames = 0  # frames processed
        self.received = 0  # colour frames received
        self.skipped = 0  # colour frames replaced in the mailbox before the worker took them (it was busy)
        self._reported = (0, 0, 0)  # skipped, image lost, depth lost at the last drop warning
        self._last_report = -math.inf
        self._info_unsized = False  # told that CameraInfo has no size
        self.debug_frames = 0  # annotated frames drawn (only while someone subscribes)
        self.pub_objects = self.publisher(ifc.OBJECTS)
        self.pub_scene = self.publisher(ifc.SCENE)
        self.pub_markers = self.publisher(ifc.MARKERS)
        self.pub_detections = self.publisher(ifc.DETECTIONS)
        self.pub_detections_2d = self.publisher(ifc.DETECTIONS_2D)
        self.pub_debug = self.publisher(ifc.DEBUG_IMAGE)
        self.streams: Dict[str, _Stream] = {n: _Stream(n, cb) for n, cb in ((ifc.IMAGE, self.on_image), (ifc.CAMERA_INFO, self.on_info), (ifc.DEPTH, self.on_depth))}
        for st in self.streams.values():
            self._follow_publishers(st)
        self.timer(QOS_CHECK_S, self._tick, wall_clock=True)

    def activate(self) -> None:
        self._worker = threading.Thread(target=self._work, name="camera_worker", daemon=True)
        self._worker.start()

    def deactivate(self) -> None:
        with self._cv:
            self._cv.notify_all()
        if getattr(self, "_worker", None):
            self._worker.join(2.0)

    # ---- image subscriptions: QoS that matches the camera, drops reported ---------
    def _topic(self, st: _Stream) -> str:
        return st.sub.topic_name if st.sub is not None else self.resolve_topic_name(ifc.relative(st.name))

    def _wanted(self, st: _Stream):
        """(reliability the subscription should have, why); reliability None: no publisher to match yet."""
        mode = str(self.param("image_reliability"))
        if mode != "auto":
            return mode, "image_reliability"
        pubs = self.get_publishers_info_by_topic(self._topic(st))
        if not pubs:
            return None, "no publisher yet"
        reliable = sum(p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in pubs)
        want = "reliable" if reliable == len(pubs) else "best_effort"
        return want, f"image_reliability auto: {reliable} of {len(pubs)} publisher(s) reliable"

    def _follow_publishers(self, st: _Stream) -> None:
        """(Re)subscribe ``st`` with the reliability its publishers need, if it changed."""
        want, why = self._wanted(st)
        if want is None:
            if st.sub is not None:
                return  # the camera went away: keep the subscription it had
            want, why = "best_effort", "image_reliability auto: no publisher yet, best-effort matches any; looked up again every second"
        if st.sub is not None and want == st.reliability:
            return
        if st.sub is not None:
            self.destroy_subscription(st.sub)
            if st.sub in self._owned:
                self._owned.remove(st.sub)
        events = SubscriptionEventCallbacks(incompatible_qos=lambda info, st=st: self._on_incompatible(st, info),
                                            message_lost=lambda info, st=st: self._on_lost(st, info))
        st.sub = self.create_subscription(ifc.msg_class(st.name), ifc.relative(st.name), self._guard(st.callback, st.name),
                                          ifc.to_qos_profile(ifc.QoS(want, depth=1)), event_callbacks=events)
        self._owned.append(st.sub)
        st.reliability = want
        self.get_logger().info(f"{st.sub.topic_name}: {want} subscription ({why})")

    def _on_incompatible(self, st: _Stream, info) -> None:
        st.incompatible += max(1, int(info.total_count_change))
        policy = qos_policy_name_from_kind(info.last_policy_kind)
        what = f"{self._topic(st)}: a publisher's QoS is incompatible with this {st.reliability} subscription ({policy}; {info.total_count} so far)"
        if self.param("image_reliability") == "auto":  # a camera that changed: follow it at once
            self.get_logger().info(f"{what}: subscribing again to match its publishers")
            self._follow_publishers(st)
        else:
            self.get_logger().warning(f"{what}: none of its messages arrive; set image_reliability to auto (or to the publisher's reliability)")

    def _on_lost(self, st: _Stream, info) -> None:
        st.lost += max(0, int(info.total_count_change))

    def _tick(self) -> None:
        for st in self.streams.values():
            self._follow_publishers(st)
        self.report_drops()

    def report_drops(self) -> None:
        """Warn (at most every DROP_REPORT_S) about colour frames skipped while busy and
        image samples lost in transport since the last warning, with counts."""
        img, dep = self.streams[ifc.IMAGE], self.streams[ifc.DEPTH]
        now_counts = (self.skipped, img.lost, dep.lost)
        new = [a - b for a, b in zip(now_counts, self._reported)]
        now = time.monotonic()
        if not any(new) or now - self._last_report < DROP_REPORT_S:
            return
        parts = []
        if new[0]:
            parts.append(f"{new[0]} colour frame(s) skipped while busy (only the newest frame is processed: processing is slower than the camera)")
        for n, st in ((new[1], img), (new[2], dep)):
            if n:
                hint = " (a best-effort subscription loses large frames: image_reliability, or a reliable camera)" if st.reliability == "best_effort" else ""
                parts.append(f"{n} {self._topic(st)} message(s) lost in transport{hint}")
        since = "" if self._last_report == -math.inf else f" in the last {now - self._last_report:.0f} s"
        self.get_logger().warning(f"frames dropped{since}: " + "; ".join(parts) +
                                  f". Totals: {self.received} received, {self.frames} processed, {self.skipped} skipped, {img.lost} lost (depth {dep.lost} lost)")
        self._reported, self._last_report = now_counts, now

    # ---- inputs ----------------------------------------------------------------
    def on_info(self, msg) -> None:
        try:
            K = Intrinsics.from_camera_info(msg)
        except ValueError as e:
            self.reject("camera_info", str(e))
            return
        if not K.sized and not self._info_unsized:
            self._info_unsized = True
            self.get_logger().info(f"camera_info has width x height {msg.width}x{msg.height}: K is taken to be for the image's own size")
        self.K = K

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
        max_depth = float(self.param("max_depth"))
        with np.errstate(invalid="ignore"):
            usable = np.isfinite(d) & (d > 0) & (d <= max_depth)
        if not usable.any():
            self.reject("depth", f"no usable depth value in the image (all NaN, inf, not positive or beyond max_depth {max_depth:g} m); distances fall back to object size")
            return
        self.depth = (stamp_to_s(msg.header.stamp), d)

    def on_image(self, msg) -> None:
        with self._cv:
            if self._slot is not None:
                self.skipped += 1
            self._slot = (msg, time.perf_counter())  # replaces a frame still waiting
            self._cv.notify()
        if self.received == 0:
            self.get_logger().info(f"first image: {msg.width}x{msg.height} {msg.encoding} ({self.streams[ifc.IMAGE].reliability} subscription)")
        self.received += 1

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
        t_img = stamp_to_s(msg.header.stamp)
        depth = None
        if self.depth is not None and abs(self.depth[0] - t_img) <= self.param("depth_max_age"):
            depth = self.depth[1]
            if depth.shape[:2] != rgb.shape[:2]:
                # e.g. a RealSense's unaligned depth: resampled to the colour image's size
                # (nearest neighbour, scaled by the size ratio: exact when both cameras share
                # the optical centre and field of view, an approximation otherwise)
                self.reject("depth", f"depth {depth.shape[1]}x{depth.shape[0]} resampled to the image's {rgb.shape[1]}x{rgb.shape[0]} (nearest neighbour; assumes depth and colour share the optical centre: prefer depth aligned to colour)", period=30.0)
                depth = resample_depth(depth, rgb.shape[0], rgb.shape[1])
        self.detector.max_depth = float(self.param("max_depth"))  # the parameter may have changed
        dets = self.detector.detect(np.ascontiguousarray(rgb), self.K, depth)
        latency = (time.perf_counter() - received) * 1000.0
        objs = []
        for d in dets:
            dist = plausible_distance(d.distance_m, float(self.param("max_depth")))  # finite, within max_depth, or none
            objs.append(ifc.DetectedObject(
                label=d.label, color=d.color, shape=d.shape, confidence=round(d.confidence, 4), bbox=d.bbox,
                bearing_rad=round(d.bearing_rad, 5), distance_m=None if dist is None else round(dist, 4),
                distance_source=d.distance_source if dist is not None else "none", stamp=t_img,
            ))
        payload = ifc.ObjectsPayload(stamp=t_img, frame_id=msg.header.frame_id, latency_ms=round(latency, 3), objects=objs)
        self.pub_objects.publish(String(data=ifc.encode(payload)))
        typed = detections_message(msg.header, payload, self.K.scaled(rgb.shape[1], rgb.shape[0]))
        self.pub_detections.publish(typed)
        self.pub_detections_2d.publish(detections_2d(typed))
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


def object_position(o: ifc.DetectedObject, K: Intrinsics):
    """(x, y, z) of the object's centre in the optical frame (x right, y down, z forward), or
    None without a distance: along the bearing at the distance plus half its depth (as the
    markers), at the height of its box's centre row."""
    if o.distance_m is None:
        return None
    sx = DEFAULT_SIZE[o.shape][0] if o.shape in DEFAULT_SIZE else 0.0
    r = o.distance_m + sx / 2
    z = r * math.cos(o.bearing_rad)
    v = o.bbox[1] + o.bbox[3] / 2.0
    return -r * math.sin(o.bearing_rad), z * (v - K.cy) / K.fy, z


def detections_message(header, payload: ifc.ObjectsPayload, K: Intrinsics) -> DetectedObjects:
    """The typed twin of an objects payload (same objects, same order)."""
    out = DetectedObjects(header=header, latency_ms=float(payload.latency_ms))
    for o in payload.objects:
        d = DetectedObject(label=o.label, color=o.color or "", shape=o.shape or "", confidence=float(o.confidence),
                           bearing=float(o.bearing_rad), has_distance=o.distance_m is not None,
                           distance=float(o.distance_m) if o.distance_m is not None else float("nan"), distance_source=o.distance_source)
        x, y, w, h = o.bbox
        d.bbox.center.position.x, d.bbox.center.position.y = x + w / 2.0, y + h / 2.0
        d.bbox.size_x, d.bbox.size_y = float(w), float(h)
        pos = object_position(o, K)
        if pos is not None:
            d.position.x, d.position.y, d.position.z = (float(c) for c in pos)
        out.objects.append(d)
    return out


def detections_2d(typed: DetectedObjects) -> Detection2DArray:
    """The same objects as vision_msgs detections: class_id the label, score the confidence,
    the pose's position the object's (when its distance is known)."""
    arr = Detection2DArray(header=typed.header)
    for o in typed.objects:
        det = Detection2D(header=typed.header, bbox=o.bbox)
        hyp = ObjectHypothesisWithPose()
        hyp.hypothesis.class_id, hyp.hypothesis.score = o.label, float(o.confidence)
        if o.has_distance:
            hyp.pose.pose.position = o.position
        hyp.pose.pose.orientation.w = 1.0
        det.results.append(hyp)
        arr.detections.append(det)
    return arr


main = main_for(CameraNode)

if __name__ == "__main__":
    main()
