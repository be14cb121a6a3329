"""Job files: parsing .jsonl/.csv/.txt and reporting every bad line up front (no generation needed)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from marble.errors import InputError
from marble.frontends.batch.jobs import DEFAULT_FORMATS, Job, JobFileError, load_jobs


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_fields_defaults_and_blank_lines(tmp_path):
    img = tmp_path / "imgs" / "a.png"
    img.parent.mkdir()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(img)
    f = _write(tmp_path / "jobs.jsonl", "\n".join([
        json.dumps({"prompt": "a cabin in a snowy forest", "seed": 7, "preset": "draft", "formats": ["ply"],
                    "name": "cabin"}),
        "",
        "# a comment",
        json.dumps({"image": "imgs/a.png", "formats": "ply, glb"}),
        json.dumps({"prompt": "a beach", "profile": "quest3"}),
    ]) + "\n")
    jobs = load_jobs(f, preset="draft", seed=3)
    assert [j.name for j in jobs] == ["cabin", "00001", "00002"]
    assert [j.line for j in jobs] == [1, 4, 5]
    cabin, image_job, beach = jobs
    assert (cabin.seed, cabin.preset, cabin.formats) == (7, "draft", ("ply",))
    assert image_job.prompt is None and image_job.image == str(img.resolve())
    assert image_job.image_sha256 and image_job.formats == ("ply", "glb") and image_job.seed == 3
    assert beach.profile == "quest3" and beach.formats == DEFAULT_FORMATS


def test_csv_and_txt(tmp_path):
    c = _write(tmp_path / "jobs.csv", "name,prompt,seed,preset,formats\n"
                                      "a,a red barn,1,draft,ply\n"
                                      'b,"a lake, at dawn",,,"ply,glb"\n')
    jobs = load_jobs(c, preset="standard")
    assert [(j.name, j.prompt, j.seed, j.preset, j.formats) for j in jobs] == [
        ("a", "a red barn", 1, "draft", ("ply",)),
        ("b", "a lake, at dawn", 0, "standard", ("ply", "glb")),
    ]
    t = _write(tmp_path / "jobs.txt", "a desert canyon\n\n# skipped\na city street at night\n")
    jobs = load_jobs(t, formats=["ply"])
    assert [(j.index, j.line, j.name, j.prompt, j.formats) for j in jobs] == [
        (0, 1, "00000", "a desert canyon", ("ply",)), (1, 4, "00001", "a city street at night", ("ply",))]


def test_every_bad_line_is_reported_with_its_number(tmp_path):
    f = _write(tmp_path / "jobs.jsonl", "\n".join([
        json.dumps({"prompt": "ok one", "name": "x"}),
        "{not json",
        json.dumps({"seed": 1}),
        json.dumps({"prompt": "p", "preset": "ultra"}),
        json.dumps({"prompt": "p", "image": "missing.png"}),
        json.dumps({"prompt": "p", "name": "X"}),
        json.dumps({"prompt": "p", "formats": ["obj"]}),
        json.dumps({"prompt": "p", "promt": "typo"}),
        json.dumps({"prompt": "p", "seed": -1}),
        json.dumps({"prompt": "p", "name": "../escape"}),
        json.dumps(["a list"]),
        json.dumps({"prompt": "   "}),
        json.dumps({"image": "notes.png"}),
    ]))
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(JobFileError) as info:
        load_jobs(f)
    err = info.value
    by_line = {p.line: p.message for p in err.problems}
    assert sorted(by_line) == list(range(2, 14))
    assert "malformed JSON" in by_line[2]
    assert "missing `prompt`" in by_line[3]
    assert "unknown `preset` 'ultra'" in by_line[4]
    assert "missing.png" in by_line[5] and "does not exist" in by_line[5]
    assert "duplicate `name` 'X'" in by_line[6] and "line 1" in by_line[6]
    assert "unknown format 'obj'" in by_line[7]
    assert "'promt'" in by_line[8]
    assert "`seed`" in by_line[9]
    assert "not a safe folder name" in by_line[10]
    assert "JSON object" in by_line[11]
    assert "prompt" in by_line[12].lower()
    assert "not an image" in by_line[13]
    assert isinstance(err, InputError)
    assert all(line.startswith(str(f)) for line in err.lines())
    assert "nothing was run" in str(err) and "\n" not in str(err)


@pytest.mark.parametrize("name,text,needle", [
    ("missing.jsonl", None, "does not exist"),
    ("empty.jsonl", "", "holds no job"),
    ("comments.txt", "# only a comment\n\n", "holds no job"),
    ("header_only.csv", "prompt,seed\n", "holds no job"),
    ("bad_header.csv", "prompt,colour\nx,red\n", "unknown column"),
    ("jobs.yaml", "- prompt: x\n", "suffix"),
])
def test_bad_files(tmp_path, name, text, needle):
    path = tmp_path / name
    if text is not None:
        _write(path, text)
    with pytest.raises(InputError, match=needle):
        load_jobs(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "jobs.txt"
    path.write_bytes(b"caf\xe9 on a hill\n")
    with pytest.raises(InputError, match="UTF-8"):
        load_jobs(path)


def test_bad_defaults_are_rejected(tmp_path):
    f = _write(tmp_path / "jobs.txt", "a house\n")
    with pytest.raises(InputError, match="preset"):
        load_jobs(f, preset="nope")
    with pytest.raises(InputError, match="format"):
        load_jobs(f, formats=["exe"])


def test_fingerprint_tracks_what_changes_the_output(tmp_path):
    base = Job(index=0, line=1, name="a", prompt="a barn", seed=1, preset="draft", formats=("ply",))
    same = Job(index=5, line=9, name="b", prompt="a barn", seed=1, preset="draft", formats=("ply",))
    assert base.fingerprint() == same.fingerprint()
    for changed in (dict(seed=2), dict(prompt="a shed"), dict(preset="standard"), dict(formats=("ply", "glb")),
                    dict(profile="web"), dict(previews=False)):
        other = Job(**{**base.to_dict(), "formats": base.formats, **changed})
        assert other.fingerprint() != base.fingerprint(), changed
    assert Job.from_dict(base.to_dict()) == base
