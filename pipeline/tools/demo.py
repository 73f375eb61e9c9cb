"""A synthetic mini-webinar with known ground truth: espeak-ng voices, ffmpeg mux.

Used by ``cli.py demo`` and by the tests. Each person has a distinct voice (accent, pitch and
speed all differ, which keeps them apart for diarization); the script has a moderator, speakers
who introduce themselves by name and organisation, and talks on the green transition, the digital
transition and resilience. Ground truth: the script, speaker turns (RTTM) and topics per turn.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import yaml

from ..core.errors import PipelineError
from ..core.store import atomic_path, atomic_write
from ..outputs.formats import rttm_line

RATE = 22050  # espeak-ng's native rate


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    role: str
    org: str
    voice: str  # espeak-ng voice
    pitch: int
    speed: int
    listed: bool = True  # on the event page (the sidecar); audience members are not


@dataclass(frozen=True)
class Line:
    speaker: str  # Person.key
    topic: str  # green | digital | resilience | other
    text: str


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float
    end: float
    topic: str
    text: str


@dataclass(frozen=True)
class DemoFiles:
    recording: Path
    sidecar: Path
    truth: Path
    rttm: Path
    deck: Path | None = None


@dataclass(frozen=True)
class Slide:
    title: str
    bullets: tuple[str, ...]


# The demo's slide deck: what a speaker would put on screen (not the words they say). The last
# page is an appendix that is never shown.
DECK = (
    Slide(
        "EU Clusters Talk",
        ("Green, digital and resilient through clusters", "Moderator: DG GROW", "Online webinar"),
    ),
    Slide(
        "Energy Cluster Denmark: the green transition",
        (
            "Members cut carbon emissions together",
            "Renewable energy: offshore wind, green hydrogen",
            "Shared clean-energy infrastructure meets climate targets faster",
        ),
    ),
    Slide(
        "Mobile Heights: the digital transition",
        (
            "Software, data sharing and artificial intelligence",
            "Companies must trust each other before sharing data",
            "Digital tools for small firms",
        ),
    ),
    Slide(
        "PROPLAST: resilience",
        (
            "Supply chains broke after the pandemic",
            "Critical raw materials mapped",
            "Second suppliers found in Europe",
            "Prepared for the next crisis",
        ),
    ),
    Slide(
        "Questions from the audience",
        (
            "Funding for skills training",
            "Digital Europe programme",
            "Innovation Fund and regional funding for renewables",
        ),
    ),
    Slide("Thank you", ("Recording and slides shared after the session", "Goodbye")),
    Slide("Appendix: contacts", ("Cluster contact points", "Further reading")),
)
PAGE = (960, 540)  # points, 16:9


# Voices chosen so that the CAM++ speaker embedding tells them apart about as well as it tells
# real people apart (pairwise cosine distance ≥ 0.34 on one sentence each); espeak variants
# that differ only in pitch are near-identical to it.
PEOPLE = (
    Person(
        "marek",
        "Marek Przeor",
        "Team Leader Cluster Policy",
        "DG GROW, European Commission",
        "en-us-nyc+m2",
        40,
        140,
    ),
    Person("glenda", "Glenda Napier", "CEO", "Energy Cluster Denmark", "en+Annie", 70, 160),
    Person(
        "carolina",
        "Carolina Garcés",
        "Project Manager Internationalisation",
        "Mobile Heights",
        "en-gb-scotland+f4",
        55,
        150,
    ),
    Person(
        "susana",
        "Susana Remotti",
        "Cluster Project Manager",
        "PROPLAST Italy",
        "en-gb-x-rp+f5",
        60,
        170,
    ),
    Person("guest", "Audience member", "", "", "en-us+m7", 20, 135, listed=False),
)

TITLE = "Green, digital and resilient through clusters (demo)"

# Which slide (index into DECK) is on screen during each line of SCRIPT (slide 4 is revisited).
SLIDE_OF_LINE = (0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 3, 5)

SCRIPT = (
    Line(
        "marek",
        "other",
        "Good morning and welcome to this EU Clusters Talk. I am Marek Przeor, team leader for cluster policy at DG GROW. Today we look back at the European Cluster Conference. Glenda, the floor is yours.",
    ),
    Line(
        "glenda",
        "green",
        "Thank you, Marek. My name is Glenda Napier and I am the CEO of Energy Cluster Denmark. Our members cut their carbon emissions by 30 percent since 2019 and build renewable energy together. Offshore wind and green hydrogen need new skills, and clusters help small companies take part in the green transition.",
    ),
    Line(
        "glenda",
        "green",
        "The key takeaway for me is that climate targets are met faster when companies share infrastructure for clean energy.",
    ),
    Line("marek", "other", "Thank you, Glenda. Carolina, over to you."),
    Line(
        "carolina",
        "digital",
        "Thanks, Marek. I am Carolina Garces, project manager at Mobile Heights in Sweden. We work on the digital transition. Artificial intelligence, data platforms and connectivity change how every factory works. Clusters give small firms access to digital skills and to testing facilities.",
    ),
    Line(
        "carolina",
        "digital",
        "Our lesson is simple: software and data sharing only pay off when companies trust each other.",
    ),
    Line("marek", "other", "Very clear. Susana, please tell us about resilience."),
    Line(
        "susana",
        "resilience",
        "Thank you. I am Susana Remotti from PROPLAST in Italy. After the pandemic, supply chains broke and prices rose. Our cluster mapped 40 critical raw materials and found second suppliers in Europe for 60 percent of them. Resilience means being prepared for the next crisis, not only recovering from the last one.",
    ),
    Line("marek", "other", "We have time for one question from the audience."),
    Line(
        "guest",
        "digital",
        "Hello, and thank you for the talks. How can a small cluster find funding for training in digital skills?",
    ),
    Line(
        "carolina",
        "digital",
        "Good question. The Digital Europe programme supports skills training, and clusters can apply together with universities.",
    ),
    Line(
        "glenda",
        "green",
        "And for green projects, look at the Innovation Fund and at regional funding for renewable energy.",
    ),
    Line(
        "susana",
        "resilience",
        "One more point on resilience. Diversify your suppliers early, because stockpiles alone do not protect a supply chain.",
    ),
    Line(
        "marek",
        "other",
        "Thank you all. The recording and the slides will be shared after this session. Goodbye.",
    ),
)


# Five voices that differ only by espeak variant (same pitch and speed): CAM++ hears some of them
# as one person, so only the words can tell them apart. With ``SIMILAR_SCRIPT``: a seed-like
# webinar where everyone introduces themselves and the moderator hands over by name, three rounds.
SIMILAR = (
    Person("marek", "Marek Przeor", "Team Leader Cluster Policy", "DG GROW, European Commission", "en-gb+m3", 50, 155),
    Person("mariella", "Mariella Masselink", "Head of Unit", "DG GROW, European Commission", "en-us+m5", 50, 155),
    Person("glenda", "Glenda Napier", "CEO", "Energy Cluster Denmark", "en-gb+f4", 50, 155),
    Person("carolina", "Carolina Garcés", "Project Manager Internationalisation", "Mobile Heights", "en-us+f2", 50, 155),
    Person("susana", "Susana Remotti", "Cluster Project Manager", "PROPLAST Italy", "en-us+f3", 50, 155),
)  # fmt: skip

SIMILAR_SCRIPT = (
    Line("marek", "other", "Good afternoon and welcome to this EU Clusters Talk. My name is Marek Przeor and I lead the cluster policy team at DG GROW. Mariella, the floor is yours."),
    Line("mariella", "other", "Thank you, Marek. I am Mariella Masselink, head of unit at DG GROW. Clusters connect more than one hundred thousand companies across Europe, and this conference showed how much they can do together."),
    Line("marek", "other", "Thank you, Mariella. Glenda, over to you."),
    Line("glenda", "green", "Thanks, Marek. My name is Glenda Napier and I am the CEO of Energy Cluster Denmark. Our members build offshore wind farms and green hydrogen plants, and they need engineers with new skills to do it."),
    Line("marek", "other", "Thank you, Glenda. Carolina, please go ahead."),
    Line("carolina", "digital", "Thank you. I am Carolina Garces from Mobile Heights in Sweden. We help small firms use artificial intelligence, data platforms and fast connectivity in their factories."),
    Line("marek", "other", "Thank you, Carolina. Susana, please tell us about resilience."),
    Line("susana", "resilience", "Thank you, Marek. I am Susana Remotti from PROPLAST in Italy. When supply chains broke after the pandemic, our cluster mapped the critical raw materials of its members and found second suppliers in Europe."),
    Line("marek", "other", "Let us go one step further. Glenda, what should a cluster do first?"),
    Line("glenda", "green", "Start with energy. Shared solar parks, heat networks and joint purchasing of renewable power cut both emissions and costs for every member company."),
    Line("marek", "other", "Carolina, over to you."),
    Line("carolina", "digital", "A cluster should open a testing facility. Small companies can try robots and sensors there before they buy them, and they learn which data they really need."),
    Line("marek", "other", "Susana, please go ahead."),
    Line("susana", "resilience", "Diversify early. Stockpiles alone do not protect a supply chain, but a second supplier in another region does, and clusters can negotiate that together."),
    Line("marek", "other", "Mariella, the floor is yours."),
    Line("mariella", "other", "The European Commission will keep supporting cluster partnerships across borders, because no region can manage these transitions alone."),
    Line("marek", "other", "Before we close, one last word from each of you. Glenda, over to you."),
    Line("glenda", "green", "Train people now. The green transition will stall without welders, electricians and engineers who understand hydrogen."),
    Line("marek", "other", "Carolina, please go ahead."),
    Line("carolina", "digital", "Share data, but only with partners you trust, and agree on the rules before you connect the machines."),
    Line("marek", "other", "Susana, the floor is yours."),
    Line("susana", "resilience", "Prepare for the next crisis while things are calm, not when the shelves are already empty."),
    Line("marek", "other", "Thank you all for joining this EU Clusters Talk. The recording will be shared after the session. Goodbye."),
)  # fmt: skip


def _speak(person: Person, text: str, workdir: Path) -> np.ndarray:
    out = workdir / "line.wav"
    cmd = [
        "espeak-ng",
        "-v",
        person.voice,
        "-p",
        str(person.pitch),
        "-s",
        str(person.speed),
        "-w",
        str(out),
        "--",
        text,
    ]
    try:
        subprocess.run(cmd, check=True, capture_output=True)
    except FileNotFoundError:
        raise PipelineError(
            "espeak-ng is not installed", fix="run `make setup` (apt-get install espeak-ng)"
        ) from None
    with wave.open(str(out), "rb") as wav:
        if wav.getframerate() != RATE:
            raise PipelineError(f"espeak-ng wrote {wav.getframerate()} Hz, expected {RATE}")
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    voiced = np.flatnonzero(np.abs(samples) > 300)
    return samples[voiced[0] : voiced[-1] + 1] if voiced.size else samples[:0]


def synthesize(
    script: tuple[Line, ...] | list[Line],
    people: tuple[Person, ...] | list[Person],
    wav_path: Path,
    pause: float = 0.7,
    lead: float = 1.0,
) -> list[Turn]:
    """Speak the script into one 22.05 kHz WAV; return the exact turn times."""
    by_key = {p.key: p for p in people}
    gap = np.zeros(int(pause * RATE), dtype=np.int16)
    chunks = [np.zeros(int(lead * RATE), dtype=np.int16)]
    turns, cursor = [], lead
    with tempfile.TemporaryDirectory() as work:
        for line in script:
            voice = _speak(by_key[line.speaker], line.text, Path(work))
            turns.append(
                Turn(
                    line.speaker,
                    round(cursor, 3),
                    round(cursor + len(voice) / RATE, 3),
                    line.topic,
                    line.text,
                )
            )
            chunks += [voice, gap]
            cursor += (len(voice) + len(gap)) / RATE
    with atomic_path(wav_path) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(np.concatenate(chunks).tobytes())
    return turns


def mux_video(wav: Path, target: Path, colour: str = "0x1f3b73") -> None:
    """An mp4 with a still-card video track (H.264) and the audio (AAC)."""
    with atomic_path(target) as tmp:
        cmd = [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"color=c={colour}:s=640x360:r=2",
            "-i",
            str(wav),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-shortest",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "stillimage",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-f",
            "mp4",
            str(tmp),
        ]
        subprocess.run(cmd, check=True, capture_output=True)


def make_deck(target: Path, deck: tuple[Slide, ...] = DECK, image_only: bool = False) -> None:
    """A PDF slide deck (reportlab); ``image_only`` leaves no text layer (pages are pictures)."""
    from reportlab.lib.colors import HexColor, white
    from reportlab.pdfgen import canvas

    width, height = PAGE
    with atomic_path(target) as tmp:
        pdf = canvas.Canvas(str(tmp), pagesize=PAGE, invariant=True)  # same bytes every time
        for i, slide in enumerate(deck):
            pdf.setFillColor(
                HexColor(("#1f3b73", "#14532d", "#3b1f73", "#7c2d12", "#334155")[i % 5])
            )
            pdf.rect(0, 0, width, height, stroke=0, fill=1)
            pdf.setFillColor(white)
            pdf.setFont("Helvetica-Bold", 34)
            pdf.drawString(50, height - 90, slide.title)
            pdf.setFont("Helvetica", 24)
            for j, bullet in enumerate(slide.bullets):
                pdf.drawString(70, height - 180 - 56 * j, f"- {bullet}")
            pdf.setFont("Helvetica", 14)
            pdf.drawRightString(width - 30, 24, f"{i + 1} / {len(deck)}")
            pdf.showPage()
        pdf.save()
        if image_only:
            images = render_pages(tmp, tmp.parent, width=960)
            pdf = canvas.Canvas(str(tmp), pagesize=PAGE, invariant=True)  # same bytes every time
            for image in images:
                pdf.drawImage(str(image), 0, 0, width, height)
                pdf.showPage()
                image.unlink()
            pdf.save()


def render_pages(deck: Path, folder: Path, width: int = 640) -> list[Path]:
    """Each page of a PDF as a PNG of ``width`` pixels (pypdfium2)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(deck))
    paths = []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            image = page.render(scale=width / page.get_width()).to_pil().convert("RGB")
            path = folder / f".page-{i + 1:03d}.png"
            image.save(path)
            paths.append(path)
    finally:
        pdf.close()
    return paths


def slide_times(
    script: tuple[Line, ...] | list[Line], turns: list[Turn], duration: float
) -> list[tuple[int, float, float]]:
    """(slide index, start, end) on screen: a slide changes in the pause before the first line
    that needs it."""
    shown: list[tuple[int, float, float]] = []
    for line, turn in zip(script, turns, strict=True):
        if line in SCRIPT:
            slide = SLIDE_OF_LINE[SCRIPT.index(line)]
        else:  # a line of another script keeps the slide on screen
            slide = shown[-1][0] if shown else 0
        if not shown or shown[-1][0] != slide:
            change = 0.0 if not shown else round(max(turn.start - 0.35, 0.0), 3)
            if shown:
                shown[-1] = (shown[-1][0], shown[-1][1], change)
            shown.append((slide, change, duration))
    return shown


def mux_slides(
    wav: Path, target: Path, pages: list[Path], shown: list[tuple[int, float, float]]
) -> None:
    """An mp4 whose video shows ``pages[i]`` during each (i, start, end) of ``shown``, with the
    audio (a screen-shared talk)."""
    with tempfile.TemporaryDirectory() as work, atomic_path(target) as tmp:
        listing = Path(work) / "slides.txt"
        entries = [f"file '{pages[i]}'\nduration {end - start:.3f}\n" for i, start, end in shown]
        listing.write_text("".join(entries) + f"file '{pages[shown[-1][0]]}'\n")
        cmd = [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(wav),
            "-map", "0:v", "-map", "1:a", "-vf", "fps=10,format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage",
            "-c:a", "aac", "-b:a", "96k", "-shortest", "-f", "mp4", str(tmp),
        ]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)


@dataclass(frozen=True)
class Talk:
    """A generated webinar in one language: who speaks, what they say, the event page's words."""

    language: str
    title: str
    vocabulary: tuple[str, ...]
    people: tuple[Person, ...]
    script: tuple[Line, ...]


DATA = Path(__file__).parents[1] / "data"


def talk_languages() -> tuple[str, ...]:
    """The languages with a generated webinar besides English (``data/demo-<lang>.yaml``)."""
    return tuple(sorted(p.stem.removeprefix("demo-") for p in DATA.glob("demo-*.yaml")))


def talk(language: str) -> Talk:
    """The generated webinar of ``language`` (from ``data/demo-<language>.yaml``)."""
    if language == "en":
        vocabulary = ("EU Clusters Talk", "DG GROW", "European Cluster Conference")
        return Talk("en", TITLE, vocabulary, PEOPLE, SCRIPT)
    if language not in talk_languages():
        raise PipelineError(
            f"no demo webinar in '{language}'",
            fix=f"use one of: en, {', '.join(talk_languages())}",
            exit_code=2,
        )
    return read_talk(DATA / f"demo-{language}.yaml", language)


def read_talk(path: Path, language: str) -> Talk:
    """A talk written as ``data/demo-<lang>.yaml`` is (title, vocabulary, people, script)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Talk(
        language,
        data["title"],
        tuple(data["vocabulary"]),
        tuple(Person(**person) for person in data["people"]),
        tuple(Line(*line) for line in data["script"]),
    )


def make_webinar(
    out_dir: Path,
    name: str = "eu-clusters-talk-demo",
    script: tuple[Line, ...] | list[Line] = SCRIPT,
    people: tuple[Person, ...] | list[Person] = PEOPLE,
    title: str = TITLE,
    slides: bool = False,
    image_only: bool = False,
    language: str = "en",
    vocabulary: tuple[str, ...] = ("EU Clusters Talk", "DG GROW", "European Cluster Conference"),
) -> DemoFiles:
    """Write ``<name>.mp4``, its event sidecar and ground truth (``.truth.json``, ``.truth.rttm``);
    ``language`` is the sidecar's (the script's).
    With ``slides``, also ``<name>.slides.pdf`` (listed in the sidecar), a video that shows each
    slide at known times, and those times in the truth."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(
        out_dir / f"{name}.mp4",
        out_dir / f"{name}.event.yaml",
        out_dir / f"{name}.truth.json",
        out_dir / f"{name}.truth.rttm",
        out_dir / f"{name}.slides.pdf" if slides else None,
    )
    shown: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "speech.wav"
        turns = synthesize(script, people, wav)
        if files.deck is not None:
            with wave.open(str(wav), "rb") as audio:
                duration = audio.getnframes() / audio.getframerate()
            shown = slide_times(script, turns, duration)
            make_deck(files.deck, image_only=image_only)
            mux_slides(wav, files.recording, render_pages(files.deck, Path(work)), shown)
        else:
            mux_video(wav, files.recording)
    speaking = {line.speaker for line in script}
    event = {
        "title": title,
        "date": "2024-05-15",
        "language": language,
        "speakers": [
            {"name": p.name, "role": p.role, "org": p.org}
            for p in people
            if p.key in speaking and p.listed
        ],
        "vocabulary": list(vocabulary),
    }
    if files.deck is not None:
        event["slides"] = [files.deck.name]
    atomic_write(files.sidecar, yaml.safe_dump(event, sort_keys=False, allow_unicode=True))
    truth = {
        "people": [asdict(p) for p in people if p.key in speaking],
        "turns": [asdict(t) for t in turns],
        "script": " ".join(line.text for line in script),
        "slides": [{"page": i + 1, "start": a, "end": b} for i, a, b in shown],
    }
    atomic_write(files.truth, json.dumps(truth, indent=1, ensure_ascii=False) + "\n")
    rttm = "".join(rttm_line(name, t.start, t.end - t.start, t.speaker) for t in turns)
    atomic_write(files.rttm, rttm)
    return files


def make_talk(
    out_dir: Path, language: str, name: str = "", script: Path | None = None
) -> DemoFiles:
    """The generated webinar of ``language`` (``talk``, or the talk written in ``script``),
    written by ``make_webinar`` as ``<name>.mp4`` (default ``eu-clusters-talk-demo-<language>``)."""
    spec = read_talk(script, language) if script else talk(language)
    return make_webinar(
        out_dir,
        name or f"eu-clusters-talk-demo-{language}",
        spec.script,
        spec.people,
        spec.title,
        language=language,
        vocabulary=spec.vocabulary,
    )
