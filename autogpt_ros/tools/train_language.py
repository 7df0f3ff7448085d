"""autogpt-ros train-language: fine-tune the joint model, report, save the adapter.

Like the seed's section 5 (BERT token classification, AdamW, epochs, early
stopping on a validation set, per-label precision/recall/F1), with LoRA so
that only a small adapter and the heads are written.
"""
from __future__ import annotations

import json
import os
import random
import time
from typing import List, Optional

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from autogpt_ros.language import model as LM
from autogpt_ros.tools.language_data import Sample, generate
from autogpt_ros.vocabulary import SKILL_LABELS, TAGS
from autogpt_ros.language.decode import plan_to_dict
from autogpt_ros.tools.early_stopping import EarlyStopping


def paraphrases_path() -> str:
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "paraphrases.jsonl"))


def load_paraphrases(path: Optional[str] = None) -> List[dict]:
    with open(path or paraphrases_path()) as f:
        return [json.loads(l) for l in f if l.strip() and not l.startswith("#")]


def batch_tensors(tok, samples: List[Sample]):
    enc, word_ids = LM.encode_words(tok, [s.words for s in samples])
    B, T = enc["input_ids"].shape
    labels = torch.full((B, T), -100, dtype=torch.long)
    S = max(1, max(len(s.skills) for s in samples))
    step_masks = torch.zeros(B, S, T)
    step_labels = torch.full((B, S), -100, dtype=torch.long)
    for b, s in enumerate(samples):
        prev = None
        for t, w in enumerate(word_ids[b]):
            if w is None:
                continue
            if w != prev:
                labels[b, t] = TAGS.index(s.tags[w])
            prev = w
            k = s.step_of[w]
            if 0 <= k < S:
                step_masks[b, k, t] = 1.0
        for k, sk in enumerate(s.skills):
            step_labels[b, k] = SKILL_LABELS.index(sk)
    sent = torch.tensor([1 if s.actionable else 0 for s in samples])
    return enc, labels, step_masks, step_labels, sent


def evaluate_parser(parser, items, desc="evaluating") -> dict:
    """Exact match of whole goals, skill accuracy, per-slot F1 over items with "text" and "goal"."""
    exact, skill_ok, n_steps = 0, 0, 0
    tp, fp, fn = {}, {}, {}
    lat = []
    failures = []
    for it in tqdm(items, desc=desc, leave=False):
        r = parser.parse(it["text"])
        lat.append(r.timings.get("parse_ms", 0.0))
        got = r.goal_json()["steps"]
        want = it["goal"]["steps"]
        if _norm(got) == _norm(want):
            exact += 1
        else:
            failures.append({"text": it["text"], "want": want, "got": got})
        for a, b in zip(got, want):
            skill_ok += a["skill"] == b["skill"]
        n_steps += max(len(want), len(got)) or 1
        if not want and not got:
            skill_ok += 1
        for slot, g, w in _slots(got, want):
            if g == w and g is not None:
                tp[slot] = tp.get(slot, 0) + 1
            else:
                if g is not None:
                    fp[slot] = fp.get(slot, 0) + 1
                if w is not None:
                    fn[slot] = fn.get(slot, 0) + 1
    f1 = {}
    for slot in set(tp) | set(fp) | set(fn):
        p = tp.get(slot, 0) / max(1, tp.get(slot, 0) + fp.get(slot, 0))
        r = tp.get(slot, 0) / max(1, tp.get(slot, 0) + fn.get(slot, 0))
        f1[slot] = 2 * p * r / max(1e-9, p + r)
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    micro_p = total_tp / max(1, total_tp + total_fp)
    micro_r = total_tp / max(1, total_tp + total_fn)
    return {
        "n": len(items),
        "exact_match": exact / max(1, len(items)),
        "skill_accuracy": skill_ok / max(1, n_steps),
        "slot_f1": 2 * micro_p * micro_r / max(1e-9, micro_p + micro_r),
        "slot_f1_by_slot": f1,
        "latency_p50_ms": float(np.percentile(lat, 50)) if lat else float("nan"),
        "latency_p95_ms": float(np.percentile(lat, 95)) if lat else float("nan"),
        "failures": failures,
    }


def _norm(steps):
    """Steps as plan language v1 writes them, for comparison: the v1 sets were written in v1, which has
    no ``speed`` ("approach the green box slowly" is go_to the green box there; plan language v2 adds
    ``"speed": "slow"``, which v1 cannot write and so is not counted against a v1 set)."""
    out = []
    for s in steps:
        s = {k: v for k, v in s.items() if k != "speed"}
        for k in ("distance_m", "angle_deg"):
            if k in s and s[k] is not None:
                s[k] = round(float(s[k]), 3)
        out.append(json.dumps(s, sort_keys=True))
    return out


def _slots(got, want):
    def flat(steps):
        d = {}
        for i, s in enumerate(steps):
            d[(i, "skill")] = s["skill"]
            for k, v in s.items():
                if k == "target":
                    d[(i, "color")] = v.get("color")
                    d[(i, "shape")] = v.get("shape")
                elif k != "skill":
                    d[(i, k)] = round(float(v), 3) if isinstance(v, (int, float)) else v
        return d

    g, w = flat(got), flat(want)
    for key in set(g) | set(w):
        yield key[1], g.get(key), w.get(key)


class _InMemoryParser:
    """A Parser over the model being trained (for validation during training)."""

    def __init__(self, tok, model):
        from autogpt_ros.language.parser import ModelParser, Parser
        from autogpt_ros.language.decode import Limits

        mp = ModelParser.__new__(ModelParser)
        mp.tok, mp.model, mp.meta, mp.load_s, mp.weights = tok, model, {}, 0.0, "<training>"
        p = Parser.__new__(Parser)
        p.limits, p.backend_name, p.backend = Limits(), "model", mp
        self.parser = p

    def parse(self, text):
        return self.parser.parse(text)


def tag_report(tok, model, samples: List[Sample]):
    """Word-level per-label precision/recall/F1 (the seed's classification_report)."""
    from sklearn.metrics import classification_report

    y_true, y_pred = [], []
    model.eval()
    with torch.inference_mode():
        for i in range(0, len(samples), 64):
            chunk = samples[i : i + 64]
            enc, word_ids = LM.encode_words(tok, [s.words for s in chunk])
            h = model.encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            pred = model.token_head(h).argmax(-1)
            for b, s in enumerate(chunk):
                first = LM.first_subtoken_index(word_ids[b], len(s.words))
                for w, t in enumerate(first):
                    if t >= 0:
                        y_true.append(s.tags[w])
                        y_pred.append(TAGS[int(pred[b, t])])
    labels = [t for t in TAGS if t != "O"]
    return classification_report(y_true, y_pred, labels=labels, zero_division=0, digits=3), y_true, y_pred


def skill_confusion_png(parser, items, path: str) -> None:
    from autogpt_ros.tools.plots import confusion_png

    yt, yp = [], []
    for it in items:
        got = [s["skill"] for s in parser.parse(it["text"]).goal_json()["steps"]]
        want = [s["skill"] for s in it["goal"]["steps"]]
        n = max(len(got), len(want), 1)
        yt += want + ["none"] * (n - len(want))
        yp += got + ["none"] * (n - len(got))
    confusion_png(yt, yp, list(SKILL_LABELS) + ["none"], path, "language: skills on the hand-written paraphrases", "predicted skill", "true skill")


def train_language(out: str, report_dir: str, n_train: int = 3600, n_val: int = 400, epochs: int = 5, seed: int = 0, base: str = LM.DEFAULT_BASE, batch: int = 32, lr: float = 6e-4, log=print) -> dict:
    t0 = time.time()
    random.seed(seed)
    torch.manual_seed(seed)
    os.makedirs(report_dir, exist_ok=True)
    data = generate(n_train + n_val, seed)
    train, val = data[:n_train], data[n_train:]
    tok, enc = LM.load_base(base)
    peft_enc, lora_cfg = LM.with_lora(enc)
    model = JointModelFor(peft_enc)
    params_lora = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    params_heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    opt = torch.optim.AdamW([{"params": params_lora, "lr": lr}, {"params": params_heads, "lr": lr * 3}], weight_decay=0.01)
    steps_total = epochs * ((len(train) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[lr, lr * 3], total_steps=steps_total, pct_start=0.1)
    ce = nn.CrossEntropyLoss(ignore_index=-100)
    stopper, history = EarlyStopping(patience=2), []
    val_items = [{"text": s.text, "goal": s.goal} for s in val]
    for ep in range(epochs):
        model.train()
        order = list(range(len(train)))
        random.Random(seed + ep).shuffle(order)
        total = 0.0
        bar = tqdm(range(0, len(order), batch), desc=f"fine-tuning epoch {ep + 1}/{epochs}")
        for i in bar:
            chunk = [train[j] for j in order[i : i + batch]]
            enc_b, labels, masks, step_labels, sent = batch_tensors(tok, chunk)
            tl, sl, cl = model(enc_b["input_ids"], enc_b["attention_mask"], masks)
            loss = ce(tl.reshape(-1, tl.shape[-1]), labels.reshape(-1)) + ce(sl.reshape(-1, sl.shape[-1]), step_labels.reshape(-1)) + ce(cl, sent)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(chunk)
            bar.set_postfix(loss=f"{loss.item():.3f}")
        model.eval()
        ev = evaluate_parser(_InMemoryParser(tok, model), val_items, "validation")
        history.append({"epoch": ep + 1, "loss": total / len(train), "val_exact_match": ev["exact_match"]})
        log(f"epoch {ep + 1}: loss {total / len(train):.4f}  validation exact match {ev['exact_match']:.4f}  slot F1 {ev['slot_f1']:.4f}")
        if stopper.step(ev["exact_match"], lambda: {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k or not k.startswith("encoder.")}):
            log(f"early stopping: validation exact match did not improve for {stopper.patience} epochs")
            break
    model.load_state_dict(stopper.best_state, strict=False)
    model.eval()
    meta = {"base": base, "n_train": n_train, "seed": seed, "history": history, "train_seconds": round(time.time() - t0, 1)}
    LM.save(out, model, lora_cfg, base, meta)
    # reports on the generated validation set and the hand-written paraphrases (test only)
    text, _, _ = tag_report(tok, model, val)
    log("\nper-label precision/recall/F1 (generated validation set, word level):\n" + text)
    from autogpt_ros.language.parser import Parser

    parser = Parser("model", weights=out)
    gen = evaluate_parser(parser, val_items, "generated set")
    para = evaluate_parser(parser, load_paraphrases(), "paraphrases")
    skill_confusion_png(parser, load_paraphrases(), os.path.join(report_dir, "language_confusion.png"))
    summary = {
        "weights": out,
        "weights_bytes": os.path.getsize(out),
        "train_seconds": round(time.time() - t0, 1),
        "generated": {k: v for k, v in gen.items() if k != "failures"},
        "paraphrases": {k: v for k, v in para.items() if k != "failures"},
        "paraphrase_failures": para["failures"][:50],
        "history": history,
    }
    with open(os.path.join(report_dir, "language_report.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(report_dir, "language_report.txt"), "w") as f:
        f.write(text)
    log(f"generated set: exact match {gen['exact_match']:.3f}, skill accuracy {gen['skill_accuracy']:.3f}, slot F1 {gen['slot_f1']:.3f}")
    log(f"hand-written paraphrases ({para['n']}): exact match {para['exact_match']:.3f}, skill accuracy {para['skill_accuracy']:.3f}, slot F1 {para['slot_f1']:.3f}")
    log(f"wrote {out} ({os.path.getsize(out) / 1e6:.2f} MB) in {time.time() - t0:.0f} s")
    return summary


def JointModelFor(peft_encoder) -> LM.JointModel:
    return LM.JointModel(peft_encoder, peft_encoder.config.hidden_size)
