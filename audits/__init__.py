"""Audits whose results go into the run manifest and the auditor's report."""

from audits.fairness import data_fairness, fairness_gates, model_fairness

__all__ = ["data_fairness", "fairness_gates", "model_fairness"]
