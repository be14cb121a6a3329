"""The settings of fusion: layer names, splat sizes, thickness and opacity, sky dome placement, voxel key bits."""

from __future__ import annotations

import math

SKY_LAYER = "sky"
"""Name of the layer holding the sky dome."""

UNLABELLED_LAYER = "scene"
"""Layer for pixels with depth but no object id (e.g. lifted from a single image)."""

LEVEL_RATIO = math.sqrt(2.0)
"""Cell size ratio between consecutive merge levels (finer steps = less blur, more splats)."""

SPLAT_SIGMA = 0.7
"""Tangent standard deviation of a splat as a fraction of its footprint (one source pixel).

0.36 scored best at the source views (draft forest 29.1 dB) but relied on the renderer's 0.3 px^2
low-pass to close gaps, so the splats fell apart into dots when viewed at a higher resolution than
they were fused at (previews, SuperSplat full screen). 0.5 overlapped under the classic low-pass; with
the opacity-compensated renderer (``marble.render.core.ANTIALIASED``) splats smaller than a pixel
cover only ``1 - exp(-2 pi 0.97 f^2)`` of it (0.78 at 0.5, 0.95 at 0.7), so a photo world seen from a
head move away showed 5.2% holes at 0.5 and 4.0% at 0.7 (village photo, standard)."""

SPLAT_SIGMA_MERGED = 0.22
"""Extra fraction for cells much larger than a pixel (several merged pixels, no low-pass help)."""

EDGE_SHRINK = 0.4
"""Splats made only from silhouette pixels are this much smaller, so they bleed less past the edge."""

EDGE_WEIGHT = 0.25
"""Merge weight of silhouette pixels (their colour mixes in what lies behind)."""

MAX_STRETCH = 1.5
"""Longest a splat may be along the slant, in footprints (longer ones streak in other views)."""

SPLAT_THICKNESS = 0.08
"""Standard deviation along the normal as a fraction of the smaller tangent one."""

SPLAT_OPACITY = 0.97

MIN_COS = 0.2
"""Grazing-angle clamp: a pixel's footprint stretches at most ``1 / MIN_COS`` along the slant."""

SKY_RADIUS_FACTOR = 10.0
"""Sky dome radius as a multiple of the scene's extent around the cameras."""

SKY_SAMPLE_STRIDE = 3
"""Every n-th sky pixel (per axis) colours the dome; the sky is smooth."""

SKY_MIN_Y = -1.0
"""Lowest direction ``y`` the dome covers: the whole sphere, so a viewer that draws no sky of its own
shows no background through it, above or below the horizon."""

SKY_SIGMA = 1.0
"""Dome splat standard deviation as a multiple of the spacing between dome points (0.6 left 0.2-4.8%
of the sky under 0.5 alpha between the Fibonacci points; 1.0 overlaps everywhere)."""

COORD_BITS = 16
LAYER_BITS = 11
LEVEL_BITS = 5
