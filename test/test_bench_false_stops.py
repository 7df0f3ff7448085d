"""bench speech's false stop count: the default pipeline on white noise and on silence."""
import pytest

from autogpt_ros.tools.bench import speech as speech_bench
from autogpt_ros.speech.recognizer import PocketSphinxRecognizer


@pytest.fixture(scope="module")
def recognizer():
    return PocketSphinxRecognizer()


def test_false_stops_counts_on_a_short_noise_clip(recognizer):
    res = speech_bench.false_stops(seconds=3.0, recognizer=recognizer)
    assert set(res) == {"false_stops_noise_3s", "false_stops_silence_3s"}
    for v in res.values():
        assert isinstance(v, int) and v >= 0
    assert res["false_stops_silence_3s"] == 0  # digital silence never starts an utterance


def test_the_60s_keys_the_bench_reports():
    # the same function, at the bench's length, names its figures as the JSON and printout do
    res = speech_bench.false_stops(seconds=0.5)
    assert set(res) == {"false_stops_noise_0.5s", "false_stops_silence_0.5s"}
    assert "false_stops_noise_60s" in speech_bench.run.__doc__ and "false_stops_silence_60s" in speech_bench.run.__doc__


def test_count_stops_counts_a_spoken_stop(recognizer, tmp_path):
    import shutil
    import subprocess

    import numpy as np

    from autogpt_ros.speech.audio import RATE, load_16k

    wav = str(tmp_path / "stop.wav")
    subprocess.run([shutil.which("espeak-ng") or "espeak-ng", "-v", "en-us", "-w", wav, "stop"], check=True)
    pcm = np.concatenate([np.zeros(RATE // 2, np.int16), load_16k(wav), np.zeros(RATE, np.int16)])
    assert speech_bench.count_stops(speech_bench.default_speech_pipeline(recognizer), pcm) == 1  # the fast path only: its transcript is not counted again


def test_the_default_pipeline_is_microphone_node_with_its_defaults(recognizer):
    from autogpt_ros.nodes.microphone_node import MicrophoneNode

    defaults = {p.name: p.default for p in MicrophoneNode.PARAMS}
    pipe = speech_bench.default_speech_pipeline(recognizer)
    assert defaults["backend"] == "pocketsphinx" and isinstance(pipe.recognizer, PocketSphinxRecognizer)
    assert defaults["vad"] == "energy" and type(pipe.vad).__name__ == "EnergyVAD"
    assert defaults["denoise"] is False and pipe.denoiser is None
    assert defaults["stop_words"] is True and pipe.spotter is not None
    assert (pipe.stop_frames, pipe.stop_pause) == (defaults["stop_frames"], defaults["stop_pause"])
    assert (pipe.vad.hangover, pipe.vad.quick_hangover, pipe.vad.max_utterance) == (defaults["hangover"], defaults["quick_hangover"], defaults["max_utterance"])
