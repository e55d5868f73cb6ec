"""Ingest: read files, clean them, split into sentence-aligned chunks and index them in Chroma.

Stages, one module each: ``loaders`` (files -> raw text + metadata), ``clean`` (normalisation and
clutter removal), ``sentences`` (German sentence boundaries), ``chunk`` (chunks with offsets),
``prepare`` (one document cleaned, described and chunked), ``records`` (LangChain record manager
and document registry kept in Chroma), ``pipeline`` (the idempotent sync). Importing this package
loads no model.
"""
