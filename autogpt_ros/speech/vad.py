"""Voice activity detection for a 16 kHz stream: energy with hysteresis plus voicing.

A frame (30 ms) counts as speech when its energy is well above the running
noise floor and it is voiced (a pitch peak in its autocorrelation) or very
loud.  An utterance starts after ``start_frames`` speech frames in a row,
keeps ``pre_roll`` seconds of audio before that (so the first syllable is not
cut), ends after ``hangover`` seconds below the lower threshold (near the noise
floor, or ``end_rel_db`` below the utterance's loudest frame), and is cut
at ``max_utterance`` seconds.  Stationary noise raises the floor and never
starts an utterance; an utterance with too few voiced frames is dropped as
noise.  Pure numpy.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

RATE = 16000
FRAME = 480  # 30 ms


@dataclass
class Utterance:
    audio: np.ndarray  # int16, including pre-roll
    start_s: float  # stream time of speech start
    end_s: float  # stream time of speech end
    truncated: bool = False  # cut at max_utterance
    voiced_frames: int = 0


@dataclass
class VadEvent:
    kind: str  # "start" | "end" | "dropped"
    time_s: float
    utterance: Optional[Utterance] = None
    reason: str = ""


def frame_features(frame: np.ndarray):
    x = frame.astype(np.float32) / 32768.0
    x = x - x.mean()
    energy_db = 10 * np.log10(np.mean(x * x) + 1e-10)
    # voicing: normalised autocorrelation peak for pitch 80-400 Hz (lags 40-200)
    ac = np.correlate(x, x, mode="full")[len(x) - 1 :]
    voiced = 0.0
    if ac[0] > 1e-8:
        voiced = float(ac[40:201].max() / ac[0])
    return float(energy_db), voiced


@dataclass
class EnergyVAD:
    start_db: float = 10.0  # above the noise floor to start
    stop_db: float = 6.0  # below floor + stop_db counts as silence
    loud_db: float = 22.0  # this far above the floor counts as speech even unvoiced
    voicing: float = 0.45
    start_frames: int = 3
    pre_roll: float = 0.3
    hangover: float = 0.4  # silence that ends an utterance
    quick_hangover: float = 0.2  # ... once ``complete`` says the words so far make a whole command
    min_voiced_frames: int = 4
    max_utterance: float = 8.0
    min_floor_db: float = -65.0
    end_rel_db: float = 30.0  # inside an utterance, this far below its loudest frame also counts as silence

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        self.t = 0.0  # stream time at the end of what was fed
        self.floor: Optional[float] = None
        self._buf = np.zeros(0, np.int16)
        self._pre: deque = deque(maxlen=max(1, int(self.pre_roll * RATE / FRAME)))
        self._run = 0
        self.in_speech = False
        self._utt: List[np.ndarray] = []
        self._silent = 0
        self._voiced = 0
        self._start_t = 0.0
        self._peak = -120.0  # loudest frame energy of the utterance in progress (dB)
        self._e = -120.0
        self.complete = False  # set by the recogniser's pipeline from its partial hypothesis

    def feed(self, chunk: np.ndarray) -> List[VadEvent]:
        """Feed int16 samples; returns events for completed frames."""
        events: List[VadEvent] = []
        self._buf = np.concatenate([self._buf, np.asarray(chunk, dtype=np.int16)])
        n = len(self._buf) // FRAME
        for i in range(n):
            f = self._buf[i * FRAME : (i + 1) * FRAME]
            self.t += FRAME / RATE
            events.extend(self._frame(f))
        self._buf = self._buf[n * FRAME :]
        return events

    def _classify(self, f: np.ndarray) -> Tuple[bool, bool, bool]:
        """(speech, silence, voiced) for one frame; energy and voicing against the noise floor."""
        e, v = frame_features(f)
        if self.floor is None:
            self.floor = max(e, self.min_floor_db)
        self._e = e
        speechy = e > self.floor + self.start_db and (v >= self.voicing or e > self.floor + self.loud_db)
        # silence: near the noise floor or, in a quiet room, far below the utterance's own level
        # (a synthesiser's or a room's faint tail is not more speech)
        quiet = e < max(self.floor + self.stop_db, self._peak - self.end_rel_db)
        return speechy, quiet, v >= self.voicing and not quiet

    def _idle(self) -> None:
        """A frame outside speech that did not start one: track the noise floor (fast down, slow up)."""
        a = 0.2 if self._e < self.floor else 0.02
        self.floor = max(self.min_floor_db, self.floor + a * (self._e - self.floor))

    def _frame(self, f: np.ndarray) -> List[VadEvent]:
        speechy, quiet, voiced = self._classify(f)
        out: List[VadEvent] = []
        if self.in_speech or speechy:
            self._peak = max(self._peak, self._e)
        if not self.in_speech:
            self._pre.append(f)
            self._run = self._run + 1 if speechy else 0
            if self._run >= self.start_frames:
                self.in_speech = True
                self._utt = list(self._pre)
                self._start_t = self.t - self.start_frames * FRAME / RATE
                self._silent = 0
                self._voiced = self.start_frames
                out.append(VadEvent("start", self._start_t))
            else:
                self._idle()
        else:
            self._utt.append(f)
            self._voiced += 1 if voiced else 0
            self._silent = self._silent + 1 if quiet else 0
            dur = self.t - self._start_t
            hangover = self.quick_hangover if self.complete else self.hangover
            if self._silent * FRAME / RATE >= hangover or dur >= self.max_utterance:
                out.append(self._finish(truncated=dur >= self.max_utterance))
        return out

    def _finish(self, truncated: bool) -> VadEvent:
        end = self.t - self._silent * FRAME / RATE
        audio = np.concatenate(self._utt) if self._utt else np.zeros(0, np.int16)
        utt = Utterance(audio, self._start_t, end, truncated, self._voiced)
        self.in_speech = False
        self.complete = False
        self._peak = -120.0
        self._utt = []
        self._run = 0
        self._pre.clear()
        if self._voiced < self.min_voiced_frames:
            return VadEvent("dropped", end, utt, "too few voiced frames: noise, not speech")
        return VadEvent("end", end, utt)

    @property
    def silence_s(self) -> float:
        """Seconds of silence at the end of the utterance in progress."""
        return self._silent * FRAME / RATE if self.in_speech else 0.0

    def end_now(self) -> Optional[VadEvent]:
        """End the utterance in progress at once (its words are known to be complete)."""
        return self._finish(truncated=False) if self.in_speech else None

    def flush(self) -> List[VadEvent]:
        """End of stream: close an open utterance."""
        if self.in_speech:
            return [self._finish(truncated=False)]
        return []

    def frames(self) -> List[np.ndarray]:
        """The frames of the utterance in progress, in order (appended as they come)."""
        return self._utt


def silero_model_path() -> Optional[str]:
    """The Silero VAD v6 ONNX model that ships inside the faster-whisper wheel (PyPI), if installed."""
    import os

    try:
        import faster_whisper
    except Exception:
        return None
    path = os.path.join(os.path.dirname(faster_whisper.__file__), "assets", "silero_vad_v6.onnx")
    return path if os.path.exists(path) else None


@dataclass
class SileroVAD(EnergyVAD):
    """The same utterance logic as :class:`EnergyVAD` (start run, pre-roll, hangover,
    quick hangover, cut at ``max_utterance``), with the speech/non-speech decision
    of each frame taken from Silero VAD, a small neural network (ONNX, ~2 MB, 0.2 ms
    per 32 ms window on one core) that keeps hearing speech in noise where the
    energy test gives up (white noise at 10 dB SNR).  Frames are 30 ms; Silero reads
    512-sample windows (plus 64 samples of context), so a frame takes the
    probability of the newest window."""

    threshold: float = 0.5  # speech probability that counts as speech
    neg_threshold: float = 0.35  # below this counts as silence (hysteresis)
    model_path: str = ""

    def __post_init__(self):
        import onnxruntime

        path = self.model_path or silero_model_path()
        if not path:
            raise RuntimeError("Silero VAD model not found: install faster-whisper (it ships assets/silero_vad_v6.onnx) or set model_path")
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=opts)
        super().__post_init__()

    def reset(self) -> None:
        super().reset()
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._ctx = np.zeros(64, np.float32)
        self._acc = np.zeros(0, np.float32)
        self.prob = 0.0

    def _speech_prob(self, f: np.ndarray) -> float:
        self._acc = np.concatenate([self._acc, f.astype(np.float32) / 32768.0])
        while len(self._acc) >= 512:
            w, self._acc = self._acc[:512], self._acc[512:]
            out, self._h, self._c = self._session.run(None, {"input": np.concatenate([self._ctx, w])[None], "h": self._h, "c": self._c})
            self._ctx = w[-64:]
            self.prob = float(np.ravel(out)[0])
        return self.prob

    def _classify(self, f: np.ndarray) -> Tuple[bool, bool, bool]:
        p = self._speech_prob(f)
        return p >= self.threshold, p < self.neg_threshold, p >= self.threshold

    def _idle(self) -> None:
        pass


VAD_KINDS = ("silero", "energy", "auto")


def make_vad(kind: str = "auto", **params) -> EnergyVAD:
    """``silero``, ``energy``, or ``auto`` (Silero when its model and onnxruntime are installed, else energy)."""
    if kind not in VAD_KINDS:
        raise ValueError(f"unknown VAD {kind!r}: one of {', '.join(VAD_KINDS)}")
    if kind == "energy":
        return EnergyVAD(**params)
    try:
        return SileroVAD(**params)
    except Exception:
        if kind == "silero":
            raise
        return EnergyVAD(**{k: v for k, v in params.items() if k != "model_path"})


def segment(pcm: np.ndarray, vad: Optional[EnergyVAD] = None, tail: float = 1.0) -> List[VadEvent]:
    """Run a VAD over a whole recording (plus ``tail`` seconds of silence)."""
    vad = vad or EnergyVAD()
    ev = vad.feed(pcm)
    ev += vad.feed(np.zeros(int(tail * RATE), np.int16))
    ev += vad.flush()
    return ev
