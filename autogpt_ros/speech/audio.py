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
