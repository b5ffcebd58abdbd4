"""The pipeline's stages. Each module exposes `input_entries(ctx)`, `params(ctx)` and `execute(ctx)`."""
