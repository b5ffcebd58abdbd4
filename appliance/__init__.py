"""appliance: a privacy-first, on-premise data-to-model appliance."""

from appliance import offline as _offline

# Set every offline and no-telemetry switch before any dependency is imported:
# transformers, huggingface_hub, spaCy and tldextract read them at import time.
_offline.set_offline_environment()

__version__ = "0.1.0"
