"""Serve a run's adapter behind the PII guard: an OpenAI-compatible HTTP API and a terminal chat.

Example:
    served = load_run(Path("runs/r1"))
    app = build_app(served, ServeConfig(input_mode="redact"))
"""
