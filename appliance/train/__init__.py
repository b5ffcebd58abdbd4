"""LoRA fine-tuning on scrubbed records: model loading, encoding, the training loop and scoring."""
