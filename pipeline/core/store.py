"""Where outputs live, how they are written (atomically), and the per-recording manifest."""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

MANIFEST_SCHEMA_VERSION = 1
HASH_CACHE = ".hash-cache.json"  # in the transcripts folder: (path, size, mtime) → sha256
_HASH_CHARS = 10
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: new files get the usual 0666 & ~umask, not mkstemp's 0600


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one rename.

    On any failure (or interruption) the temporary file is removed and ``target`` is untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temps(*folders: Path) -> list[Path]:
    """Delete the temporary files an interrupted (killed) writer left in ``folders``. Call it
    only while holding the lock that guards the folders."""
    removed = []
    for folder in folders:
        if folder.is_dir():
            for path in folder.glob(".*.tmp"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def atomic_write(target: Path, data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to ``target`` atomically."""
    with atomic_path(target) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)


def write_json(target: Path, data: Any) -> None:
    atomic_write(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> Any:
    """What ``write_json`` wrote."""
    return json.loads(path.read_text(encoding="utf-8"))


class _TextDates(yaml.SafeLoader):
    """YAML's safe loader with dates left as text."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str) -> Any:
    """YAML a person wrote (a sidecar, review.yaml, a --set value) with dates left as text for
    the fields to read: the safe loader turns 2024-02-30 into a ValueError of its own, no
    YAMLError, with neither the file nor the fix."""
    loader = _TextDates(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# byte-order marks Windows editors write ("UTF-8 with BOM", "Unicode": UTF-16) and their codecs
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def nfc(text: str) -> str:
    """``text`` in Unicode's composed form: é as one character, not e + accent."""
    return unicodedata.normalize("NFC", text)


def written_text(data: bytes) -> str:
    """A file's text as its byte-order mark says it is encoded (without the mark), else UTF-8:
    Notepad and PowerShell save a file a person edits with one, which JSON refused
    ("Unexpected UTF-8 BOM") and a UTF-8 read refused outright. In Unicode's composed form
    (NFC): a name pasted as e + accent reads as the é the recogniser writes (matching took the
    accent for a space: "Garce s", 90 points for the same name)."""
    return nfc(data.decode(next((codec for bom, codec in _BOMS if data.startswith(bom)), "utf-8")))


def not_utf8(exc: UnicodeDecodeError, what: str, path: Path) -> ConfigError:
    """The one line for a file a person wrote in another encoding than UTF-8 (a Windows code
    page) and without a byte-order mark."""
    return ConfigError(
        f"cannot read {what} ({exc.reason} at byte {exc.start}: not UTF-8)",
        path,
        "save it as UTF-8 text",
    )


def read_yaml_file(path: Path, what: str, fix: str) -> Any:
    """A YAML file a person wrote (``read_yaml``; encoded as its byte-order mark says, else
    UTF-8); one ``ConfigError`` — "cannot read <what> (why)", the file, ``fix`` — when it cannot
    be read or parsed, or "save it as UTF-8 text" when it is in another encoding."""
    try:
        return read_yaml(written_text(path.read_bytes()))
    except UnicodeDecodeError as exc:
        raise not_utf8(exc, what, path) from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {what} ({' '.join(str(exc).split())})", path, fix) from None


def as_named(path: Path) -> Path:
    """``path``, or else the file beside it whose name is the same in another Unicode form (é
    as one character or as e + accent: names a Mac wrote beside names a Linux editor typed),
    or else ``path``. Nothing is searched for a name in ASCII or a path that exists."""
    if path.name.isascii() or os.path.lexists(path):
        return path
    wanted = nfc(path.name)
    with contextlib.suppress(OSError):
        for other in sorted(path.parent.iterdir()):
            if nfc(other.name) == wanted:
                return other
    return path


def file_sha256(path: Path, on_read: Callable[[int], None] | None = None) -> str:
    """sha256 of the file; ``on_read`` hears of each piece read (its bytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
            if on_read:
                on_read(len(chunk))
    return digest.hexdigest()


def cached_sha256(
    path: Path, cache_file: Path, on_read: Callable[[int], None] | None = None
) -> str:
    """sha256 of the file, remembered by (path, size, mtime) so re-runs need not re-read it;
    ``on_read`` hears of the file's bytes as they are read (all at once when remembered)."""
    st = path.stat()
    token = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    try:
        known = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        known = {}
    if token in known:
        if on_read:
            on_read(st.st_size)
    else:
        known[token] = file_sha256(path, on_read)
        with contextlib.suppress(OSError):  # a read-only cache only costs a re-hash next time
            write_json(cache_file, dict(list(known.items())[-2000:]))
    return known[token]


def slugify(name: str, limit: int = 48) -> str:
    """A readable, filesystem-safe ASCII slug ("Talk #3 — Ünïcode" → "talk-3-unicode")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:limit].strip("-") or "recording"


@dataclass(frozen=True)
class Workspace:
    """The transcript root; every recording gets ``transcripts/<id>/``."""

    transcripts: Path

    def find_existing(self, content_hash: str) -> str | None:
        """The id already given to this content (a renamed or re-copied file keeps its id)."""
        suffix = "-" + content_hash[:_HASH_CHARS]
        if self.transcripts.is_dir():
            for child in sorted(self.transcripts.iterdir()):
                if child.is_dir() and child.name.endswith(suffix):
                    return child.name
        return None

    def recording_id(self, source: Path, content_hash: str) -> str:
        return (
            self.find_existing(content_hash)
            or f"{slugify(source.stem)}-{content_hash[:_HASH_CHARS]}"
        )

    def transcript_dir(self, rec_id: str) -> Path:
        return self.transcripts / rec_id

    def earlier_versions(self, source: Path, rec_id: str) -> list[str]:
        """The other recordings last run from the file at ``source``: what it held before it was
        replaced (re-exported, trimmed), each kept under its own id."""
        where = str(source.absolute())
        found = []
        for path in sorted(self.transcripts.glob("*/manifest.json")):
            if path.parent.name == rec_id:
                continue
            try:
                run = json.loads(path.read_text(encoding="utf-8")).get("run", {})
            except (OSError, ValueError):
                continue
            if run.get("recording") == where:
                found.append(path.parent.name)
        return found


@dataclass
class Manifest:
    """``manifest.json``: per stage, the key of what it depended on, settings, versions, timings."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = read_json(path)
            if data.get("schema_version") != MANIFEST_SCHEMA_VERSION:
                data = {}
        except (OSError, ValueError):
            data = {}
        data.setdefault("schema_version", MANIFEST_SCHEMA_VERSION)
        data.setdefault("stages", {})
        return cls(path, data)

    def stage(self, name: str) -> dict[str, Any] | None:
        return self.data["stages"].get(name)

    def record(self, name: str, entry: dict[str, Any]) -> None:
        self.data["stages"][name] = entry
        self.save()

    def save(self) -> None:
        write_json(self.path, self.data)
