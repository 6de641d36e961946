"""Exact location models: array MILPs solved by HiGHS (or PuLP's solvers)."""
