"""``.png``: an equirectangular 360-degree panorama of the splats over the world's sky.

Six 90-degree cube faces are rendered (splats with :func:`marble.render.render`, meshes ray-cast
with :func:`marble.render.raycast_meshes`) from the viewpoint (the
first camera of the world, or the centre of the splats' bounds at eye height), composited over
``Environment.sky_color`` and resampled to a ``2H x H`` equirectangular image (centre column looks along +Z, +X
to its right, the top row is +Y), the same mapping ``Environment.sky_color`` uses.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from exporters.scene import ExportOptions, ExportScene
from marble.camera import Camera, look_at_pose
from marble.io import atomic_write

# Cube faces: forward direction and an up vector for look_at (world +Y up).
_FACES = [
    ((1, 0, 0), (0, 1, 0)), ((-1, 0, 0), (0, 1, 0)),
    ((0, 1, 0), (0, 0, 1)), ((0, -1, 0), (0, 0, -1)),
    ((0, 0, 1), (0, 1, 0)), ((0, 0, -1), (0, 1, 0)),
]


def viewpoint(scene: ExportScene) -> np.ndarray:  # [3]
    """The first camera's position, else the content's centre raised to 1.6 m above its floor."""
    if scene.cameras:
        return scene.cameras[0].position.numpy()
    pts = [layer.gaussians.means.numpy() for layer in scene.layers if layer.gaussians is not None]
    pts += [np.asarray(layer.mesh.vertices, np.float32) for layer in scene.layers if layer.mesh is not None]
    if not pts:
        return np.zeros(3)
    m = np.concatenate(pts)
    c = np.median(m, axis=0).astype(np.float64)
    c[1] = float(np.percentile(m[:, 1], 2)) + 1.6
    return c


def directions(height: int) -> np.ndarray:  # [H, 2H, 3]
    """Unit world directions of the pixel centres of an equirectangular image."""
    w = 2 * height
    lon = ((np.arange(w) + 0.5) / w - 0.5) * 2 * math.pi
    lat = (0.5 - (np.arange(height) + 0.5) / height) * math.pi
    lon, lat = np.meshgrid(lon, lat)
    return np.stack([np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon)], axis=-1).astype(np.float32)


def render_panorama(scene: ExportScene, *, height: int = 512, eye=None) -> np.ndarray:
    """``[H, 2H, 3]`` uint8 panorama of ``scene`` seen from ``eye`` (default :func:`viewpoint`).

    Splats are rasterised (:func:`marble.render.render`), meshes ray-cast
    (:func:`marble.render.raycast_meshes`); the nearer of the two wins per pixel, the sky fills the rest.
    """
    eye = viewpoint(scene) if eye is None else np.asarray(eye, dtype=np.float64)
    d = directions(height)
    env = scene.environment
    sky = env.sky_color(d) if env is not None else np.zeros_like(d)
    g = scene.gaussians()
    meshes = {layer.name: layer.mesh for layer in scene.layers if layer.mesh is not None}
    if g.num_splats == 0 and not meshes:
        return np.round(np.clip(sky, 0, 1) * 255).astype(np.uint8)
    face = max(16, height // 2 + 2)  # a 90-degree face spans H/2 panorama pixels
    cams = []
    for fwd, up in _FACES:
        target = eye + np.asarray(fwd, dtype=np.float64)
        T = look_at_pose(torch.as_tensor(eye), torch.as_tensor(target), up)
        cams.append(Camera.from_fov(fov_y_deg=90.0, width=face, height=face, T_world_camera=T))
    colors, alphas = _render_faces(g, meshes, cams, face)
    pano = np.zeros(d.shape, np.float32)
    pano_a = np.zeros(d.shape[:2] + (1,), np.float32)
    # For each direction pick the face whose forward axis it is closest to, project into it.
    best = np.argmax(np.stack([d @ np.asarray(f, np.float32) for f, _ in _FACES], axis=-1), axis=-1)
    for i, cam in enumerate(cams):
        sel = best == i
        if not sel.any():
            continue
        R = cam.T_world_camera[:3, :3].numpy().astype(np.float32)
        dc = d[sel] @ R  # camera coordinates (OpenCV)
        u = cam.fx * dc[:, 0] / dc[:, 2] + cam.cx - 0.5
        v = cam.fy * dc[:, 1] / dc[:, 2] + cam.cy - 0.5
        ui = np.clip(np.round(u).astype(np.int64), 0, face - 1)
        vi = np.clip(np.round(v).astype(np.int64), 0, face - 1)
        pano[sel] = colors[i, vi, ui]
        pano_a[sel] = alphas[i, vi, ui]
    img = pano + (1.0 - pano_a) * sky
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


def _render_faces(g, meshes: dict, cams: list[Camera], face: int) -> tuple[np.ndarray, np.ndarray]:
    """Premultiplied colours ``[6, F, F, 3]`` and alphas ``[6, F, F, 1]`` of splats over meshes."""
    from marble.render import raycast_meshes, render

    n = len(cams)
    colors = np.zeros((n, face, face, 3), np.float32)
    alphas = np.zeros((n, face, face, 1), np.float32)
    depths = np.full((n, face, face, 1), np.inf, np.float32)
    if g.num_splats:
        out = render(g, cams)
        colors, alphas = out.colors.numpy(), out.alphas.numpy()
        depths = np.where(alphas > 0.05, out.depths.numpy() / np.maximum(alphas, 1e-6), np.inf)
    if not meshes:
        return colors, alphas
    for i, cam in enumerate(cams):
        hit = raycast_meshes(meshes, cam)
        mdepth = hit["depth"][..., None]
        m = np.isfinite(mdepth)
        mesh_front = m & (mdepth < depths[i])
        # mesh in front: it covers the splats; splats in front: they blend over the mesh
        colors[i] = np.where(mesh_front, hit["rgb"], colors[i] + (1.0 - alphas[i]) * np.where(m, hit["rgb"], 0.0))
        alphas[i] = np.where(m, 1.0, alphas[i])
    return colors, alphas


def write_panorama(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Render and write the panorama PNG (atomically)."""
    img = render_panorama(scene, height=int(options.panorama_size))
    with atomic_write(path, "wb") as fh:
        Image.fromarray(img, mode="RGB").save(fh, format="PNG")
    return [Path(path)]
