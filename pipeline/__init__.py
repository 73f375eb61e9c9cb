"""webinar-pipeline: recorded webinars in, reviewed transcripts and summaries out, offline."""

__version__ = "0.1.0"
