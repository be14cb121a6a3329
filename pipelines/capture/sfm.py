"""Structure from motion with COLMAP through ``pycolmap``: features, matching, incremental mapping.

:func:`run_sfm` writes the photos into a private working folder (removed afterwards), extracts SIFT
features one photo at a time (so progress advances per photo), matches every pair (or, for long
sequences such as video frames, each frame with its neighbours), maps incrementally and returns
the largest reconstruction as Marble cameras (OpenCV axes, ``T_world_camera``) and coloured sparse
points, in COLMAP's arbitrary frame and scale (see :mod:`pipelines.capture.align`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from marble.camera import Camera
from marble.errors import InputError
from marble.progress import ProgressFn, report
from pipelines.capture.photos import CapturePhoto

EXHAUSTIVE_MAX = 60
"""Up to this many photos every pair is matched; above it, each with its ``SEQUENTIAL_OVERLAP`` neighbours."""
SEQUENTIAL_OVERLAP = 12
MAX_FEATURES = 4096
LOW_PARALLAX_TRI_ANGLE = 3.0
LOW_PARALLAX_MIN_INLIERS = 30
"""When no initial pair is found with COLMAP's defaults, mapping is retried once with this initial
triangulation angle (degrees) and inlier count."""
PEAK_THRESHOLD = 0.002
"""SIFT's contrast threshold (COLMAP's default is 0.0067): lower finds features on soft, low-contrast
texture (grass, plaster, sand), which the default misses at 640 px."""


@dataclass
class SfmResult:
    """What structure from motion recovered, in COLMAP's frame (arbitrary orientation and scale).

    Attributes:
        cameras: registered photos' cameras (``name`` = the photo's name), in photo order.
        registered: names of the registered photos, in photo order.
        unregistered: names of the photos that could not be placed.
        points: ``[P, 3]`` float64 sparse points.
        colors: ``[P, 3]`` float32 colours in [0, 1].
        point_errors: ``[P]`` float32 reprojection error of each point, pixels.
        observations: photo name -> ``([M, 2]`` float32 pixel positions, ``[M]`` int64 index into ``points``).
        reprojection_error: mean reprojection error, pixels.
        timings: stage -> seconds (``features``, ``matching``, ``mapping``).
    """

    cameras: list[Camera]
    registered: list[str]
    unregistered: list[str]
    points: np.ndarray
    colors: np.ndarray
    point_errors: np.ndarray
    observations: dict = field(default_factory=dict)
    reprojection_error: float = 0.0
    timings: dict = field(default_factory=dict)


def _quiet_colmap():
    import pycolmap

    try:  # COLMAP logs every step through glog; Marble reports failures itself, as one line
        pycolmap.logging.minloglevel = 3
    except AttributeError:
        pass
    return pycolmap


def _write_photos(photos: list[CapturePhoto], folder: Path) -> list[str]:
    from PIL import Image

    names = []
    for ph in photos:
        name = Path(ph.name).stem + ".png"
        if name in names:
            name = f"{len(names):05d}_{name}"
        Image.fromarray((np.clip(ph.rgb, 0, 1) * 255 + 0.5).astype(np.uint8)).save(folder / name)
        names.append(name)
    return names


def run_sfm(
    photos: list[CapturePhoto],
    *,
    seed: int = 0,
    sequential: bool | None = None,
    camera_model: str = "SIMPLE_PINHOLE",
    num_threads: int = -1,
    progress: ProgressFn | None = None,
) -> SfmResult:
    """Recover cameras and sparse points from overlapping photos.

    Args:
        photos: at least two photos (``rgb [H, W, 3]``); photos of one size share one camera.
        seed: COLMAP's random seed (RANSAC, initial pair).
        sequential: match each photo with its neighbours in order (videos) instead of every pair;
            default: only when there are more than :data:`EXHAUSTIVE_MAX` photos.
        camera_model: COLMAP camera model; a pinhole model keeps the cameras exactly what Marble's
            renderer draws (``SIMPLE_PINHOLE`` or ``PINHOLE``).
        num_threads: CPU threads for feature extraction and matching (-1 = all); mapping runs on one
            thread so that the same photos and seed give the same cameras.
        progress: ``(stage, fraction, message)`` for stages ``features``, ``matching``, ``mapping``.
    Returns:
        :class:`SfmResult`.

    Raises:
        InputError: fewer than two photos, or nothing registered (the photos do not overlap).
    """
    if len(photos) < 2:
        raise InputError(f"structure from motion needs at least 2 photos, got {len(photos)}")
    if camera_model not in ("SIMPLE_PINHOLE", "PINHOLE"):
        raise InputError(f"`camera_model` must be SIMPLE_PINHOLE or PINHOLE, got {camera_model!r}")
    pycolmap = _quiet_colmap()
    sizes = {ph.rgb.shape[:2] for ph in photos}
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="marble-sfm-") as tmp:
        tmp = Path(tmp)
        (tmp / "images").mkdir()
        files = _write_photos(photos, tmp / "images")
        by_file = dict(zip(files, (ph.name for ph in photos)))
        db = tmp / "database.db"

        t0 = time.perf_counter()
        reader = pycolmap.ImageReaderOptions()
        reader.camera_model = camera_model
        extract = pycolmap.FeatureExtractionOptions()
        extract.num_threads = num_threads
        extract.sift.max_num_features = MAX_FEATURES
        extract.sift.peak_threshold = PEAK_THRESHOLD
        mode = pycolmap.CameraMode.SINGLE if len(sizes) == 1 else pycolmap.CameraMode.AUTO
        report(progress, "features", 0.0)
        for i, name in enumerate(files):
            pycolmap.extract_features(db, tmp / "images", image_names=[name], camera_mode=mode, reader_options=reader,
                                      extraction_options=extract, device=pycolmap.Device.cpu)
            report(progress, "features", (i + 1) / len(files), name)
        timings["features"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        report(progress, "matching", 0.0, f"{len(files)} photos")
        match = pycolmap.FeatureMatchingOptions()
        match.num_threads = num_threads
        verify = pycolmap.TwoViewGeometryOptions()
        verify.ransac.random_seed = int(seed) % (2**31 - 1)  # seeded RANSAC: the same photos verify the same
        if sequential is None:
            sequential = len(files) > EXHAUSTIVE_MAX
        if sequential:
            pairing = pycolmap.SequentialPairingOptions()
            pairing.overlap = SEQUENTIAL_OVERLAP
            pairing.quadratic_overlap = True
            pycolmap.match_sequential(db, matching_options=match, pairing_options=pairing,
                                      verification_options=verify, device=pycolmap.Device.cpu)
        else:
            pycolmap.match_exhaustive(db, matching_options=match, verification_options=verify,
                                      device=pycolmap.Device.cpu)
        with pycolmap.Database.open(db) as d:
            inliers = int(d.num_inlier_matches())
        report(progress, "matching", 1.0, f"{inliers:,} verified matches")
        timings["matching"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        opts = pycolmap.IncrementalPipelineOptions()
        opts.num_threads = 1  # one thread: bundle adjustment sums in a fixed order, so the same photos map the same
        opts.mapper.num_threads = 1
        opts.random_seed = int(seed) % (2**31 - 1)
        opts.multiple_models = False
        opts.min_model_size = 2
        opts.mapper.init_min_num_inliers = 50
        opts.ba_refine_principal_point = False
        done = [0]

        def _next_image():
            done[0] += 1
            report(progress, "mapping", min(done[0] / len(files), 1.0), f"{min(done[0] + 1, len(files))} photos placed")

        report(progress, "mapping", 0.0)
        (tmp / "sparse").mkdir()
        recs = pycolmap.incremental_mapping(db, tmp / "images", tmp / "sparse", options=opts,
                                            next_image_callback=_next_image)
        if not recs and inliers >= 2 * LOW_PARALLAX_MIN_INLIERS:
            # Matches but no initial pair: the photos moved too little for COLMAP's 16 degree
            # triangulation angle (a stereo pair, a slow pan). Try once more with a small angle.
            opts.mapper.init_min_tri_angle = LOW_PARALLAX_TRI_ANGLE
            opts.mapper.init_min_num_inliers = LOW_PARALLAX_MIN_INLIERS
            for p in (tmp / "sparse").iterdir():
                shutil.rmtree(p, ignore_errors=True)
            recs = pycolmap.incremental_mapping(db, tmp / "images", tmp / "sparse", options=opts,
                                                next_image_callback=_next_image)
        timings["mapping"] = time.perf_counter() - t0
        if not recs:
            if inliers >= 2 * LOW_PARALLAX_MIN_INLIERS:
                raise InputError(f"none of the {len(photos)} photos could be placed: they match ({inliers:,} verified "
                                 "feature matches) but show too little parallax; walk a few steps between photos "
                                 "instead of turning on the spot")
            raise InputError(f"none of the {len(photos)} photos could be placed: they do not overlap enough "
                             f"({inliers:,} verified feature matches); take photos that share at least half their view")
        rec = max(recs.values(), key=lambda r: r.num_reg_images())
        report(progress, "mapping", 1.0, f"{rec.num_reg_images()} of {len(files)} photos placed")
        return _to_result(rec, files, by_file, timings)


def _to_result(rec, files: list[str], by_file: dict, timings: dict) -> SfmResult:
    ids = sorted(rec.points3D.keys())
    index = {pid: i for i, pid in enumerate(ids)}
    pts = np.array([rec.points3D[p].xyz for p in ids], dtype=np.float64).reshape(-1, 3)
    cols = np.array([rec.points3D[p].color for p in ids], dtype=np.float32).reshape(-1, 3) / 255.0
    errs = np.array([rec.points3D[p].error for p in ids], dtype=np.float32)
    by_name = {im.name: im for im in rec.images.values() if im.has_pose}
    cameras, registered, unregistered, obs = [], [], [], {}
    for f in files:
        im = by_name.get(f)
        if im is None:
            unregistered.append(by_file[f])
            continue
        cam = rec.cameras[im.camera_id]
        K = np.asarray(cam.calibration_matrix(), dtype=np.float64)
        Rt = np.asarray(im.cam_from_world().matrix(), dtype=np.float64)  # world -> camera, [3, 4]
        viewmat = np.eye(4)
        viewmat[:3] = Rt
        T = torch.from_numpy(np.linalg.inv(viewmat))
        cameras.append(Camera(float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2]), int(cam.width),
                              int(cam.height), T, by_file[f]))
        registered.append(by_file[f])
        xy, pid = [], []
        for p2 in im.points2D:
            if p2.has_point3D():
                xy.append(p2.xy)
                pid.append(index[p2.point3D_id])
        obs[by_file[f]] = (np.asarray(xy, np.float32).reshape(-1, 2), np.asarray(pid, np.int64))
    return SfmResult(cameras=cameras, registered=registered, unregistered=unregistered, points=pts, colors=cols,
                     point_errors=errs, observations=obs,
                     reprojection_error=float(rec.compute_mean_reprojection_error()), timings=timings)
