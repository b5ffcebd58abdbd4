"""Score records and labels with a base model or base + adapter, masked exactly as in training.

Example:
    model = load_adapter(model_dir, run / "adapter")
    tuned = token_losses(model, tokenizer, records, max_len=256)
    with model.disable_adapter():
        base = token_losses(model, tokenizer, records, max_len=256)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from appliance.records import Record
from appliance.train.data import collate, encode_labelled, encode_record, fit_labelled_text
from appliance.train.lm import check_safetensors, load_causal_lm
from appliance.train.loop import per_example_loss


def load_adapter(model_dir: Path, adapter_dir: Path, device: torch.device | None = None):
    """The base model with the saved adapter applied (a peft PeftModel, in eval mode); a fully fine-tuned model as is."""
    from peft import PeftModel

    check_safetensors(adapter_dir)  # peft would otherwise fall back to a pickled adapter_model.bin
    if not (Path(adapter_dir) / "adapter_config.json").is_file():
        # method full: the folder is the whole fine-tuned model; the base is loaded beside it.
        return FullyTuned(load_causal_lm(adapter_dir, device).eval(), load_causal_lm(model_dir, device).eval())
    model = PeftModel.from_pretrained(load_causal_lm(model_dir, device), Path(adapter_dir), is_trainable=False)
    return model.eval()


class FullyTuned:
    """A fully fine-tuned model with the base beside it, behind peft's `disable_adapter()` switch.

    Every base-versus-tuned comparison (held-out loss, privacy attacks, probes, baselines) is then
    one code path whatever the training method. Costs a second copy of the (small) model.
    """

    def __init__(self, tuned: Any, base: Any) -> None:
        object.__setattr__(self, "_tuned", tuned)
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "_active", tuned)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_active"), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._active(*args, **kwargs)

    def eval(self) -> FullyTuned:
        self._tuned.eval()
        self._base.eval()
        return self

    @contextmanager
    def disable_adapter(self) -> Iterator[None]:
        object.__setattr__(self, "_active", self._base)
        try:
            yield
        finally:
            object.__setattr__(self, "_active", self._tuned)


@torch.no_grad()
def score_examples(model, examples, pad_id: int) -> list[tuple[float, int]]:
    """(sum of trained-token losses, trained-token count) for one batch of examples."""
    device = next(model.parameters()).device
    batch = {key: value.to(device) for key, value in collate(examples, pad_id).items()}
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    loss_sums, counts = per_example_loss(logits.float(), batch["labels"])
    return [(float(loss), int(count)) for loss, count in zip(loss_sums, counts, strict=True)]


def token_losses(model, tokenizer, records: Sequence[Record], max_len: int, batch_size: int = 8) -> list[tuple[float, int]]:
    """Per record, in order: (sum of loss over its trained tokens, their count); (0.0, 0) if none."""
    model.eval()
    examples = [encode_record(record, tokenizer, max_len) for record in records]
    results: list[tuple[float, int]] = [(0.0, 0)] * len(records)
    # Longest first, so each batch holds similar lengths and little padding.
    order = sorted((i for i, e in enumerate(examples) if e is not None), key=lambda i: -len(examples[i].input_ids))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        for i, score in zip(chunk, score_examples(model, [examples[i] for i in chunk], tokenizer.pad_token_id), strict=True):
            results[i] = score
    return results


def label_logprobs(model, tokenizer, text: str, labels: Sequence[str], *, max_len: int | None = None) -> dict[str, float]:
    """Sum log-probability of each label, with its end-of-turn token, as the answer to label_prompt(text).

    With max_len, the text is shortened as in training, once for all labels so that every label
    answers the same prompt.
    """
    model.eval()
    if max_len is not None:
        longest = max(labels, key=lambda label: len(tokenizer(label, add_special_tokens=False).input_ids))
        text = fit_labelled_text(text, longest, tokenizer, max_len)
    examples = [encode_labelled(text, label, tokenizer) for label in labels]
    scores = score_examples(model, examples, tokenizer.pad_token_id)
    return {label: -loss_sum for label, (loss_sum, _) in zip(labels, scores, strict=True)}
