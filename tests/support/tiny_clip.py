"""Re-export: the tiny tokenizer lives in training (the tiny training preset uses it)."""

from seethrough.training.tiny_tokenizer import write_tiny_clip_tokenizer

__all__ = ["write_tiny_clip_tokenizer"]
