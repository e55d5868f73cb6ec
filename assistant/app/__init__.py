"""The applications around the ``assistant`` library: the command line (``cli``) and the web
server with the citizens' chat and the staff view (``web``).

Only this package imports typer, Gradio, FastAPI and uvicorn, and the ``ingest``, ``evals`` and
``training`` packages; the library under ``assistant/`` imports none of them
(``tests/unit/test_layout.py`` checks it).
"""
