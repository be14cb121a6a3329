"""360-degree equirectangular panoramas of a world: the one panorama renderer.

``marble render --panorama`` and ``world.export("x.png")`` both draw through :func:`render_panorama`:
six 90-degree cube faces are rendered from the eye (splats with the splat renderer; layers that hold
only a mesh are ray-cast, nearer surfaces winning), resampled bilinearly per panorama pixel, and
composited over the sky evaluated along each panorama pixel's own ray. The image's centre column looks
along +Z with +X to its right, and its top row is +Y, the mapping ``Environment.sky_color`` uses.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from marble.camera import Camera, look_at_pose
from marble.errors import InputError
from marble.progress import ProgressFn, report
from marble.render.paths import default_eye
from marble.render.video import write_image


def equirect_directions(height: int) -> np.ndarray:
    """``[H, 2H, 3]`` float32 unit world directions of an equirectangular image's pixel centres.

    Longitude ``atan2(x, z)`` runs left to right from -pi to pi, latitude from +pi/2 (top, +Y) to
    -pi/2, matching ``Environment.sky_color``'s panorama lookup.
    """
    w = 2 * height
    lon = ((np.arange(w) + 0.5) / w - 0.5) * 2 * np.pi
    lat = (0.5 - (np.arange(height) + 0.5) / height) * np.pi
    lon, lat = np.meshgrid(lon, lat)
    return np.stack([np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon)], -1).astype(np.float32)


def cube_cameras(eye, face_size: int) -> list[Camera]:
    """Six 90-degree cameras at ``eye`` looking along +X, -X, +Y, -Y, +Z, -Z."""
    e = np.asarray(eye, np.float64)
    dirs = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
    ups = [(0, 1, 0)] * 2 + [(0, 0, -1), (0, 0, 1)] + [(0, 1, 0)] * 2
    f = face_size / 2.0
    return [
        Camera(f, f, f, f, face_size, face_size, look_at_pose(e, e + np.asarray(d, np.float64), up), f"cube_{i}")
        for i, (d, up) in enumerate(zip(dirs, ups))
    ]


def render_panorama(
    world,
    eye=None,
    *,
    height: int = 512,
    sky: bool = True,
    layers=None,
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """An equirectangular 360-degree render from ``eye``: ``[height, 2 * height, 3]`` float32 in [0, 1].

    Args:
        world: the World to draw (its visible layers, or ``layers``).
        eye: ``[3]`` viewpoint (default :func:`marble.render.paths.default_eye`: the scene's centre at eye height).
        height: image height in pixels (8..4096); the width is twice it.
        sky: composite the world's sky behind the content (else black).
        layers: names of the layers to draw.
        progress: ``(stage, fraction, message)`` callback.

    Raises:
        InputError: a bad ``eye`` or ``height``, an unknown layer, or nothing to draw.
    """
    from marble.render.world_render import render_world

    e = default_eye(world) if eye is None else np.asarray(eye, np.float64)
    if e.shape != (3,) or not np.isfinite(e).all():
        raise InputError(f"`eye` must be three finite numbers x,y,z, got {eye}")
    if int(height) != height or not (8 <= height <= 4096):
        raise InputError(f"panorama `height` must be an integer in 8..4096 (width is 2x), got {height}")
    height = int(height)
    chosen = world._choose(layers, True)
    splat_layers = [layer.name for layer in chosen if layer.num_splats]
    meshes = {layer.name: layer.world_mesh() for layer in chosen if not layer.num_splats and layer.num_triangles}
    if not splat_layers and not meshes:
        raise InputError("`world` has no splats or meshes to draw: generate or import a world first")
    face = int(math.ceil(height * 0.6))
    cams = cube_cameras(e, face)
    report(progress, "panorama", 0.0, "cube faces")
    faces = []
    for i, cam in enumerate(cams):
        if splat_layers:
            with torch.inference_mode():
                out = render_world(world, [cam], sky=False, layers=splat_layers)
            rgb, alpha, depth = out.colors[0], out.alphas[0], out.depths[0]
        else:
            rgb, alpha, depth = torch.zeros(face, face, 3), torch.zeros(face, face, 1), torch.zeros(face, face, 1)
        if meshes:
            rgb, alpha = _over_meshes(meshes, cam, rgb, alpha, depth)
        faces.append(torch.cat([rgb, alpha], -1))  # [F, F, 4]
        report(progress, "panorama", (i + 1) / 7, f"face {i + 1}/6")
    faces_t = torch.stack(faces).permute(0, 3, 1, 2).float()  # [6, 4, F, F]
    dirs = equirect_directions(height).reshape(-1, 3)  # [M, 3]
    d = torch.from_numpy(dirs).double()
    # pick the cube face with the largest |component|, then project into that camera
    comp = d.abs().argmax(-1)
    sign = torch.gather(d, 1, comp[:, None])[:, 0] >= 0
    face_idx = comp * 2 + (~sign).long()
    out = torch.zeros(d.shape[0], 4, dtype=torch.float32)
    for i, cam in enumerate(cams):
        sel = face_idx == i
        if not sel.any():
            continue
        R = torch.linalg.inv(cam.T_world_camera)[:3, :3]
        dc = d[sel] @ R.T
        u = cam.fx * dc[:, 0] / dc[:, 2] + cam.cx
        v = cam.fy * dc[:, 1] / dc[:, 2] + cam.cy
        grid = torch.stack([u / face * 2 - 1, v / face * 2 - 1], -1).float()[None, :, None, :]  # [1, M, 1, 2]
        s = F.grid_sample(faces_t[i : i + 1], grid, mode="bilinear", padding_mode="border", align_corners=False)
        out[sel] = s[0, :, :, 0].T
    rgb, alpha = out[:, :3], out[:, 3:4].clamp(0, 1)
    if sky:
        from marble.sky import sky_pixels

        rgb = rgb + (1 - alpha) * torch.from_numpy(sky_pixels(world.environment, dirs))
    report(progress, "panorama", 1.0, "done")
    return rgb.clamp(0, 1).reshape(height, 2 * height, 3).numpy()


def _over_meshes(meshes: dict, cam: Camera, rgb, alpha, depth):
    """Composite ray-cast ``meshes`` with a face's splats (``rgb [F, F, 3]`` premultiplied, ``alpha``
    and alpha-weighted ``depth [F, F, 1]``): a nearer mesh covers the splats, nearer splats blend over it."""
    from marble.render.mesh_preview import raycast_meshes

    hit = raycast_meshes(meshes, cam)
    mdepth = torch.from_numpy(hit["depth"])[..., None]
    mrgb = torch.from_numpy(hit["rgb"])
    m = torch.isfinite(mdepth)
    sdepth = torch.where(alpha > 0.05, depth / alpha.clamp_min(1e-6), torch.full_like(depth, math.inf))
    front = m & (mdepth < sdepth)
    rgb = torch.where(front, mrgb, rgb + (1.0 - alpha) * torch.where(m, mrgb, torch.zeros_like(mrgb)))
    return rgb, torch.where(m, torch.ones_like(alpha), alpha)


def write_panorama(world, path: str | Path, eye=None, *, height: int = 512, sky: bool = True, layers=None,
                   progress: ProgressFn | None = None) -> Path:
    """Render :func:`render_panorama` and write it as PNG/JPEG (atomically); returns the path."""
    return write_image(render_panorama(world, eye, height=height, sky=sky, layers=layers, progress=progress), path)
