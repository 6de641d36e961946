"""Evaluating plans: KPIs, baselines, comparisons between runs."""
