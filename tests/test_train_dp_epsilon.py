"""The per-step epsilon the trainer logs and stops on: cheap, and still the accountant's own value."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from opacus.accountants import PRVAccountant, RDPAccountant

from appliance.config import TrainConfig
from appliance.records import Message, Record, Source
from appliance.train import privacy
from appliance.train.checkpoint import latest_checkpoint
from appliance.train.loop import train_lora

pytestmark = pytest.mark.usefixtures("one_thread")

SOURCE = Source(path="chats.jsonl", sha256="e" * 64)
RECORDS = [
    Record(f"c{i}", "chat", SOURCE, messages=(Message("user", f"What is {i} plus one?"), Message("assistant", f"It is {i + 1}.")))
    for i in range(12)
]
NOISE, RATE, DELTA, PLANNED = 1.0, 0.25, 1e-3, 15


def ask(accountant, history: list[tuple[float, float, int]], *, steps: int, exact_above: float | None = None) -> float:
    """epsilon_after as the trainer asks it, of its one accountant, now holding `history`."""
    accountant.history = list(history)
    optimizer, loader = SimpleNamespace(noise_multiplier=NOISE), SimpleNamespace(sample_rate=RATE)
    return privacy.epsilon_after(accountant, optimizer, loader, delta=DELTA, steps=steps, exact_above=exact_above)


def opacus_epsilon(accountant, history: list[tuple[float, float, int]]) -> float:
    holder = accountant()
    holder.history = list(history)
    return float(holder.get_epsilon(DELTA))


def test_prv_step_epsilon_is_the_accountants_within_its_error_and_exact_at_the_plan() -> None:
    accountant = PRVAccountant()
    planned = ask(accountant, [], steps=PLANNED)  # the trainer asks for its whole plan first
    curve = [ask(accountant, [(NOISE, RATE, k - 1)] if k > 1 else [], steps=1) for k in range(1, PLANNED + 1)]

    assert curve == sorted(curve) and curve[-1] == planned
    # At the planned step count it IS Opacus' computation; before it, a bound on a finer domain
    # that may differ from Opacus' own by PRV_EXACT_MARGIN at most (0.02 at eps_error 0.01).
    assert planned == opacus_epsilon(PRVAccountant, [(NOISE, RATE, PLANNED)])
    for k in (1, 8):
        assert curve[k - 1] == pytest.approx(opacus_epsilon(PRVAccountant, [(NOISE, RATE, k)]), abs=privacy.PRV_EXACT_MARGIN)


def test_prv_step_epsilon_near_the_limit_is_recomputed_exactly() -> None:
    accountant, history = PRVAccountant(), [(NOISE, RATE, 7)]
    ask(accountant, [], steps=PLANNED)
    fast = ask(accountant, history, steps=1)
    exact = opacus_epsilon(PRVAccountant, [(NOISE, RATE, 8)])
    assert fast != exact  # the plan domain's bound: not bit for bit Opacus' own below the plan
    assert ask(accountant, history, steps=1, exact_above=fast + privacy.PRV_EXACT_MARGIN / 2) == exact
    assert ask(accountant, history, steps=1, exact_above=fast + 2 * privacy.PRV_EXACT_MARGIN) == fast  # far below the limit


def test_step_epsilon_past_the_plan_is_opacus_own() -> None:
    accountant = PRVAccountant()
    ask(accountant, [], steps=4)
    assert ask(accountant, [(NOISE, RATE, 9)], steps=1) == opacus_epsilon(PRVAccountant, [(NOISE, RATE, 10)])
    # Runs do not share plans: another accountant's longer plan does not stand in for this one's.
    other = PRVAccountant()
    ask(other, [], steps=40)
    assert ask(accountant, [(NOISE, RATE, 10)], steps=1) == opacus_epsilon(PRVAccountant, [(NOISE, RATE, 11)])


def test_rdp_step_epsilon_is_bit_for_bit_the_accountants() -> None:
    # A resume after a run at another sampling rate: two entries, then one more step at this one.
    earlier = [(NOISE, 0.5, 3), (NOISE, RATE, 4)]
    accountant = RDPAccountant()
    assert ask(accountant, earlier, steps=1) == opacus_epsilon(RDPAccountant, [(NOISE, 0.5, 3), (NOISE, RATE, 5)])
    assert ask(accountant, earlier[:1], steps=1) == opacus_epsilon(RDPAccountant, [(NOISE, 0.5, 3), (NOISE, RATE, 1)])


class Interrupted(Exception):
    pass


def test_prv_run_logs_the_accountants_epsilon_and_stops_before_the_policy_limit(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = TrainConfig(max_steps=6, batch_size=4, max_seq_len=48, checkpoint_every=2, dp=True, target_epsilon=8.0)
    assert config.accountant == "prv"
    folder, events = tmp_path / "ck", []

    def interrupt_at_3(event: dict) -> None:
        events.append(event)
        if event["step"] == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter", delta=DELTA, checkpoint_dir=folder, on_step=interrupt_at_3)
    state_file = latest_checkpoint(folder) / "state.json"
    state = json.loads(state_file.read_text())
    (noise, rate, taken), = state["accountant_history"]
    assert taken == 2
    for event in events:
        exact = opacus_epsilon(PRVAccountant, [(noise, rate, event["step"])])
        assert event["epsilon"] == pytest.approx(exact, abs=privacy.PRV_EXACT_MARGIN)

    # The checkpoint now says an earlier run spent 20 steps; the policy allows 22 in all.
    state["accountant_history"] = [[noise, rate, 20]]
    state_file.write_text(json.dumps(state))
    at_22, at_23 = (opacus_epsilon(PRVAccountant, [(noise, rate, n)]) for n in (22, 23))
    limit = (at_22 + at_23) / 2
    resumed = train_lora(
        tiny_model_dir, RECORDS, config.model_copy(update={"resume": True}), tmp_path / "adapter",
        delta=DELTA, checkpoint_dir=folder, max_epsilon=limit,
    )
    assert (resumed.stopped_early, resumed.steps) == ("privacy budget", 4)
    assert [e["step"] for e in resumed.history] == [1, 2, 3, 4]
    assert resumed.history[-1]["epsilon"] == pytest.approx(at_22, abs=privacy.PRV_EXACT_MARGIN)
    assert resumed.dp["steps"] == 22 and resumed.dp["epsilon"] == at_22 <= limit
