"""Fuse views (camera + colour + depth + layer ids) into per-layer Gaussian splats, and check them.

Every pixel with a finite depth is lifted to a world point with a normal and a footprint (the
patch of surface it covers: ``depth / focal`` across, ``/ cos(angle)`` along the slant). Points are
merged on a multi-level voxel grid: level 0 is ``preset.voxel_size``; a point goes to the finest
level whose cell is at least its footprint, so near surfaces merge to the voxel size and far ones
merge the pixels different views saw of the same patch. Each cell becomes one FLAT splat lying in
the surface (two wide axes in the tangent plane sized to the cell / footprint, a thin one along the
normal), coloured by the confidence-weighted mean of its pixels. Splats keep the layer of their
pixels (cells never mix layers). Above ``preset.max_splats`` the least important (fewest pixels
covered) are dropped. Rays that hit nothing paint a far dome of splats: the sky layer.

``fusion_psnr`` re-renders the splats at the source cameras with :func:`marble.render.render`,
composites the same sky behind them and reports PSNR against the source views.
``tsdf_meshes`` integrates the depth views into a TSDF per layer and extracts coloured meshes.

Modules: :mod:`~pipelines.fusion.params` (settings), :mod:`~pipelines.fusion.samples` (per-view lifting),
:mod:`~pipelines.fusion.merge` (voxel merging), :mod:`~pipelines.fusion.splats` (flat splats),
:mod:`~pipelines.fusion.sky` (sky dome), :mod:`~pipelines.fusion.fuse` (:func:`fuse_views`),
:mod:`~pipelines.fusion.fidelity` (:func:`fusion_psnr`, :func:`rerender`), :mod:`~pipelines.fusion.meshes`
(:func:`tsdf_meshes`).
"""

from pipelines.fusion.fidelity import fusion_psnr, rerender
from pipelines.fusion.fuse import FusionResult, fuse_views
from pipelines.fusion.meshes import tsdf_meshes
from pipelines.fusion.params import SKY_LAYER, UNLABELLED_LAYER

__all__ = ["FusionResult", "SKY_LAYER", "UNLABELLED_LAYER", "fuse_views", "fusion_psnr", "rerender", "tsdf_meshes"]
