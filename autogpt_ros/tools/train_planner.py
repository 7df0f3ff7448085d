"""`autogpt-ros train-planner`: LoRA fine-tuning of the generative planner.

The base causal LM (SmolLM2-135M-Instruct or Gemma 3 270M from their PyPI GGUF
packages) learns to write the compact plan words of :mod:`autogpt_ros.language.dsl`
after ``Instruction: <text>\\nPlan:``, on sentences from
:mod:`autogpt_ros.tools.plan_data` (a training set and a development set drawn apart).
The loss is on the plan tokens only; the development loss decides early stopping and
which weights are kept.  Afterwards the planner, loaded as reasoning_node loads it
(adapter merged, constrained decoding), is measured on the development set: exact
match by meaning, per-skill precision / recall / F1, and a confusion plot of what
kind of plan came out against what was meant.
"""
from __future__ import annotations

import datetime
import json
import os
import random
import time
from collections import Counter
from typing import List, Optional

from tqdm import tqdm

from autogpt_ros import interfaces as ifc
from autogpt_ros.language import dsl
from autogpt_ros.tools import plan_data as PD
from autogpt_ros.tools.early_stopping import EarlyStopping

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def encode_sample(codec, s: PD.PlanSample, max_move_m: float = PD.MAX_MOVE_M):
    from autogpt_ros.language.planner import prompt_text

    prompt = codec.prompt(prompt_text(s.text))
    target = codec.encode(dsl.plan_words(ifc.Plan.model_validate(s.plan), max_move_m))
    return prompt + target, [-100] * len(prompt) + target


def _batch(rows, pad_id: int):
    import torch

    n = max(len(r[0]) for r in rows)
    ids = torch.full((len(rows), n), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), n), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), n), dtype=torch.long)
    for i, (x, y) in enumerate(rows):
        ids[i, : len(x)] = torch.tensor(x)
        labels[i, : len(y)] = torch.tensor(y)
        mask[i, : len(x)] = 1
    return ids, labels, mask


def _loss(model, rows, pad_id):
    """Next-token cross-entropy on the plan tokens only.  The output layer runs only at the
    positions that predict a plan token (the language-model loss, without scoring every
    prompt position against the whole vocabulary: Gemma's has 262k tokens)."""
    import torch

    ids, labels, mask = _batch(rows, pad_id)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = base.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
    want = labels[:, 1:]
    sel = want != -100
    logits = base.get_output_embeddings()(hidden[:, :-1][sel])
    if getattr(base.config, "final_logit_softcapping", None):  # Gemma
        cap = base.config.final_logit_softcapping
        logits = torch.tanh(logits / cap) * cap
    return torch.nn.functional.cross_entropy(logits.float(), want[sel])


def plan_kind(plan_data) -> str:
    """What kind of plan: refusal, nothing, or its first skill."""
    if plan_data.get("refusal"):
        return "refusal"
    steps = plan_data.get("steps") or []
    return steps[0]["skill"] if steps else "nothing"


def skills_of(plan_data) -> Counter:
    c: Counter = Counter()

    def walk(steps):
        for st in steps:
            c[st["skill"]] += 1
            for k in ("steps", "then", "else"):
                walk(st.get(k) or [])

    walk(plan_data.get("steps") or [])
    if plan_data.get("refusal"):
        c["refusal"] += 1
    return c


def same_meaning(got: dict, want: dict) -> bool:
    """Equal plans once repeats are written out (a refusal equals any refusal)."""
    g, w = dsl.expanded(got), dsl.expanded(want)
    if bool(g["refusal"]) != bool(w["refusal"]):
        return False
    return g["steps"] == w["steps"]


def evaluate_planner(planner_or_parse, items: List[dict], desc: str = "planning") -> dict:
    """Exact match by meaning, per-skill precision / recall / F1 and kinds, over ``items``
    ({"text", "plan"}).  ``planner_or_parse``: a text -> plan-dict function."""
    exact, lat, fails = 0, [], []
    tp, fp, fn = Counter(), Counter(), Counter()
    kinds = []
    for it in tqdm(items, desc=desc, leave=False):
        t = time.perf_counter()
        got = planner_or_parse(it["text"])
        lat.append((time.perf_counter() - t) * 1000)
        want = ifc.Plan.model_validate(it["plan"]).model_dump(by_alias=True)
        ok = same_meaning(got, want)
        exact += ok
        if not ok:
            fails.append({"text": it["text"], "want": ifc.Plan.model_validate(want).compact(), "got": ifc.Plan.model_validate(got).compact()})
        g, w = skills_of(got), skills_of(want)
        for k in set(g) | set(w):
            tp[k] += min(g[k], w[k])
            fp[k] += max(0, g[k] - w[k])
            fn[k] += max(0, w[k] - g[k])
        kinds.append((plan_kind(want), plan_kind(got)))
    per_skill = {}
    for k in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[k] / max(1, tp[k] + fp[k])
        r = tp[k] / max(1, tp[k] + fn[k])
        per_skill[k] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(1e-9, p + r), 4), "support": tp[k] + fn[k]}
    lat.sort()
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")  # noqa: E731
    return {"exact_match": exact / max(1, len(items)), "n": len(items), "per_skill": per_skill, "kinds": kinds,
            "latency_p50_ms": pct(0.5), "latency_p95_ms": pct(0.95), "failures": fails}


def confusion_png(kinds, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted({k for pair in kinds for k in pair})
    idx = {k: i for i, k in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for w, g in kinds:
        m[idx[w], idx[g]] += 1
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(labels), 1.0 + 0.5 * len(labels)))
    ax.imshow(m / np.maximum(1, m.sum(1, keepdims=True)), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7, color="black" if i != j else "white")
    ax.set_xlabel("planned (first skill, or nothing / refusal)")
    ax.set_ylabel("meant")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train_planner(out: str, report_dir: str, base: str = "smollm2", n_train: int = 4000, n_dev: int = 300, epochs: int = 2, batch: int = 16,
                  lr: float = 1e-3, rank: int = 8, seed: int = 0, eval_every: int = 50, patience: int = 3, n_eval: int = 200,
                  max_steps: Optional[int] = None, threads: Optional[int] = None, log=print) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict

    from autogpt_ros.language.planner import Codec, load_base

    t_start = time.time()
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    samples = PD.generate(n_train + n_dev, seed=seed)
    rng.shuffle(samples)  # as development_set() does
    dev, train = samples[:n_dev], samples[n_dev:]
    model, tok = load_base(base)
    codec = Codec(tok)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    train_rows = [encode_sample(codec, s) for s in train]
    dev_rows = [encode_sample(codec, s) for s in dev]
    model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05, target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM"))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    steps_per_epoch = (len(train_rows) + batch - 1) // batch
    total = min(max_steps or 10**9, steps_per_epoch * epochs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20) * max(0.05, 1 - s / max(1, total)))
    stopper = EarlyStopping(patience=patience, min_delta=1e-4, baseline=-1e9)
    history = []

    def dev_loss():
        model.eval()
        with torch.no_grad():
            tot, n = 0.0, 0
            for i in range(0, len(dev_rows), 32):
                rows = dev_rows[i : i + 32]
                tot += float(_loss(model, rows, pad)) * len(rows)
                n += len(rows)
        model.train()
        return tot / max(1, n)

    step, stopped = 0, False
    model.train()
    bar = tqdm(total=total, desc=f"fine-tuning the planner ({base}, LoRA r={rank})")
    for ep in range(epochs):
        order = list(range(len(train_rows)))
        rng.shuffle(order)
        # batches of similar length: less padding
        chunks = [order[i : i + batch * 8] for i in range(0, len(order), batch * 8)]
        batches = []
        for c in chunks:
            c.sort(key=lambda k: len(train_rows[k][0]))
            batches += [c[i : i + batch] for i in range(0, len(c), batch)]
        rng.shuffle(batches)
        for b in batches:
            loss = _loss(model, [train_rows[k] for k in b], pad)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss):.3f}")
            if step % eval_every == 0 or step == total:
                dl = dev_loss()
                history.append({"step": step, "train_loss": float(loss), "dev_loss": dl})
                bar.write(f"step {step}: dev loss {dl:.4f}")
                if stopper.step(-dl, lambda: {k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}):
                    stopped = True
                    break
            if step >= total:
                break
        if stopped or step >= total:
            break
    bar.close()
    if stopper.best_state is not None:
        set_peft_model_state_dict(model, stopper.best_state)
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out)
    _to_half(os.path.join(out, "adapter_model.safetensors"))
    meta = {"base": base, "rank": rank, "lora_targets": list(LORA_TARGETS), "prompt": "Instruction: {text}\\nPlan:", "train_sentences": len(train_rows),
            "dev_sentences": len(dev_rows), "steps": step, "best_dev_loss": -stopper.best, "seed": seed, "early_stopped": stopped,
            "trained": datetime.date.today().isoformat(), "minutes": round((time.time() - t_start) / 60, 1)}
    with open(os.path.join(out, "planner.json"), "w") as f:
        json.dump(meta, f, indent=1)
    del model
    return report_planner(out, report_dir, meta, dev[:n_eval], history, threads, log)


def development_set(n_train: int, n_dev: int, seed: int) -> List[PD.PlanSample]:
    """The development sentences of a train_planner run (the same generator, seed and split)."""
    rng = random.Random(seed)
    samples = PD.generate(n_train + n_dev, seed=seed)
    rng.shuffle(samples)
    return samples[:n_dev]


def report_planner(adapter: str, report_dir: str, meta: dict, dev: List[PD.PlanSample], history=(), threads: Optional[int] = None, log=print) -> dict:
    """The planner loaded from ``adapter`` as reasoning_node loads it, measured on ``dev``:
    exact match by meaning, per-skill precision / recall / F1, the confusion PNG and the report."""
    from autogpt_ros.language.planner import Planner

    planner = Planner(adapter=adapter, base=meta.get("base"), threads=threads)
    items = [{"text": s.text, "plan": s.plan} for s in dev]
    r = evaluate_planner(lambda text: planner.plan(text)[0].model_dump(by_alias=True), items, "development set")
    os.makedirs(report_dir, exist_ok=True)
    png = os.path.join(report_dir, "planner_confusion.png")
    confusion_png(r["kinds"], png, f"planner ({meta.get('base')}) on {len(items)} development sentences: exact {r['exact_match']:.3f}")
    report = {**meta, "history": list(history), "dev_exact_match": r["exact_match"], "dev_n": r["n"], "per_skill": r["per_skill"],
              "latency_p50_ms": r["latency_p50_ms"], "latency_p95_ms": r["latency_p95_ms"], "load_s": planner.load_s,
              "failures": r["failures"][:40], "confusion_png": os.path.basename(png)}
    with open(os.path.join(report_dir, "planner_report.json"), "w") as f:
        json.dump(report, f, indent=1)
    log(f"planner: dev exact match {r['exact_match']:.3f} on {r['n']}; per skill:")
    for k, v in r["per_skill"].items():
        log(f"  {k:15s} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  (n={v['support']})")
    log(f"adapter: {adapter}; report: {report_dir}")
    return report


def _to_half(path: str) -> None:
    """The adapter's tensors in float16: half the size on disk, loaded back into float32."""
    import torch
    from safetensors.torch import load_file, save_file

    if os.path.exists(path):
        t = load_file(path)
        save_file({k: v.to(torch.float16) if v.is_floating_point() else v for k, v in t.items()}, path)
