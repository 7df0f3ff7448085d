"""The speech pipeline: audio chunks in, transcripts and stop events out.  Pure Python.

VAD finds utterances; each utterance goes to the recogniser at its end; while
speech is going on, the stop spotter listens for "stop"/"halt"/"freeze" and
reports it at once (the fast path), without waiting for the utterance to end.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from autogpt_ros.speech.recognizer import Recognizer, StopSpotter, Transcript
from autogpt_ros.speech.vad import EnergyVAD, RATE
from autogpt_ros.vocabulary import STOP_WORDS


@dataclass
class SpeechEvent:
    kind: str  # "stop" | "transcript" | "rejected" | "start"
    text: str = ""
    speech_start: float = 0.0  # stream seconds
    speech_end: float = 0.0
    decode_ms: float = 0.0
    detail: str = ""
    truncated: bool = False


class SpeechPipeline:
    def __init__(self, recognizer: Recognizer, vad: Optional[EnergyVAD] = None, spotter: Optional[StopSpotter] = None):
        self.recognizer = recognizer
        self.vad = vad or EnergyVAD()
        self.spotter = spotter
        self._stop_fired = False

    @property
    def stream_time(self) -> float:
        return self.vad.t

    def feed(self, chunk: np.ndarray) -> List[SpeechEvent]:
        out: List[SpeechEvent] = []
        was_in_speech = self.vad.in_speech
        events = self.vad.feed(np.asarray(chunk, dtype=np.int16))
        for ev in events:
            if ev.kind == "start":
                self._stop_fired = False
                out.append(SpeechEvent("start", speech_start=ev.time_s))
                if self.spotter is not None:
                    self.spotter.reset()
                    self.spotter.start()
                    word = self.spotter.feed(self.vad.current_audio())
                    if word and self._confirm():
                        out.append(self._stop(word, ev.time_s))
            elif ev.kind in ("end", "dropped"):
                out.extend(self._finish(ev))
        if self.spotter is not None and self.vad.in_speech and was_in_speech and not self._stop_fired:
            word = self.spotter.feed(np.asarray(chunk, dtype=np.int16))
            if word and self._confirm():
                out.append(self._stop(word, self.vad._start_t))
        return out

    def _confirm(self) -> bool:
        """Keyword spotting alone false-alarms on short words ("please" -> "freeze");
        a stop counts only if the grammar decoder also hears a stop word in the audio so far."""
        tr = self.recognizer.transcribe(self.vad.current_audio())
        return any(w in STOP_WORDS for w in tr.text.split())

    def _stop(self, word: str, start: float) -> SpeechEvent:
        self._stop_fired = True
        return SpeechEvent("stop", word, speech_start=start, speech_end=self.vad.t, detail="stop word heard mid-utterance")

    def _finish(self, ev) -> List[SpeechEvent]:
        if self.spotter is not None:
            self.spotter.reset()
        u = ev.utterance
        if ev.kind == "dropped":
            return [SpeechEvent("rejected", "", u.start_s, u.end_s, detail=ev.reason)]
        tr: Transcript = self.recognizer.transcribe(u.audio)
        if not tr.text:
            return [SpeechEvent("rejected", "", u.start_s, u.end_s, tr.decode_ms, tr.rejected or "nothing recognised", u.truncated)]
        if self._stop_fired and tr.text.strip() in STOP_WORDS:
            return []  # the fast path already said it
        return [SpeechEvent("transcript", tr.text, u.start_s, u.end_s, tr.decode_ms, truncated=u.truncated)]

    def flush(self) -> List[SpeechEvent]:
        out = []
        for ev in self.vad.flush():
            out.extend(self._finish(ev))
        return out


def transcribe_file(path: str, recognizer: Recognizer) -> str:
    """All utterances of a recording, joined (for `autogpt-ros transcribe`)."""
    from autogpt_ros.speech.audio import load_16k

    pcm = load_16k(path)
    pipe = SpeechPipeline(recognizer)
    texts = []
    for ev in pipe.feed(pcm) + pipe.feed(np.zeros(RATE, np.int16)) + pipe.flush():
        if ev.kind == "transcript":
            texts.append(ev.text)
    return " ".join(texts)
