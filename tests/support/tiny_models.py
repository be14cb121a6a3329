"""Tiny random learned components, built offline in the style of diffusers' ``get_dummy_components``.

Every builder is seeded, uses a handful of channels, and saves with ``save_pretrained`` (safetensors)
so the tests load them back through :mod:`pipelines.diffusion.registry`, running the real loading
code. The CLIP tokenizer is built from a byte-level vocabulary written to disk (no download).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

TEXT_DIM = 32


def _byte_chars() -> list[str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def tiny_tokenizer(folder: Path):
    """A CLIPTokenizer over single bytes (514 tokens, no merges), written into ``folder``."""
    from transformers import CLIPTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chars = _byte_chars()
    vocab = chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tok = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)
    return tok


def tiny_text_encoder(seed: int = 0):
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    cfg = CLIPTextConfig(bos_token_id=512, eos_token_id=513, pad_token_id=513, hidden_size=TEXT_DIM, intermediate_size=37,
                         layer_norm_eps=1e-5, num_attention_heads=4, num_hidden_layers=2, vocab_size=514,
                         max_position_embeddings=77)
    return CLIPTextModel(cfg).eval()


def tiny_unet(seed: int = 0, *, in_channels: int = 4):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    return UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=in_channels, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_DIM, norm_num_groups=2,
    ).eval()


def tiny_vae(seed: int = 0):
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    return AutoencoderKL(
        block_out_channels=[4, 8], in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2, latent_channels=4, norm_num_groups=2,
    ).eval()


def tiny_scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=False)


def tiny_sd_components(tmp: Path, seed: int = 0, *, unet_in_channels: int = 4) -> dict:
    """Components of a tiny Stable Diffusion pipeline (``unet``, ``vae``, ``text_encoder``, ...)."""
    return {
        "unet": tiny_unet(seed, in_channels=unet_in_channels),
        "vae": tiny_vae(seed),
        "text_encoder": tiny_text_encoder(seed),
        "tokenizer": tiny_tokenizer(Path(tmp) / "_tok"),
        "scheduler": tiny_scheduler(),
        "safety_checker": None,
        "feature_extractor": None,
        "image_encoder": None,
    }


def save_tiny_sd(folder: Path, *, seed: int = 0, inpaint: bool = False) -> Path:
    """Save a tiny text-to-image (or 9-channel inpainting) Stable Diffusion pipeline folder."""
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline

    folder = Path(folder)
    comps = tiny_sd_components(folder.parent, seed, unet_in_channels=9 if inpaint else 4)
    cls = StableDiffusionInpaintPipeline if inpaint else StableDiffusionPipeline
    pipe = cls(**comps, requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def save_tiny_controlnet(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny depth ControlNet matching :func:`tiny_unet`."""
    from diffusers import ControlNetModel

    torch.manual_seed(seed)
    cn = ControlNetModel(
        block_out_channels=(4, 8), layers_per_block=1, in_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        cross_attention_dim=TEXT_DIM, conditioning_embedding_out_channels=(16, 32), norm_num_groups=2,
    ).eval()
    cn.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


def save_tiny_depth_anything(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny Depth Anything (DPT head over a 2-layer Dinov2 backbone) with its image processor."""
    from transformers import (
        DepthAnythingConfig,
        DepthAnythingForDepthEstimation,
        Dinov2Config,
        DPTImageProcessor,
    )

    torch.manual_seed(seed)
    backbone = Dinov2Config(image_size=28, patch_size=14, num_channels=3, hidden_size=8, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=16, out_features=["stage1", "stage2"],
                            apply_layernorm=True, reshape_hidden_states=False)
    cfg = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=8, patch_size=14,
                              reassemble_factors=[4, 2], neck_hidden_sizes=[4, 8], fusion_hidden_size=8,
                              head_hidden_size=4, depth_estimation_type="relative")
    model = DepthAnythingForDepthEstimation(cfg).eval()
    model.save_pretrained(folder, safe_serialization=True)
    DPTImageProcessor(do_resize=True, size={"height": 56, "width": 56}, keep_aspect_ratio=False, ensure_multiple_of=14,
                      do_rescale=True, do_normalize=True, image_mean=[0.485, 0.456, 0.406],
                      image_std=[0.229, 0.224, 0.225]).save_pretrained(folder)
    return Path(folder)


def save_tiny_marigold(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny Marigold depth pipeline (8-channel UNet: image latent + depth latent)."""
    from diffusers import MarigoldDepthPipeline

    folder = Path(folder)
    comps = tiny_sd_components(folder.parent, seed, unet_in_channels=8)
    pipe = MarigoldDepthPipeline(
        unet=comps["unet"], vae=comps["vae"], scheduler=comps["scheduler"], text_encoder=comps["text_encoder"],
        tokenizer=comps["tokenizer"], prediction_type="depth", scale_invariant=True, shift_invariant=True,
        default_denoising_steps=2, default_processing_resolution=64,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder
