"""The speech pipeline: audio chunks in, transcripts and stop events out.  Pure Python.

VAD finds utterances; the recogniser decodes each while it is spoken; a stop word
is reported at once (the fast path), without waiting for the utterance to end,
when the recogniser's partial hypothesis has ended in "stop"/"halt"/"freeze" for
``stop_frames`` frames and a pause of ``stop_pause`` seconds follows the word, or
when the keyword spotter hears one that the partial hypothesis confirms.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from autogpt_ros.speech.denoise import SpectralDenoiser
from autogpt_ros.speech.grammar import can_end
from autogpt_ros.speech.recognizer import Recognizer, RecognizerStream, StopSpotter, Transcript
from autogpt_ros.speech.vad import FRAME, RATE, EnergyVAD, make_vad
from autogpt_ros.vocabulary import STOP_WORDS


#: The stop fast path's defaults, chosen on a development set of other voices than bench speech
#: (m1, f3, m7; 45 stop utterances, 270 other commands, each at 3 stream positions).  Without a
#: pause, 3 frames false-alarmed on 12 of 270 ("find the black box" in one voice decodes as
#: "stop" for its first frames); needing one silent frame after the word: none, at +60 ms p50.
STOP_FRAMES = 2
STOP_PAUSE_S = 0.03

#: How far back (seconds of audio) the arrival times of fed chunks are kept: more than the
#: longest hangover and the denoiser's delay, so every event's end of speech is still there.
ARRIVALS_KEPT_S = 30.0


@dataclass
class SpeechEvent:
    kind: str  # "stop" | "transcript" | "rejected" | "start"
    text: str = ""
    speech_start: float = 0.0  # stream seconds
    speech_end: float = 0.0
    decode_ms: float = 0.0
    detail: str = ""
    truncated: bool = False
    # when the audio chunk holding the end of the speech (for a stop: the frame it was heard
    # in) was given to SpeechPipeline.feed, in time.monotonic() seconds; None if unknown.
    # speech_start/speech_end are positions in the audio stream, not times of the clock:
    # audio that arrives in bursts, faster or slower than real time, or with gaps (an audio
    # topic that pauses) puts them anywhere relative to the clock.
    end_arrival: Optional[float] = None

    def lag_ms(self, now: Optional[float] = None) -> Optional[float]:
        """Milliseconds from the arrival of the audio with the end of the speech to ``now``
        (default: time.monotonic()); None if that arrival is not known."""
        if self.end_arrival is None:
            return None
        return ((time.monotonic() if now is None else now) - self.end_arrival) * 1000.0


def trusted_final(partial: List[str], final: List[str]) -> bool:
    """Does the final hypothesis, read before the utterance is over, say the command is
    complete?  Only as a clean-up of the partial one: a whole command, the same words
    as the partial but for the last, and fewer of them ("go to the red box" for "go to
    the red and spot this").  A decode forced to a whole command after "find the"
    invents the rest ("find a block" for the partial "find a"): not trusted."""
    return bool(final) and can_end(" ".join(final)) and len(final) < len(partial) and final[:-1] == partial[: len(final) - 1]


class SpeechPipeline:
    """Frame by frame: the VAD decides where utterances are, the recogniser decodes
    each one while it is spoken (so the transcript is ready just after the end), and
    stop words are caught from the same frames (partial hypothesis, keyword spotter)."""

    def __init__(self, recognizer: Recognizer, vad: Optional[EnergyVAD] = None, spotter: Optional[StopSpotter] = None, stop_frames: int = STOP_FRAMES,
                 denoiser: Optional[SpectralDenoiser] = None, stop_pause: float = STOP_PAUSE_S):
        self.recognizer = recognizer
        self.vad = vad or make_vad("energy")
        # noise suppression before everything else (VAD, recogniser, stop words); None: the audio as it comes
        self.denoiser = denoiser
        self.spotter = spotter  # None: no stop fast path at all (stop words wait for the transcript)
        # the grammar decoder's partial hypothesis ending in a stop word for this many frames in a
        # row, the word followed by this many seconds of silence (0: no pause needed), is a stop
        self.stop_frames = stop_frames
        self.stop_pause = stop_pause
        self._stop_run = 0
        self._stop_fired = False
        self._stream: Optional[RecognizerStream] = None
        self._fed = 0  # frames of the current utterance given to the recogniser
        self._peeked = False  # the final hypothesis was looked at during this stretch of silence
        self._n_in = 0  # samples given to feed()
        self._arrivals: deque = deque()  # (first sample, end sample, arrival time) of the recent chunks

    @property
    def stream_time(self) -> float:
        return self.vad.t

    def feed(self, chunk: np.ndarray, arrival: Optional[float] = None) -> List[SpeechEvent]:
        """Process a chunk of 16 kHz audio.  ``arrival``: when it arrived (time.monotonic()
        seconds; default: now), for each event's ``end_arrival``."""
        chunk = np.asarray(chunk, dtype=np.int16)
        self._note_arrival(len(chunk), time.monotonic() if arrival is None else arrival)
        if self.denoiser is not None:
            chunk = self.denoiser.process(chunk)
        out: List[SpeechEvent] = []
        # one VAD frame at a time, so every event refers to the utterance in progress
        for i in range(0, len(chunk), FRAME):
            out.extend(self._step(chunk[i : i + FRAME]))
        return self._stamp(out)

    def _note_arrival(self, n: int, arrival: float) -> None:
        if n <= 0:
            return
        self._arrivals.append((self._n_in, self._n_in + n, arrival))
        self._n_in += n
        keep = self._n_in - int(ARRIVALS_KEPT_S * RATE)
        while len(self._arrivals) > 1 and self._arrivals[0][1] <= keep:
            self._arrivals.popleft()

    def arrival_of(self, stream_t: float) -> Optional[float]:
        """When the chunk holding the sample just before stream position ``stream_t``
        (seconds; the VAD's positions) was fed, or None if it is no longer known."""
        # the denoiser's output is its input delayed by ``delay`` samples (zeros first)
        sample = int(round(stream_t * RATE)) - 1 - (self.denoiser.delay if self.denoiser is not None else 0)
        sample = min(max(sample, 0), self._n_in - 1)
        for first, end, arrival in reversed(self._arrivals):
            if first <= sample < end:
                return arrival
            if end <= sample:
                break
        return None

    def _stamp(self, events: List[SpeechEvent]) -> List[SpeechEvent]:
        for ev in events:
            if ev.end_arrival is None and ev.kind != "start":
                ev.end_arrival = self.arrival_of(ev.speech_end)
        return events

    def _step(self, piece: np.ndarray) -> List[SpeechEvent]:
        out: List[SpeechEvent] = []
        for ev in self.vad.feed(piece):
            if ev.kind == "start":
                self._stop_fired = False
                self._stop_run = 0
                self._stream = self.recognizer.stream()
                self._fed = 0
                self._peeked = False
                if self.spotter is not None:
                    self.spotter.reset()
                    self.spotter.start()
                out.append(SpeechEvent("start", speech_start=ev.time_s))
            elif ev.kind in ("end", "dropped"):
                out.extend(self._finish(ev))
        if self.vad.in_speech and self._stream is not None:
            frames = self.vad.frames()
            new = frames[self._fed :]
            self._fed = len(frames)
            if new:
                audio = np.concatenate(new)
                self._stream.feed(audio)
                partial = self._stream.partial().split()
                self.vad.complete = can_end(" ".join(partial))
                self._stop_run = self._stop_run + 1 if partial and partial[-1] in STOP_WORDS else 0
                if self.spotter is not None and not self._stop_fired:
                    word = self.spotter.feed(audio)
                    if self._stop_run >= self.stop_frames and (self.stop_pause <= 0 or self.vad.silence_s >= self.stop_pause):
                        out.append(self._stop(partial[-1], self.vad._start_t, "the recogniser's partial hypothesis ends in a stop word"))
                    elif word and any(w in STOP_WORDS for w in partial):
                        # keyword spotting alone false-alarms on short words ("please" -> "freeze"):
                        # it counts only if the grammar decoder's hypothesis so far has a stop word too
                        out.append(self._stop(word, self.vad._start_t))
            out.extend(self._peek())
        return out

    def _peek(self) -> List[SpeechEvent]:
        """After ``quick_hangover`` of silence, finish the decode and look at the final
        hypothesis (the partial one often trails in half-matched words: "go to the red
        and spot this" for "go to the red box").  A trusted whole command ends the
        utterance now; otherwise the recogniser restarts on the audio so far and the VAD
        waits for the full hangover.  Only for recognisers whose finish is cheap
        (PocketSphinx)."""
        if self.vad.silence_s == 0.0:
            self._peeked = False  # speech again: the next pause may be looked at
            return []
        if self._peeked or self.vad.silence_s < self.vad.quick_hangover or not getattr(self.recognizer, "cheap_finish", False):
            return []
        self._peeked = True
        partial = self._stream.partial().split()
        tr: Transcript = self._stream.finish()
        if trusted_final(partial, tr.text.split()):
            ev = self.vad.end_now()
            self._stream = None
            if ev.kind == "dropped":
                return [SpeechEvent("rejected", "", ev.utterance.start_s, ev.utterance.end_s, detail=ev.reason)]
            return self._result(tr, ev.utterance)
        self._stream = self.recognizer.stream()  # not a whole command yet: decode again, from the start
        frames = self.vad.frames()
        self._stream.feed(np.concatenate(frames))
        self._fed = len(frames)
        return []

    def _stop(self, word: str, start: float, detail: str = "stop word heard mid-utterance (keyword spotting)") -> SpeechEvent:
        self._stop_fired = True
        return SpeechEvent("stop", word, speech_start=start, speech_end=self.vad.t, detail=detail)

    def _finish(self, ev) -> List[SpeechEvent]:
        if self.spotter is not None:
            self.spotter.reset()
        u = ev.utterance
        stream, self._stream = self._stream, None
        if ev.kind == "dropped":
            if stream is not None:
                stream.cancel()
            return [SpeechEvent("rejected", "", u.start_s, u.end_s, detail=ev.reason)]
        if stream is None:  # not streamed (cannot happen with the VAD's events; kept for safety)
            stream = self.recognizer.stream()
            stream.feed(u.audio)
        else:
            stream.feed(u.audio[self._fed * FRAME :])  # the frames of this call not yet given
        return self._result(stream.finish(), u)

    def _result(self, tr: Transcript, u) -> List[SpeechEvent]:
        if not tr.text:
            return [SpeechEvent("rejected", "", u.start_s, u.end_s, tr.decode_ms, tr.rejected or "nothing recognised", u.truncated)]
        if self._stop_fired and tr.text.strip() in STOP_WORDS:
            return []  # the fast path already said it
        return [SpeechEvent("transcript", tr.text, u.start_s, u.end_s, tr.decode_ms, truncated=u.truncated)]

    def flush(self) -> List[SpeechEvent]:
        out = []
        if self.denoiser is not None:
            rest = self.denoiser.flush()
            for i in range(0, len(rest), FRAME):
                out.extend(self._step(rest[i : i + FRAME]))
        for ev in self.vad.flush():
            out.extend(self._finish(ev))
        return self._stamp(out)


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
