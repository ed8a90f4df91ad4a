"""batchtui: a terminal application for LLM batch inference."""

__version__ = "0.1.0"
