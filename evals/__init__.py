"""Offline evaluation: the seed question set, SQuAD-format benchmarks, metrics and reports."""
