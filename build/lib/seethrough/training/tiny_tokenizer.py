"""A real CLIP tokenizer with a tiny character-level vocabulary, built on disk (no download), for the tiny
training preset and the tests.

With an empty merge table, CLIP's byte-level BPE splits every word into characters, the last one carrying the
`</w>` end-of-word marker; so a vocabulary of printable characters, their `</w>` forms and the two special tokens
is a complete, working tokenizer for the tag strings.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from transformers import CLIPTokenizer


def write_tiny_clip_tokenizer(folder: Path) -> CLIPTokenizer:
    folder.mkdir(parents=True, exist_ok=True)
    chars = sorted(set(string.ascii_lowercase + string.digits + string.punctuation))
    tokens = ["<|startoftext|>", "<|endoftext|>", *chars, *(c + "</w>" for c in chars)]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)
    tokenizer.save_pretrained(folder)
    return CLIPTokenizer.from_pretrained(folder)
