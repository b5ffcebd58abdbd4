"""`appliance demo`: the synthetic bank corpus through every stage, with every audit on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from appliance.demo import generate_demo_corpus
from appliance.paths import appliance_home
from appliance.pipeline import open_context, run_all

DEMO_POLICY = "banking"
DEMO_SEED = 0


def run_demo(run_dir: Path, *, base_model: str | None = None, max_steps: int | None = None, dp: bool = True, force: bool = False, echo: Callable[[str], None] = print) -> None:
    # The corpus holds (fictional) raw PII, so it lives beside the vault, never in the run directory.
    corpus = generate_demo_corpus(appliance_home() / "demo-corpus", seed=DEMO_SEED)
    echo(f"demo corpus: {len(corpus.files)} files (synthetic, seed {DEMO_SEED})")
    overrides = {
        "ingest": {"text_column": "note", "label_column": "outcome", "subject_column": "customer_id"},
        # DP noise needs a larger step size than plain LoRA to move in few steps; 20 steps (about
        # 11 s each on 2 CPU cores) keep the whole demo inside 10 minutes with every audit on.
        # Every audit on: planted canaries for exposure, and regurgitation probes.
        "audit": {"canaries": 4, "canary_repeats": 2, "regurgitation_samples": 8, "counterfactual_records": 8},
        "train": {"dp": dp, "target_epsilon": 8.0, "base_model": base_model, "max_steps": max_steps or 20, "learning_rate": 2e-3},
        # The same few held-out questions answered three ways, so the report shows whether fine-tuning earned its cost.
        "evaluate": {"compare": ["prompt", "retrieval", "adapter"], "compare_records": 4, "max_new_tokens": 32, "generation_records": 4},
        "objectives": {
            "use_case": "Answer retail-banking customers' questions about cards, loans and accounts",
            "department": "Customer service",
            "metrics": [{"metric": "token_f1", "target": 0.2}, {"metric": "pii_emitted", "target": 0}, {"metric": "p95_latency_s", "target": 10.0}],
        },
    }
    ctx = open_context(run_dir, policy=DEMO_POLICY, overrides=overrides, sources=(corpus.root,), echo=echo)
    run_all(ctx, force=force)
