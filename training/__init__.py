"""Training data and training code for the reader model (not imported by the assistant at run time)."""
