"""The stages, one module each, and ``STAGES``: all of them in pipeline order."""

from __future__ import annotations

from .diarize import Diarize
from .export import Export
from .extract import Extract
from .media import Media
from .name import Name
from .slides import Slides
from .summarize import Summarize
from .topics import Topics
from .transcribe import Transcribe
from .translate import Translate

STAGES = (
    Extract(),
    Transcribe(),
    Diarize(),
    Name(),
    Export(),
    Translate(),
    Topics(),
    Slides(),
    Media(),
    Summarize(),
)
