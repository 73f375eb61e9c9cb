"""The stages, one module each, and ``STAGES``: all of them in pipeline order (the media stage's
ffmpeg starts once diarization is done and runs beside the stages after it)."""

from __future__ import annotations

from .chapters import Chapters
from .diarize import Diarize
from .export import Export
from .extract import Extract
from .media import Media
from .name import Name
from .slides import Slides
from .summarize import Summarize
from .topics import Topics
from .tracks import Tracks
from .transcribe import Transcribe
from .translate import Translate

STAGES = (
    Extract(),
    Transcribe(),
    Diarize(),
    Media(),
    Tracks(),
    Name(),
    Export(),
    Translate(),
    Topics(),
    Chapters(),
    Slides(),
    Summarize(),
)
