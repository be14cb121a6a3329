"""Bad input: unknown extensions, empty worlds, unwritable paths, malformed files on import.

Every case must raise a Marble error with a one-line message naming the file (or argument) and
the problem, allocate nothing large, and leave nothing partial behind.
"""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from exporters import export, import_file
from exporters.samples import random_gaussians, sample_world
from marble.errors import BudgetError, FormatError, InputError
from marble.world import Layer, World


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    w = sample_world(n_splats=300, sh_degree=1)
    out = {ext: export(w, d / f"w{ext}")[0] for ext in (".ply", ".compressed.ply", ".splat", ".spz", ".glb")}
    out["v3.spz"] = export(w, d / "w3.spz", spz_version=3)[0]
    return out


def _one_line(exc: Exception, name: str) -> None:
    msg = str(exc)
    assert "\n" not in msg and name in msg, msg


# ---------------------------------------------------------------------- export side
def test_unknown_extension(tmp_path):
    with pytest.raises(InputError, match="unknown extension; supported: .*\\.spz"):
        export(sample_world(n_splats=10), tmp_path / "w.xyz")
    with pytest.raises(InputError, match="cannot import"):
        import_file(tmp_path / "w.obj")
    assert list(tmp_path.iterdir()) == []


def test_world_with_no_layers_or_nothing_visible(tmp_path):
    with pytest.raises(InputError, match="no layers"):
        export(World(), tmp_path / "w.ply")
    hidden = World([Layer("a", gaussians=random_gaussians(5), visible=False)])
    with pytest.raises(InputError, match="nothing to export"):
        export(hidden, tmp_path / "w.ply")
    meshes_only = World([Layer("m", mesh=sample_world().layer("crate").mesh)])
    with pytest.raises(InputError, match="has none|have none"):
        export(meshes_only, tmp_path / "w.spz")
    with pytest.raises(InputError, match="unknown layer"):
        export(sample_world(n_splats=10), tmp_path / "w.ply", layers=["nope"])
    assert list(tmp_path.iterdir()) == []


def test_bad_options_are_named(tmp_path):
    w = sample_world(n_splats=10)
    with pytest.raises(InputError, match="unknown export option"):
        export(w, tmp_path / "w.ply", colour=True)
    with pytest.raises(InputError, match="`sh_degree`"):
        export(w, tmp_path / "w.ply", sh_degree=7)
    with pytest.raises(InputError, match="`axes` for .spz"):
        export(w, tmp_path / "w.spz", axes="rdf")


def test_nan_splats_are_refused_before_writing(tmp_path):
    g = random_gaussians(20)
    w = World([Layer("bad", gaussians=g)])
    g.means[3, 1] = float("nan")  # corrupted after the layer was added (e.g. by a faulty edit)
    with pytest.raises(InputError, match="layer 'bad'.*NaN"):
        export(w, tmp_path / "w.glb")
    assert list(tmp_path.iterdir()) == []


def test_output_path_that_cannot_be_written(tmp_path):
    w = sample_world(n_splats=10)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        export(w, tmp_path / "afile" / "w.ply")
    with pytest.raises(InputError, match="is a folder"):
        export(w, tmp_path)


def test_error_mid_write_leaves_no_file(tmp_path, monkeypatch):
    import exporters.gltf as gltf

    def broken(*a, **k):
        raise InputError("boom")

    monkeypatch.setattr(gltf, "add_splat_primitive", broken)
    with pytest.raises(InputError):
        export(sample_world(n_splats=10), tmp_path / "w.glb")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- import side
def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("ext", [".ply", ".compressed.ply", ".splat", ".spz", "v3.spz", ".glb"])
def test_truncated_files_are_refused(ext, files, tmp_path):
    data = files[ext].read_bytes()
    p = _write(tmp_path, f"cut{ext}", data[: len(data) * 2 // 3 + 1])
    with pytest.raises(FormatError) as err:
        import_file(p)
    _one_line(err.value, f"cut{ext}")


@pytest.mark.parametrize("ext", [".ply", ".compressed.ply", ".spz", "v3.spz", ".glb"])
def test_bad_magic_is_refused(ext, files, tmp_path):
    data = bytearray(files[ext].read_bytes())
    if ext == "v3.spz":  # the magic inside the gzip stream
        raw = bytearray(gzip.decompress(bytes(data)))
        raw[:4] = b"XXXX"
        data = gzip.compress(bytes(raw))
    else:
        data[:4] = b"XXXX"
    p = _write(tmp_path, f"magic{ext}", bytes(data))
    with pytest.raises(FormatError, match="magic") as err:
        import_file(p)
    _one_line(err.value, f"magic{ext}")


def test_not_gzip_spz(tmp_path):
    with pytest.raises(FormatError, match="not a gzip stream"):
        import_file(_write(tmp_path, "plain.spz", b"PK\x03\x04" + bytes(100)))
    with pytest.raises(FormatError, match="version 0 is not supported"):
        import_file(_write(tmp_path, "v0.spz", b"NGSP" + bytes(100)))


def test_counts_that_do_not_match_the_data(files, tmp_path):
    # PLY header claiming more splats than the file holds: refused before any allocation
    data = files[".ply"].read_bytes().replace(b"element vertex 300", b"element vertex 900000")
    with pytest.raises(FormatError, match="truncated"):
        import_file(_write(tmp_path, "count.ply", data))
    # over the splat limit
    data = files[".ply"].read_bytes().replace(b"element vertex 300", b"element vertex 999999999")
    with pytest.raises(FormatError, match="over the limit"):
        import_file(_write(tmp_path, "huge.ply", data))
    # SPZ header claiming millions of splats in a tiny stream (v3) or planes too small for them (v4)
    raw = bytearray(gzip.decompress(files["v3.spz"].read_bytes()))
    raw[8:12] = struct.pack("<I", 5_000_000)
    with pytest.raises(FormatError, match="claims 5000000 splats|truncated"):
        import_file(_write(tmp_path, "count.spz", gzip.compress(bytes(raw))))
    v4 = bytearray(files[".spz"].read_bytes())
    v4[8:12] = struct.pack("<I", 5_000_000)
    with pytest.raises(FormatError, match="plane 0 holds 2700 bytes but 5000000 splats need 45000000"):
        import_file(_write(tmp_path, "count4.spz", bytes(v4)))
    # compressed PLY whose chunk count disagrees with the splat count
    data = files[".compressed.ply"].read_bytes().replace(b"element chunk 2", b"element chunk 1")
    with pytest.raises(FormatError):
        import_file(_write(tmp_path, "chunks.compressed.ply", data))
    # .splat not a multiple of 32 bytes
    with pytest.raises(FormatError, match="multiple of 32"):
        import_file(_write(tmp_path, "odd.splat", files[".splat"].read_bytes()[:-5]))


def test_nan_values_are_refused(files, tmp_path):
    from exporters.plyfile import read_ply

    data = bytearray(files[".ply"].read_bytes())
    header_end = data.index(b"end_header\n") + len(b"end_header\n")
    struct.pack_into("<f", data, header_end + 4, float("nan"))  # y of the first splat
    with pytest.raises(FormatError, match="NaN") as err:
        import_file(_write(tmp_path, "nan.ply", bytes(data)))
    _one_line(err.value, "nan.ply")
    rec = bytearray(files[".splat"].read_bytes())
    struct.pack_into("<f", rec, 0, float("inf"))
    with pytest.raises(FormatError, match="NaN or Inf"):
        import_file(_write(tmp_path, "inf.splat", bytes(rec)))
    assert read_ply  # the reader module is importable on its own


def test_glb_with_broken_json_or_indices(files, tmp_path):
    data = bytearray(files[".glb"].read_bytes())
    data[20:24] = b"{{{{"
    with pytest.raises(FormatError, match="not valid JSON"):
        import_file(_write(tmp_path, "json.glb", bytes(data)))
    from exporters.gltf_builder import GltfBuilder

    b = GltfBuilder()
    pos = b.add_accessor(np.zeros((3, 3), np.float32), min_max=True)
    idx = b.add_accessor(np.array([0, 1, 7], np.uint16), target=34963)
    m = b.add("meshes", {"primitives": [{"attributes": {"POSITION": pos}, "indices": idx}]})
    b.doc["scenes"][0]["nodes"].append(b.add("nodes", {"mesh": m}))
    with pytest.raises(FormatError, match="indices point past"):
        import_file(_write(tmp_path, "idx.glb", b.glb_bytes()))


def test_file_size_limit(files, tmp_path, monkeypatch):
    monkeypatch.setenv("MARBLE_MAX_FILE_BYTES", "1000")
    with pytest.raises(FormatError, match="MARBLE_MAX_FILE_BYTES"):
        import_file(files[".ply"])


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        import_file(tmp_path / "nope.spz")


# ---------------------------------------------------------------------- CLI
def test_cli_export_converts_and_reports_bad_input_on_one_line(files, tmp_path):
    from typer.testing import CliRunner

    from marble.frontends.cli.main import app

    run = lambda *args: CliRunner().invoke(app, ["export", *map(str, args)])  # noqa: E731
    ok = run(files[".spz"], tmp_path / "conv.glb")
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip() == str(tmp_path / "conv.glb")
    assert import_file(tmp_path / "conv.glb").num_splats == 300
    bad = run(files[".spz"], tmp_path / "conv.abc")
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "unknown extension" in lines[0]
    assert not (tmp_path / "conv.abc").exists()
    world = tmp_path / "w.marble"
    sample_world(n_splats=50).save(world)
    prof = run(world, tmp_path / "q.glb", "--profile", "quest3", "--layers", "splats,crate", "--texture-size", "64")
    assert prof.exit_code == 0, prof.output
    assert [line.rsplit("/", 1)[-1] for line in prof.stdout.split()] == ["q.glb", "q.collider.glb", "q.glb.manifest.json"]
    badprof = run(world, tmp_path / "z.glb", "--profile", "ps5")
    assert badprof.exit_code == 2 and "unknown `profile`" in badprof.stderr
    assert not (tmp_path / "z.glb").exists()


def test_embedded_texture_over_the_pixel_limit(tmp_path, monkeypatch):
    path = export(sample_world(n_splats=20), tmp_path / "baked.glb", bake_textures=True, texture_size=64)[0]
    assert import_file(path).layer("crate").mesh.visual.material.baseColorTexture.size == (64, 64)
    monkeypatch.setenv("MARBLE_MAX_IMAGE_PIXELS", "100")
    with pytest.raises(FormatError, match="64x64, over the limit"):
        import_file(path)


@pytest.mark.parametrize("ext", [".spz", ".ply", ".glb"])
def test_memory_budget_counts_sh_bands_before_decoding(ext, tmp_path, monkeypatch):
    """Degree-3 splats take ~4x the memory of plain ones to import: a file that would not fit the
    budget is refused from its header, before anything is inflated or decoded."""
    from exporters.binary import splat_bytes

    n = 20_000
    path = export(World([Layer("a", gaussians=random_gaussians(n, sh_degree=3))]), tmp_path / f"sh3{ext}")[0]
    assert splat_bytes(15) > 4 * splat_bytes(0) // 1.5
    monkeypatch.setenv("MARBLE_MEMORY_BUDGET_BYTES", str(n * splat_bytes(0) * 2))  # enough without SH only
    with pytest.raises(BudgetError, match=f"importing {n:,} splats"):
        import_file(path)
    monkeypatch.setenv("MARBLE_MEMORY_BUDGET_BYTES", str(n * splat_bytes(15) * 4))
    assert import_file(path).num_splats == n
