"""The benchmarks: ``assistant bench perf`` (perf.py), ``bench load`` (load.py), ``bench abuse``
(abuse.py), and the large corpora they query (corpus.py)."""
