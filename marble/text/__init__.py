"""Text understanding: a free-text prompt -> :class:`marble.layout.SceneSpec` in Marble's vocabulary.

- :mod:`marble.text.parse`: :func:`parse_prompt`, :func:`validate_prompt`, :func:`describe_spec`
- :mod:`marble.text.report`: :func:`describe_report`, what was built, approximated and not built
- :mod:`marble.text.lexicon`: the word lists (counts, relations, colours, materials, styles, ...)
- :mod:`marble.text.spans` and :mod:`marble.text.assemble`: the passes of the parser
- :mod:`marble.text.embed`: similarity to the vocabulary with the packaged sentence embeddings
- :mod:`marble.text.sentence_encoder`: the PyTorch BERT encoder that runs them
"""

from marble.text.parse import (
    ARCHETYPE_THRESHOLD,
    OBJECT_THRESHOLD,
    describe_spec,
    parse_prompt,
    validate_prompt,
)
from marble.text.report import describe_report

__all__ = ["ARCHETYPE_THRESHOLD", "OBJECT_THRESHOLD", "describe_report", "describe_spec", "parse_prompt",
           "validate_prompt"]
