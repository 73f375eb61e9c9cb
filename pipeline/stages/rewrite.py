"""The optional abstractive pass of the summarize stage, guarded: a local OpenAI-compatible
server (llama.cpp's server, Ollama, …) turns each theme's extracted points into one fluent
paragraph. Every number, name and organisation in its answer must appear in the points (or in
the names of the people and organisations who made them); otherwise that paragraph stays the
extractive one, and why is recorded. Only a server on this machine is accepted: nothing leaves
it."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlparse

from ..core.errors import ConfigError
from ..models import text

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_NUMBER = re.compile(
    r"\d[\d,.]*|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
    r"billion|percent|half|dozen)\b",
    re.IGNORECASE,
)
_NAMED = ("PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART")
INSTRUCTION = (
    "You write one short paragraph for the summary of a webinar, from the points below. Use only "
    "what the points say; keep every number, name and organisation exactly as written; add no "
    "fact, number or name. Name who said what. Answer with the paragraph only."
)


@dataclass(frozen=True)
class Outcome:
    """What became of one theme's paragraph."""

    theme: str
    used: str  # "llm" | "extractive"
    why: str = ""


def check_url(url: str) -> str:
    """``url`` if it is an http(s) server on this machine; a usage error otherwise."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in LOCAL_HOSTS:
        raise ConfigError(
            f"--llm {url}: not a server on this machine",
            fix="give a local OpenAI-compatible server, e.g. http://127.0.0.1:8080 (nothing "
            "leaves the machine)",
        )
    return url.rstrip("/")


def ask(url: str, model: str, points: str, max_tokens: int, timeout: float = 120.0) -> str:
    """The server's answer to the instruction and the points (chat completions, temperature 0)."""
    body = json.dumps(
        {
            "model": model,
            "messages": [
                {"role": "system", "content": INSTRUCTION},
                {"role": "user", "content": points},
            ],
            "temperature": 0,
            "max_tokens": max_tokens,
        }
    ).encode()
    request = urllib.request.Request(
        f"{check_url(url)}/v1/chat/completions",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    return str(answer["choices"][0]["message"]["content"]).strip()


def _norm(value: str) -> str:
    return re.sub(r"[\s,]+", " ", value.casefold()).strip()


def invented(answer: str, allowed: str) -> list[str]:
    """The numbers, names and organisations in ``answer`` that ``allowed`` does not hold."""
    known = _norm(allowed)
    found = [m.group(0).rstrip(".,") for m in _NUMBER.finditer(answer)]
    found += [ent.text for ent in text.nlp()(answer).ents if ent.label_ in _NAMED]
    return list(dict.fromkeys(x for x in found if x and _norm(x) not in known))


def unfit(answer: str, points: list[str]) -> str:
    """Why ``answer`` is not one paragraph summing up ``points`` ("" when it is)."""
    if not answer:
        return "the server's answer was empty"
    if "\n" in answer.strip() or answer.lstrip().startswith(("-", "*", "•")):
        return "the server's answer was not one paragraph"
    if len(answer) > 1.5 * sum(len(p) for p in points):
        return "the server's answer was longer than the points"
    sentences = [x.strip().casefold() for x in re.split(r"(?<=[.!?])\s+", answer) if x.strip()]
    if len(set(sentences)) < len(sentences):
        return "the server's answer repeated itself"
    return ""


def rewrite(
    theme: str, points: list[str], allowed: str, url: str, model: str, max_tokens: int
) -> tuple[str | None, Outcome]:
    """A fluent paragraph for ``theme`` from its ``points``, or None (and why) when the server
    fails or its answer invents a number, name or organisation."""
    try:
        answer = ask(url, model, "\n".join(f"- {p}" for p in points), max_tokens)
    except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError) as exc:
        return None, Outcome(theme, "extractive", f"the server at {url} did not answer ({exc})")
    return judge(theme, answer, points, allowed)


def judge(theme: str, answer: str, points: list[str], allowed: str) -> tuple[str | None, Outcome]:
    """The answer if it is one paragraph that invents nothing; else None and why."""
    problem = unfit(answer, points)
    if problem:
        return None, Outcome(theme, "extractive", problem)
    made_up = invented(answer, allowed)
    if made_up:
        return None, Outcome(
            theme, "extractive", f"its answer holds what the points do not: {', '.join(made_up)}"
        )
    return answer, Outcome(theme, "llm")
