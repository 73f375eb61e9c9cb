"""Naming evidence and word attribution: pure functions on hand-made utterances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pipeline.core.event import Speaker
from pipeline.core.language import spoken_name
from pipeline.core.types import Diarization, Segment, Transcript, Turn, Word
from pipeline.stages.evidence import floor
from pipeline.stages.functions import function
from pipeline.stages.name import (
    NameParams,
    Utterance,
    attribute,
    gather,
    heard_names,
    mark_heard,
    mark_leads,
    name_speakers,
    resolve,
    said_of,
    speaker_table,
    unlisted,
)

pytestmark = pytest.mark.check  # the fast tier: `make check`

PEOPLE = [
    Speaker(name="Glenda Napier", role="CEO", org="Energy Cluster Denmark"),
    Speaker(name="Marek Przeor", org="DG GROW, European Commission"),
    Speaker(name="Carolina Garcés", org="Mobile Heights"),
]


def test_self_introduction_with_asr_misspelling_names_the_speaker():
    utts = [
        Utterance(0, 0.0, "Hello everyone."),
        Utterance(1, 5.0, "My name is Glenda Napper, CEO of Energy Cluster Denmark."),
    ]
    names, evidence = name_speakers(utts, PEOPLE, 2)
    assert names[1][0].name == "Glenda Napier" and 0 not in names
    assert {e.kind for e in evidence} == {"self-introduction", "organisation"}


def test_a_hand_off_to_a_misspelt_first_name_reads_the_surname():
    """Whisper wrote "Suzanne Remoti" for Susana Remotti: neither the whole (78) nor the first
    name (62) is close enough, the surname is (92)."""
    people = [*PEOPLE, Speaker(name="Susana Remotti")]
    utts = [Utterance(0, 0.0, "Over to you, Suzanne Remoti."), Utterance(1, 3.0, "Hello.")]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, people)] == [
        ("hand-off", 1, "Susana Remotti")
    ]


@pytest.mark.parametrize(
    "said",
    [
        "Hello everybody, Glenda Napier from Energy Cluster Denmark.",
        "Glenda Napier, Energy Cluster Denmark, good morning, everyone.",
        "Hi all, Marek Przeor, DG GROW, thanks for having me.",
        "Hello, Glenda Napier from Energy Cluster, good morning.",  # its leading words
        "Glenda Napier, CEO of Energy Cluster Denmark, nice to meet you all.",  # a role first
        "Hi, Glenda Napier, head of projects at Energy Cluster Denmark.",
    ],
)
def test_ones_name_and_own_organisation_opening_a_sentence_introduce_oneself(said):
    """No "I am": a name and the organisation the event page gives that person."""
    utts = [Utterance(0, 0.0, "Welcome."), Utterance(1, 3.0, said)]
    found = [(e.kind, e.speaker) for e in gather(utts, PEOPLE)]
    assert found == [("self-introduction", 1)], found
    assert function(said, "en", [p.name for p in PEOPLE]) == "introduction"  # never a takeaway


@pytest.mark.parametrize(
    ("language", "introduces", "with_role", "presents"),
    [
        (
            "de",
            "Hallo zusammen, Glenda Napier von Energy Cluster Denmark.",
            "Glenda Napier, Geschäftsführerin bei Energy Cluster Denmark, guten Morgen.",
            "Guten Morgen, Glenda Napier, Energy Cluster Denmark, ist unsere erste Rednerin.",
        ),
        (
            "fr",
            "Bonjour à tous, Glenda Napier de Energy Cluster Denmark.",
            "Glenda Napier, directrice chez Energy Cluster Denmark, bonjour.",
            "Bonjour, Glenda Napier de Energy Cluster Denmark est avec nous.",
        ),
        (
            "it",
            "Buongiorno a tutti, Glenda Napier di Energy Cluster Denmark.",
            "Glenda Napier, direttrice di Energy Cluster Denmark, buongiorno.",
            "Glenda Napier di Energy Cluster Denmark è la prima relatrice.",
        ),
        (
            "es",
            "Hola a todos, Glenda Napier, de Energy Cluster Denmark.",
            "Glenda Napier, directora de Energy Cluster Denmark, buenos días.",
            "Glenda Napier, de Energy Cluster Denmark, es nuestra primera ponente.",
        ),
        (
            "pl",
            "Dzień dobry wszystkim, Glenda Napier z Energy Cluster Denmark.",
            "Glenda Napier, dyrektorka w Energy Cluster Denmark, dzień dobry.",
            "Glenda Napier z Energy Cluster Denmark jest naszą pierwszą prelegentką.",
        ),
    ],
)
def test_name_and_organisation_introduce_in_each_language(
    language, introduces, with_role, presents
):
    """The words around the name and organisation are the language's (``naming-<lang>.yaml``),
    a role between them too ("Geschäftsführerin bei …"); a host presenting the guest in the same
    words ("…, ist unsere erste Rednerin") names no one."""
    intro = [("self-introduction", 1)]
    for said, kinds in ((introduces, intro), (with_role, intro), (presents, [])):
        utts = [Utterance(0, 0.0, "…"), Utterance(1, 3.0, said)]
        assert [(e.kind, e.speaker) for e in gather(utts, PEOPLE, language=language)] == kinds


CLUSTERS_ES = [
    Speaker(name="Lucía Romero", org="Plataforma Europea de Colaboración de Clústeres"),
    Speaker(name="Jorge Medina", org="Clúster Marítimo de Canarias"),
    Speaker(name="Carmen Ortega", org="Clúster de la Madera de Navarra"),
]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        # the guests' organisations all open with "Clúster": a word they share names none of them
        ("Carmen Ortega, gerente del Clúster de la Madera de Navarra.", ("self-introduction", 0)),
        ("Jorge Medina, del Clúster de la Madera de Navarra.", None),  # another's organisation
        ("Jorge, ¿quieres empezar tú?", ("hand-off", 1)),
        ("Carmen, te toca a ti.", ("hand-off", 1)),
        ("Carmen, ¿te gustaría añadir algo?", ("hand-off", 1)),
        # Whisper ran the list of guests into the hand-off; "¿" opens the question mid-sentence
        (
            "Hoy nos acompañan Jorge Medina y Carmen Ortega, Jorge, ¿quién es empezar tú?",
            ("hand-off", 1),
        ),
        ("Como dijo Carmen, esto nos toca a todos.", None),
    ],
)
def test_spanish_introductions_and_hand_offs_of_a_probe_talk(said, expected):
    """What a Spanish probe talk said (2026-12-04), written: "gerente del Clúster de la Madera"
    names its speaker though every guest's organisation opens with "Clúster" (that shared word
    was read as another's organisation) and the role is one word before a longer organisation;
    "¿quieres empezar?", "te toca a ti" hand over."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 5.0, "Hola.")]
    found = [(e.kind, e.speaker) for e in gather(utts, CLUSTERS_ES, language="es")]
    assert found == ([expected] if expected else []), found


def test_a_name_and_organisation_introduction_splits_a_voice_like_i_am():
    """The evidence that corrects the voice clusters reads "Chiara Russo, presidente del Cluster
    Tessile Biellese." as an introduction, as the naming does: an Italian probe talk had it in
    the host's voice cluster beside "Sono Giulia Ferrara" — named by the words, yet never split
    off. A host announcing her in the turn that hands her the floor introduces nobody."""
    people = [
        Speaker(name="Giulia Ferrara", org="Piattaforma Europea dei Cluster"),
        Speaker(name="Chiara Russo", org="Cluster Tessile Biellese"),
    ]
    utts = [
        Utterance(0, 0.0, "Sono Giulia Ferrara della Piattaforma Europea dei Cluster.", 3.0),
        Utterance(0, 4.0, "Chiara Russo, presidente del Cluster Tessile Biellese.", 7.0),
        Utterance(0, 8.0, "Le nostre aziende usano sensori su ogni telaio.", 11.0),
    ]
    assert [s.intro for s in said_of(utts, people, NameParams(), "it")] == [0, 1, None]
    announced = [utts[0], Utterance(0, 4.0, utts[1].text + " Chiara, tocca a te.", 8.0)]
    assert [s.intro for s in said_of(announced, people, NameParams(), "it")] == [0, None]


def test_a_name_heard_in_lower_case_splits_a_voice_as_it_names():
    """The evidence that corrects the voice clusters reads an introduction with the name in lower
    case ("I am nicola Lefèvre", a first name misheard: "Nazywam się ksiśtof Mazur") as the
    naming does: it was read for the name, never for splitting a voice that two people share."""
    people = [Speaker(name="Ewa Zielińska"), Speaker(name="Krzysztof Mazur")]
    utts = [
        Utterance(0, 0.0, "Nazywam się Ewa Zielińska.", 3.0),
        Utterance(0, 4.0, "Dzień dobry. Nazywam się ksiśtof Mazur.", 7.0),
        Utterance(0, 8.0, "Jestem dyrektorem klastra.", 11.0),
    ]
    assert [s.intro for s in said_of(utts, people, NameParams(), "pl")] == [0, 1, None]
    english = [Speaker(name="Glenda Napier"), Speaker(name="Nicolas Lefèvre")]
    utts = [
        Utterance(0, 0.0, "I am Glenda Napier.", 3.0),
        Utterance(0, 4.0, "Hello, I am nicola lefèvre from Lyon.", 7.0),
    ]
    assert [s.intro for s in said_of(utts, english, NameParams())] == [0, 1]
    # thanks to a name heard so: for the voices as for the naming ("Thank you, glenda napier.")
    utts = [
        Utterance(0, 0.0, "That is all from me.", 3.0),
        Utterance(1, 4.0, "Thank you, glenda napier.", 6.0),
    ]
    assert [s.thanks for s in said_of(utts, english, NameParams())] == [None, 0]
    welcome = [utts[0], Utterance(1, 4.0, "Thank you, glenda napier, for joining us.", 6.0)]
    assert [s.thanks for s in said_of(welcome, english, NameParams())] == [None, None]


def test_a_listed_name_opening_a_point_leaves_it_content():
    names = [p.name for p in PEOPLE]
    assert function("Glenda Napier, as you said, clusters need skills.", "en", names) == "content"


@pytest.mark.parametrize("said", ["Now it's glenda's turn.", "Over to you, glenda."])
def test_a_name_handed_the_floor_is_capitalised_as_in_every_phrase(said):
    """Names are capitalised words in every pattern (the phrases around them are not): the
    possessive hand-off ("it's Carolina's turn") read "glenda's" too until its phrases and the
    name were compiled apart."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 5.0, "Hello, and good morning.")]
    assert gather(utts, PEOPLE) == []


@pytest.mark.parametrize(
    "said", ["We go ahead with the plan.", "We will now take a ten-minute coffee break."]
)
def test_a_capitalised_pronoun_is_not_a_name(said):
    """Whisper capitalises a sentence's first word: "We" before "go ahead" or "will now take" is
    no one handed the floor (before, both read as hand-offs)."""
    assert function(said, "en") != "handoff"


def test_an_introduction_whose_comma_whisper_heard_as_a_possessive_is_one():
    """ "I am Carolina Garcés, project manager at …" heard by tiny.en as "I am Carolina Garcia's
    project manager at …": still an introduction, never a takeaway (it was the abstract's digital
    paragraph on the demo run with a wrong event page)."""
    said = "I am Carolina Garcia's project manager at Mobile Heights in Sweden."
    assert function(said, "en") == "introduction"
    assert function("I am Glenda's colleague.", "en") == "content"


def test_a_contracted_introduction_names_the_speaker():
    utts = [Utterance(0, 0.0, "Hello everyone, my name's Carolina Garcés, from Mobile Heights.")]
    names, _ = name_speakers(utts, PEOPLE, 1)
    assert names[0][0].name == "Carolina Garcés"


def test_hand_off_and_thanks_name_the_next_and_previous_speakers():
    utts = [
        Utterance(0, 0.0, "Welcome. Carolina, over to you."),
        Utterance(1, 4.0, "Thank you, Marek. We work on digital skills."),
        Utterance(0, 9.0, "Thanks, Carolina. A great point."),
    ]
    names, _ = name_speakers(utts, PEOPLE, 2)
    assert names[1][0].name == "Carolina Garcés"  # hand-off 0.6 + thanks 0.5
    assert 0 not in names  # one "thank you, Marek" (0.5) is not enough on its own


@pytest.mark.parametrize(
    "said",
    [
        "Our next speaker is Glenda Napier, CEO of Energy Cluster Denmark.",
        "Our first speaker, Glenda Napier.",
        "Next up is Glenda Napier.",
        "Let's hear from Glenda.",
        "We will now hear from Glenda Napier.",
        "I'd like to invite Glenda Napier to tell us more.",
        "The floor goes to Glenda.",
        "I'm handing it over to Glenda.",
        "Back to you, Glenda.",
        "Glenda, back to you.",
        "Glenda, go ahead.",
        "Glenda, it's your turn.",
        "And what would you tell a cluster starting out, Glenda?",
        "Glenda, the stage is yours.",
        "Glenda, the floor is now yours.",
        "So now I'm giving the floor to Glenda.",
        "Now let's move on to Glenda Napier.",
        "Next we have Glenda Napier from Energy Cluster Denmark.",
        "So I'll now pass the microphone to Glenda.",
        "Let's continue with Glenda Napier.",
        "Glenda, I'll give you the floor.",
        "Glenda Napier will now tell us about the green transition.",
        "My colleague Glenda Napier will now explain how this works for energy companies.",
        "Glenda, let's start with you.",
        "Let's begin with Glenda Napier.",
        "Let's get started with our first presentation, Glenda, please.",
        "Our keynote speaker today is Glenda Napier.",
        "And now, ladies and gentlemen, Glenda Napier.",
        "Let me hand the word to Glenda Napier.",
        "I would now like to invite Glenda Napier to present.",
        "Now it's Glenda's turn.",
        "And finally, Glenda Napier, chief executive of Energy Cluster Denmark.",
        "Next, Glenda Napier, who leads Energy Cluster Denmark.",
        "Last but not least, Glenda Napier.",
        "And now, Glenda Napier from Energy Cluster Denmark.",
        "Glenda, maybe you can take that one.",
        "Glenda, perhaps you could answer the question from the chat.",
        "Next in line is Glenda Napier.",
        "Glenda Napier is up next with the green transition.",
        "Glenda, you're next.",
        "Glenda, your next.",  # as Whisper can write "you're"
        "Glenda, will you like to start?",  # as Whisper heard "would"
        "Thanks, Marek, Glenda, can you hear us?",
        "Glenda, anything to add?",
        "Glenda, anything from your side?",
        "Same question to you, Glenda.",
        "Glenda, the last word is yours.",
        "And our final speaker for today is Glenda Napier.",
        "Glenda, I'll hand back to you.",
        "First up today is Glenda Napier.",
        "Next is Glenda Napier from Energy Cluster Denmark.",
        "Let me start with Glenda Napier, chief executive of Energy Cluster Denmark.",
        "Now Ms. Napier from Energy Cluster Denmark will tell us about the green transition.",
        "A question for both of you: what comes next? Glenda first.",
        "Glenda, you have been very patient. Please go ahead.",
        "Glenda, you're joining us from Aarhus. The floor is yours.",
        "Glenda Napier is with us to respond. Glenda?",
        # written after the phrases (dev16 of naming_phrasings.tsv)
        "Glenda, I see your hand is up, please.",
        "Glenda, maybe a final word from the Commission side?",
        "Glenda, I believe you have some slides for us.",
        "Glenda, it's over to you now.",  # dev17
        "Glenda, I think you wanted to add something.",
        "Great. Glenda, same question to you.",  # a probe talk of the thirty-fifth session
    ],
)
def test_the_ways_hosts_hand_over_name_the_next_speaker(said):
    utts = [Utterance(0, 0.0, said), Utterance(1, 5.0, "Hello, and good morning.")]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)] == [
        ("hand-off", 1, "Glenda Napier")
    ]


@pytest.mark.parametrize(
    ("language", "announced", "name"),
    [
        ("de", "Darf ich mich vorstellen?", "Carolina Garcés."),
        ("en", "Let me introduce myself.", "Glenda Napier."),
        ("fr", "Je me présente :", "Glenda Napier."),
    ],
)
def test_an_introduction_announced_in_one_sentence_and_said_in_the_next(language, announced, name):
    """ "Darf ich mich vorstellen? Susana Remotti." is two sentences in a transcript, as the
    name stage reads it: the name alone was no introduction (the phrasings were scored as one
    line until 2026-12-05, which hid it). Not when another voice said the first sentence."""
    person = name.rstrip(".")
    utts = [Utterance(0, 0.0, "Hello."), Utterance(1, 3.0, announced), Utterance(1, 5.0, name)]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE, language=language)]
    assert ("self-introduction", 1, person) in found, found
    said = said_of(utts, PEOPLE, NameParams(), language)
    assert [s.intro for s in said][2] == [q.name for q in PEOPLE].index(person)
    other = [Utterance(0, 0.0, announced), Utterance(1, 3.0, name)]
    assert not gather(other, PEOPLE, language=language)


@pytest.mark.parametrize(
    ("language", "said", "handed", "colleague", "later"),
    [
        ("en", "Over to my colleague Glenda.", True, True, False),
        ("en", "Over to you, Glenda.", True, False, False),
        ("en", "I'll hand over to your colleague Glenda.", False, False, False),
        ("de", "Meine Kollegin Glenda Napier erklärt jetzt unser Projekt.", True, True, False),
        ("fr", "Je passe la parole à ma collègue Glenda Napier.", True, True, False),
        ("it", "Passo la parola alla mia collega Glenda Napier.", True, True, False),
        ("es", "Le paso la palabra a mi compañera Glenda Napier.", True, True, False),
        ("pl", "Oddaję głos mojej koleżance Glendzie Napier.", True, True, False),
        ("en", "My colleague Glenda wrote the report.", False, False, False),  # no hand-off
        ("en", "Before I hand over to Glenda Napier, a few practical points.", True, False, True),
        ("fr", "Avant de passer la parole à Glenda Napier, un rappel.", True, False, True),
        ("it", "Prima di passare la parola a Glenda Napier, un avviso.", True, False, True),
        ("de", "Bevor ich an Glenda Napier übergebe, ein kurzer Hinweis.", True, False, True),
        ("es", "Antes de pasarle la palabra a Glenda Napier, un aviso.", True, False, True),
        ("pl", "Zanim oddam głos Glendzie Napier, krótka informacja.", True, False, True),
    ],
)
def test_a_hand_off_is_marked_as_the_floor_holders_or_still_to_come(
    language, said, handed, colleague, later
):
    """A guest handing over to her colleague ("Over to my colleague Jon.") holds the floor as
    she says it: the hand-off is marked so (``Said.colleague``), in each language — not "your
    colleague", nor a colleague named without a hand-off. "Before I hand over to Glenda, …"
    hands her the floor, but not yet (``Said.deferred``: it passes when another voice speaks),
    in each language (German, Spanish and Polish since the fortieth session)."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Thank you.")]
    first = said_of(utts, PEOPLE, NameParams(), language)[0]
    assert first.handoff == ([q.name for q in PEOPLE].index("Glenda Napier") if handed else None)
    assert (first.colleague, first.deferred) == (colleague, later)


@pytest.mark.parametrize(
    ("announcing", "named", "alone"),
    [
        ("Our next speaker is...", "Glenda Napier from Energy Cluster Denmark.", True),
        ("Please welcome...", "Glenda Napier, CEO of Energy Cluster Denmark.", True),
        ("And now over to…", "Glenda Napier.", False),
    ],
)
def test_a_hand_off_cut_into_two_sentences_is_no_introduction_of_the_host(announcing, named, alone):
    """Whisper writes a host's pause as "..." and the transcript cuts there: "Our next speaker
    is..." then "Glenda Napier from Energy Cluster Denmark." in the host's voice read as Glenda
    introducing herself — in the host's voice, which the evidence would then split — and handed
    nobody the floor. Read together they hand Glenda the floor; said by the next voice, a name
    and organisation (``alone``) are still her own introduction."""
    host = [Utterance(0, 0.0, "I'm Marek Przeor from DG GROW."), Utterance(0, 3.0, announcing)]
    utts = [*host, Utterance(0, 5.0, named), Utterance(1, 8.0, "Thank you, Marek. Hello.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)]
    assert ("hand-off", 1, "Glenda Napier") in found, found
    assert not [x for x in found if x[0] == "self-introduction" and x[2] == "Glenda Napier"]
    said = said_of(utts, PEOPLE, NameParams())
    assert [(x.intro, x.handoff) for x in said][2] == (None, 0)
    guest = [*host, Utterance(1, 5.0, named), Utterance(1, 8.0, "We work on wind power.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(guest, PEOPLE)]
    assert (("self-introduction", 1, "Glenda Napier") in found) == alone, found


@pytest.mark.parametrize(
    "listing",
    [
        [
            "Today we have two speakers:",
            "Glenda Napier, from Energy Cluster Denmark.",
            "Carolina Garcés, from Mobile Heights.",
        ],
        [
            "Our speakers today are Glenda Napier, CEO of Energy Cluster Denmark.",
            "And Carolina Garcés from Mobile Heights.",
        ],
        [
            "Let me introduce the panel.",
            "Glenda Napier, CEO of Energy Cluster Denmark.",
            "Carolina Garcés, Mobile Heights.",
        ],
    ],
)
def test_a_host_listing_the_panel_by_name_and_organisation_introduces_nobody(listing):
    """ "I'm Marek Przeor from DG GROW." then, in the same turn, "And Carolina Garcés from
    Mobile Heights.": the sentence opening with her name and own organisation was read as
    Carolina introducing herself in the host's voice — two people's introductions in one voice,
    which the evidence then splits. A turn that also names another listed person with her
    organisation, not as its own voice's introduction, presents them. A guest's own "Hello all,
    Carolina Garcés, Mobile Heights." after the host's turn still introduces her, and so does
    one right after the host's own introduction in a merged voice (the test above)."""
    host = ["I'm Marek Przeor from DG GROW.", *listing]
    utts = [Utterance(0, 2.0 * k, said) for k, said in enumerate(host)]
    utts += [Utterance(1, 20.0, "Thank you, Marek."), Utterance(1, 22.0, "We build wind farms.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)]
    assert [x for x in found if x[0] == "self-introduction"] == [
        ("self-introduction", 0, "Marek Przeor")
    ], found
    assert [x.intro for x in said_of(utts, PEOPLE, NameParams())] == [1] + [None] * (len(utts) - 1)
    listed = [
        Utterance(0, 0.0, "Glenda Napier, from Energy Cluster Denmark."),
        Utterance(0, 2.0, "Carolina Garcés, from Mobile Heights."),
    ]
    assert not [e for e in gather([*listed, utts[-1]], PEOPLE) if e.kind == "self-introduction"]
    guest = [*utts[:2], Utterance(1, 20.0, "Hello all, Carolina Garcés, Mobile Heights.")]
    assert ("self-introduction", 1, "Carolina Garcés") in [
        (e.kind, e.speaker, e.person) for e in gather(guest, PEOPLE)
    ]


def test_a_whole_name_beats_a_first_name_and_a_shared_first_name_names_nobody():
    """Two Marias on the event page: "Maria Keller, the floor is yours." hands the floor to
    Maria Keller (the first listed Maria took it before, by her first name alone), and "Thank
    you, Maria." or "Maria, over to you." could be either — evidence for neither."""
    people = [
        Speaker(name="Maria Santos", org="ECCP"),
        Speaker(name="Maria Keller", org="Silicon Saxony"),
        Speaker(name="Jens Hoffmann", org="Maritime Cluster"),
    ]
    utts = [
        Utterance(0, 0.0, "Hello, I'm Jens Hoffmann. Maria, over to you."),
        Utterance(1, 5.0, "Thank you, Jens. We build chips."),
        Utterance(0, 20.0, "Thank you, Maria. Maria Keller, the floor is yours."),
        Utterance(2, 25.0, "Thanks. Our region trains people."),
    ]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, people)] == [
        ("self-introduction", 0, "Jens Hoffmann"),
        ("thanks", 0, "Jens Hoffmann"),
        ("hand-off", 2, "Maria Keller"),
    ]


def test_a_hand_off_naming_nobody_goes_to_the_name_addressed_just_before():
    """A probe talk's host: "Pavel, you have been very patient." then "Please go ahead." (two
    sentences of one voice): the floor goes to Pavel — also in the evidence that corrects voice
    clusters. Not to someone just thanked ("Glenda, thank you. Please go ahead."), nor across
    another voice."""
    people = [*PEOPLE, Speaker(name="Pavel Novak", org="Czech Textile Cluster")]
    utts = [
        Utterance(0, 0.0, "Thank you, Carolina."),
        Utterance(0, 2.0, "Pavel, you have been very patient."),
        Utterance(0, 4.5, "Please go ahead."),
        Utterance(1, 6.0, "Thank you, Marek. When the borders closed, we had no cotton."),
    ]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, people)] == [
        ("hand-off", 1, "Pavel Novak"),
        ("thanks", 0, "Marek Przeor"),
    ]
    assert [s.handoff for s in said_of(utts, people, NameParams())] == [None, None, 3, None]
    thanked = [Utterance(0, 0.0, "Glenda, thank you. Please go ahead."), utts[3]]
    assert [e.kind for e in gather(thanked, people)] == ["thanks"]
    assert [s.handoff for s in said_of(thanked, people, NameParams())] == [None, None]
    across = [Utterance(2, 0.0, "Pavel, you have been very patient."), *utts[2:]]
    assert [e.kind for e in gather(across, people)] == ["thanks"]
    # the same sentence's end after a comma, not after thanks to the one addressed
    one = [Utterance(0, 0.0, "Pavel, I see you're unmuted, so please, go ahead."), utts[3]]
    assert ("hand-off", 1, "Pavel Novak") in [
        (e.kind, e.speaker, e.person) for e in gather(one, people)
    ]
    thanked = [Utterance(0, 0.0, "Glenda, thank you, please go ahead."), utts[3]]
    assert [e.kind for e in gather(thanked, people)] == ["thanks"]


@pytest.mark.parametrize(
    ("language", "host", "guest", "thanks"),
    [
        (
            "en",
            ["I am Marek Przeor.", "Glenda, the floor is yours.", "Glenda, can you hear us?"],
            "Thank you, Marek. I am Carolina Garcés from Mobile Heights.",
            "Thank you, Glenda.",
        ),
        (
            "de",
            ["Ich bin Marek Przeor.", "Frau Napier, Sie haben das Wort.", "Frau Napier, bitte."],
            "Vielen Dank, Herr Przeor. Ich bin Carolina Garcés von Mobile Heights.",
            "Vielen Dank, Frau Napier.",
        ),
    ],
)
def test_a_hand_off_or_thanks_the_turn_itself_contradicts_is_dropped(language, host, guest, thanks):
    """A German probe talk: the host called a guest twice ("Frau Fischer, Sie haben das Wort.
    Frau Fischer?"), then — her put-off misheard — the next voice said "Ich bin Peter Hansen
    …", and the host later thanked Frau Fischer deep in a long turn: two hand-offs and a thanks
    (1.7) outweighed his own introduction (1.5), and his voice was named after her. A hand-off or
    thanks for a person is dropped when the turn it is about introduces someone else."""
    utts = [Utterance(0, 2.0 * k, said) for k, said in enumerate(host)]
    utts += [Utterance(1, 7.0, part) for part in guest.split(". ", 1)]
    utts += [Utterance(1, 10.0, "Clusters connect start-ups."), Utterance(0, 13.0, thanks)]
    names, evidence = name_speakers(utts, PEOPLE, 2, language=language)
    assert names[1][0].name == "Carolina Garcés", evidence
    assert not any(e.person == "Glenda Napier" for e in evidence), evidence


def test_a_hand_off_after_a_sound_check_goes_to_the_name_addressed():
    """ "Susana, I think you're on mute." then "Okay, now we can hear you, please go ahead.": a
    short clause before the hand-off (dev19 of naming_phrasings.tsv) — not another name's
    ("Glenda, great point. Carolina, please go ahead." hands the floor to Carolina alone)."""
    next_voice = Utterance(1, 6.0, "Thank you. When the borders closed, we had no plastics.")
    utts = [
        Utterance(0, 0.0, "Susana, I think you're on mute."),
        Utterance(0, 2.0, "Okay, now we can hear you, please go ahead."),
        next_voice,
    ]
    people = [*PEOPLE, Speaker(name="Susana Remotti", org="PROPLAST")]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, people)] == [
        ("hand-off", 1, "Susana Remotti")
    ]
    other = [Utterance(0, 0.0, "Glenda, great point. Carolina, please go ahead."), next_voice]
    assert [(e.kind, e.speaker, e.person) for e in gather(other, people)] == [
        ("hand-off", 1, "Carolina Garcés")
    ]


def test_a_hand_off_the_same_voice_puts_off_is_none():
    """ "Carolina, can you hear me? No? We'll try again later." then another guest speaks: no
    hand-off to Carolina, neither for naming nor for the evidence that corrects voice clusters
    (``handoff_postponed``, each language); a hand-off after it stands."""
    later = [
        Utterance(0, 0.0, "Carolina, can you hear me?"),
        Utterance(0, 2.0, "No?"),
        Utterance(0, 4.0, "We'll try again later."),
        Utterance(1, 6.0, "Hello everyone, shall I start?"),
    ]
    assert gather(later, PEOPLE) == []
    assert [s.handoff for s in said_of(later, PEOPLE, NameParams())] == [None] * 4
    then = [*later[:3], Utterance(0, 5.0, "Glenda, over to you then."), later[3]]
    assert [(e.kind, e.speaker, e.person) for e in gather(then, PEOPLE)] == [
        ("hand-off", 1, "Glenda Napier")
    ]
    assert [s.handoff for s in said_of(then, PEOPLE, NameParams())] == [None, None, None, 0, None]
    # a probe talk's Whisper wrote "her" as "the"; a topic left for later is no put-off
    misheard = [later[0], Utterance(0, 2.0, "We'll come back to the later."), later[3]]
    assert gather(misheard, PEOPLE) == []
    this = [later[0], Utterance(0, 2.0, "We'll come back to this later."), later[3]]
    assert [e.kind for e in gather(this, PEOPLE)] == ["hand-off"]


@pytest.mark.parametrize(
    ("said", "handed"),
    [
        ("Now I would like to welcome Carolina Garcés from Mobile Heights.", True),
        ("My guest today is Carolina Garcés, project manager at Mobile Heights.", True),
        ("I'm very happy to welcome Carolina Garcés.", True),
        ("It is my pleasure to welcome Carolina Garcés.", True),
        ("Let me welcome Carolina Garcés.", True),
        ("I would like to welcome everyone to this webinar.", False),
        ("Clusters welcome Carolina Garcés warmly.", False),
    ],
)
def test_a_host_welcoming_a_person_hands_them_the_floor(said, handed):
    """A probe talk: "Now I would like to welcome Beatriz Costa from the Porto Digital Hub."
    named nobody (only "please welcome …" did) and was the host's digital-transition point."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Thanks a lot, and hello everyone.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)]
    assert found == ([("hand-off", 1, "Carolina Garcés")] if handed else []), found
    assert (function(said) == "handoff") == handed


@pytest.mark.parametrize(
    ("said", "handed"),
    [
        ("My question is for Carolina.", "Carolina Garcés"),
        ("A quick question for Glenda: how many welders did you train?", "Glenda Napier"),
        ("The next question goes to Carolina.", "Carolina Garcés"),
        ("I have a question for the Commission.", None),
        ("Glenda, one more question for you.", "Glenda Napier"),
        ("Carolina, another question to you: is it free?", "Carolina Garcés"),
        ("One more question for you all.", None),
    ],
)
def test_a_question_put_to_a_person_hands_them_the_floor(said, handed):
    """A probe talk's audience member: "My question is for Beatriz." — Beatriz answers next;
    a probe talk's host: "Sven, one more question for you." handed the floor to nobody."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 4.0, "We follow every participant for a year.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)]
    assert found == ([("hand-off", 1, handed)] if handed else []), found


@pytest.mark.parametrize(
    ("language", "said", "handed"),
    [
        ("es", "Estupendo, escuchemos ahora a miedo romero.", "Diego Romero"),
        ("en", "Let's move on to diego romero.", "Diego Romero"),
        ("en", "Let's move on to the next topic.", None),
        ("es", "Pasamos ahora a otro tema.", None),
        # what the hand-off itself withdraws, also after a name in lower case
        ("en", "We're going to hear from Diego Romero after the coffee break.", None),
        ("en", "Let's move on to diego romero later.", None),
        ("en", "Let's move on to diego romero, but he has just left the call.", None),
        # "Glenda later" is close enough to "Glenda Napier": what follows "Glenda" withdraws
        ("en", "We will hear from Glenda later in the afternoon.", None),
    ],
)
def test_a_hand_off_to_a_whole_name_heard_in_lower_case_counts(language, said, handed):
    """A Spanish probe talk: "Escuchemos ahora a Diego Romero." heard "… a miedo romero." —
    Whisper writes an unfamiliar name in lower case at times. After a hand-off phrase, a listed
    person's whole name in any case hands them the floor, as after "I am" (``spelled_name``);
    on that talk it split the third guest's turn off another guest's cluster."""
    people = [*PEOPLE, Speaker(name="Diego Romero")]
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Gracias.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, people, language=language)]
    assert found == ([("hand-off", 1, handed)] if handed else []), found
    expected = [3 if handed else None, None]
    assert [s.handoff for s in said_of(utts, people, NameParams(), language)] == expected


@pytest.mark.parametrize(
    ("said", "ends_turn", "handed"),
    [
        ("Glenda Napier.", True, "Glenda Napier"),
        ("Glenda.", True, "Glenda Napier"),
        ("Glenda Napier.", False, None),  # the host talks on: no hand-off
        ("Thank you, Mr. Przeor.", True, None),  # thanks, not a call
        ("Glenda Napier and Carolina Garcés.", True, None),
    ],
)
def test_a_name_alone_ending_a_turn_hands_that_person_the_floor(said, ends_turn, handed):
    """Two probe talks: Whisper, prompted with the event's names, wrote the host's "Jonas,
    bitte." and "Rasa, over to you." as the whole name, "Jonas Weber." — a sentence that is
    nothing but a listed name, ending the host's turn, calls that person."""
    after = [Utterance(1, 4.0, "We grow wind energy.")] if ends_turn else []
    utts = [Utterance(0, 0.0, "Welcome to the talk."), Utterance(0, 2.0, said), *after]
    found = [(e.kind, e.person) for e in gather(utts, PEOPLE) if e.kind == "hand-off"]
    assert found == ([("hand-off", handed)] if handed else []), found
    handoffs = [s.handoff for s in said_of(utts, PEOPLE, NameParams())]
    assert handoffs[1] == (None if handed is None else 0), handoffs


def test_a_sentence_said_to_a_person_by_name_is_not_theirs():
    """A probe talk's sound check: "Marco Bianchi, the floor is yours." "Marco, I think you
    are still on mute." "Marco, can you hear us now?" — then Marco. Nobody speaks to themself
    by name: the second sentence is the host's, the floor passes after it (it had gone to
    Marco, so the host's words were his)."""
    utts = [
        Utterance(0, 0.0, "I am Marek Przeor from DG GROW."),
        Utterance(0, 2.0, "Glenda Napier, the floor is yours."),
        Utterance(0, 5.0, "Glenda, I think you are still on mute."),
        Utterance(0, 8.0, "Glenda, can you hear us now?"),
        Utterance(1, 11.0, "Yes, sorry. We build wind farms with our members."),
    ]
    said = said_of(utts, PEOPLE, NameParams())
    assert [s.addressed for s in said] == [None, 0, 0, 0, None]
    assert floor(said) == [1, 1, 1, 1, 0]


def test_a_host_presenting_one_person_at_the_end_of_her_turn_hands_them_the_floor():
    """A probe talk: "I'm Anna Berg from DG GROW, and with me today is my co-host Tom Reilly."
    then Tom's "Hi everyone, great to be here." — nothing else named his voice but a guest's
    thanks. The presentation hands him the floor when it ends the host's turn; not when she
    talks on ("… Tom Reilly. Our first guest is …"), nor for two people, nor as her own name."""
    people = [*PEOPLE, Speaker(name="Tom Reilly", org="ECCP")]
    host = "I'm Marek Przeor from DG GROW, and with me today is my co-host Tom Reilly."
    utts = [Utterance(0, 0.0, host), Utterance(1, 6.0, "Hi everyone, great to be here.")]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, people)] == [
        ("self-introduction", 0, "Marek Przeor"),
        ("organisation", 0, "Marek Przeor"),
        ("hand-off", 1, "Tom Reilly"),
    ]
    assert [s.handoff for s in said_of(utts, people, NameParams())] == [3, None]
    for said in ("I'm joined today by Tom Reilly.", "Joining us today is Tom Reilly from ECCP."):
        alone = [Utterance(0, 0.0, said), utts[1]]
        assert [(e.kind, e.speaker, e.person) for e in gather(alone, people)] == [
            ("hand-off", 1, "Tom Reilly")
        ]
    on = [utts[0], Utterance(0, 5.0, "Our first guest is Glenda Napier."), utts[1]]
    assert [e.person for e in gather(on, people) if e.kind == "hand-off"] == ["Glenda Napier"]
    assert [s.handoff for s in said_of(on, people, NameParams())] == [None, 0, None]
    two = [Utterance(0, 0.0, "With me today are Tom Reilly and Glenda Napier."), utts[1]]
    assert gather(two, people) == []
    listed = "Nous accueillons aujourd'hui Glenda Napier, d'Energy Cluster Denmark et Tom Reilly."
    assert gather([Utterance(0, 0.0, listed), utts[1]], people, language="fr") == []
    # each language's "and" is its own (naming-<lang>.yaml `conjunctions`): Italian "ed"
    both = "Accogliamo oggi Glenda Napier, di Energy Cluster Denmark, ed Elena Russo."
    assert gather([Utterance(0, 0.0, both), utts[1]], people, language="it") == []
    one = "Accogliamo oggi Glenda Napier, di Energy Cluster Denmark."
    assert [e.person for e in gather([Utterance(0, 0.0, one), utts[1]], people, language="it")] == [
        "Glenda Napier"
    ]
    assert gather([Utterance(0, 0.0, "With me is Tom Reilly."), utts[1]], people)[0].speaker == 1


@pytest.mark.parametrize(
    ("said", "handed"),
    [
        (
            "Ich freue mich sehr, heute Frau Glenda Napier vom Energy Cluster Denmark begrüßen zu dürfen.",
            True,
        ),
        ("Ich freue mich, Glenda Napier begrüßen zu dürfen.", True),
        ("Wir freuen uns, heute Glenda Napier von Energy Cluster Denmark bei uns zu haben.", True),
        ("Ich begrüße ganz herzlich Glenda Napier.", True),
        ("Es freut mich, nun Glenda Napier zu begrüßen.", True),
        ("Ich freue mich, Glenda Napier und Susana Remotti begrüßen zu dürfen.", False),
        ("Ich freue mich, dass Glenda Napier das Projekt leitet.", False),
        ("Ich begrüße Sie herzlich zu unserem Webinar.", False),
    ],
)
def test_a_german_host_welcoming_one_person_at_the_end_of_her_turn_hands_them_the_floor(
    said, handed
):
    """A German probe talk: "Ich freue mich sehr, heute Herrn Thomas Krüger vom Logistiknetzwerk
    Ruhr begrüßen zu dürfen." — the verb ends the sentence, after the name, and "vom" was no
    word before one's organisation. Not two people, nor a sentence about her, nor everyone."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 6.0, "Vielen Dank.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE, language="de")]
    assert found == ([("hand-off", 1, "Glenda Napier")] if handed else []), found
    intro = [
        Utterance(0, 0.0, "Willkommen."),
        Utterance(1, 3.0, "Hallo zusammen, Glenda Napier vom Energy Cluster Denmark."),
    ]
    assert ("self-introduction", 1, "Glenda Napier") in [
        (e.kind, e.speaker, e.person) for e in gather(intro, PEOPLE, language="de")
    ]


@pytest.mark.parametrize(
    ("said", "handed"),
    [
        (["Glenda, let's start in Denmark.", "What is your cluster doing on raw materials?"], True),
        (["Glenda, welcome.", "How do you train people?"], True),
        (["Glenda, great point.", "Does anyone else have a question?"], False),
        (["Glenda, thank you.", "What do you think, everyone?"], False),
    ],
)
def test_a_question_to_you_after_addressing_someone_hands_them_the_floor(said, handed):
    """A probe talk's host: "Mikko, let's start in Finland. What is your cluster doing on raw
    materials?" — two sentences, the name in the first, the question to "you" in the second."""
    utts = [Utterance(2, 0.0, "Hi.")]
    utts += [Utterance(0, 1.0 + n, text) for n, text in enumerate(said)]
    utts.append(Utterance(1, 9.0, "Thanks. We recycle batteries."))
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE) if e.kind == "hand-off"]
    assert found == ([("hand-off", 1, "Glenda Napier")] if handed else []), found
    assert [s.handoff for s in said_of(utts, PEOPLE, NameParams())][2] == (0 if handed else None)


def test_a_hand_off_the_hosts_own_voice_talks_on_after_names_nobody_later():
    """The host hands Glenda the floor and her voice goes on for half a minute (Glenda's talk
    heard in the host's voice) before another voice speaks: that voice is not Glenda for the
    hand-off. A host's few seconds between ("Glenda, you're on mute.") do not stop it."""
    utts = [
        Utterance(0, 0.0, "Glenda, the floor is yours."),
        Utterance(0, 3.0, "Thanks. In Denmark we build offshore wind farms with our members."),
        Utterance(0, 30.0, "Our members also store the surplus as heat for the winter."),
        Utterance(1, 35.0, "Good question, the regional government pays half of it."),
    ]
    assert [e.kind for e in gather(utts, PEOPLE)] == []
    muted = [utts[0], Utterance(0, 4.0, "Glenda, you're on mute."), Utterance(1, 7.0, utts[3].text)]
    assert [(e.kind, e.speaker, e.person) for e in gather(muted, PEOPLE)] == [
        ("hand-off", 1, "Glenda Napier")
    ]


def test_the_only_listed_person_left_is_named_by_one_hand_off():
    """A panel of three on the event page: the moderator introduces herself, Maria is handed
    the floor and thanked, Callum is only asked a question by name ("Callum, do you see …?").
    One hand-off (0.6) names nobody on its own, but Callum is the only person on the page left
    unnamed and nothing else points at him or from that voice elsewhere: he is named, with the
    evidence saying so. With two listed people left, the voice stays anonymous."""
    utts = [
        Utterance(0, 0.0, "Good morning, my name is Laura Bianchi."),
        Utterance(0, 4.0, "Maria, let's start with you."),
        Utterance(1, 7.0, "Thank you, Laura. In Saxony twelve companies produce electrolysers."),
        Utterance(0, 15.0, "Thank you, Maria. Callum, do you see the same problem in Scotland?"),
        Utterance(2, 20.0, "Yes and no. We have a lot of offshore wind."),
        Utterance(0, 28.0, "Thank you both. Goodbye."),
    ]
    panel = _listed("Laura Bianchi", "Maria Schmidt", "Callum Reid")
    names, evidence = name_speakers(utts, panel, 3)
    assert {k: v[0].name for k, v in names.items()} == {
        0: "Laura Bianchi",
        1: "Maria Schmidt",
        2: "Callum Reid",
    }
    assert names[2][1] < names[1][1]  # less sure than two pieces of evidence
    [last] = [e for e in evidence if e.kind == "the only one left"]
    assert (last.speaker, last.person) == (2, "Callum Reid")
    table = _table(utts, names, evidence)
    assert [str(n) for info in table for n in info.notes] == [
        "named as the only person on the event page left unnamed, on one piece of evidence "
        "(check it)"
    ]
    assert table[2].notes and table[2].name == "Callum Reid"
    names, evidence = name_speakers(utts, [*panel, *_listed("Anna Berg")], 3)
    assert 2 not in names and not [e for e in evidence if e.kind == "the only one left"]


def test_the_people_left_and_the_voices_left_pair_up_by_elimination():
    """A moderator who never gives her name (thanked once by a guest: "Thanks, Marta."), Lars
    handed the floor and thanked, Elena only asked a question by name: two people left on the
    page, two voices left, each voice's little evidence all for one of them — they are named
    so, with a note to check it. A third listed person who never speaks, or both voices
    pointing at one person, names nobody so."""
    utts = [
        Utterance(0, 0.0, "Hello everyone. I'm your moderator today. Lars, would you like to start?"),
        Utterance(1, 6.0, "Thanks, Marta. Sweden will need twenty thousand battery workers."),
        Utterance(0, 14.0, "Thank you, Lars. Elena, what does the Alliance do about skills?"),
        Utterance(2, 20.0, "The Alliance runs an online academy for technicians."),
        Utterance(0, 28.0, "Thank you both. Goodbye."),
    ]  # fmt: skip
    panel = _listed("Marta Kowalczyk", "Lars Eriksson", "Elena Popescu")
    names, evidence = name_speakers(utts, panel, 3)
    assert {k: v[0].name for k, v in names.items()} == {
        0: "Marta Kowalczyk",
        1: "Lars Eriksson",
        2: "Elena Popescu",
    }
    paired = [(e.speaker, e.person) for e in evidence if e.kind == "paired by elimination"]
    assert sorted(paired) == [(0, "Marta Kowalczyk"), (2, "Elena Popescu")]
    table = _table(utts, names, evidence)
    assert [bool(info.notes) for info in table] == [True, False, True]
    assert "(check it)" in str(table[2].notes[0])
    names, _ = name_speakers(utts, [*panel, *_listed("Anna Berg")], 3)
    assert set(names) == {1}
    both = [*utts[:2], Utterance(0, 14.0, "Thank you, Lars. Marta, what would you add?"), *utts[3:]]
    names, _ = name_speakers(both, panel, 3)
    assert set(names) == {1}


def test_a_question_to_someone_absent_does_not_name_the_moderator_by_elimination():
    """Glenda and Carolina are on the page; Carolina could not come. An audience member asks
    her a question by name and the moderator — not on the page, handing the floor over all
    along — answers in her place: that hand-off lands on the moderator, who must not become
    Carolina as the only person left. A moderator thanked by name is another matter (the
    Polish check talk's host: named so)."""
    utts = [
        Utterance(0, 0.0, "Welcome. Glenda, over to you."),
        Utterance(1, 3.0, "Hello, my name is Glenda Napier, from Energy Cluster Denmark."),
        Utterance(0, 9.0, "Thank you, Glenda. Let's take a question. Please go ahead."),
        Utterance(2, 14.0, "Carolina, how do you train people in Sweden?"),
        Utterance(0, 18.0, "Carolina could not join us, so I will answer for her."),
        Utterance(0, 22.0, "Glenda, back to you for the last word."),
    ]
    people = _listed("Glenda Napier", "Carolina Garcés")
    names, _ = name_speakers(utts, people, 3)
    assert {k: v[0].name for k, v in names.items()} == {1: "Glenda Napier"}
    thanked = [  # the moderator, handing over twice, thanked by name: named by elimination
        *utts[:2],
        Utterance(1, 8.0, "Thank you, Carolina, for the kind words."),
        Utterance(0, 12.0, "Glenda, back to you for the last word."),
    ]
    names, _ = name_speakers(thanked, people, 2)
    assert names[0][0].name == "Carolina Garcés"


def test_one_hand_off_said_two_ways_counts_once():
    """ "Glenda, please go ahead." hands the floor over once, though two phrases match: one
    hand-off alone (0.6) names nobody; before, the two added up to 1.2 and named the voice."""
    utts = [Utterance(0, 0.0, "Glenda, please go ahead."), Utterance(1, 3.0, "Hello all.")]
    names, evidence = name_speakers(utts, PEOPLE, 2)
    assert [(e.kind, e.speaker, e.person) for e in evidence] == [("hand-off", 1, "Glenda Napier")]
    assert names == {}


@pytest.mark.parametrize(
    "said",
    [
        "Many thanks, Carolina.",
        "Thanks a lot, Carolina.",
        "Okay, thank you very much, Carolina.",
        "Great, thanks Carolina.",
        "Yes, thank you, Carolina.",
        "Thank you for that, Carolina.",
        "Hi, thanks Carolina.",
        "Hello, thank you, Carolina.",
        "Yes, hello, thank you, Carolina.",
        "Good morning and thank you, Carolina.",
        "Thanks a million, Carolina.",
        "Carolina, thank you.",
        "Carolina, many thanks for that.",
        "That was great, thank you Carolina.",
        "Carolina, thanks so much for sharing that.",
        # phrasings written after the phrases (dev14/dev15 of naming_phrasings.tsv)
        "A big thank you to Carolina.",
        "I want to thank Carolina for her excellent presentation.",
        "Carolina, many thanks, that was really helpful.",
        # a guest's or host's thanks in another language in an English talk (dev46)
        "Carolina, grazie, that was excellent.",
        "Carolina, muchas gracias, very clear.",
        "Muchas gracias, Carolina.",
    ],
)
def test_the_ways_hosts_thank_name_the_previous_speaker(said):
    utts = [Utterance(1, 0.0, "That is all from me."), Utterance(0, 5.0, said)]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)] == [
        ("thanks", 1, "Carolina Garcés")
    ]


@pytest.mark.parametrize(
    "said",
    [
        "I'm Marek's deputy, actually.",
        "This is Glenda's point exactly.",
        "This is Glenda Napier's project.",
        "Over to you, Marek's team.",
    ],
)
def test_a_possessive_is_not_a_name(said):
    """A possessive ("I'm Marek's deputy") speaks of someone else: nobody is named by it, and no
    voice could be split on it."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 5.0, "Hello, and good morning.")]
    assert gather(utts, PEOPLE) == []


@pytest.mark.parametrize(
    "turns",
    [
        # the same turn hands the presented guest the floor
        ["Welcome. This is Glenda Napier, CEO of Energy Cluster Denmark. Glenda, over to you."],
        # the speaker introduced themself by another name in that turn
        ["I am Marek Przeor, welcome. This is Glenda Napier from Energy Cluster Denmark."],
        # the next voice thanks someone else: the speaker was not Glenda
        ["Welcome. This is Glenda Napier, CEO of Energy Cluster Denmark.", "Thank you, Marek."],
    ],
)
def test_a_host_presenting_a_guest_is_not_named_as_the_guest(turns):
    """ "This is Glenda Napier" by a host presenting her hands her the floor: before, the host
    took her name as a self-introduction."""
    opening = turns[1] if len(turns) > 1 else "Hello."
    utts = [Utterance(0, 0.0, turns[0]), Utterance(1, 8.0, opening + " Clusters help SMEs.")]
    names, evidence = name_speakers(utts, PEOPLE, 2)
    assert ("hand-off", 1, "Glenda Napier") in [(e.kind, e.speaker, e.person) for e in evidence]
    assert names.get(0, (Speaker(name="nobody"),))[0].name != "Glenda Napier"
    assert not any(e.speaker == 0 and e.person == "Glenda Napier" for e in evidence)


@pytest.mark.parametrize(
    "turn",
    [
        [
            "Welcome. This is Glenda Napier, CEO of Energy Cluster Denmark, and this is Carolina "
            "Garcés from Mobile Heights."
        ],
        ["Welcome. This is Carolina Garcés from Mobile Heights.", "And this is Glenda Napier."],
    ],
)
def test_a_host_presenting_the_panel_is_named_after_nobody_on_it(turn):
    """A host presenting two guests in one turn, with nothing saying who speaks next: neither
    name is the host's own (before, the host was taken for the first one presented), and
    neither is handed to the next voice."""
    utts = [Utterance(0, 2.0 * n, said) for n, said in enumerate(turn)]
    utts.append(Utterance(1, 8.0, "Clusters help SMEs find partners abroad."))
    names, evidence = name_speakers(utts, PEOPLE, 2)
    assert names == {}
    assert not any(e.person in {"Glenda Napier", "Carolina Garcés"} for e in evidence)


def test_a_colleague_of_the_same_organisation_gets_no_evidence_from_an_introduction():
    """ "I'm Sara from the ECCP, and I'm joined by my colleague Jonas": the organisation is
    evidence for Sara, who introduced herself, not for Jonas, who works there too (it had
    kept Jonas from being named as the only one left). Said with no name, it is for both."""
    people = [
        Speaker(name="Sara Lindqvist", org="European Cluster Collaboration Platform"),
        Speaker(name="Jonas Berg", org="European Cluster Collaboration Platform"),
    ]
    said = "I'm Sara Lindqvist from the European Cluster Collaboration Platform, and I'm joined by my colleague Jonas Berg."
    utts = [Utterance(0, 0.0, said), Utterance(1, 8.0, "Hello, and good morning.")]
    assert [(e.kind, e.person) for e in gather(utts, people)] == [
        ("self-introduction", "Sara Lindqvist"),
        ("organisation", "Sara Lindqvist"),
        ("hand-off", "Jonas Berg"),  # presented as her turn ends: the next voice is his
    ]
    unnamed = [Utterance(0, 0.0, "I am the CEO of the European Cluster Collaboration Platform.")]
    assert [e.person for e in gather(unnamed, people)] == ["Sara Lindqvist", "Jonas Berg"]


@pytest.mark.parametrize(
    "announced",
    ["Glenda Napier, Energy Cluster Denmark.", "Glenda Napier, CEO of Energy Cluster Denmark."],
)
def test_a_host_announcing_a_guest_by_name_and_organisation_is_not_her(announced):
    """ "Glenda Napier, Energy Cluster Denmark." opening a sentence would be her own
    introduction — not when the same turn hands her the floor: the host announced her."""
    turn = [announced, "Glenda, the floor is yours."]
    utts = [Utterance(0, 2.0 * n, said) for n, said in enumerate(turn)]
    utts.append(Utterance(1, 8.0, "Thank you. Clusters help SMEs find partners abroad."))
    evidence = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)]
    assert evidence == [("hand-off", 1, "Glenda Napier")], evidence


def test_people_presenting_themselves_in_turn_are_each_named():
    """A round of "this is …" presents each voice itself, and so does a presentation the next
    voice answers by thanking that very person."""
    utts = [
        Utterance(0, 0.0, "Hi, this is Glenda."),
        Utterance(1, 2.0, "And this is Carolina, from Mobile Heights."),
        Utterance(2, 4.0, "Hello, this is Marek Przeor."),
        Utterance(1, 6.0, "Thank you, Marek. Our cluster works on digital skills."),
    ]
    names, _ = name_speakers(utts, PEOPLE, 3)
    assert {i: person.name for i, (person, _) in names.items()} == {
        0: "Glenda Napier",
        1: "Carolina Garcés",
        2: "Marek Przeor",
    }


@pytest.mark.parametrize(
    "said",
    [
        "Hi everyone, Glenda here from Energy Cluster Denmark.",
        "Hello all, Glenda Napier here.",
        "Good morning. Glenda Napier speaking, from Energy Cluster Denmark.",
        "Glenda here, CEO of Energy Cluster Denmark.",
        "Let me introduce myself: Glenda Napier, CEO of Energy Cluster Denmark.",
        "Hi, Glenda Napier, here, from Energy Cluster Denmark.",  # as Whisper puts commas
    ],
)
def test_a_name_then_here_or_speaking_introduces_the_speaker(said):
    """ "Glenda here", "Glenda Napier speaking" — the way people name themselves on a call —
    introduce the speaker as "I am Glenda" does; so does "introduce myself: Glenda …"."""
    utts = [Utterance(0, 0.0, "Welcome, everyone."), Utterance(1, 3.0, said)]
    assert ("self-introduction", 1, "Glenda Napier") in [
        (e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)
    ]
    assert function(said) == "introduction"


@pytest.mark.parametrize(
    "said",
    [
        "As Glenda here said, clusters need skills.",
        "Glenda here has shown us the numbers.",
        "I agree with what Glenda Napier said here.",
        "We are all speaking about Glenda's project.",
        "Welcome, Glenda, here with us from Denmark.",
    ],
)
def test_a_name_mentioned_beside_here_introduces_nobody(said):
    utts = [Utterance(0, 0.0, "Welcome, everyone."), Utterance(1, 3.0, said)]
    assert not [e for e in gather(utts, PEOPLE) if e.kind == "self-introduction"]


@pytest.mark.parametrize(
    ("listed", "said"),
    [
        ("Prof. Dr.-Ing. Maria Keller", "Maria Keller"),
        ("Maria Keller, PhD", "Maria Keller"),
        ("Sir Tim Berners-Lee", "Tim Berners-Lee"),
        ("mgr inż. Anna Nowak", "Anna Nowak"),
        ("Dott. Luca Bianchi", "Luca Bianchi"),
        ("Mme Claire Martin", "Claire Martin"),
        ("Glenda Napier", "Glenda Napier"),
        ("Don Smith", "Don Smith"),  # two words stay: a first name, not the Spanish title
        ("Dr. Keller", "Dr. Keller"),
        ("Keller, Maria", "Keller, Maria"),
        ("Marek Przeor (moderator)", "Marek Przeor"),
        ("Dr. Ana Ruiz [tbc]", "Ana Ruiz"),
        ("(tbc)", "(tbc)"),
    ],
)
def test_a_listed_name_is_matched_without_its_titles(listed, said):
    assert spoken_name(listed) == said


def test_people_listed_with_titles_are_named_by_first_name_and_in_lower_case():
    """An event page writes "Prof. Dr.-Ing. Glenda Napier"; the host says "Glenda, over to
    you" and a guest is heard "I am carolina garcés": the titles are no part of the name said
    (before, the first name read was "Prof." and a name spelled in lower case had to be four
    words long)."""
    titled = _listed(
        "Prof. Dr.-Ing. Glenda Napier", "Marek Przeor, PhD", "mgr inż. Carolina Garcés", "Jan Nowak"
    )
    utts = [
        Utterance(0, 0.0, "Good morning, everyone, welcome to our webinar."),
        Utterance(0, 4.0, "Glenda, over to you."),
        Utterance(1, 7.0, "Thank you. We build district heating in Denmark."),
        Utterance(0, 12.0, "Thank you, Glenda. Carolina, please go ahead."),
        Utterance(2, 15.0, "Hello, I am carolina garcés, and I run Mobile Heights."),
    ]
    names, _ = name_speakers(utts, titled, 3)
    assert {v: person.name for v, (person, _) in names.items()} == {
        1: "Prof. Dr.-Ing. Glenda Napier",
        2: "mgr inż. Carolina Garcés",
    }


def _listed(*names: str) -> list[Speaker]:
    return [Speaker(name=name) for name in names]


def _table(utts: list[Utterance], names: dict, evidence: list) -> list:
    """The speaker table of written utterances, each a 2-s segment of its speaker."""
    pieces = [(Segment(i, u.start, u.start + 2, u.text), u.speaker) for i, u in enumerate(utts)]
    return speaker_table(pieces, names, evidence, {})


SPELT = _listed("Erik Lindqvist", "Stephen Hughes", "Filip Nowak", "Sofia Rossi", "Marc Dubois")


@pytest.mark.parametrize(
    ("said", "person"),
    [
        ("Hello everyone, Eric here.", "Erik Lindqvist"),
        ("Hi, I'm Steven, from the Welsh cluster.", "Stephen Hughes"),
        ("My name is Philip and I lead the programme.", "Filip Nowak"),
        ("Good morning, this is Sophia speaking.", "Sofia Rossi"),
        ("Thanks. I am Mark, from Lyon.", "Marc Dubois"),
    ],
)
def test_a_name_whisper_spelt_another_way_that_sounds_the_same_names_the_speaker(said, person):
    """Whisper writes a name it hears as it spells it most often — "Eric" for Erik, "Steven" for
    Stephen — even with the listed spelling in its prompt (a generated talk: "Eric here" for
    Erik Lindqvist). Spelt another way, a four- or five-letter first name falls under the
    80-point bar (Eric 75, Steven 77, Philip 73, Sophia 73, Mark 75); the same sounds
    (Metaphone) let it count, as surely as a self-introduction alone needs."""
    utts = [Utterance(0, 0.0, "Welcome, everyone."), Utterance(1, 3.0, said)]
    assert ("self-introduction", 1, person) in [
        (e.kind, e.speaker, e.person) for e in gather(utts, SPELT)
    ]
    names, _ = name_speakers(utts, SPELT, 2)
    assert names[1][0].name == person and 0 not in names


@pytest.mark.parametrize(
    ("said", "listed"),
    [
        ("Hello everyone, Ava here.", "Eva Lind"),
        ("Hi, I'm Martin, from the Welsh cluster.", "Marta Gil"),
        ("My name is Evan and I lead the programme.", "Ivan Petrov"),
        ("Good morning, this is Linda speaking.", "Glenda Napier"),
        ("Thanks. I am Hugh, from Lyon.", "Hugo Berg"),
        ("Hi all, Tom here.", "Tim Berg"),
    ],
)
def test_a_name_that_only_looks_like_a_listed_one_names_nobody(said, listed):
    """Names a letter or two from a listed one (70–79 points) that sound otherwise stay
    unlisted; so does a short name that sounds alike but shares too little (Tom, Tim: 67)."""
    utts = [Utterance(0, 0.0, "Welcome, everyone."), Utterance(1, 3.0, said)]
    assert not gather(utts, [Speaker(name=listed)])


def test_names_in_any_script_are_matched_without_error():
    """The event page may list names in any script; the sounds of a Latin-letter name are not
    those of a Greek, Cyrillic or Chinese one (Metaphone reads Latin letters only), and a
    misheard Latin spelling still counts for a Latin name with letters of its own (Łukasz)."""
    people = _listed("Δημήτρης Παπαδόπουλος", "Дмитрий Иванов", "李明", "Łukasz Wiśniewski")
    utts = [Utterance(0, 0.0, "Hello, I am Dimitris."), Utterance(1, 3.0, "Hi all, Lukasz here.")]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, people)] == [
        ("self-introduction", 1, "Łukasz Wiśniewski")
    ]


DECLINED = _listed(
    "Piotr Nowak", "Agnieszka Dąbrowska", "Marek Lewandowski", "Ewa Zielińska", "Glenda Napier"
)


@pytest.mark.parametrize(
    ("said", "kind", "person"),
    [
        ("Oddaję głos Piotrowi Nowakowi.", "hand-off", "Piotr Nowak"),  # dative
        ("Przekazuję głos Agnieszce Dąbrowskiej.", "hand-off", "Agnieszka Dąbrowska"),
        ("Oddaję głos Glendzie.", "hand-off", "Glenda Napier"),  # a foreign name declined
        ("Kolej na Marka Lewandowskiego.", "hand-off", "Marek Lewandowski"),  # genitive
        ("Poproszę teraz Ewę Zielińską.", "hand-off", "Ewa Zielińska"),  # accusative
        ("Dziękuję, Ewo.", "thanks", "Ewa Zielińska"),  # vocative
        ("Bardzo dziękuję, pani Ewo.", "thanks", "Ewa Zielińska"),
        ("Dziękuję, panie Piotrze.", "thanks", "Piotr Nowak"),
        ("Dziękuję, Marku.", "thanks", "Marek Lewandowski"),
    ],
)
def test_a_declined_name_names_the_person_in_polish(said, kind, person):
    """Polish declines names: the host hands the floor "Piotrowi Nowakowi" (to Piotr Nowak)
    and thanks "Ewo" (Ewa). A long name declined stays within the 80-point bar, a short one
    does not (Piotrowi Nowakowi 79, Ewo 67, Glendzie 71); the endings of the language's data
    turned back into the nominative let it count."""
    utts = [
        Utterance(0, 0.0, "Tak, to wszystko z mojej strony."),
        Utterance(2, 4.0, said),
        Utterance(1, 8.0, "Dzień dobry wszystkim."),
    ]
    want = (kind, 1 if kind == "hand-off" else 0, person)
    assert want in [(e.kind, e.speaker, e.person) for e in gather(utts, DECLINED, language="pl")]


@pytest.mark.parametrize(
    "said",
    [
        "Oddaję głos Państwu.",
        "Dziękuję, Warszawo.",
        "Zapraszam Komisję Europejską.",
        "Kolej na Janinę Kowalską.",
        "Dziękuję, Olu.",
    ],
)
def test_a_declined_word_that_is_nobody_listed_names_nobody(said):
    people = [*DECLINED, *_listed("Jan Kowalczyk", "Olga Nowicka")]
    utts = [Utterance(0, 0.0, "Tak."), Utterance(2, 4.0, said), Utterance(1, 8.0, "Dzień dobry.")]
    assert not gather(utts, people, language="pl")


@pytest.mark.parametrize(
    ("said", "introduces"),
    [
        ("Ich bin Glenda Napier sehr dankbar für diese Zahlen.", False),  # grateful to her
        ("Ich bin Frau Napier dankbar für den Hinweis.", False),
        ("Ich bin Glenda Napier letztes Jahr in Brüssel begegnet.", False),  # met her
        ("Ich bin Glenda Napier vom Energy Cluster Denmark.", True),
        ("Ich bin Glenda Napier, sehr dankbar für die Einladung.", True),
        ("Ich bin Glenda Napier, und ich bin Ihnen sehr dankbar für die Einladung.", True),
        ("Ich bin Glenda Napier vom Energy Cluster Denmark und sehr dankbar dafür.", True),
    ],
)
def test_ich_bin_before_a_name_in_the_dative_introduces_nobody(said, introduces):
    """German "ich bin" also opens a sentence about someone else: "Ich bin Glenda Napier sehr
    dankbar" is grateful to her, and named the speaker Glenda before. The word that takes her
    (dankbar, begegnet …) follows the name within four words, with no comma, "und" or "von"
    between; after those, it is the speaker's own gratitude."""
    utts = [Utterance(0, 0.0, "Guten Tag."), Utterance(1, 3.0, said)]
    kinds = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE, language="de")]
    assert (("self-introduction", 1, "Glenda Napier") in kinds) is introduces


def test_a_part_written_once_in_a_naming_file_stands_in_every_phrase_that_names_it():
    """``{greeted}`` in a phrase of naming-en.yaml is the file's ``greeted`` list, as one group
    (so "Good morning, folks, it's Glenda" introduces her); only ``{name}`` stays, for the name."""
    import re

    from pipeline.core.language import _phrase_lists, naming_languages

    for code in naming_languages():
        for phrases in _phrase_lists(code).values():
            for phrase in phrases:
                assert set(re.findall(r"\{([a-z_]+)\}", phrase)) <= {"name"}, (code, phrase)
    english = _phrase_lists("en")
    greeted = "(?:again|everyone|everybody|all|there|folks|colleagues|guys)"
    assert sum(greeted in phrase for phrase in english["introduction"]) == 2
    people = [Speaker(name="Glenda Napier")]
    found = gather([Utterance(0, 0, "Good morning, folks, it's Glenda.")], people)
    assert [(e.kind, e.person) for e in found] == [("self-introduction", "Glenda Napier")]


@pytest.mark.parametrize(
    ("language", "said", "person"),
    [
        ("pl", "Dzień dobry. Nazywam się ksiśtof Mazur.", "Krzysztof Mazur"),
        ("en", "Hello everyone, my name is suzie Remotti.", "Susana Remotti"),
        ("de", "Ich bin mit Przeor in Brüssel.", None),
        ("fr", "Je suis avec Przeor depuis deux ans.", None),
    ],
)
def test_a_first_name_misheard_in_lower_case_is_read_by_the_surname(
    language: str, said: str, person: str | None
) -> None:
    """Whisper writes an unfamiliar first name as a lower-case word and the surname right (the
    Polish check talk: "Nazywam się ksiśtof Mazur.", 79 points from the listed name): that names
    the person, as "Ksiśtof Mazur" capitalised does; a function word before a surname ("mit",
    "avec": 73 and 78 points from Marek Przeor) is no first name."""
    people = [Speaker(name=n) for n in ("Krzysztof Mazur", "Susana Remotti", "Marek Przeor")]
    found = gather(
        [Utterance(0, 0.0, "Witam."), Utterance(1, 3.0, said), Utterance(2, 6.0, "Dobrze.")],
        people,
        language=language,
    )
    named = [e.person for e in found if e.kind == "self-introduction" and e.speaker == 1]
    assert named == ([person] if person else []), found


def test_naming_phrasings_written_after_the_rules():
    """Ways to introduce oneself, hand over and thank (``tests/data/naming_phrasings.tsv``):
    twenty-eight sets of twenty, one of twelve, two of ten, one of seven, two of four, one of one, one of eight, two of six, one of four, two of two, one more of twelve, one of twenty-five, two of eight, one of nine, one of eleven, one of six, one more of eight, one more of twelve, two more of ten, three more of eight, one of four, one more of twelve and three more of six were scored under the phrases of their day and then used to add
    phrases (*dev*), one, written before the last eighteenth's, only scored (*held-out*), all
    read with the demo's event page; forty-one more, each written after all the phrases of its day,
    only scored (*held-out2* … *held-out32*, *held-out35* … *held-out46*); mentions of a listed person that are no evidence
    ("As Glenda said earlier, …", "I'm replacing Carolina Garcés today", "Carolina, can you hear
    me? No? We'll try again later.") read as none (*negative*, *negative-dev* … *negative-dev9*;
    *negative-held-out* … *negative-held-out8* only scored). This pins the figures of docs/speakers.md
    and docs/limits.md: dev 791 of 813, held-out 19 of 20, held-out2 19 of 20 (16 untouched), held-out3
    16 of 20 (15 when scored), held-out4 18 of 20, held-out5 20 of 20, held-out6 19 of 20 (18 when scored), held-out7 18 of 20,
    held-out8 18 of 20, held-out9 20 of 20 (19 when scored), held-out10 20 of 20 (17 when
    scored), held-out11 20 of 20 (16 when scored), held-out12 20 of 20 (19 when scored), held-out13 20 of 20 (19 when scored), held-out14 20 of 20 (19 when scored),
    held-out15 10 of 10 (7 when scored), held-out16 10 of 10 (4 when scored), held-out17 10 of 10
    (6 when scored), held-out18 3 of 6, held-out19 10 of 16, held-out20 13 of 16, held-out21 8 of 8 (7 when scored; the floor handed to an organisation), held-out22 6 of 6 (5 when scored; put off to after a break), held-out23 3 of 3 (an organisation thanked), held-out24 1 of 3 (a later-word after a comma), held-out25 4 of 4 (the name after the phrase), held-out26 7 of 8 (the floor handed to an organisation's people), held-out27 25 of 25 (24 when scored; a live call's words), held-out28 8 of 8 (6 when scored; "Yes, it's …"), held-out29 8 of 8 (5 when scored; "Sorry, it's …"), held-out30 8 of 8 (7 when scored; thanks in other languages), held-out31 8 of 8 (6 when scored; words before "it's"), held-out32 8 of 8, held-out35 10 of 10 (a name said as a cleft's focus), held-out36 10 of 10 (9 when scored; run-on sentences), held-out37 6 of 6 (5 when scored; the floor handed on as a trip), held-out38 6 of 6 (5 when scored; the trip under way), held-out39 12 of 12 (a programme's moderator), held-out40 8 of 8 (7 when scored; names misspelled), held-out41 6 of 6 ("back to <name>"), held-out42 4 of 4 (a direction on the way), held-out43 8 of 8 (a first name misheard in lower case), held-out44 6 of 6 (5 when scored; a name in lower case after "And now"), held-out45 6 of 6 (", from <organisation>" after an announced name), held-out46 6 of 6 (thanks to a name in lower case),
    negative 40 of 40, negative-dev 15 of 15, negative-dev2 15 of 15, negative-dev3 8 of 8,
    negative-dev4 8 of 8, negative-dev5 3 of 3, negative-dev6 5 of 5, negative-dev7 5 of 5, negative-dev8 5 of 5, negative-dev9 5 of 5,
    negative-held-out 13 of 15, negative-held-out2 15 of 15, negative-held-out3 7 of 7,
    negative-held-out4 7 of 7, negative-held-out5 5 of 5 (4 when scored), negative-held-out6 5
    of 5, negative-held-out7 5 of 5, negative-held-out8 5 of 5, so a change that loses one shows."""
    import csv

    from pipeline.tools import demo
    from pipeline.tools.evaluate import phrasing_read
    from tests.helpers import ROOT

    people = [Speaker(name=p.name, role=p.role, org=p.org) for p in demo.PEOPLE if p.listed]
    with (ROOT / "tests" / "data" / "naming_phrasings.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader((x for x in f if not x.startswith("#")), delimiter="\t"))
    right: dict[str, int] = {}
    for row in rows:
        part = "dev" if row["split"].startswith("dev") else row["split"]
        read = phrasing_read(row["kind"], row["person"], row["text"], people)
        right[part] = right.get(part, 0) + read
    assert len(rows) == 1519 and right["dev"] >= 791 and right["held-out"] >= 19, right
    assert right["held-out15"] >= 10 and right["held-out16"] >= 10, right
    assert right["held-out17"] >= 10 and right["held-out18"] >= 3, right
    assert right["held-out19"] >= 10 and right["held-out20"] >= 13, right
    assert right["held-out21"] >= 8 and right["held-out22"] >= 6, right
    assert right["held-out23"] >= 3 and right["held-out24"] >= 1, right
    assert right["held-out25"] >= 4 and right["held-out26"] >= 7, right
    assert right["held-out27"] >= 25 and right["held-out28"] >= 8, right
    assert right["held-out29"] >= 8 and right["held-out2"] >= 19, right
    assert right["held-out3"] >= 16 and right["held-out30"] >= 8, right
    assert right["held-out31"] >= 8 and right["held-out32"] >= 8, right
    assert right["held-out35"] >= 10 and right["held-out36"] >= 10, right
    assert right["held-out37"] >= 6 and right["held-out38"] >= 6, right
    assert right["held-out39"] >= 12 and right["held-out40"] >= 8, right
    assert right["held-out41"] >= 6 and right["held-out42"] >= 4, right
    assert right["held-out43"] >= 8 and right["held-out44"] >= 6, right
    assert right["held-out45"] >= 6 and right["held-out46"] >= 6, right
    assert right["held-out4"] >= 18 and right["held-out5"] >= 20, right
    assert right["held-out6"] >= 18 and right["held-out7"] >= 18, right
    assert right["held-out8"] >= 18 and right["held-out9"] >= 20, right
    assert right["held-out10"] >= 20 and right["held-out11"] >= 20, right
    assert right["held-out12"] >= 20 and right["negative-held-out6"] >= 5, right
    assert right["held-out13"] >= 20 and right["negative-held-out7"] >= 5, right
    assert right["held-out14"] >= 20 and right["negative-held-out8"] >= 5, right
    assert right["negative"] == 40 and right["negative-dev"] == 15, right
    assert right["negative-dev2"] == 15 and right["negative-dev3"] == 8, right
    assert right["negative-dev4"] == 8 and right["negative-dev5"] == 3, right
    assert right["negative-dev6"] == 5 and right["negative-dev7"] == 5, right
    assert right["negative-dev8"] == 5 and right["negative-dev9"] == 5, right
    assert right["negative-held-out5"] >= 5, right
    assert right["negative-held-out"] >= 13 and right["negative-held-out2"] >= 15, right
    assert right["negative-held-out3"] >= 7 and right["negative-held-out4"] >= 7, right


def test_naming_phrasings_in_other_languages_written_after_the_rules():
    """Ways to introduce oneself, hand over and thank in de, fr, it, es, pl
    (``tests/data/naming_phrasings_eu.tsv``): ``dev1``–``dev28`` were each scored under the
    phrases of their day and then used to add phrases (every row read but dev24's first name
    misheard 31 points off, "america Przeor"); ``held-out``, written before the last
    five of those, only scored (77 of 100 under the phrases of its day; 97 now); ``held-out2``,
    written after dev5's phrases, only scored; ``held-out3``, written after dev7's, only scored
    (34 of 40; 40 with dev8's phrases); ``held-out4``, written after the thirty-ninth
    session's phrases (a hand-off to one's colleague), only scored (17 of 20); ``held-out5``,
    written after those, only scored (32 of 40; 40 with dev9's phrases); ``held-out6``, written
    after dev10's phrases (who speaks next: "Ora parla …"), only scored (16 of 30; 30 with
    dev11's phrases); ``held-out7``, written after those, only scored (12 of 25; 24 with
    dev12's; 25 with "głos zabiera"); ``held-out8``, after those, only scored (7 of 15; 15 with dev13's); ``held-out9``,
    after those, only scored (5 of 10); ``held-out10``, after dev14's (the floor handed to an
    organisation), only scored (10 of 10); ``held-out11``, after dev15's (a hand-off put off to
    after a break), only scored (5 of 5); ``held-out12``, after dev16's (an organisation
    thanked), only scored (5 of 5); ``held-out13``, after dev17's ("…, später folgt …" hands
    over), 5 of 6 when scored; ``held-out14``, after dev18's ("Sie haben das Wort,
    Carolina."), 5 of 5; ``held-out15``, after dev19's (the floor handed to an organisation's
    people: "Place à nos amis de Mobile Heights."), 12 of 15; ``held-out16``, after dev20's (a call's
    answer, "Oui, c'est Carolina."), 10 of 10; ``held-out17``, after dev21's (a name as the
    focus of a cleft, "C'est Glenda qui va nous présenter …"), 13 of 15 (15 with dev22's Polish
    phrases); ``held-out18``, after those, 5 of 5; ``held-out19``, after those (everyday words
    and a trip, "Passons maintenant en Italie avec Susana Remotti."), 20 of 25 (25 with dev23's
    trips); ``held-out20``, after those, 10 of 10; ``held-out21``, after dev24's and dev25's (a first
    name misheard in lower case, "suzy Remotti"; "mit Przeor" is no name), 10 of 10; ``held-out22``, after dev26's (a name in lower case after
    "Und jetzt"), 10 of 10; ``held-out23``, after dev27's ("Enfin, Susana Remotti, de PROPLAST
    Italy."), 10 of 10; ``held-out24``, after dev28's (thanks to a name in lower case,
    "Vielen Dank, glenda napier."), 10 of 10; mentions of a listed person that are no evidence
    ("Dank Carolina Garcés haben wir …", "Gracias a Carolina Garcés …", in ``negative2``
    "Volevo passare la parola a Glenda, ma si è disconnessa.", in ``negative3`` "Glenda, masz
    głos. Glenda? Spróbujemy później.") read as none. Pins the figures
    of docs/languages.md per language, so a change that loses one shows."""
    import csv

    from pipeline.tools import demo
    from pipeline.tools.evaluate import phrasing_read
    from tests.helpers import ROOT

    people = [Speaker(name=p.name, role=p.role, org=p.org) for p in demo.PEOPLE if p.listed]
    with (ROOT / "tests" / "data" / "naming_phrasings_eu.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader((x for x in f if not x.startswith("#")), delimiter="\t"))
    right: dict[tuple[str, str], int] = {}
    for row in rows:
        part = "dev" if row["split"].startswith("dev") else row["split"]
        read = phrasing_read(row["kind"], row["person"], row["text"], people, row["language"])
        right[part, row["language"]] = right.get((part, row["language"]), 0) + read
    assert len(rows) == 1536, len(rows)
    unread = {"es": 1}  # dev24's "america Przeor", 31 points off the first name
    held_out = {"de": 18, "fr": 20, "it": 19, "es": 20, "pl": 20}
    later = {"de": 19, "fr": 20, "it": 19, "es": 19, "pl": 18}  # held-out2, after dev5's phrases
    last = {"de": 3, "fr": 4, "it": 3, "es": 4, "pl": 3}  # held-out4, the thirty-ninth session's
    speak = {"de": 5, "fr": 5, "it": 5, "es": 5, "pl": 5}  # held-out7, then dev12's phrases
    teams = {"de": 3, "fr": 2, "it": 2, "es": 3, "pl": 2}  # held-out15: an organisation's people
    for language, least in held_out.items():
        dev = [
            row for row in rows if row["split"].startswith("dev") and row["language"] == language
        ]
        assert right["dev", language] == len(dev) - unread.get(language, 0), (language, right)
        assert right["held-out5", language] == 8, (language, right)
        assert right["held-out3", language] == 8, (language, right)
        assert right["held-out", language] >= least, (language, right)
        assert right["held-out2", language] >= later[language], (language, right)
        assert right["held-out4", language] >= last[language], (language, right)
        assert right["held-out6", language] == 6, (language, right)
        assert right["held-out7", language] >= speak[language], (language, right)
        assert right["held-out8", language] == 3, (language, right)  # 7 of 15 when scored
        assert right["held-out9", language] >= 1, (language, right)  # its mention
        assert right["held-out10", language] == 2, (language, right)  # an organisation handed
        assert right["held-out11", language] == 1, (language, right)  # put off, or not
        assert right["held-out12", language] == 1, (language, right)  # an organisation thanked
        assert right["held-out13", language] == (2 if language == "de" else 1), (language, right)
        assert right["held-out14", language] == 1, (language, right)  # the name after
        assert right["held-out15", language] >= teams[language], (language, right)
        assert right["held-out16", language] == 2, (language, right)  # a call's answer
        assert right["held-out17", language] == 3, (language, right)  # a cleft: 13 of 15 scored
        assert right["held-out19", language] == 5, (language, right)  # a trip: 20 of 25 scored
        assert right["held-out20", language] == 2, (language, right)  # a trip, or not
        assert right["held-out21", language] == 2, (language, right)  # a misheard first name
        assert right["held-out22", language] == 2, (language, right)  # "Und jetzt <name>."
        assert right["held-out23", language] == 2, (language, right)  # ", von <organisation>"
        assert right["held-out24", language] == 2, (language, right)  # "Danke, glenda napier."
    assert right["held-out18", "pl"] == 5, right  # Polish, after dev22's phrases
    for part in ("negative", "negative2", "negative3"):
        negatives = [row for row in rows if row["split"] == part]
        assert sum(right[part, x] for x in held_out) == len(negatives), (part, right)


@pytest.mark.parametrize(
    ("language", "said", "handed"),
    [
        ("de", "Wir beginnen mit Frau Napier vom Energy Cluster Denmark.", "Glenda Napier"),
        ("de", "Beginnen wir heute mit Glenda Napier.", "Glenda Napier"),
        ("de", "Den Anfang macht Carolina Garcés.", "Carolina Garcés"),
        ("de", "Als Nächstes spricht Frau Garcés aus Malmö.", "Carolina Garcés"),
        ("de", "Frau Napier, die sind dran.", "Glenda Napier"),  # Whisper's "die" for "Sie"
        ("de", "Mein Kollege Marek Przeor erklärt jetzt unser Projekt.", "Marek Przeor"),
        ("de", "Glenda Napier erklärt, warum das wichtig ist.", None),
        ("fr", "Nous commençons avec Madame Napier.", "Glenda Napier"),
        ("fr", "On commence par Carolina Garcés.", "Carolina Garcés"),
        ("it", "Iniziamo con la dottoressa Napier.", "Glenda Napier"),
        ("it", "Cominciamo da Carolina Garcés.", "Carolina Garcés"),
        ("it", "Sentiamo subito Glenda Napier.", "Glenda Napier"),
        ("it", "Infine diamo la parola a Carolina Garcés.", "Carolina Garcés"),
        ("it", "Infine diamo la parola Carolina Garcés.", "Carolina Garcés"),  # "a" unheard
        ("it", "Ora la parola Carolina Garcés, di Mobile Heights.", "Carolina Garcés"),  # the same
        ("it", "Glenda, a te.", "Glenda Napier"),
        ("it", "Glenda, a te piace il vento?", None),
        ("es", "Empezamos con la señora Napier.", "Glenda Napier"),
        ("es", "Pasamos ahora a Carolina Garcés, de Mobile Heights.", "Carolina Garcés"),
        ("es", "Vamos con Glenda Napier.", "Glenda Napier"),
        ("es", "Glenda, cuando quieres.", "Glenda Napier"),  # Whisper's "quieres" for "quieras"
        ("es", "Glenda, cuando quieres visitar Sevilla, avísanos.", None),
        ("pl", "Zaczniemy od pani Glendy Napier.", "Glenda Napier"),
        ("pl", "Zacznijmy od pana Marka Przeora.", "Marek Przeor"),
        ("pl", "Carolino, teraz ty.", "Carolina Garcés"),  # "now you"
        ("pl", "Glenda, teraz pani.", "Glenda Napier"),
        ("pl", "Teraz ty masz rację, Carolino.", None),
        ("de", "Wir beginnen mit einer kurzen Umfrage.", None),
        ("es", "Empezamos con una pregunta sobre energía.", None),
    ],
)
def test_a_host_starting_with_a_person_hands_them_the_floor(language, said, handed):
    """A German probe talk's host: "Wir beginnen mit Herrn Schneider vom Energiecluster
    Niedersachsen." named nobody ("let's start with …" had no phrase but in English), nor did
    "Als Nächstes spricht Frau Wolf …"; now a hand-off in each language — not "we start with a
    short poll". An Italian one's "Sentiamo subito Marco Bianchi.", "Giulia, a te." and
    "diamo la parola (a) Luca Ricci" and "Ora la parola (a) Luca Moretti" (Whisper dropped the
    "a") too, and a Spanish one's "Pasamos
    ahora a Javier Castro, …" and "Laura, cuando quieres." (heard for "quieras"); a Polish
    one's "Joanno, teraz ty." ("now you"); two German ones' "Frau Vogel, Sie sind dran."
    (heard "die sind dran") and "Mein Kollege Lukas Hofmann erklärt jetzt unser Projekt."."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Gern.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE, language=language)]
    assert found == ([("hand-off", 1, handed)] if handed else []), found


@pytest.mark.parametrize(
    ("language", "said", "introduces"),
    [
        ("en", "Carolina Garcés, and I work on internationalisation at Mobile Heights.", True),
        ("en", "Glenda Napier, I run Energy Cluster Denmark, which is a non-profit.", True),
        ("de", "Ja, hallo, Glenda Napier, ich leite Energy Cluster Denmark.", True),
        ("fr", "Oui, bonjour, Glenda Napier, je dirige Energy Cluster Denmark.", True),
        ("it", "Sì, buongiorno, Glenda Napier, dirigo Energy Cluster Denmark.", True),
        ("es", "Sí, hola, Glenda Napier, dirijo Energy Cluster Denmark.", True),
        ("pl", "Tak, dzień dobry, Glenda Napier, kieruję Energy Cluster Denmark.", True),
        ("en", "Glenda Napier, I lead the session today.", False),  # not her organisation
        ("en", "Glenda Napier, and I work with her at Energy Cluster Denmark, starts.", False),
    ],
)
def test_a_name_then_what_one_does_at_ones_organisation_introduces(language, said, introduces):
    """Phrasings written after every phrase, in all six languages: "Glenda Napier, je dirige
    Energy Cluster Denmark." — a name, then "I lead / run / work at" and one's own organisation
    (``introduction_role``), as "Glenda Napier, CEO of …" already did."""
    utts = [Utterance(0, 0.0, "Welcome."), Utterance(1, 2.0, said)]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE, language=language)]
    person = "Carolina Garcés" if "Carolina" in said else "Glenda Napier"
    assert (("self-introduction", 1, person) in found) is introduces, found


@pytest.mark.parametrize(
    ("said", "handed"),
    [
        ("Pani Glendo, zapraszam.", "Glenda Napier"),
        ("Panie Marku, zapraszamy do wystąpienia.", "Marek Przeor"),
        ("A teraz pani Carolina Garcés.", "Carolina Garcés"),
        ("Pani Glendo, zapraszam na kawę.", None),
    ],
)
def test_a_polish_host_inviting_a_person_by_name_hands_them_the_floor(said, handed):
    """A Polish probe talk's host: "Pani Magdaleno, zapraszam." (the vocative, then "I invite")
    and "A teraz pan Paweł Szymański, …" ("and now") — only "Zapraszam panią …" and "Teraz …"
    were read; not an invitation to something else ("… zapraszam na kawę")."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Dzień dobry.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE, language="pl")]
    assert found == ([("hand-off", 1, handed)] if handed else []), found


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Glenda, tell us about things at Energy Cluster Denmark."),
        ("de", "Glenda, erzählen Sie uns doch von Energy Cluster Denmark."),
        ("fr", "Carolina, parlez-nous de Mobile Heights."),
        ("it", "Carolina, raccontaci di Mobile Heights."),
        ("es", "Carolina, háblanos de Mobile Heights."),
        ("en", "Glenda, at Energy Cluster Denmark, how do you train people?"),
        ("en", "Carolina, Mobile Heights works with start-ups."),
        ("de", "Glenda, bei Energy Cluster Denmark arbeiten Sie mit Start-ups, oder?"),
        ("it", "Carolina, Mobile Heights lavora con le università?"),
    ],
)
def test_a_host_asking_a_guest_about_her_organisation_is_not_her(language, said):
    """A first name, a few words and her organisation ("Glenda, tell us about things at Energy
    Cluster Denmark") read like "Glenda Napier, CEO of Energy Cluster Denmark", and a first
    name and her organisation opening a question or a remark to her ("Glenda, at Energy
    Cluster Denmark, how do you …?", "Carolina, Mobile Heights works with …") like "Hi, Glenda,
    Energy Cluster Denmark.": the host was named after the guest she addressed. Now a role
    before the organisation counts only after a whole name, a question introduces nobody, and
    after a first name alone the organisation must end its clause."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Gladly.")]
    assert not [e for e in gather(utts, PEOPLE, language=language) if e.speaker == 0]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "So, Carolina Garcés from Mobile Heights, welcome."),
        ("en", "Glenda Napier, from Energy Cluster Denmark, welcome to the webinar."),
        ("en", "Glenda Napier from Energy Cluster Denmark, great to have you."),
        ("de", "Glenda Napier von Energy Cluster Denmark, herzlich willkommen!"),
        ("fr", "Carolina Garcés, de Mobile Heights, bienvenue !"),
        ("it", "Carolina Garcés di Mobile Heights, benvenuta."),
        ("es", "Glenda Napier, de Energy Cluster Denmark, bienvenida."),
    ],
)
def test_a_host_welcoming_a_guest_by_name_and_organisation_is_not_her(language, said):
    """A guest's whole name and organisation, then a welcome: the host greets her, she does not
    introduce herself ("Hi, Marek Przeor from the European Commission, good to see you all"
    still does: tests/data/naming_phrasings.tsv)."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Thank you.")]
    assert not [e for e in gather(utts, PEOPLE, language=language) if e.speaker == 0]


HOST_LINES = [
    "Before we start, a word about our speakers: Glenda Napier is the CEO of Energy Cluster Denmark.",
    "We are very lucky to have Carolina Garcés with us, who works at Mobile Heights.",
    "Glenda Napier has led Energy Cluster Denmark since 2019.",
    "Carolina Garcés, Mobile Heights, and Glenda Napier, Energy Cluster Denmark, join us later.",
    "Glenda Napier from Energy Cluster Denmark and Carolina Garcés from Mobile Heights.",
    "Let me remind you that Glenda Napier from Energy Cluster Denmark will present after the break.",
    "Carolina Garcés, project manager at Mobile Heights, wrote the report we discussed.",
    "Glenda Napier, CEO of Energy Cluster Denmark, leads a cluster of 300 members.",
    "I am Marek Przeor, and I will moderate today together with Carolina Garcés.",
    "Thanks to the work of Glenda Napier, the cluster doubled in size.",
]


@pytest.mark.parametrize("said", HOST_LINES)
def test_a_host_speaking_of_the_guests_is_none_of_them(said):
    """A host lists the guests with their organisations, or says what one of them does ("…,
    project manager at Mobile Heights, wrote the report"): no guest's name for the host (three
    of these named the host after the guest before: a list, and a name, role and organisation
    followed by a verb of the third person, read by spaCy)."""
    utts = [Utterance(0, 0.0, "Hello all."), Utterance(1, 3.0, said), Utterance(2, 6.0, "Yes.")]
    found = gather(utts, PEOPLE)
    assert not [e for e in found if e.kind == "self-introduction" and e.person != "Marek Przeor"]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Hi everyone, it's Glenda who will start today."),
        ("en", "Hi everyone, it's Glenda Napier who will start today."),
        ("en", "Glenda Napier, CEO of Energy Cluster Denmark, thank you for being with us."),
        ("fr", "Bonjour à tous, c'est Glenda qui commence."),
        ("it", "Qui è Glenda Napier che parla di energia."),
    ],
)
def test_a_name_followed_by_who_is_someone_else_speaking_of_her(language, said):
    """A name and then "who" — "It's Glenda *who* will start", "c'est Glenda *qui* commence",
    "qui è Glenda Napier *che* parla …": the host speaks of a guest (``relatives:`` per language; not in German,
    where "die"/"der" after a name is as often one's own apposition); and a whole name,
    organisation and "thank you for being with us" is the host's welcome."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Thank you.")]
    found = gather(utts, PEOPLE, language=language)
    assert not [e for e in found if e.kind == "self-introduction" and e.speaker == 0]


@pytest.mark.parametrize(
    ("language", "host", "guest"),
    [
        (
            "en",
            "Welcome. And this is Glenda Napier with the green side.",
            "Thanks. I am Glenda Napier.",
        ),
        (
            "fr",
            "Bienvenue. Nous avons ici Glenda Napier, d'Energy Cluster Denmark.",
            "Merci. Je suis Glenda Napier.",
        ),
    ],
)
def test_a_presentation_answered_by_the_next_voice_introducing_herself_is_a_guest(
    language, host, guest
):
    """A host who never gave her own name presents a guest ("And this is Glenda Napier …",
    "Nous avons ici Glenda Napier …") and the next voice says "I am Glenda Napier": before, the
    presentation counted as the host's own, so the host was named Glenda and Glenda stayed
    anonymous; now it hands the floor to the next voice."""
    said = [Utterance(0, 0.0, host), Utterance(1, 6.0, guest), Utterance(0, 12.0, "Thank you.")]
    names, _ = name_speakers(said, PEOPLE, 2, language=language)
    assert {k: v[0].name for k, v in names.items()} == {1: "Glenda Napier"}


def test_a_host_who_gave_her_name_earlier_presents_the_guests_with_this_is():
    """A voice that said "I am Marek Przeor" in an earlier turn and now "And this is Glenda
    Napier …" presents a guest: before, only the same turn counted, so the host had three names of
    her own, stayed anonymous, and the guests got nothing; now the host is named and each
    presentation hands the floor to the next voice."""
    said = [
        Utterance(0, 0.0, "Hello everyone, I am Marek Przeor from DG GROW, welcome."),
        Utterance(1, 5.0, "Hello, happy to be here."),
        Utterance(0, 9.0, "And this is Glenda Napier with the green side of things."),
        Utterance(2, 14.0, "Good morning, clusters are key for the green transition."),
        Utterance(0, 20.0, "Now this is Carolina Garcés, from Sweden."),
        Utterance(1, 24.0, "Good morning to all of you."),
    ]
    found = {(e.kind, e.speaker, e.person) for e in gather(said, PEOPLE)}
    assert ("hand-off", 2, "Glenda Napier") in found
    assert ("hand-off", 1, "Carolina Garcés") in found
    assert not [x for x in found if x[0] == "self-introduction" and x[2] != "Marek Przeor"]
    names, _ = name_speakers(said, PEOPLE, 3)
    assert names[0][0].name == "Marek Przeor"


def test_evidence_too_weak_to_name_is_shown_to_the_reviewer():
    """A guest handed the floor by name but never thanked by name nor introduced stays
    anonymous (one hand-off is not enough), and the reviewer is told whom the words point to,
    where, and the line of review.yaml that names them; not when that person is someone
    else's name already."""
    utts = [
        Utterance(0, 0.0, "Welcome. I am Marek Przeor."),
        Utterance(0, 3.0, "And finally, Glenda Napier, chief executive of Energy Cluster Denmark."),
        Utterance(1, 66.0, "Thank you. Our members build wind farms."),
        Utterance(0, 70.0, "Thank you all. Goodbye."),
    ]

    def table_of(said, count):
        names, evidence = name_speakers(said, PEOPLE, count)
        table = _table(said, names, evidence)
        mark_leads(table)
        return table

    table = table_of(utts, 2)
    assert [s.label for s in table] == ["Marek Przeor", "Speaker 2"]
    assert table[0].notes == [] and len(table[1].notes) == 1
    note = str(table[1].notes[0])
    assert note.startswith("the words point to Glenda Napier (hand-off")
    assert "(00:00:03)" in note and "“S2: Glenda Napier” under speakers: in review.yaml" in note
    table = table_of([*utts, Utterance(2, 80.0, "Hello, I am Glenda Napier.")], 3)
    assert table[1].name is None and table[1].notes == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Thank you, Glenda, the floor is yours."),
        ("en", "Thanks Glenda, please go ahead."),
        ("de", "Danke, Glenda, Sie haben das Wort."),
        ("fr", "Merci, Glenda, vous avez la parole."),
        ("es", "Gracias, Glenda, tienes la palabra."),
        ("it", "Grazie, Glenda, a te la parola."),
        ("pl", "Dziękuję, Glenda, oddaję ci głos."),
    ],
)
def test_thanking_the_one_handed_the_floor_is_no_thanks_to_the_voice_before(language, said):
    """A host thanking the person she hands the floor to, in the same sentence, welcomes the
    next voice: that is a hand-off, not thanks for the voice before (which gave both voices the
    same name). Thanking someone else there still counts."""
    utts = [Utterance(1, 0.0, "Hello."), Utterance(0, 3.0, said), Utterance(2, 6.0, "Hello.")]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE, language=language)]
    assert found == [("hand-off", 2, "Glenda Napier")]
    assert [(x.handoff, x.thanks) for x in said_of(utts, PEOPLE, NameParams(), language)] == [
        (None, None),
        (0, None),
        (None, None),
    ]
    other = [*utts[:1], Utterance(0, 3.0, "Thank you, Carolina, and now over to Glenda.")]
    found = {(e.kind, e.speaker, e.person) for e in gather([*other, utts[2]], PEOPLE)}
    assert found == {("hand-off", 2, "Glenda Napier"), ("thanks", 1, "Carolina Garcés")}


@pytest.mark.parametrize(
    ("host", "guest", "named"),
    [
        # a colleague standing in, who gives their own name and the absent guest's organisation
        ("Next, please.", "Hello, my name is Marc Dubois and I work at Vitagora.", None),
        # … even when the host did not know and handed the floor to the one on the page
        ("Chloé, please go ahead.", "Hello, my name is Marc Dubois and I work at Vitagora.", None),
        # an organisation alone is no reason to name by elimination
        ("Next, please.", "Hello, I am from Vitagora.", None),
        # with a hand-off to her, it is (the only one left)
        ("Chloé, please go ahead.", "Hello, I am from Vitagora.", "Chloé Petit"),
        # her own name misheard is still hers ("Chloe Pettit", 92 against Chloé Petit)
        ("Next, please.", "Hello, my name is Chloe Pettit from Vitagora.", "Chloé Petit"),
    ],
)
def test_a_colleague_standing_in_is_not_named_as_the_absent_guest(host, guest, named):
    """A guest on the event page cannot come and a colleague from her organisation presents:
    "My name is Marc Dubois and I work at Vitagora." gave the voice her organisation (0.5) and,
    she being the only one left, her name by elimination. A name given that is no listed one and
    far from hers (under 50, ``stranger_match``) makes the organisation his, and such a voice is
    never named by elimination; nor is one only an organisation ties to her (docs/speakers.md's rule:
    at least a hand-off or a thanks)."""
    people = [
        Speaker(name="Ines Moreau", org="European Cluster Collaboration Platform"),
        Speaker(name="Lars Henriksen", org="Agro Food Park"),
        Speaker(name="Chloé Petit", org="Vitagora"),
    ]
    utts = [
        Utterance(0, 0.0, "Welcome, I'm Ines Moreau. Lars, over to you."),
        Utterance(1, 6.0, "Thanks. I'm Lars Henriksen from Agro Food Park. We save energy."),
        Utterance(0, 15.0, f"Thank you, Lars. {host}"),
        Utterance(2, 18.0, f"{guest} We use data."),
        Utterance(0, 30.0, "Thank you all."),
    ]
    names, _ = name_speakers(utts, people, 3)
    assert names[0][0].name == "Ines Moreau" and names[1][0].name == "Lars Henriksen"
    assert (names[2][0].name if 2 in names else None) == named


@pytest.mark.parametrize(
    "said",
    [
        "I am Glenda Napier's deputy.",
        "I'm Carolina Garcés's colleague.",
        "Over to Glenda Napier's deputy, Tom.",
        "i'm glenda napier's deputy.",
    ],
)
def test_a_listed_name_said_as_a_possessive_is_nobody(said):
    """ "I am Glenda Napier's deputy." introduced Glenda: the capitalised name refuses a
    possessive, but the reading that takes a whole listed name in any case (for names Whisper
    writes in lower case) did not. The name itself still reads, in any case."""
    utts = [Utterance(0, 0.0, "Welcome."), Utterance(1, 3.0, said), Utterance(2, 6.0, "Hello.")]
    assert [e.kind for e in gather(utts, PEOPLE)] in ([], ["organisation"])
    own = said.replace("'s deputy", "").replace("'s colleague", "").replace(" deputy, Tom", "")
    kinds = {e.kind for e in gather([*utts[:1], Utterance(1, 3.0, own), utts[2]], PEOPLE)}
    assert kinds & {"self-introduction", "hand-off"}, own


@pytest.mark.parametrize(
    ("language", "said", "heard"),
    [
        ("de", "Mein Name ist Jonas Richter, ich vertrete heute meine Kollegin.", "Jonas Richter"),
        ("it", "Mi chiamo Paolo Rossi e sostituisco la mia collega.", "Paolo Rossi"),
        ("es", "Me llamo Paolo Rossi y sustituyo a mi compañera.", "Paolo Rossi"),
        ("pl", "Nazywam się Jan Kowalski i zastępuję koleżankę.", "Jan Kowalski"),
        ("de", "Mein Name ist Projektleiterin beim Kunststoff-Cluster.", None),
        ("de", "Mein Name ist Sabine Lang.", None),
    ],
)
def test_a_name_not_on_the_page_is_heard_without_a_spacy_pipeline(language, said, heard):
    """German, Italian, Spanish and Polish have no packaged spaCy pipeline, so a name given that
    is not on the event page was never kept — and a colleague standing in ("Mein Name ist Jonas
    Richter, ich vertrete heute meine Kollegin Sabine Lang vom Kunststoff-Cluster.") gave his
    voice her organisation. Two words or more after a phrase always followed by one's own name
    ("Mein Name ist", "Mi chiamo") are a name now; one word is not, nor a listed name."""
    people = [Speaker(name="Sabine Lang", org="Kunststoff-Cluster")]
    utts = [Utterance(0, 0.0, said)]
    assert heard_names(utts, people, NameParams(), language) == ({0: (heard, 0.0)} if heard else {})


def test_a_stand_in_in_german_is_not_named_as_the_absent_guest():
    """The German probe talk's stand-in, written out: his organisation is no evidence for the
    absent guest, and his voice is not named after her by elimination."""
    people = [
        Speaker(name="Julia Becker", org="Cluster Nanotechnologie"),
        Speaker(name="Thomas Krüger", org="Logistiknetzwerk Ruhr"),
        Speaker(name="Sabine Lang", org="Kunststoff-Cluster"),
    ]
    utts = [
        Utterance(0, 0.0, "Willkommen, mein Name ist Julia Becker. Herr Krüger, bitte."),
        Utterance(1, 6.0, "Danke. Mein Name ist Thomas Krüger. Wir bauen Lager."),
        Utterance(0, 15.0, "Danke schön. Bitte, weiter."),
        Utterance(
            2,
            18.0,
            "Danke. Mein Name ist Jonas Richter, ich vertrete heute meine Kollegin Sabine Lang "
            "vom Kunststoff-Cluster.",
        ),
        Utterance(0, 30.0, "Tschüss."),
    ]
    names, evidence = name_speakers(utts, people, 3, language="de")
    assert {k: v[0].name for k, v in names.items()} == {0: "Julia Becker", 1: "Thomas Krüger"}
    assert not [e for e in evidence if e.speaker == 2]


def test_a_voice_the_words_give_two_people_equally_stays_anonymous():
    """Two guests in one voice, neither introducing themself: each handed the floor and thanked
    by name (1.1 each). Half the voice's evidence for each was enough to name it after whichever
    came first in the list — a coin toss; now it stays anonymous, and the reviewer is told
    whom the words point to, equally. One more piece of evidence for one of them names it."""
    utts = [
        Utterance(0, 0.0, "Welcome. I am Marek Przeor. Glenda, over to you."),
        Utterance(1, 5.0, "Our members build wind farms."),
        Utterance(0, 20.0, "Thank you, Glenda. Carolina, please go ahead."),
        Utterance(1, 25.0, "We train people in digital skills."),
        Utterance(0, 40.0, "Thank you, Carolina. Goodbye."),
    ]
    names, evidence = name_speakers(utts, PEOPLE, 2)
    assert {k: v[0].name for k, v in names.items()} == {0: "Marek Przeor"}
    table = _table(utts, names, evidence)
    mark_leads(table)
    [note] = map(str, table[1].notes)
    assert note.startswith("the words point to Glenda Napier (hand-off") and " equally" in note
    assert "Carolina Garcés (hand-off" in note and "“S2: NAME”" in note
    more = [*utts[:3], Utterance(1, 25.0, "I'm Carolina Garcés."), *utts[3:]]
    names, _ = name_speakers(more, PEOPLE, 2)
    assert names[1][0].name == "Carolina Garcés"


def test_a_name_given_that_is_not_on_the_event_page_is_kept_as_heard():
    """Someone not on the event page who says who they are is not named after it (the page is
    the list), but the name is kept for the reviewer; words after "I am" that spaCy does not
    read as a person's name are not kept, nor is a listed person's."""
    utts = [
        Utterance(0, 0.0, "Welcome. I am Marek Przeor."),
        Utterance(1, 5.0, "Hi, my name is Peter Hansen, and I have a question."),
        Utterance(2, 9.0, "I am Project Manager at Mobile Heights."),
        Utterance(3, 12.0, "I am Digital Europe Programme Support."),
        Utterance(4, 15.0, "Hello, I'm Anna Maria Rossi from Torino."),
        Utterance(4, 18.0, "I'm Anna Rossi, as I said."),
    ]
    heard = heard_names(utts, PEOPLE, NameParams())
    assert heard == {1: ("Peter Hansen", 5.0), 4: ("Anna Maria Rossi", 15.0)}
    names, evidence = name_speakers(utts, PEOPLE, 5)
    assert set(names) == {0}
    # the speaker table keeps it for the reviewer: the name, and the line for review.yaml
    table = _table(utts, names, evidence)
    mark_heard(table, heard)
    assert [(s.label, s.heard_as) for s in table] == [
        ("Marek Przeor", ""),
        ("Speaker 2", "Peter Hansen"),
        ("Speaker 3", ""),
        ("Speaker 4", ""),
        ("Speaker 5", "Anna Maria Rossi"),
    ]
    note = str(table[1].notes[0])
    assert "“S2: Peter Hansen” under speakers: in review.yaml" in note and "(00:00:05)" in note
    # in French by its packaged pipeline; in German there is none, so nothing is kept
    said = [Utterance(0, 2.0, "Bonjour à tous, je suis Jean Dupont, de Cap Digital.")]
    assert heard_names(said, PEOPLE, NameParams(), "fr") == {0: ("Jean Dupont", 2.0)}
    said = [Utterance(0, 2.0, "Guten Tag, ich bin Jan Schmidt vom Cluster Sachsen.")]
    assert heard_names(said, PEOPLE, NameParams(), "de") == {}


def test_a_first_name_given_after_my_name_is_is_a_hint_for_the_reviewer_only():
    """ "My name is Erik." gives a first name, and the reviewer's note keeps it; "I'm Danish"
    and "I am Frank with you" (spaCy reads persons) do not; "I'm Sheila" alone is no hint.
    A first name alone is no evidence about the voices (``unlisted`` splits clusters on names
    of two words)."""
    utts = [
        Utterance(0, 0.0, "Welcome. I am Marek Przeor."),
        Utterance(1, 5.0, "My name is Erik, and I'm standing in for Carolina."),
        Utterance(2, 9.0, "I'm Danish, so I know the wind business."),
        Utterance(3, 12.0, "I am Frank with you: it was hard."),
        Utterance(4, 15.0, "And I'm Sheila, originally from Chicago."),
    ]
    hints = heard_names(utts, PEOPLE, NameParams(), first_names=True)
    assert hints == {1: ("Erik", 5.0)}
    assert heard_names(utts, PEOPLE, NameParams()) == {}
    segments = [Segment(i, u.start, u.start + 3, u.text) for i, u in enumerate(utts)]
    assert (
        unlisted(Transcript("en", 1.0, 20.0, "test", "test", segments), PEOPLE, NameParams()) == []
    )


def test_names_with_an_apostrophe_are_still_names():
    people = [*PEOPLE, Speaker(name="Siobhán O'Brien")]
    utts = [Utterance(0, 0.0, "Hello, I am Siobhán O'Brien.")]
    assert [e.person for e in gather(utts, people)] == ["Siobhán O'Brien"]


@pytest.mark.parametrize(
    ("language", "said", "kind"),
    [
        ("en", "Thank you, Mr. Przeor.", "thanks"),
        ("en", "Thank you very much, Professor Przeor.", "thanks"),
        ("en", "Dr Przeor, the floor is yours.", "hand-off"),
        ("de", "Vielen Dank, Herr Przeor.", "thanks"),
        ("de", "Herr Przeor, Sie haben das Wort.", "hand-off"),
        ("fr", "Merci, Monsieur Przeor.", "thanks"),
        ("es", "Muchas gracias, señor Przeor.", "thanks"),
        ("de", "Ja, vielen Dank, Herr Przeor.", "thanks"),
        ("fr", "Oui, merci beaucoup, Marek.", "thanks"),
        ("es", "Bueno, muchas gracias, Marek.", "thanks"),
        ("it", "Allora, grazie mille, Marek.", "thanks"),
        ("pl", "Dobrze, dziękuję bardzo, panie Marku.", "thanks"),
        ("de", "Das Wort hat jetzt Marek Przeor.", "hand-off"),
        ("de", "Ich übergebe nun an Herrn Przeor.", "hand-off"),
        ("fr", "Je passe maintenant la parole à Marek.", "hand-off"),
        ("it", "Passo ora la parola a Marek.", "hand-off"),
        ("es", "Le doy ahora la palabra a Marek.", "hand-off"),
        ("pl", "Głos ma teraz Marek Przeor.", "hand-off"),
    ],
)
def test_titles_and_openers_around_a_name_in_each_language(language, said, kind):
    """A title ("Herr", "Mr.", a list per language) is read past: "Herr Przeor" is Marek
    Przeor; so is an opener before thanks ("Ja, vielen Dank, …") and a "now" between the
    hand-off and the name ("Das Wort hat jetzt …", said so in the German demo)."""
    utts = [Utterance(1, 0.0, "Hallo."), Utterance(0, 3.0, said), Utterance(1, 6.0, "Hallo.")]
    assert [(e.kind, e.person) for e in gather(utts, PEOPLE, language=language)] == [
        (kind, "Marek Przeor")
    ]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("es", "Tiene la palabra el señor Przeor."),
        ("es", "Y ahora, la señora Napier, adelante."),
        ("it", "Ascoltiamo il dottor Przeor."),
        ("fr", "Écoutons maintenant le docteur Przeor."),
        ("it", "Passo la parola alla dottoressa Napier."),
        ("it", "Tocca al professor Przeor."),
        ("es", "Le doy la palabra al señor Przeor."),
        ("fr", "Je passe la parole au docteur Przeor."),
    ],
)
def test_a_title_with_its_article_before_a_name_hands_over(language, said):
    """A Spanish probe talk's "Tiene la palabra el señor García." handed the floor to nobody:
    the article before the title kept the name from being read — as did the article joined to
    "a" / "à" ("alla dottoressa", "al señor", "au docteur")."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 4.0, "Hola.")]
    found = [(e.kind, e.speaker) for e in gather(utts, PEOPLE, language=language)]
    assert found == [("hand-off", 1)]


@pytest.mark.parametrize(
    ("language", "said", "handed"),
    [
        ("de", "Und zum Schluss, Marek Przeor, Leiter des Referats bei der GD GROW.", True),
        ("de", "Zum Schluss, Marek Przeor hat die Zahlen gezeigt.", False),
        ("fr", "Et enfin, Marek Przeor, chef d'unité à la DG GROW.", True),
        ("fr", "Enfin, Marek Przeor a montré les chiffres.", False),
        ("it", "E infine, Marek Przeor, responsabile della politica dei cluster.", True),
        ("it", "Infine, Marek Przeor ha mostrato i dati.", False),
        ("es", "Y por último, Marek Przeor, jefe de unidad en la DG GROW.", True),
        ("es", "Por último, Marek Przeor presentó las cifras.", False),
        ("pl", "Na koniec Marek Przeor, kierownik zespołu w DG GROW.", True),
        ("pl", "Na koniec Marek Przeor pokazał dane.", False),
    ],
)
def test_a_name_announced_with_who_they_are_hands_them_the_floor(language, said, handed):
    """ "And finally, NAME, ROLE of ORG." hands NAME the floor in each language; the same
    opening before a sentence about NAME hands nobody anything."""
    utts = [Utterance(1, 0.0, "Hallo."), Utterance(0, 3.0, said), Utterance(1, 6.0, "Hallo.")]
    found = [(e.kind, e.person) for e in gather(utts, PEOPLE, language=language)]
    assert found == ([("hand-off", "Marek Przeor")] if handed else [])


@pytest.mark.parametrize(
    "said",
    [
        "As Glenda said earlier, clusters need skills.",
        "Carolina and her team built a test bed.",
        "We visited Glenda in Denmark last spring.",
        "That's a great point, Glenda.",
        "In Sweden, Carolina, we have the same problem.",
        "We moved our production over to Sweden.",
        "We will bring in new members next year.",
        "The second speaker is not here yet.",
        "Thank you for joining us today, Carolina.",
        "I'll ask Glenda about that later.",
        "Thank you for the kind words about Glenda Napier.",
        "Hi, it's great to have Carolina with us.",
        "Thanks to Glenda, we found the funding.",
        "I'll leave it there, Glenda.",
        "Glenda Napier, Energy Cluster Denmark, is our first speaker.",
        "Hello, Glenda Napier from Energy Cluster Denmark joins us today.",
        "We worked with Glenda Napier from Energy Cluster Denmark last year.",
        "Good morning, Glenda Napier from Mobile Heights.",
        "Good morning, Glenda Napier from Energyhub.",
        "We would like to welcome Glenda Napier to our network.",
        "Glenda Napier from the European Commission visited us.",
        "Glenda is next year's chair of the network.",
        "Glenda is next to me in the studio.",
        "Glenda will present the results next month.",
        "It's Glenda's presentation that convinced us.",
        "Let's start with Glenda's question.",
        "Glenda Napier, our guest from Energy Cluster Denmark.",
        "Glenda Napier, CEO of Energy Cluster Denmark, will open the session.",
        "Glenda Napier, head of the board at Mobile Heights.",
        "Finally, Glenda Napier showed how clusters cut emissions.",
        "And finally, Glenda Napier, our members want more.",
        "Next, Glenda will send the slides.",
        "Next is Glenda's question about funding.",
        "What comes next is Glenda Napier's new strategy.",
        "Glenda, you can take the slides from our website.",
    ],
)
def test_a_name_said_in_passing_is_no_evidence(said):
    """A listed person mentioned, praised or addressed in passing is handed nothing, thanked for
    nothing and introduces nobody (checked after the phrases of 2026-12-03 were added)."""
    utts = [Utterance(0, 0.0, "We build wind farms."), Utterance(1, 3.0, said)]
    utts.append(Utterance(0, 6.0, "Yes, indeed."))
    assert gather(utts, [*PEOPLE, Speaker(name="Susana Remotti")]) == []


@pytest.mark.parametrize(
    "said", ["Carolina, the next part is yours.", "Carolina, the next ten minutes are yours."]
)
def test_a_part_of_the_programme_given_to_a_person_hands_them_the_floor(said):
    """A probe talk's "Pioneer, the next part is yours." handed nobody the floor and was a
    takeaway of the host's; "the floor / stage is yours" were the only such phrases."""
    utts = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Thank you.")]
    assert [(e.kind, e.speaker, e.person) for e in gather(utts, PEOPLE)] == [
        ("hand-off", 1, "Carolina Garcés")
    ]
    assert function(said) == "handoff"


def test_greeting_a_guest_by_name_before_she_speaks_thanks_nobody():
    """ "Carolina, thank you for joining us." welcomes her; the voice before is not Carolina —
    nor after "Thanks Carolina for joining us." (``thanks_welcome``)."""
    utts = [
        Utterance(1, 0.0, "Good morning, everyone."),
        Utterance(0, 3.0, "Carolina, thank you for joining us today."),
    ]
    assert not [e for e in gather(utts, PEOPLE) if e.kind == "thanks"]
    for said in (
        "Thanks Carolina for joining us.",
        "A big thank you to Carolina, who will now present.",
    ):
        utts[1] = Utterance(0, 3.0, said)
        assert not [e for e in gather(utts, PEOPLE) if e.kind == "thanks"], said


def test_welcoming_people_by_name_hands_nobody_the_floor():
    """An opening that welcomes the panel names people before any of them speaks."""
    utts = [
        Utterance(0, 0.0, "I would like to welcome Glenda Napier and Carolina Garcés."),
        Utterance(1, 5.0, "Hello, and good morning."),
    ]
    assert gather(utts, PEOPLE) == []
    programme = (
        "First, Glenda Napier will present her cluster, then Carolina will talk about skills."
    )
    assert gather([Utterance(0, 0.0, programme), utts[1]], PEOPLE) == []
    # a name alone asked hands over ("Glenda?"), a question word alone does not
    assert function("What?") == "question" and function("Glenda?") == "handoff"


def test_no_evidence_means_no_names():
    utts = [Utterance(0, 0.0, "Good morning."), Utterance(1, 3.0, "How can clusters get funding?")]
    assert name_speakers(utts, PEOPLE, 2) == ({}, [])


def test_names_not_on_the_list_are_ignored():
    utts = [Utterance(0, 0.0, "I'm Ursula Vogt from the Bavarian Space Cluster.")]
    assert name_speakers(utts, PEOPLE, 1)[0] == {}


def test_one_name_goes_to_one_speaker():
    utts = [
        Utterance(0, 0.0, "I am Glenda Napier."),
        Utterance(1, 4.0, "I'm Glenda Napier too, ha."),
    ]
    names, evidence = name_speakers(utts, PEOPLE, 2)
    assert len(evidence) == 2 and len(names) == 1


def test_lowercase_words_after_i_am_are_not_names():
    assert gather([Utterance(0, 0.0, "I am the CEO and I am happy to be here.")], PEOPLE) == []


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("Merci. Je suis nicola Lefèvre, Cap Digital Lyon.", "fr"),  # Whisper, on this machine
        ("Hi everyone, i'm glenda napier from Energy Cluster Denmark.", "en"),
    ],
)
def test_a_full_name_written_in_lower_case_after_an_introduction_names(said, language):
    """Whisper writes an unfamiliar name in lower case at times; after an introduction phrase
    the whole listed name, fuzzily, still names the speaker (before: the French demo's third
    guest stayed anonymous). A first name alone in lower case does not ("I am glad", below)."""
    people = [*PEOPLE, Speaker(name="Nicolas Lefèvre", org="Cap Digital Lyon")]
    names, evidence = name_speakers([Utterance(0, 0.0, said)], people, 1, language=language)
    assert names[0][0].name in ("Nicolas Lefèvre", "Glenda Napier")
    assert "self-introduction" in {e.kind for e in evidence}
    for text in ("I am glad to be here with Glenda.", "I'm glenda, hello."):
        assert gather([Utterance(0, 0.0, text)], people) == []
    assert gather([Utterance(0, 0.0, "Je suis ravie d'être là.")], people, language="fr") == []


def _words(spec: list[tuple[float, float, str]]) -> list[Word]:
    return [Word(s, e, f" {w}", 0.9) for s, e, w in spec]


def _sentences(words: list[Word], *cuts: int) -> list[Segment]:
    """The words as segments, cut before each index of ``cuts`` (as the transcribe stage cuts
    sentences)."""
    bounds = [0, *cuts, len(words)]
    parts = [words[a:b] for a, b in itertools.pairwise(bounds)]
    return [
        Segment(i, part[0].start, part[-1].end, " ".join(w.word.strip() for w in part), part)
        for i, part in enumerate(parts)
    ]


def test_one_word_flicker_does_not_split_a_sentence_but_a_real_change_does():
    words = _words(
        [
            (0, 0.5, "We"),
            (0.5, 1.0, "build"),
            (1.0, 1.3, "green"),
            (1.3, 2.0, "hydrogen."),
            (2.2, 2.6, "Thank"),
            (2.6, 3.0, "you"),
            (3.0, 3.5, "very"),
            (3.5, 4.0, "much."),
        ]
    )
    seg = Segment(0, 0.0, 4.0, "x", words)
    turns = [Turn(0.0, 0.95, 0), Turn(0.95, 1.35, 1), Turn(1.35, 2.1, 0), Turn(2.1, 4.0, 1)]
    pieces = attribute([seg], turns)
    assert [(p.text, spk) for p, spk in pieces] == [
        ("We build green hydrogen.", 0),
        ("Thank you very much.", 1),
    ]
    assert [p.id for p, _ in pieces] == [0, 1] and pieces[1][0].start == 2.2


def test_a_turn_edge_a_word_or_two_inside_a_sentence_moves_to_the_sentence_edge():
    """The host's "So to sum up, …" with "So to" inside the guest's turn (its end heard late),
    and the guest's last word inside the host's: the change of speaker moves to the sentence's
    edge — before, the transcript gave "So to" to the guest and the host's point read "Sum up,
    …". A short sentence of its own ("Yes, exactly.") keeps its speaker; two words each side
    of a change stay split."""
    words = _words(
        [
            (0.0, 0.4, "Most"),
            (0.4, 0.8, "courses"),
            (0.8, 1.2, "are"),
            (1.2, 1.6, "free."),
            (1.6, 1.8, "Yes,"),
            (1.8, 2.0, "exactly."),
            (2.3, 2.5, "So"),
            (2.5, 2.7, "to"),
            (2.7, 3.0, "sum"),
            (3.0, 3.3, "up,"),
            (3.3, 3.6, "skills"),
            (3.6, 3.9, "matter."),
        ]
    )
    sentences = _sentences(words, 4, 6)
    turns = [Turn(0.0, 1.55, 0), Turn(1.6, 2.05, 2), Turn(2.1, 2.72, 0), Turn(2.72, 3.9, 1)]
    expected = [
        ("Most courses are free.", 0),
        ("Yes, exactly.", 2),
        ("So to sum up, skills matter.", 1),
    ]
    assert [(p.text, spk) for p, spk in attribute(sentences, turns)] == expected
    # sentences inside one segment (an engine's window) are read alike
    host_late = [Turn(0.0, 2.72, 0), Turn(2.72, 3.9, 1)]
    one = [Segment(0, 0.0, 3.9, "x", [*words[:4], *words[6:]])]
    assert [(p.text, spk) for p, spk in attribute(one, host_late)] == [expected[0], expected[2]]
    # the guest's last word heard in the host's turn
    early = [Turn(0.0, 1.3, 0), Turn(1.3, 3.9, 1)]
    assert [(p.text, spk) for p, spk in attribute(one, early)] == [expected[0], expected[2]]
    two_and_two = [Turn(0.0, 0.8, 0), Turn(0.8, 3.9, 1)]
    assert attribute(one, two_and_two)[0][0].text == "Most courses"


def test_a_two_word_sentence_cut_in_half_goes_to_the_turn_it_borders_closest():
    """A probe talk: the guest's "Thank you." after a 0.8-s pause, "Thank" inside the host's
    turn (its end heard late), "you." in hers: the sentence split one word each, so the host's
    hand-off was followed by "Thank" in his own voice and read as no evidence. Now the whole
    sentence goes to the voice on the side of the shorter pause: after a pause before it, the
    later voice; before a pause after it, the earlier one (the host's own "Thank you." ending
    his turn)."""
    words = _words(
        [(0.0, 1.5, "Yours."), (2.3, 2.7, "Thank"), (2.7, 3.0, "you."), (3.3, 4.0, "I'm")]
    )
    turns = [Turn(0.0, 2.72, 0), Turn(2.72, 4.0, 1)]
    assert [(p.text, spk) for p, spk in attribute(_sentences(words, 1, 3), turns)][1] == (
        "Thank you.",
        1,
    )
    ending = _words(
        [(0.0, 1.5, "Yours."), (1.6, 2.0, "Thank"), (2.0, 2.3, "you."), (3.3, 4.0, "I'm")]
    )
    early = [Turn(0.0, 2.05, 0), Turn(2.05, 4.0, 1)]
    assert [(p.text, spk) for p, spk in attribute(_sentences(ending, 1, 3), early)][1] == (
        "Thank you.",
        0,
    )


def test_words_outside_any_turn_take_the_nearest_speaker():
    seg = Segment(0, 5.0, 6.0, "late words", _words([(5.0, 5.5, "late"), (5.5, 6.0, "words")]))
    pieces = attribute([seg], [Turn(0.0, 2.0, 0), Turn(2.5, 4.8, 1)])
    assert [spk for _, spk in pieces] == [1]


def _talk(lines: list[tuple[float, str]]) -> Transcript:
    """A transcript of one sentence per line (start, text), its words evenly in 4 s."""
    segments = []
    for i, (start, text) in enumerate(lines):
        words = text.split()
        step = 4.0 / len(words)
        timed = [(start + k * step, start + (k + 1) * step, w) for k, w in enumerate(words)]
        segments.append(Segment(i, start, start + 4.0, text, _words(timed)))
    return Transcript("en", 1.0, lines[-1][0] + 4.0, "test", "test", segments)


def test_a_hand_off_to_the_voice_that_introduced_itself_as_that_person_is_no_evidence():
    """Nobody hands the floor to themself: on a probe talk Whisper heard the host's "It is now
    time for Amaia Etxeberria to present." as "It is our time for Marek Przeor to present." —
    his own name, from the prompt. That hand-off joined the guest's voice (0.26 from his) to
    the host's and named her turn Marek; now it joins nothing and names nobody, and the
    guest is named by the thanks after her turn, the only listed person left."""
    lines = [
        (0.0, "Good morning, I am Marek Przeor from DG GROW."),
        (5.0, "It is our time for Marek Przeor to present."),
        (10.0, "Hello everyone, we build district heating in Denmark."),
        (15.0, "Thanks, Glenda. That is all for today."),
    ]
    turns = [Turn(0.0, 9.0, 0), Turn(10.0, 14.0, 1), Turn(15.0, 19.0, 0)]
    host, guest = np.eye(192, dtype=np.float32)[:2]
    near = (host + 0.9 * guest) / np.linalg.norm(host + 0.9 * guest)  # cosine distance 0.26
    voices = np.stack([host, near, host])
    people = _listed("Marek Przeor", "Glenda Napier")
    resolution, _ = resolve(_talk(lines), Diarization(turns, False, voices), people, NameParams())
    assert not resolution.joins and [t.speaker for t in resolution.turns] == [0, 1, 0]
    voice = [0, 0, 1, 0]
    utts = [Utterance(v, start, text) for (start, text), v in zip(lines, voice, strict=True)]
    found = [(e.kind, e.speaker, e.person) for e in gather(utts, people)]
    assert ("hand-off", 1, "Marek Przeor") not in found
    names, _ = name_speakers(utts, people, 2)
    assert {v: person.name for v, (person, _) in names.items()} == {
        0: "Marek Przeor",
        1: "Glenda Napier",
    }


@pytest.mark.parametrize("listed", [False, True])
def test_two_people_not_on_the_page_introducing_themselves_in_one_voice_split_it(listed):
    """Without an event page (or with one that lists neither), two names spaCy reads as people's,
    each introducing themself in one voice cluster, are two people: the cluster is split as for
    listed people (before, only listed people split a cluster). A listed person's cluster is not
    split by an unlisted name heard in it: that is more likely her own name misheard."""
    talk = _talk(
        [
            (0.0, "Hello, I am Marek Przeor, welcome."),
            (5.0, "Hi, my name is Peter Hansen, from Aarhus."),
            (10.0, "We build wind farms and solar parks together."),
            (15.0, "Good morning, I am Anna Maria Rossi, from Torino."),
            (20.0, "Our members make plastic parts for cars."),
            (25.0, "I am Calyham Dawson and this is our last slide."),
        ]
    )
    turns = [Turn(0.0, 4.0, 0), Turn(5.0, 24.0, 1), Turn(25.0, 29.0, 0)]
    voices = np.tile(np.eye(192, dtype=np.float32)[:2], (2, 1))[:3]
    people = PEOPLE if listed else []
    strangers = unlisted(talk, people, NameParams())
    assert [s.name for s in strangers] == [
        *([] if listed else ["Marek Przeor"]),
        "Peter Hansen",
        "Anna Maria Rossi",
        "Calyham Dawson",
    ]
    resolution, _ = resolve(
        talk, Diarization(turns, False, voices), people, NameParams(), strangers
    )

    def at(time: float) -> int:
        return next(t.speaker for t in resolution.turns if t.start <= time < t.end)

    assert at(6.0) == at(11.0) != at(16.0) == at(21.0)  # Peter Hansen, then Anna Maria Rossi
    # Marek's voice holds "I am Calyham Dawson": split only when Marek is not a listed person
    assert (at(1.0) == at(26.0)) is listed
    # without the strangers (as before), nothing but listed people could split a voice
    before, _ = resolve(talk, Diarization(turns, False, voices), people, NameParams())
    assert before.turns == turns


@pytest.mark.parametrize(
    ("said", "handed", "does"),
    [
        # Whisper's "baton"
        (
            "First, let me pass the button to Mette Larsen from the Danish Food Cluster.",
            3,
            "handoff",
        ),
        ("Mette, the same question for the Danish Food Cluster.", 3, "handoff"),
        ("Mette, same question for your cluster.", 3, "handoff"),
        ("The same question for the region was asked twice.", None, "content"),
        # put off by the words after the name: the host's programme, not a hand-off
        (
            "We're going to hear from Mette Larsen after the first presentation.",
            None,
            "housekeeping",
        ),
        ("We'll hear from Mette later.", None, "housekeeping"),
    ],
)
def test_what_a_probe_talks_host_said_before_two_guests_in_one_voice(said, handed, does):
    """A probe talk (2026-12-05): the host said "We're going to hear from Mette Larsen after the
    first presentation. First, let me pass the baton to Jan Kováč …" (Whisper: "the button"),
    CAM++ put both guests in one voice, and Jan's turn was named Mette Larsen — the only hand-off
    read was the one put off; her "same question for the Danish Food Cluster" was a point of the
    host's. Each sentence now reads as what it does, and hands the floor to whom it says."""
    people = [*PEOPLE, Speaker(name="Mette Larsen", org="Danish Food Cluster")]
    utts = [Utterance(0, 0.0, said), Utterance(1, 4.0, "Thanks. Our food companies need people.")]
    first = said_of(utts, people, NameParams())[0]
    assert first.handoff == handed
    assert function(said, "en", [p.name for p in people]) == does


@pytest.mark.parametrize(
    ("language", "handed", "guest"),
    [
        ("en", "Now over to Mobile Heights.", "Hello, I am the project manager at Mobile Heights."),
        (
            "de",
            "Mobile Heights, Sie haben das Wort.",
            "Hallo, ich bin Projektleiterin bei Mobile Heights.",
        ),
        (
            "fr",
            "La parole est à Mobile Heights.",
            "Bonjour, je suis cheffe de projet chez Mobile Heights.",
        ),
        (
            "it",
            "Passo la parola a Mobile Heights.",
            "Buongiorno, sono la responsabile di Mobile Heights.",
        ),
        ("es", "Mobile Heights, tienen la palabra.", "Hola, soy la gerente de Mobile Heights."),
        (
            "pl",
            "Teraz głos ma Mobile Heights.",
            "Dzień dobry, jestem kierowniczką w Mobile Heights.",
        ),
    ],
)
def test_the_floor_handed_to_an_organisation_is_its_one_speakers(language, handed, guest):
    """A host who hands the floor to an organisation ("Now over to Mobile Heights.") hands it to
    the one listed person of it: with her own organisation in her first words, that names her
    (before, the hand-off was nobody's and the organisation alone, 0.5, too little). Not when
    two listed people share it, nor a mention of it."""
    said = [
        Utterance(0, 0.0, "Welcome, everyone."),
        Utterance(0, 2.0, handed),
        Utterance(1, 5.0, guest),
        Utterance(1, 9.0, "Clusters help small firms."),
    ]
    found = {(e.kind, e.speaker, e.person) for e in gather(said, PEOPLE, language=language)}
    assert ("hand-off", 1, "Carolina Garcés") in found
    names, _ = name_speakers(said, PEOPLE, 2, language=language)
    assert names[1][0].name == "Carolina Garcés"
    two = [*PEOPLE, Speaker(name="Anna Berg", org="Mobile Heights")]
    assert not [e for e in gather(said, two, language=language) if e.kind == "hand-off"]
    mention = [said[0], Utterance(0, 2.0, "Mobile Heights has forty members."), *said[2:]]
    assert not [e for e in gather(mention, PEOPLE, language=language) if e.kind == "hand-off"]


@pytest.mark.parametrize(
    ("language", "handed", "mention"),
    [
        (
            "en",
            "Over to our friends at Mobile Heights.",
            "Our friends at Mobile Heights sent us their figures.",
        ),
        (
            "de",
            "Jetzt geht es weiter mit unseren Kollegen von Mobile Heights.",
            "Unsere Kollegen von Mobile Heights haben die Daten geliefert.",
        ),
        (
            "fr",
            "Place à nos amis de Mobile Heights.",
            "Nos amis de Mobile Heights ont publié une étude.",
        ),
        (
            "it",
            "Passiamo ai nostri amici di Mobile Heights.",
            "I nostri amici di Mobile Heights hanno scritto il rapporto.",
        ),
        (
            "es",
            "Damos la palabra a nuestros colegas de Mobile Heights.",
            "Nuestros colegas de Mobile Heights enviaron las cifras.",
        ),
        (
            "pl",
            "Teraz głos mają nasi przyjaciele z Mobile Heights.",
            "Nasi koledzy z Mobile Heights przygotowali raport.",
        ),
    ],
)
def test_the_floor_handed_to_an_organisations_people_is_its_one_speakers(language, handed, mention):
    """ "Over to our friends at Mobile Heights." hands the floor to the organisation's one
    listed person, as "Now over to Mobile Heights." does (before, the people before the name
    hid it: no hand-off); the same words as a mention stay none."""
    said = [Utterance(0, 0.0, "Welcome, everyone."), Utterance(0, 2.0, handed)]
    said += [Utterance(1, 5.0, "Clusters help small firms.")]
    found = {(e.kind, e.speaker, e.person) for e in gather(said, PEOPLE, language=language)}
    assert ("hand-off", 1, "Carolina Garcés") in found
    said[1] = Utterance(0, 2.0, mention)
    assert not [e for e in gather(said, PEOPLE, language=language) if e.kind == "hand-off"]


@pytest.mark.parametrize(
    ("language", "later", "now"),
    [
        ("en", "After the break, we will hear from Carolina Garcés.", "Over to you, Carolina."),
        ("de", "Nach der Pause hören wir Carolina Garcés.", "Carolina, Sie haben das Wort."),
        ("fr", "Après la pause, nous écouterons Carolina Garcés.", "Carolina, à vous."),
        ("it", "Dopo la pausa ascolteremo Carolina Garcés.", "Carolina, a te la parola."),
        (
            "es",
            "Después de la pausa escucharemos a Carolina Garcés.",
            "Carolina, tienes la palabra.",
        ),
        ("pl", "Po przerwie posłuchamy Caroliny Garcés.", "Carolino, masz głos."),
    ],
)
def test_a_hand_off_put_off_to_after_the_break_hands_nobody_the_floor(language, later, now):
    """ "After the break, we will hear from Carolina Garcés." said before the next voice is
    no hand-off to it (before, that voice got Carolina's hand-off); the same host handing
    her the floor now still is one."""
    said = [Utterance(0, 0.0, later), Utterance(1, 4.0, "Good morning, everyone.")]
    assert not [e for e in gather(said, PEOPLE, language=language) if e.kind == "hand-off"]
    said = [Utterance(0, 0.0, now), Utterance(1, 4.0, "Good morning, everyone.")]
    found = {(e.kind, e.speaker, e.person) for e in gather(said, PEOPLE, language=language)}
    assert ("hand-off", 1, "Carolina Garcés") in found


@pytest.mark.parametrize(
    ("language", "thanks"),
    [
        ("en", "Thank you, Mobile Heights."),
        ("de", "Vielen Dank, Mobile Heights."),
        ("fr", "Merci beaucoup, Mobile Heights."),
        ("it", "Grazie, Mobile Heights."),
        ("es", "Muchas gracias, Mobile Heights."),
        ("pl", "Dziękuję bardzo, Mobile Heights."),
    ],
)
def test_an_organisation_thanked_thanks_its_one_speaker(language, thanks):
    """Thanks to an organisation opening a turn is thanks to the voice before when one listed
    person is of it (before, nobody's); not "thanks to" it as a cause."""
    said = [Utterance(0, 0.0, "Clusters help small firms."), Utterance(1, 4.0, thanks)]
    found = {(e.kind, e.speaker, e.person) for e in gather(said, PEOPLE, language=language)}
    assert ("thanks", 0, "Carolina Garcés") in found
    cause = [said[0], Utterance(1, 4.0, "Thanks to Mobile Heights, we now have a network.")]
    assert not [e for e in gather(cause, PEOPLE) if e.kind == "thanks"]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The floor is yours, Carolina."),
        ("de", "Sie haben das Wort, Carolina."),
        ("fr", "À vous, Carolina."),
        ("it", "Tocca a te, Carolina."),
        ("es", "Tienes la palabra, Carolina."),
        ("pl", "Masz głos, Carolino."),
    ],
)
def test_a_hand_off_phrase_then_the_name_hands_that_person_the_floor(language, said):
    """The name may close the sentence after the phrase ("The floor is yours, Carolina.") as
    well as open it ("Carolina, the floor is yours."); before, only the second was read."""
    talk = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Good morning, everyone.")]
    found = {(e.kind, e.speaker, e.person) for e in gather(talk, PEOPLE, language=language)}
    assert ("hand-off", 1, "Carolina Garcés") in found


@pytest.mark.parametrize(
    ("said", "handed"),
    [
        ("Let's bring Carolina into the conversation now.", True),
        ("I'd like to bring Glenda Napier in here.", True),
        ("We will bring Mobile Heights into the project next year.", False),
        ("Let's bring the data in later.", False),
        ("Good morning, it's Carolina who opens today's session.", True),
        ("It's Glenda who takes the floor now.", True),
        ("Yes, it's Carolina who will present the results.", True),
        ("It's Glenda who opened the door for us.", False),
    ],
)
def test_a_live_call_s_hand_offs_around_the_name(said, handed):
    """Two ways a live call hands over that handed nobody the floor: the name inside the phrase,
    "Let's bring Carolina into the conversation now." (dev43, ``handoff_around``); and "It's
    Carolina who opens today's session." (dev45) — only "who will speak, present, talk, take the
    floor" did, not the third person ("speaks", "opens", "takes the floor") nor "open", "start",
    "begin", "kick off"; a past tense still does not."""
    talk = [Utterance(0, 0.0, said), Utterance(1, 3.0, "Good morning, everyone.")]
    found = [e for e in gather(talk, PEOPLE) if e.kind == "hand-off" and e.speaker == 1]
    assert bool(found) == handed, found


@pytest.mark.parametrize(
    ("language", "said", "named"),
    [
        ("en", "Yes, it's Carolina.", True),
        ("en", "Okay, it's Carolina, can you hear me?", True),
        ("en", "Can you hear me? Yeah, hi, it's Carolina Garcés.", True),
        ("en", "I asked who leads it and, yes, it's Carolina.", False),
        ("en", "Yes, it's Carolina who found the partners.", False),
        ("en", "Sorry, sorry, it's Carolina, my camera froze.", True),
        ("en", "Good afternoon, it's Carolina Garcés from Mobile Heights.", True),
        ("en", "Sorry, it's Carolina's slide that I meant.", False),
        ("fr", "Oui, c'est Carolina.", True),
        ("fr", "D'accord, bonjour, c'est Carolina Garcés.", True),
        ("fr", "Oui, c'est Carolina qui a trouvé les partenaires.", False),
        ("fr", "Nous avons demandé qui dirige le projet et oui, c'est Carolina.", False),
    ],
)
def test_it_s_after_an_answer_opening_the_sentence_introduces(language, said, named):
    """Someone unmuting says "Yes, it's Carolina." (dev44), "Oui, c'est Carolina." (dev20 of
    the other languages), "Sorry, it's Carolina, …" (dev45): "it's" counted only after a
    greeting ("hi", "good afternoon"); after "yes", "yeah", "okay", "sorry" ("oui", "d'accord",
    "ok") opening a sentence it introduces too — not inside a sentence, nor before "who" ("qui")
    or a possessive."""
    talk = [Utterance(0, 0.0, "Welcome."), Utterance(1, 3.0, said)]
    found = gather(talk, PEOPLE, language=language)
    assert bool([e for e in found if e.kind == "self-introduction" and e.speaker == 1]) == named
