"""Baselines that fine-tuning must beat: few-shot prompting and retrieval (RAG), and the generation they share."""
