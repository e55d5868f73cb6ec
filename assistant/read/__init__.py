"""The read stage: which sentences of the retrieved passages answer the question.

``candidates`` (the quotable sentences with their offsets) → scorers: the lexical scorer
(``terms``: question-term weights and matches; ``lexical``: sentence scores and confidence; with
``kinds``, what a question asks for, and ``quotes``, who speaks a quotation) and the trained reader
(``model``, ``stage``, ``calibration``; its base and input format for training in ``encoder`` and
``reader``) → ``select`` (the sentences to quote, as citations with exact offsets). Heavy imports
(onnxruntime, torch, transformers, tokenizers) happen inside functions, never when this package is
imported.
"""
