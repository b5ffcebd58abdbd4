"""Stage: the same held-out prompts answered by each adaptation method (prompting, retrieval, adapter).

Not configured (config.evaluate.compare empty) it records that in compare/comparison.json.
"""

from __future__ import annotations

from typing import Any

from appliance.files import write_json
from appliance.records import FileEntry
from appliance.stages.context import StageContext, StageOutput

COMPARISON = "compare/comparison.json"


def input_entries(ctx: StageContext) -> list[FileEntry]:
    return []


def params(ctx: StageContext) -> dict[str, Any]:
    return {"methods": list(ctx.config.evaluate.compare)}


def execute(ctx: StageContext) -> StageOutput:
    summary = {"configured": False}
    path = ctx.run.stage_dir("compare") / "comparison.json"
    write_json(path, summary)
    return StageOutput(outputs=[path], counts={}, summary=summary)
