"""Job files for ``marble batch``: parse ``.jsonl`` / ``.csv`` / ``.txt`` and validate every line up front.

A job is one world to make: a prompt and/or an input image, a seed, a preset, export formats, an
optional VR profile and the name of its output folder. :func:`load_jobs` reads the whole file and
checks every line before anything runs; problems are collected (with their line numbers) and raised
together as one :class:`JobFileError`, so a user fixes the file in one pass.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from marble.errors import InputError, MarbleError
from marble.io import sanitize_name
from marble.limits import MAX_SEED, limits
from marble.presets import PRESETS

#: Columns a job may set (``.jsonl`` keys and ``.csv`` header names).
JOB_FIELDS = ("name", "prompt", "image", "seed", "preset", "formats", "profile",
              "images", "video", "panorama", "camera_height", "max_frames")

#: Suffixes ``load_jobs`` understands.
JOB_FILE_SUFFIXES = (".jsonl", ".csv", ".txt")

#: Names a job folder may not take because the batch itself uses them under ``--out``.
RESERVED_NAMES = frozenset({"manifest.jsonl", "summary.json"})

DEFAULT_FORMATS = ("ply", "glb")
MAX_PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class Problem:
    """One bad line of a job file: ``line`` is 1-based (0 = the file as a whole)."""

    line: int
    message: str

    def format(self, path: str | os.PathLike) -> str:
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


class JobFileError(InputError):
    """A job file has one or more bad lines; ``problems`` lists each with its line number."""

    def __init__(self, path: str | os.PathLike, problems: Sequence[Problem]):
        self.path = Path(path)
        self.problems = list(problems)
        shown = "; ".join(p.format(self.path.name) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        n = len(self.problems)
        super().__init__(f"{self.path}: {n} bad line{'s' if n != 1 else ''}, nothing was run: {shown}{more}")

    def lines(self) -> list[str]:
        """Every problem as ``file:line: message``, in file order (at most ``MAX_PROBLEMS_SHOWN``)."""
        out = [p.format(self.path) for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            out.append(f"{self.path}: ... and {len(self.problems) - MAX_PROBLEMS_SHOWN} more bad lines")
        return out


@dataclass(frozen=True)
class Job:
    """One world to make.

    Attributes:
        index: 0-based position among the file's jobs (blank and comment lines do not count).
        line: 1-based line of the job file it came from.
        name: output folder name under ``--out`` (the job's ``name`` or its zero-padded index).
        prompt: text prompt, or ``None`` for an image-only job.
        image: absolute path of the input image, or ``None``.
        seed: generation seed.
        preset: ``"draft"``, ``"standard"`` or ``"high"``.
        formats: export extensions, e.g. ``("ply", "glb")``.
        profile: VR/engine profile applied before export, or ``None``.
        previews: write preview PNGs beside the exports.
        image_sha256: content hash of ``image`` at validation time (part of the fingerprint).
        images, video, panorama: capture inputs (absolute paths; see ``batch/capture_fields.py``).
        camera_height, max_frames: capture options (metres; frames sampled from ``video``).
        capture_sha256: content hash of the capture's files (part of the fingerprint).
    """

    index: int
    line: int
    name: str
    prompt: str | None = None
    image: str | None = None
    seed: int = 0
    preset: str = "standard"
    formats: tuple[str, ...] = DEFAULT_FORMATS
    profile: str | None = None
    previews: bool = True
    image_sha256: str | None = field(default=None, compare=False)
    images: tuple[str, ...] | None = None
    video: str | None = None
    panorama: str | None = None
    camera_height: float | None = None
    max_frames: int | None = None
    capture_sha256: str | None = field(default=None, compare=False)

    def spec(self) -> dict[str, Any]:
        """What determines the job's outputs (JSON-serialisable): the fingerprint's input."""
        return {
            "prompt": self.prompt, "image_sha256": self.image_sha256, "seed": self.seed, "preset": self.preset,
            "formats": sorted(self.formats), "profile": self.profile, "previews": self.previews,
        } | ({"capture_sha256": self.capture_sha256, "camera_height": self.camera_height, "max_frames": self.max_frames}
             if self.capture_sha256 else {})

    def fingerprint(self) -> str:
        """sha256 of :meth:`spec`: outputs made for another fingerprint are stale and are remade."""
        blob = json.dumps(self.spec(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["formats"] = list(self.formats)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Job":
        d = dict(d)
        d["formats"] = tuple(d.get("formats") or DEFAULT_FORMATS)
        if d.get("images") is not None:
            d["images"] = tuple(d["images"])
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def supported_formats() -> tuple[str, ...]:
    """Export extensions without the dot, from the exporters' registry (``("compressed.ply", "glb", ...)``)."""
    from marble.api import export_formats

    return tuple(export_formats())


def supported_profiles() -> tuple[str, ...]:
    """VR/engine profile names, from the exporters' profile table."""
    from marble.api import profile_names

    return tuple(profile_names())


def _check_prompt(prompt: str) -> str:
    """The prompt cleaned by :func:`marble.text.validate_prompt` (control characters out, length checked)."""
    from marble.text import validate_prompt

    return validate_prompt(prompt)


class _Defaults:
    def __init__(self, *, seed: int, preset: str, formats: Sequence[str], profile: str | None, previews: bool):
        self.seed, self.preset, self.formats, self.profile, self.previews = seed, preset, tuple(formats), profile, previews


def load_jobs(
    path: str | os.PathLike,
    *,
    seed: int = 0,
    preset: str = "standard",
    formats: Sequence[str] = DEFAULT_FORMATS,
    profile: str | None = None,
    previews: bool = True,
) -> list[Job]:
    """Read and validate a whole job file.

    ``.jsonl``: one JSON object per line with keys from :data:`JOB_FIELDS`. ``.csv``: a header row
    naming some of those columns, then one job per row (empty cells take the defaults). ``.txt``: one
    prompt per line. In every format, blank lines and lines starting with ``#`` are skipped. Image
    paths are relative to the job file's folder. The keyword arguments are the defaults for fields a
    line leaves out.

    Returns:
        The jobs in file order.

    Raises:
        InputError: the file does not exist, has an unknown suffix, is not UTF-8 or is too large.
        JobFileError: one or more lines are bad (every one is listed with its line number), or the
            file holds no job.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"job file {str(p)!r} does not exist: pass a .jsonl, .csv or .txt file as JOBS")
    if not p.is_file():
        raise InputError(f"job file {str(p)!r} is not a file: pass a .jsonl, .csv or .txt file as JOBS")
    suffix = p.suffix.lower()
    if suffix not in JOB_FILE_SUFFIXES:
        raise InputError(f"job file {str(p)!r} has suffix {p.suffix!r}: use .jsonl, .csv or .txt")
    cap = limits().max_file_bytes
    if p.stat().st_size > cap:
        raise InputError(f"job file {str(p)!r} is larger than {cap} bytes (MARBLE_MAX_FILE_BYTES): split it")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"job file {str(p)!r} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None

    problems: list[Problem] = []
    defaults = _check_defaults(seed=seed, preset=preset, formats=formats, profile=profile, previews=previews)
    if suffix == ".jsonl":
        rows = list(_rows_jsonl(text, problems))
    elif suffix == ".csv":
        rows = list(_rows_csv(text, problems))
    else:
        rows = [(n, {"prompt": line}) for n, line in _content_lines(text)]

    allowed_formats = supported_formats()
    allowed_profiles = supported_profiles()
    jobs: list[Job] = []
    names: dict[str, int] = {}
    for index, (line_no, row) in enumerate(rows):
        job = _make_job(index, line_no, row, p.parent, defaults, allowed_formats, allowed_profiles, problems)
        if job is None:
            continue
        key = job.name.lower()
        if key in names:
            problems.append(Problem(line_no, f"duplicate `name` {job.name!r} (also on line {names[key]}): "
                                             "give every job its own name"))
            continue
        names[key] = line_no
        jobs.append(job)
    if not rows and not problems:
        problems.append(Problem(0, "holds no job: add one job per line"))
    if problems:
        problems.sort(key=lambda pr: pr.line)
        raise JobFileError(p, problems)
    return jobs


def _check_defaults(*, seed, preset, formats, profile, previews) -> _Defaults:
    preset_key = str(preset).strip().lower()
    if preset_key not in PRESETS:
        raise InputError(f"unknown `preset` {preset!r}: choose one of {', '.join(PRESETS)}")
    fmts, err = _parse_formats(formats, supported_formats())
    if err:
        raise InputError(err)
    prof, err = _parse_profile(profile, supported_profiles())
    if err:
        raise InputError(err)
    s, err = _parse_seed(seed)
    if err:
        raise InputError(err)
    return _Defaults(seed=s, preset=preset_key, formats=fmts, profile=prof, previews=bool(previews))


def _content_lines(text: str) -> Iterable[tuple[int, str]]:
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield n, line


def _rows_jsonl(text: str, problems: list[Problem]) -> Iterable[tuple[int, dict]]:
    for n, line in _content_lines(text):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(n, f"malformed JSON ({exc.msg} at column {exc.colno}): write one JSON object per line"))
            continue
        except RecursionError:
            problems.append(Problem(n, "JSON nested too deeply: write one flat JSON object per line"))
            continue
        except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits
            problems.append(Problem(n, "a number too long to read: seeds are at most 10 digits"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(n, f"expected a JSON object like {{\"prompt\": \"...\"}}, got {type(obj).__name__}"))
            continue
        yield n, obj


def _rows_csv(text: str, problems: list[Problem]) -> Iterable[tuple[int, dict]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a cell over csv.field_size_limit(), a stray quote at the end of the file
            problems.append(Problem(reader.line_num, f"unreadable CSV ({exc}): prompts are at most "
                                                     f"{limits().max_prompt_chars} characters"))
            return
        n = reader.line_num
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            header_line = n
            unknown = [c for c in header if c not in JOB_FIELDS]
            if unknown:
                problems.append(Problem(n, f"unknown column(s) {', '.join(map(repr, unknown))} in the header: "
                                           f"use {', '.join(JOB_FIELDS)}"))
                return
            if not {"prompt", "image", "images", "video", "panorama"} & set(header):
                problems.append(Problem(n, "the header needs a `prompt`, `image`, `images`, `video` or `panorama` column"))
                return
            continue
        if len(row) > len(header):
            problems.append(Problem(n, f"{len(row)} cells but the header on line {header_line} names {len(header)} columns"))
            continue
        yield n, {k: v for k, v in zip(header, row) if v.strip() != ""}


def _parse_seed(value: Any) -> tuple[int, str | None]:
    if isinstance(value, bool):
        return 0, f"`seed` must be a whole number, got {value!r}"
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return 0, f"`seed` must be a whole number, got {value!r}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        return 0, f"`seed` must be a whole number, got {value!r}"
    if not 0 <= value <= MAX_SEED:
        return 0, f"`seed` {value} is out of range: use 0 to {MAX_SEED}"
    return value, None


def _parse_formats(value: Any, allowed: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    if isinstance(value, str):
        items = [v.strip() for v in value.replace(";", ",").split(",")]
    elif isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        return (), f"`formats` must be a list like [\"ply\", \"glb\"] or a string like \"ply,glb\", got {value!r}"
    out: list[str] = []
    for item in items:
        ext = item.lower().lstrip(".")
        if not ext:
            continue
        if ext not in allowed:
            return (), f"unknown format {item!r} in `formats`: choose from {', '.join(allowed)}"
        if ext not in out:
            out.append(ext)
    if not out:
        return (), f"`formats` is empty: choose one or more of {', '.join(allowed)}"
    return tuple(out), None


def _parse_profile(value: Any, allowed: Sequence[str]) -> tuple[str | None, str | None]:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None, None
    if not isinstance(value, str):
        return None, f"`profile` must be a name like {allowed[0]!r}, got {value!r}"
    key = value.strip().lower()
    if key not in allowed:
        return None, f"unknown `profile` {value!r}: choose one of {', '.join(allowed)}"
    return key, None


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_image(path: Path) -> str | None:
    """Why ``path`` cannot be an input image (too large, a decompression bomb, not an image), or ``None``."""
    from marble.images import check_image_file

    cap = limits().max_file_bytes
    if path.stat().st_size > cap:
        return f"is larger than {cap} bytes (MARBLE_MAX_FILE_BYTES): use a smaller image"
    try:
        check_image_file(path)
    except MarbleError as exc:
        return str(exc).removeprefix(f"image {path.name!r} ")  # "is not an image Pillow can read: ..."
    return None


def _make_job(index: int, line: int, row: dict, base: Path, d: _Defaults, allowed_formats: Sequence[str],
              allowed_profiles: Sequence[str], problems: list[Problem]) -> Job | None:
    errors: list[str] = []
    unknown = sorted(k for k in row if k not in JOB_FIELDS)
    if unknown:
        errors.append(f"unknown key(s) {', '.join(map(repr, unknown))}: use {', '.join(JOB_FIELDS)}")

    prompt = row.get("prompt")
    if prompt is not None:
        if not isinstance(prompt, str):
            errors.append(f"`prompt` must be text, got {type(prompt).__name__}")
            prompt = None
        else:
            try:
                prompt = _check_prompt(prompt)
            except InputError as exc:
                errors.append(str(exc))
                prompt = None

    image = row.get("image")
    image_path: Path | None = None
    image_sha = None
    if image is not None:
        if not isinstance(image, str) or not image.strip():
            errors.append(f"`image` must be a file path, got {image!r}")
        else:
            image_path = Path(image.strip()).expanduser()
            if not image_path.is_absolute():
                image_path = base / image_path
            image_path = image_path.resolve()
            if not image_path.is_file():
                errors.append(f"`image` {image!r} does not exist (looked for {str(image_path)!r}): fix the path; "
                              "relative paths start at the job file's folder")
                image_path = None
            else:
                problem = _check_image(image_path)
                if problem:
                    errors.append(f"`image` {image!r} {problem}")
                    image_path = None
                else:
                    image_sha = _hash_file(image_path)
    from marble.frontends.batch.capture_fields import parse_capture_fields

    capture = parse_capture_fields(row, base, errors)
    if row.get("prompt") is None and row.get("image") is None and not capture["capture_sha256"] \
            and not any(row.get(k) is not None for k in ("images", "video", "panorama")):
        errors.append("missing `prompt` (or `image`, `images`, `video`, `panorama`): every job needs one")

    seed, err = _parse_seed(row["seed"]) if "seed" in row else (d.seed, None)
    if err:
        errors.append(err)

    preset = row.get("preset", d.preset)
    if not isinstance(preset, str) or preset.strip().lower() not in PRESETS:
        errors.append(f"unknown `preset` {preset!r}: choose one of {', '.join(PRESETS)}")
    else:
        preset = preset.strip().lower()

    formats, err = _parse_formats(row["formats"], allowed_formats) if "formats" in row else (d.formats, None)
    if err:
        errors.append(err)

    profile, err = _parse_profile(row["profile"], allowed_profiles) if "profile" in row else (d.profile, None)
    if err:
        errors.append(err)

    name = row.get("name")
    if name is None:
        name = f"{index:05d}"
    elif not isinstance(name, (str, int)) or isinstance(name, bool):
        errors.append(f"`name` must be text, got {name!r}")
        name = None
    else:
        name = str(name).strip()
        safe = sanitize_name(name)
        if name != safe:
            errors.append(f"`name` {name!r} is not a safe folder name: use letters, digits, '-', '_' and '.', "
                          f"e.g. {safe!r}")
            name = None
        elif name.lower() in RESERVED_NAMES:
            errors.append(f"`name` {name!r} is reserved by the batch: choose another")
            name = None

    if errors:
        problems.extend(Problem(line, e) for e in errors)
        return None
    return Job(index=index, line=line, name=name, prompt=prompt, image=str(image_path) if image_path else None,
               seed=seed, preset=preset, formats=formats, profile=profile, previews=d.previews,
               image_sha256=image_sha, **capture)
