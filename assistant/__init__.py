"""Citizen chat assistant for the intercultural opening of German state administrations.

Stages, one module each: ``settings`` (configuration), ``embeddings`` (model backends),
``store`` (Chroma), ``lexical`` (BM25), ``retrieve`` (hybrid retrieval), ``answer`` (extractive,
cited answers), ``pipeline`` (the ``Assistant`` API), ``cli`` (command line), ``ui`` (web chat).
Importing the package loads no model.
"""
__version__ = "0.1.0"
