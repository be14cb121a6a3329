"""What every test shares: the ``cuda`` marker and the fixtures several test folders use.

- ``@pytest.mark.cuda``: the test needs a CUDA GPU; on a machine without one it is reported as
  skipped with that reason (never silently passed).
- ``tiny_models``: tiny random diffusers/transformers models (text-to-image, inpainting, depth
  ControlNet, Depth Anything, Marigold) built in-process and saved with ``save_pretrained``, once per
  test session; a dict of their folders. Nothing is downloaded.
- ``synthetic_photo``: a small photo of a procedural outdoor scene (``[72, 96, 3]`` float32 in [0, 1]).
- ``synthetic_capture``: 12 photos of a procedural courtyard with their true cameras (captures).
"""

from __future__ import annotations

import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (marked `cuda`)")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, str]:
    from tests.support import tiny_models as tm

    root = tmp_path_factory.mktemp("tiny_models")
    return {
        "sd": str(tm.save_tiny_sd(root / "sd")),
        "inpaint": str(tm.save_tiny_sd(root / "sd_inpaint", inpaint=True)),
        "controlnet": str(tm.save_tiny_controlnet(root / "controlnet")),
        "depth": str(tm.save_tiny_depth_anything(root / "depth_anything")),
        "marigold": str(tm.save_tiny_marigold(root / "marigold")),
    }


@pytest.fixture(scope="session")
def synthetic_photo() -> np.ndarray:
    from pipelines.lift.geometric_depth import camera_from_horizon
    from pipelines.lift.synthetic import SyntheticScene

    cam = camera_from_horizon(width=96, height=72, horizon_row=24, camera_height=1.6, fov_y_deg=55)
    rgb, _, _ = SyntheticScene.random(seed=0).render(cam)
    return rgb


@pytest.fixture(scope="session")
def synthetic_capture(tmp_path_factory):
    """12 photos (480x360, a 120 degree arc) of a procedural courtyard with their true cameras
    (:func:`pipelines.capture.synthetic.make_capture`), rendered once per session."""
    from pipelines.capture.synthetic import make_capture

    return make_capture(tmp_path_factory.mktemp("capture"), num_photos=12, width=480, height=360, arc_deg=120.0,
                        num_heldout=2)
