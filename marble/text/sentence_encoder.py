"""A BERT sentence encoder in plain PyTorch, for the packaged all-MiniLM-L6-v2 model.

Marble needs one thing from a sentence-transformers model folder: ``text -> unit vector``. Loading
it through ``sentence_transformers`` imports ``transformers`` and half of its integrations (about
3.5 s before the first prompt can be parsed, in every CLI run, app start and batch worker). This
module reads the same folder (``config.json``, ``model.safetensors``, ``tokenizer.json``, the pooling
config) and runs the BERT encoder directly: token + position + segment embeddings, ``L`` post-norm
layers of multi-head self-attention and a GELU feed-forward block, then masked mean pooling and L2
normalisation (the model's ``1_Pooling`` and ``2_Normalize`` modules). The tests hold it to the
``sentence_transformers`` output within 1e-5.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from marble.errors import ModelUnavailableError


class BertSentenceEncoder:
    """Mean-pooled BERT sentence embeddings from a sentence-transformers folder, on the CPU.

    Args:
        model_dir: folder with ``config.json`` (``model_type: bert``), ``model.safetensors`` and
            ``tokenizer.json``; optional ``sentence_bert_config.json`` (``max_seq_length``),
            ``1_Pooling/config.json`` (must be mean pooling) and ``modules.json`` (normalisation).

    Raises:
        ModelUnavailableError: a file is missing or the folder holds another kind of model.
    """

    def __init__(self, model_dir: str | Path) -> None:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        d = Path(model_dir)
        for name in ("config.json", "model.safetensors", "tokenizer.json"):
            if not (d / name).is_file():
                raise ModelUnavailableError(f"text model folder {str(d)!r} has no {name}")
        cfg = json.loads((d / "config.json").read_text())
        if cfg.get("model_type") != "bert" or cfg.get("position_embedding_type", "absolute") != "absolute" \
                or cfg.get("hidden_act", "gelu") != "gelu":
            raise ModelUnavailableError(
                f"text model {str(d)!r} is not a BERT encoder with absolute positions and GELU "
                f"(model_type={cfg.get('model_type')!r}); Marble's encoder reads only those")
        pooling = _read_json(d / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", False):
            raise ModelUnavailableError(f"text model {str(d)!r} does not use mean pooling")
        modules = _read_json(d / "modules.json") or []
        self.normalize = any(str(m.get("type", "")).endswith("Normalize") for m in modules) if modules else True
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        st_cfg = _read_json(d / "sentence_bert_config.json") or {}
        self.max_length = min(int(st_cfg.get("max_seq_length", 256)), int(cfg.get("max_position_embeddings", 512)))
        self.w = {k: v.float() for k, v in load_file(str(d / "model.safetensors")).items()}
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in self.w else ""
        if prefix:
            self.w = {k[len(prefix):]: v for k, v in self.w.items() if k.startswith(prefix)}
        if "embeddings.word_embeddings.weight" not in self.w:
            raise ModelUnavailableError(f"text model {str(d)!r} has no BERT embedding weights")
        self.tokenizer = Tokenizer.from_file(str(d / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        pad_id = int(cfg.get("pad_token_id", 0))
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=self.tokenizer.id_to_token(pad_id) or "[PAD]")
        self.dim = int(cfg["hidden_size"])

    @torch.no_grad()
    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        """Embed ``texts``.

        Returns:
            ``[N, D]`` float32 (unit vectors when the model normalises).
        """
        out = [self._encode_batch(list(texts[i:i + batch_size])) for i in range(0, len(texts), batch_size)]
        if not out:
            return np.zeros((0, self.dim), np.float32)
        return torch.cat(out).numpy().astype(np.float32)

    def _encode_batch(self, texts: list[str]) -> Tensor:
        enc = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long)  # [B, L]
        types = torch.tensor([e.type_ids for e in enc], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.float32)
        hidden = self._forward(ids, types, mask)  # [B, L, D]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp_min(1e-9)
        return F.normalize(pooled, p=2, dim=1) if self.normalize else pooled

    def _forward(self, ids: Tensor, types: Tensor, mask: Tensor) -> Tensor:
        """BERT encoder: ``ids``, ``types`` ``[B, L]`` and ``mask`` ``[B, L]`` (1 = token) -> ``[B, L, D]``."""
        w = self.w
        B, L = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:L][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = self._norm(x, "embeddings.LayerNorm")
        bias = (1.0 - mask)[:, None, None, :] * torch.finfo(x.dtype).min  # [B, 1, 1, L]: padding gets no attention
        h, dh = self.heads, x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def heads(name: str) -> Tensor:
                return self._linear(x, p + name).view(B, L, h, dh).transpose(1, 2)  # [B, h, L, dh]

            q, k, v = heads("attention.self.query"), heads("attention.self.key"), heads("attention.self.value")
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)
            ctx = (att @ v).transpose(1, 2).reshape(B, L, h * dh)
            x = self._norm(self._linear(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            ff = F.gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(self._linear(ff, p + "output.dense") + x, p + "output.LayerNorm")
        return x

    def _linear(self, x: Tensor, name: str) -> Tensor:
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def _norm(self, x: Tensor, name: str) -> Tensor:
        return F.layer_norm(x, x.shape[-1:], self.w[name + ".weight"], self.w[name + ".bias"], self.eps)


def _read_json(path: Path):
    return json.loads(path.read_text()) if path.is_file() else None
