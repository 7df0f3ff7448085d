"""microphone_node: offline speech commands from a microphone, an audio topic or WAV files.

``source``: ``device`` (a microphone through sounddevice/PortAudio; raw audio
is republished on ``/audio/pcm``; the device is reopened if it disappears),
``topic`` (``/audio/pcm`` Int16MultiArray chunks, ``topic_rate`` Hz mono) or
``file`` (``files``: WAV files played at real time, one after another).
Device and topic audio at another rate is resampled to 16 kHz as one stream
(:class:`~autogpt_ros.speech.audio.StreamResampler`), not chunk by chunk.
Publishes ``/speech/transcript`` (lower-case, one message per utterance) and
``true`` on ``/agent/estop`` as soon as "stop", "halt" or "freeze" is heard.
Each utterance's timings are logged: speech start and end (positions in the
audio stream, seconds) and how long after the audio holding the end of the
speech arrived the result was published (wall clock, milliseconds).
"""
from __future__ import annotations

import queue
import threading
import time
from typing import List, Optional, Tuple

import numpy as np
from std_msgs.msg import Bool, Int16MultiArray, MultiArrayDimension, String

from autogpt_ros import interfaces as ifc
from autogpt_ros.nodes.base import AgentNode, main_for
from autogpt_ros.params import Param
from autogpt_ros.speech.audio import RATE, AudioError, StreamResampler, int16_from_any, load_16k
from autogpt_ros.speech.denoise import SpectralDenoiser
from autogpt_ros.speech.pipeline import STOP_FRAMES, STOP_PAUSE_S, SpeechPipeline
from autogpt_ros.speech.recognizer import RecognizerError, StopSpotter, make_recognizer
from autogpt_ros.speech.vad import make_vad

CHUNK = 480  # 30 ms at 16 kHz


class MicrophoneNode(AgentNode):
    NAME = "microphone_node"
    PARAMS = (
        Param("source", "device", "Audio source: `device` (microphone), `topic` (/audio/pcm) or `file` (WAV files).", choices=("device", "topic", "file")),
        Param("backend", "pocketsphinx", "Recogniser: `pocketsphinx` (embedded, command grammar) or `whisper` (faster-whisper, open vocabulary).", choices=("pocketsphinx", "whisper")),
        Param("whisper_model", "tiny.en", "whisper backend: local CTranslate2 model directory or model name."),
        Param("files", [""], "file source: WAV files to play, in order.", type="string_array"),
        Param("file_gap", 1.0, "file source: seconds of silence between files.", range=(0.0, 60.0)),
        Param("device", "", "device source: input device name or index (empty: the default input)."),
        Param("device_rate", 16000, "device source: capture sample rate (resampled to 16 kHz).", range=(8000, 192000)),
        Param("topic_rate", 16000, "topic source: sample rate of /audio/pcm chunks.", range=(8000, 192000)),
        Param("stop_words", True, "Publish /agent/estop at once when a stop word is heard."),
        Param("stop_frames", STOP_FRAMES, "Stop word fast path: the recogniser's partial hypothesis must end in a stop word for this many 30 ms frames in a row.", range=(1, 20)),
        Param("stop_pause", STOP_PAUSE_S, "Stop word fast path: seconds of silence needed after the stop word (0: none; without it the start of some words false-alarms).", range=(0.0, 1.0)),
        Param("vad", "energy", "Voice activity detector: `energy` (energy + voicing, pure numpy; best in quiet rooms), `silero` (neural, its ONNX model ships with faster-whisper; holds up in loud noise, see bench speech) or `auto` (silero when installed, else energy).", choices=("energy", "silero", "auto")),
        Param("denoise", False, "Noise suppression (spectral, minimum-statistics noise tracking) before the VAD and the recogniser: for loud steady noise (fans, motors). bench speech, white noise at 10 dB SNR: same command understood 0.53 -> 0.71; at 20 dB exact match 0.91 -> 0.84; clean audio passes unchanged, 16 ms later."),
        Param("max_utterance", 8.0, "Longest utterance in seconds (longer speech is cut).", range=(1.0, 60.0)),
        Param("hangover", 0.4, "Silence (seconds) that ends an utterance whose words so far are not a whole command.", range=(0.05, 2.0)),
        Param("quick_hangover", 0.2, "Silence (seconds) that ends an utterance once the words so far make a whole command (the recogniser's partial hypothesis, or with PocketSphinx its final hypothesis looked at after this much silence).", range=(0.05, 2.0)),
    )

    def configure(self) -> None:
        try:
            kw = {"model": self.param("whisper_model")} if self.param("backend") == "whisper" else {}
            self.recognizer = make_recognizer(self.param("backend"), **kw)
        except RecognizerError as e:
            raise RuntimeError(str(e)) from None
        spotter = StopSpotter() if self.param("stop_words") else None
        try:
            vad = make_vad(self.param("vad"), hangover=float(self.param("hangover")), quick_hangover=float(self.param("quick_hangover")), max_utterance=float(self.param("max_utterance")))
        except Exception as e:
            raise RuntimeError(f"vad {self.param('vad')!r}: {e}") from None
        self.get_logger().info(f"voice activity detector: {type(vad).__name__}")
        denoiser = SpectralDenoiser() if self.param("denoise") else None
        self.pipeline = SpeechPipeline(self.recognizer, vad, spotter, stop_frames=int(self.param("stop_frames")), denoiser=denoiser,
                                       stop_pause=float(self.param("stop_pause")))
        self.pub_transcript = self.publisher(ifc.TRANSCRIPT)
        self.pub_estop = self.publisher(ifc.ESTOP)
        self.pub_pcm = self.publisher(ifc.AUDIO_PCM) if self.param("source") == "device" else None
        # (chunk, its arrival in time.monotonic() seconds), None to end the worker
        self.audio: "queue.Queue[Optional[Tuple[np.ndarray, float]]]" = queue.Queue(maxsize=2000)
        self._topic_resampler = None  # (rate, StreamResampler): /audio/pcm at another rate than 16 kHz
        if self.param("source") == "topic":
            self.subscription(ifc.AUDIO_PCM, self.on_pcm)
        self._threads: List[threading.Thread] = []

    def activate(self) -> None:
        self._threads = [threading.Thread(target=self._work, name="speech", daemon=True)]
        src = self.param("source")
        if src == "file":
            self._threads.append(threading.Thread(target=self._play_files, name="files", daemon=True))
        elif src == "device":
            self._threads.append(threading.Thread(target=self._capture, name="microphone", daemon=True))
        for t in self._threads:
            t.start()

    def deactivate(self) -> None:
        self.audio.put(None)
        for t in self._threads:
            t.join(2.0)

    # ---- sources ----------------------------------------------------------------
    def _push(self, pcm: np.ndarray) -> None:
        try:
            self.audio.put_nowait((pcm, time.monotonic()))  # the arrival, for the logged delays
        except queue.Full:
            self.reject("audio", "recogniser is behind: audio chunk dropped")

    def on_pcm(self, msg: Int16MultiArray) -> None:
        data = np.asarray(msg.data, dtype=np.int64)
        if data.size == 0:
            return
        pcm = int16_from_any(data)
        rate = int(self.param("topic_rate"))
        if rate != RATE:
            if self._topic_resampler is None or self._topic_resampler[0] != rate:
                self._topic_resampler = (rate, StreamResampler(rate))
            pcm = self._topic_resampler[1].process(pcm.astype(np.float32) / 32768.0)
        self._push(pcm)

    def _play_files(self) -> None:
        files = [f for f in self.param("files") if f]
        if not files:
            self.get_logger().warning("file source without files: nothing to play")
        for path in files:
            try:
                pcm = load_16k(path)
            except AudioError as e:
                self.errors["file"] += 1
                self.get_logger().error(f"cannot play {path}: {e}")
                continue
            self.get_logger().info(f"playing {path} ({len(pcm) / RATE:.1f} s)")
            gap = np.zeros(int(float(self.param("file_gap")) * RATE), np.int16)
            self._play(np.concatenate([pcm, gap]))
            if not self.active:
                return
        self._play(np.zeros(RATE, np.int16))  # let the last utterance end

    def _play(self, pcm: np.ndarray) -> None:
        t0 = time.monotonic()
        for i in range(0, len(pcm), CHUNK):
            if not self.active:
                return
            self._push(pcm[i : i + CHUNK])
            delay = t0 + (i + CHUNK) / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def _capture(self) -> None:
        dev = self.param("device") or None
        if isinstance(dev, str) and dev.isdigit():
            dev = int(dev)
        rate = int(self.param("device_rate"))
        while self.active:
            try:
                import sounddevice as sd

                resampler = StreamResampler(rate) if rate != RATE else None  # one per opened stream

                def cb(indata, frames, t, status):
                    mono = indata[:, 0].copy() if indata.ndim == 2 else indata.copy()
                    pcm = mono if resampler is None else resampler.process(mono.astype(np.float32) / 32768.0)
                    self._push(pcm)
                    if self.pub_pcm is not None:
                        m = Int16MultiArray()
                        m.layout.dim = [MultiArrayDimension(label="samples", size=len(pcm), stride=len(pcm))]
                        m.data = pcm.tolist()
                        self.pub_pcm.publish(m)

                with sd.InputStream(device=dev, channels=1, samplerate=rate, dtype="int16", blocksize=int(rate * 0.03), callback=cb):
                    self.get_logger().info(f"listening on input device {dev or 'default'} at {rate} Hz")
                    while self.active:
                        time.sleep(0.2)
            except Exception as e:  # no PortAudio, no device, device unplugged
                self.errors["device"] += 1
                n = self.errors["device"]
                if n <= 3 or n % 30 == 0:  # the first attempts, then once a minute
                    self.get_logger().warning(f"microphone unavailable ({type(e).__name__}: {e}); attempt {n}, retrying in 2 s")
                time.sleep(2.0)

    # ---- recognition -----------------------------------------------------------------
    def _work(self) -> None:
        while self.active:
            try:
                chunk = self.audio.get(timeout=0.5)
            except queue.Empty:
                continue
            if chunk is None:
                return
            pcm, arrival = chunk
            try:
                for ev in self.pipeline.feed(pcm, arrival):
                    self.on_speech_event(ev)
            except Exception as e:
                self.errors["speech"] += 1
                self.get_logger().error(f"speech processing failed: {type(e).__name__}: {e}", throttle_duration_sec=2.0)

    @staticmethod
    def _lag(ev) -> str:
        """Wall-clock milliseconds from the arrival of the audio chunk holding the end of
        the speech to now (just after publishing).  Not now minus a stream position mapped
        to the clock: stream positions drift from the clock whenever the audio does not
        arrive at exactly real time (an audio topic that pauses, or sends in bursts),
        which logged ~1.9 s for a 0.2 s delay, and negative delays."""
        lag = ev.lag_ms()
        return "?" if lag is None else f"{lag:.0f}"

    def on_speech_event(self, ev) -> None:
        if ev.kind == "stop":
            if self.param("stop_words"):
                self.pub_estop.publish(Bool(data=True))
            self.pub_transcript.publish(String(data=ev.text))
            self.get_logger().info(f"STOP heard: e-stop raised; speech start {ev.speech_start:.2f} s, heard at {ev.speech_end:.2f} s, published {self._lag(ev)} ms after that audio arrived")
        elif ev.kind == "transcript":
            self.pub_transcript.publish(String(data=ev.text))
            lag = self._lag(ev)
            cut = " (cut at max_utterance)" if ev.truncated else ""
            self.get_logger().info(f"transcript {ev.text!r}: speech start {ev.speech_start:.2f} s, end {ev.speech_end:.2f} s, published {lag} ms after the audio with the end arrived (decode {ev.decode_ms:.0f} ms){cut}")
        elif ev.kind == "rejected":
            self.get_logger().info(f"utterance {ev.speech_start:.2f}-{ev.speech_end:.2f} s ignored: {ev.detail}")


main = main_for(MicrophoneNode)

if __name__ == "__main__":
    main()
