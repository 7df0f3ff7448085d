"""Audio helpers: WAV files, resampling to 16 kHz mono int16.  Pure Python."""
from __future__ import annotations

import math
import os
import wave
from typing import Tuple

import numpy as np

RATE = 16000


class AudioError(ValueError):
    """An audio file or buffer that cannot be used; the message says why."""


def read_wav(path: str) -> Tuple[np.ndarray, int]:
    """(samples as float32 in [-1, 1], shape (n,) or (n, channels); sample rate)."""
    if not os.path.isfile(path):
        raise AudioError(f"{path}: no such file")
    try:
        from scipy.io import wavfile

        rate, data = wavfile.read(path)
    except Exception as e:
        raise AudioError(f"{path}: not a readable WAV file ({type(e).__name__}: {e})") from None
    if data.size == 0:
        raise AudioError(f"{path}: the WAV file holds no samples")
    if data.dtype == np.uint8:
        x = (data.astype(np.float32) - 128) / 128
    elif data.dtype == np.int16:
        x = data.astype(np.float32) / 32768
    elif data.dtype == np.int32:
        x = data.astype(np.float32) / 2147483648
    elif data.dtype in (np.float32, np.float64):
        x = data.astype(np.float32)
    else:
        raise AudioError(f"{path}: unsupported sample format {data.dtype}")
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: the WAV file contains non-finite samples")
    if rate <= 0:
        raise AudioError(f"{path}: invalid sample rate {rate}")
    return x, int(rate)


def to_mono16k(x: np.ndarray, rate: int) -> np.ndarray:
    """Mix to mono and resample to 16 kHz; returns int16."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != RATE:
        from scipy.signal import resample_poly

        g = math.gcd(int(rate), RATE)
        x = resample_poly(x, RATE // g, int(rate) // g).astype(np.float32)
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


class StreamResampler:
    """Resampling of a stream that arrives in chunks, to 16 kHz: the same output
    as ``scipy.signal.resample_poly`` on the whole stream (same Kaiser-window
    filter, same alignment), without a click or a lost sample at every chunk
    edge, which resampling each chunk alone gives (and, at 22.05 or 44.1 kHz,
    a rounding drift of the chunk lengths).  ``process`` returns the output
    samples whose filter input has all arrived (a delay of half the filter:
    ~0.2 ms at 48 kHz, ~0.7 ms at 44.1 kHz).  Floats in [-1, 1] in, int16 out."""

    def __init__(self, rate: int, out_rate: int = RATE):
        from scipy.signal import firwin

        g = math.gcd(int(rate), int(out_rate))
        self.up, self.down = int(out_rate) // g, int(rate) // g
        half = 10 * max(self.up, self.down)  # resample_poly's filter
        h = firwin(2 * half + 1, 1.0 / max(self.up, self.down), window=("kaiser", 5.0)) * self.up
        taps = -(-len(h) // self.up)
        # polyphase: phase r of output m uses h[r], h[r + up], ... on x[b], x[b - 1], ...
        self.poly = np.zeros((self.up, taps), np.float64)
        for r in range(self.up):
            hr = h[r :: self.up]
            self.poly[r, : len(hr)] = hr
        self.delay = half  # in the upsampled domain
        self.taps = taps
        self.hist = np.zeros(taps, np.float64)  # the last `taps` input samples (zeros before the start)
        self.n_in = 0  # input samples consumed
        self.n_out = 0  # output samples produced

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).ravel()
        buf = np.concatenate([self.hist, x])
        first = self.n_in - len(self.hist)  # stream index of buf[0]
        self.n_in += len(x)
        # output m is ready when the newest input it needs, x[(m * down + delay) // up], has arrived
        last = (self.n_in * self.up - 1 - self.delay) // self.down  # the last ready output index
        m = np.arange(self.n_out, last + 1, dtype=np.int64)
        self.n_out = max(self.n_out, last + 1)
        self.hist = buf[-self.taps :] if len(buf) >= self.taps else np.concatenate([np.zeros(self.taps - len(buf)), buf])
        if m.size == 0:
            return np.zeros(0, np.int16)
        pos = m * self.down + self.delay
        r, b = pos % self.up, pos // self.up
        idx = b[:, None] - np.arange(self.taps)[None, :] - first
        vals = np.where(idx >= 0, buf[np.clip(idx, 0, len(buf) - 1)], 0.0)
        y = np.einsum("mt,mt->m", self.poly[r], vals)
        return np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16)


def load_16k(path: str) -> np.ndarray:
    x, rate = read_wav(path)
    return to_mono16k(x, rate)


def write_wav(path: str, pcm: np.ndarray, rate: int = RATE) -> None:
    pcm = np.asarray(pcm, dtype=np.int16)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def int16_from_any(x) -> np.ndarray:
    """An audio chunk as int16 (accepts int16 arrays, lists, float [-1, 1] arrays)."""
    a = np.asarray(x)
    if a.dtype == np.int16:
        return a
    if np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
        return np.clip(np.round(a * 32767), -32768, 32767).astype(np.int16)
    return np.clip(a, -32768, 32767).astype(np.int16)


def sound_end(pcm: np.ndarray, rel: float = 0.02) -> int:
    """Sample index where the sound of a clip ends: after its last sample above
    ``rel`` of the peak (synthesisers and recordings pad with silence)."""
    a = np.abs(np.asarray(pcm).astype(np.int32))
    if a.size == 0:
        return 0
    loud = np.flatnonzero(a > rel * max(1, int(a.max())))
    return int(loud[-1]) + 1 if len(loud) else len(a)
