"""What a stage is, and the key that decides whether it must run again.

A stage declares its name, the stages it needs, a frozen parameters dataclass holding every value
that changes its output, its output files, ``run`` (compute), ``write`` (atomically) and ``load``
(read a finished result back). Its key hashes exactly what its output depends on:

- ``upstream``: a digest of what the stages it needs wrote (``produced``, recorded in the
  manifest when they finished; the recording's sha256 where it reads it). A stage that must run
  first is ``pending``: the stages after it are planned to run, and planned again once it has
  written — if its outputs came out byte for byte the same, they stay up to date (early cutoff);
- ``params``: its parameters, field by field;
- ``code``: a fingerprint of its module and of every project module that module imports,
  normalised so that comments, docstrings and formatting do not count (``ast.dump``);
- ``models``: the identity of the model weights it runs;
- ``libraries``: the versions of the packages that compute it.

The manifest records this ``hashed`` dictionary as it was, so ``explain`` can name what changed.
This module itself is not part of any fingerprint: it decides when a stage runs, not what it
writes.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from .captions import Cue
from .config import Settings
from .errors import ConfigError
from .event import Event
from .library import Voice
from .review import Review
from .types import MediaInfo

ROOT = Path(__file__).resolve().parents[1]  # the pipeline package
_MECHANISM = {"pipeline.core.stage", "pipeline.service.runner"}
ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class Context:
    """What the stages of one recording may read: its files and folders, its event page, the
    reviewer's corrections and the run's settings. ``info`` (ffprobe) is None when only keys are
    computed (``status``)."""

    recording: Path
    sha: str
    rec_id: str
    out: Path  # transcripts/<id>
    summary_dir: Path  # summaries/<id>
    event: Event
    event_file: Path | None
    review: Review
    settings: Settings
    decks: tuple[Path, ...] = ()
    info: MediaInfo | None = None
    library: tuple[Voice, ...] | None = None  # voices known from other recordings (opt-in)
    library_dir: Path | None = None
    captions: tuple[Cue, ...] = ()  # the platform's transcript: who spoke when, by name
    # the participants' own tracks (Zoom's) beside the recording, each with its sha256
    tracks: tuple[tuple[Path, str], ...] = ()
    warnings: tuple[str, ...] = ()  # doubts about the run's inputs, told to the user

    @property
    def audio_track(self) -> int:
        """The audio track transcribed, from 1: the option's, else the sidecar's, else the first."""
        return self.settings.audio_track or self.event.audio_track or 1


class Stage:
    """One step of the pipeline. Subclasses set the class attributes and implement the methods."""

    name: ClassVar[str]
    Params: ClassVar[type]  # a frozen dataclass: every value that changes the stage's output
    needs: ClassVar[tuple[str, ...]] = ()
    reads_source: ClassVar[bool] = False  # reads the recording itself (its sha256 is upstream)
    libraries: ClassVar[tuple[str, ...]] = ()  # packages whose versions are part of the key
    data_files: ClassVar[tuple[str, ...]] = ()  # globs under pipeline/ of files that are code
    # its work is another program's (ffmpeg): it runs beside the next stages, and is waited
    # for before a stage that needs it and before the run ends
    background: ClassVar[bool] = False

    def enabled(self, ctx: Context) -> bool:
        return True

    def params(self, ctx: Context) -> Any:
        """The parameters of this run (from settings, event page, review); defaults here."""
        return self.Params()

    def models(self, params: Any) -> dict[str, str]:
        """Identity of the model weights this stage runs with ``params``."""
        return {}

    def outputs(self, ctx: Context, params: Any) -> list[Path]:
        raise NotImplementedError

    def written(self, ctx: Context, params: Any) -> list[Path]:
        """Every file of this stage that a later one reads, once it has run: what the stages
        after it depend on (``produced``). Its outputs, unless it writes more."""
        return self.outputs(ctx, params)

    def run(self, ctx: Context, params: Any, inputs: dict[str, Any], progress: ProgressFn) -> Any:
        raise NotImplementedError

    def write(self, ctx: Context, params: Any, result: Any) -> None:
        """Write the result's files (atomically) unless ``run`` already wrote them."""

    def load(self, ctx: Context, params: Any, inputs: Mapping[str, Any]) -> Any:
        """The result of the last run, read back from the outputs (``inputs``, the upstream
        results, are read only when a stage needs them to rebuild what it does not write)."""
        raise NotImplementedError

    def facts(self, result: Any) -> dict[str, Any]:
        """A few facts about the result for the manifest (counts, decisions, review notes)."""
        return {}

    def discard(self, ctx: Context) -> None:
        """Remove the outputs of a stage that is no longer enabled."""


# --- what is hashed -------------------------------------------------------------------------


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0] if node.body else None
        is_text = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        if is_text and isinstance(first.value.value, str):  # type: ignore[union-attr]  # a docstring
            node.body = node.body[1:] or [ast.Pass()]
    return tree


def _module_file(module: str) -> Path | None:
    parts = module.split(".")
    if parts[0] != "pipeline":
        return None
    base = ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: str, tree: ast.AST, is_package: bool) -> set[str]:
    """Project modules imported anywhere in ``tree`` (also inside functions)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "pipeline"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "pipeline":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if _module_file(sub) else target)
    return found


@cache
def _module_digest(module: str) -> tuple[str, str, frozenset[str]]:
    """(path relative to the package's parent, digest of the normalised code, its imports)."""
    path = _module_file(module)
    if path is None:
        raise ValueError(f"not a project module: {module}")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = _imports(module, tree, path.name == "__init__.py")
    dump = ast.dump(_strip_docstrings(tree), annotate_fields=False, include_attributes=False)
    digest = hashlib.sha256(dump.encode()).hexdigest()[:16]
    return str(path.relative_to(ROOT.parent)), digest, frozenset(imports)


def code_fingerprint(module: str, data_files: Sequence[str] = ()) -> dict[str, str]:
    """{file: digest} of ``module`` and every project module it imports, directly or not, and of
    the files matching the ``data_files`` globs (hashed as bytes)."""
    seen: dict[str, str] = {}
    todo, visited = [module], set(_MECHANISM)
    while todo:
        name = todo.pop()
        if name in visited:
            continue
        visited.add(name)
        path, digest, imports = _module_digest(name)
        seen[path] = digest
        todo.extend(sorted(imports - visited))
    for pattern in data_files:
        for path in sorted(p for p in ROOT.glob(pattern) if p.is_file()):
            seen[str(path.relative_to(ROOT.parent))] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()[:16]
    return dict(sorted(seen.items()))


@cache
def _ffmpeg_version() -> str:
    try:
        out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    return out.stdout.split("\n", 1)[0]


@cache
def package_version(name: str) -> str:
    """A package's installed version ("ffmpeg" is the binary's version line)."""
    if name == "ffmpeg":
        return _ffmpeg_version()
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def jsonable(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples as lists, paths as strings)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def digest(hashed: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()[:16]


# --- parameters ------------------------------------------------------------------------------


def tuned(stage: Stage, params: Any, tuning: dict[str, dict[str, Any]]) -> Any:
    """``params`` with the expert overrides for this stage (``--set stage.field=value``)."""
    overrides = tuning.get(stage.name, {})
    if not overrides:
        return params
    known = {f.name for f in fields(params)}
    values = {}
    for key, value in overrides.items():
        if key not in known:
            raise ConfigError(
                f"--set {stage.name}.{key}: the {stage.name} stage has no such parameter",
                fix=f"its parameters: {', '.join(sorted(known))}",
            )
        where = f"{stage.name}.{key}"
        values[key] = _in_range(
            getattr(params, key), _like(getattr(params, key), value, where), where
        )
    return replace(params, **values)


def _in_range(current: Any, value: Any, where: str) -> Any:
    """``value``, if it keeps the side of zero its parameter's default is on: a count that
    defaults to 1 or more stays 1 or more (beam_size=-3 reached the decoder as a TypeError), a
    positive number stays 0 or more, a negative one (a level in dBFS) 0 or less."""
    if isinstance(current, bool) or not isinstance(current, int | float):
        return value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    least, most = None, None
    if isinstance(current, int) and current >= 1:
        least = 1
    elif current > 0:
        least = 0
    elif current < 0:
        most = 0
    if (least is not None and value < least) or (most is not None and value > most):
        bound = f"{least} or more" if least is not None else f"{most} or less"
        raise ConfigError(
            f"--set {where}={value!r}: must be {bound} (the default is {current!r})",
            fix="give a value on the default's side of zero",
        )
    return value


def _like(current: Any, value: Any, where: str) -> Any:
    """``value`` converted to the type of the parameter's current value."""
    if current is None or value is None:
        return value
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
    elif (
        isinstance(current, int | float)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        if isinstance(current, float) or float(value).is_integer():
            return type(current)(value)
    elif isinstance(current, tuple) and isinstance(value, list | tuple):
        return tuple(value)
    elif isinstance(current, type(value)) or isinstance(value, type(current)):
        return value
    raise ConfigError(
        f"--set {where}={value!r}: expected a value like {current!r}",
        fix="give a value of the parameter's type",
    )


def check_tuning(stages: Sequence[Stage], tuning: dict[str, dict[str, Any]]) -> None:
    """Every override names a stage that exists (fields are checked when parameters are built)."""
    names = [s.name for s in stages]
    for name in tuning:
        if name not in names:
            raise ConfigError(
                f"--set {name}.…: no stage named '{name}'", fix=f"stages: {', '.join(names)}"
            )


# --- the plan: every stage's key without running anything ------------------------------------


@dataclass(frozen=True)
class Planned:
    """A stage of one recording with its parameters and the key they give."""

    stage: Stage
    enabled: bool
    params: Any
    hashed: dict[str, Any]
    key: str | None  # None: disabled


PENDING = "pending "  # an upstream stage that must run before this one's key is known


def produced(written: Sequence[Path]) -> str:
    """One digest of what a stage wrote: each file's name and bytes (a link's target)."""
    parts = []
    for path in written:
        if path.is_symlink():
            parts.append(f"{path.name}->{os.readlink(path)}")
            continue
        with path.open("rb") as file:
            parts.append(f"{path.name}:{hashlib.file_digest(file, 'sha256').hexdigest()}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _upstream(planned: Planned, recorded: Mapping[str, Any] | None) -> str | None:
    """What a stage after ``planned`` depends on: the digest of its outputs when it is done
    with its current key, else ``pending <key>`` (None: disabled)."""
    if planned.key is None:
        return None
    if recorded and recorded.get("key") == planned.key and recorded.get("produced"):
        return str(recorded["produced"])
    return f"{PENDING}{planned.key}"


def plan(
    ctx: Context, stages: Sequence[Stage], recorded: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Planned]:
    """Every stage's parameters and key, in pipeline order; ``recorded``: the manifest's
    entries (what finished stages produced)."""
    check_tuning(stages, ctx.settings.tuning)
    recorded = recorded or {}
    planned: dict[str, Planned] = {}
    for stage in stages:
        params = tuned(stage, stage.params(ctx), ctx.settings.tuning)
        upstream: dict[str, Any] = {n: _upstream(planned[n], recorded.get(n)) for n in stage.needs}
        if stage.reads_source:
            upstream["source"] = ctx.sha
        hashed = jsonable(
            {
                "upstream": upstream,
                "params": asdict(params),
                "code": code_fingerprint(type(stage).__module__, stage.data_files),
                "models": stage.models(params),
                "libraries": {name: package_version(name) for name in stage.libraries},
            }
        )
        enabled = stage.enabled(ctx)
        planned[stage.name] = Planned(
            stage, enabled, params, hashed, digest(hashed) if enabled else None
        )
    return planned


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "…"


WAITS = "runs first (and this one only if"  # a reason that depends on what upstream writes


def only_waits(reasons: Sequence[str]) -> bool:
    """Whether ``explain``'s ``reasons`` all wait on upstream stages: this one runs only if
    what they write changes (else its key comes out as before)."""
    return bool(reasons) and all(WAITS in reason for reason in reasons)


def explain(
    recorded: dict[str, Any] | None, planned: Planned, outputs: Sequence[Path]
) -> list[str]:
    """Why this stage would run now; empty when it is up to date."""
    if not planned.enabled:
        return []
    if recorded is None or recorded.get("status") != "done":
        return ["not run yet"]
    old = recorded.get("hashed")
    if old is None:
        return ["finished by an older version that kept no record of what it hashed"]
    if recorded.get("key") == planned.key:
        missing = [p.name for p in outputs if not p.exists()]
        return [f"output missing: {', '.join(missing)}"] if missing else []
    new = planned.hashed
    reasons = []
    for name in sorted(set(old.get("upstream", {})) | set(new["upstream"])):
        before, after = old.get("upstream", {}).get(name), new["upstream"].get(name)
        if before != after:
            what = "the recording" if name == "source" else f"upstream stage {name}"
            if after is None:
                reasons.append(f"{what} is gone")
            elif str(after).startswith(PENDING):
                reasons.append(f"{what} {WAITS} {name}'s outputs change)")
            else:
                reasons.append(f"{what} changed")
    for part, label in (("params", "parameter"), ("models", "model"), ("libraries", "library")):
        was, now = old.get(part, {}), new[part]
        for name in sorted(set(was) | set(now)):
            if was.get(name) != now.get(name):
                reasons.append(f"{label} {name}: {_short(was.get(name))} → {_short(now.get(name))}")
    was, now = old.get("code", {}), new["code"]
    for path in sorted(set(was) | set(now)):
        if path not in was:
            reasons.append(f"code {path} is new")
        elif path not in now:
            reasons.append(f"code {path} is no longer used")
        elif was[path] != now[path]:
            reasons.append(f"code {path} changed")
    return reasons or ["its key differs (a change outside the recorded parts)"]
