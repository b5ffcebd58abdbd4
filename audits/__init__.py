"""Audits whose results go into the run manifest and the auditor's report."""

from audits.fairness import counterfactual_gates, data_fairness, fairness_gates, model_fairness

__all__ = ["counterfactual_gates", "data_fairness", "fairness_gates", "model_fairness"]
