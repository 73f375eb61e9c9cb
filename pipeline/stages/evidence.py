"""Evidence in the words about who speaks, used to correct the voice clusters before naming.

- Two different people introducing themselves ("I am …", "my name is …") inside one voice
  cluster is a contradiction (people on the event page, or names spaCy reads as a person's —
  the name stage's ``unlisted``): the cluster is split, every introduction staying with its person
  (cannot-link) and the rest of the cluster's sentences following who holds the floor. A listed
  person who introduced themself nowhere but was handed the floor by name just before a turn of
  another voice that introduces nobody, or thanked by name by the next voice just after one,
  counts as introduced in that turn's cluster (two such people in one cluster split it too) —
  and so in the host's own cluster, when that voice hands the person the floor, goes on after a
  pause and later opens a turn by thanking them by name, or by handing them the floor again (a
  question to the one who spoke), no other voice between (the person's words came out in the
  host's voice).
- One such person in a voice cluster that also holds sentences handing them the floor or
  thanking them by name (nobody does either to themself) holds two voices: a host who never
  gives their name, merged with the guest. The cluster is split, the hand-offs and thanks going
  to an unnamed speaker, when each side then holds 3 s of speech or more (`hander_seconds`).
- A hand-off to a listed person ("Glenda, the floor is yours") followed by a turn of another
  voice cluster, while that person introduced themselves in a third, links the two: they are
  joined when their voices are not far apart.
- After a hand-off, a short piece of another voice right before a longer turn of a third is
  that turn's first words, put with the voice before (``edge``): it goes to the turn's voice.
- Inside a turn handed to a person, a later sentence thanking that person by name ("Thank you,
  Lukas. Ana, you're next.") is not theirs: from it to the turn's end is the voice that handed
  over (a short reply of the host's the voices ran on into the guest's turn).
- A turn the next voice opens by thanking a person by name ("Thank you, Nadia.") is that
  person's, when they introduced themself in another voice cluster and the turn's own voice is
  nearer theirs than the rest of its cluster: it moves to them.
Without evidence the voices alone decide. The floor is read from the words sentence by sentence:
an introduction gives it to the speaker; the sentence after a hand-off belongs to its target;
a new turn that thanks the floor holder, or hands the floor to someone else, belongs to whoever
handed the floor over before (the host); a new voice after a turn ends does too; a sentence
handing the floor to its holder or said to them by name ("Marco, you're still on mute.") is
the host's — nobody speaks to themself by name. A hand-off to one's colleague ("Over to my
colleague Jon.") is the floor holder's, not the host's: the floor goes back, after it, to the
host who gave it to her.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.types import Notice, Turn, joined
from ..core.voiceprints import speaker_voices
from ..outputs.formats import clock


@dataclass(frozen=True)
class Said:
    """What one sentence says about who speaks (indexes into the event's list of people)."""

    speaker: int  # voice cluster
    start: float
    end: float
    intro: int | None = None  # introduces themself as …
    handoff: int | None = None  # hands the floor to …
    thanks: int | None = None  # opens by thanking …
    addressed: int | None = None  # opens with the name of … and a comma: said to them
    question: bool = False  # ends with a question mark
    colleague: bool = False  # its hand-off is to the speaker's colleague: said by the floor holder
    deferred: bool = False  # its hand-off is still to come ("Before I hand over to …, …")


@dataclass
class Resolution:
    """Turns after the evidence, and what the evidence did: which speakers were split from one
    voice cluster, which were joined, and the voice cluster each speaker came from."""

    turns: list[Turn]
    voices: np.ndarray
    splits: list[tuple[int, ...]] = field(default_factory=list)  # speakers split from one voice
    joins: list[tuple[int, int]] = field(default_factory=list)  # (speaker, speaker joined into it)
    origin: dict[int, int] = field(default_factory=dict)  # speaker → the voice cluster it came from
    handed: set[int] = field(default_factory=set)  # split ones the words only handed or thanked
    moved: list[tuple[int, float]] = field(default_factory=list)  # (speaker, start) of turns moved
    cut: list[float] = field(default_factory=list)  # starts of turns' ends given to the host
    edges: list[float] = field(default_factory=list)  # starts of turns' first words given on
    handers: set[int] = field(default_factory=set)  # split off unnamed: handed the one named over
    # speakers split from one voice because the meeting platform's transcript names two people in it
    captioned: list[tuple[int, ...]] = field(default_factory=list)
    given: set[int] = field(default_factory=set)  # … and given speech it names in another voice
    by_tracks: bool = False  # … the participants' own tracks, not its transcript, did so

    def notes(self) -> dict[int, list[Notice]]:
        """For the speaker table and the reviewer page: what the evidence did to each speaker."""
        out: dict[int, list[Notice]] = {}
        for group in self.splits:
            handed = sum(k in self.handed for k in group)
            handers = sum(k in self.handers for k in group)
            intros = len(group) - handed - handers
            parts = []
            if intros:
                parts.append(
                    Notice(
                        "%(count)s person introduced themself in it by name",
                        {"count": intros},
                        "%(count)s people introduced themselves in it by name",
                    )
                )
            if handed:
                parts.append(
                    Notice(
                        "%(count)s more was handed the floor or thanked by name around a turn of it",
                        {"count": handed},
                        "%(count)s more were handed the floor or thanked by name around turns of "
                        "it",
                    )
                    if intros
                    else Notice(
                        "%(count)s person was handed the floor or thanked by name around a turn "
                        "of it",
                        {"count": handed},
                        "%(count)s people were handed the floor or thanked by name around turns "
                        "of it",
                    )
                )
            if handers:
                parts.append(
                    Notice(
                        "another voice in it handed that person the floor or thanked them by name"
                    )
                )
            why = joined(parts)
            for speaker in group:
                others = ", ".join(f"S{k + 1}" for k in group if k != speaker)
                out.setdefault(speaker, []).append(
                    Notice(
                        "split by evidence from one voice with %(others)s: %(why)s",
                        {"others": others, "why": why},
                    )
                )
        for group in self.captioned:
            for speaker in group:
                others = ", ".join(f"S{k + 1}" for k in group if k != speaker)
                out.setdefault(speaker, []).append(
                    Notice(
                        "split from one voice with %(others)s: another participant's own track "
                        "(the meeting platform's) holds part of it",
                        {"others": others},
                    )
                    if self.by_tracks
                    else Notice(
                        "split from one voice with %(others)s: the meeting platform's transcript "
                        "names another person in it",
                        {"others": others},
                    )
                )
        for speaker in self.given:
            out.setdefault(speaker, []).append(
                Notice(
                    "speech heard in another voice given to it: its participant's own track "
                    "(the meeting platform's) holds it"
                )
                if self.by_tracks
                else Notice(
                    "speech heard in another voice given to it: the meeting platform's transcript "
                    "names it there"
                )
            )
        for home, _joined in self.joins:
            out.setdefault(home, []).append(
                Notice(
                    "joined by evidence with another voice: handed the floor by name and "
                    "introduced under that name"
                )
            )
        for speaker, start in self.moved:
            out.setdefault(speaker, []).append(
                Notice(
                    "a turn at %(time)s moved to it by evidence: the next voice thanked them by "
                    "name, and its voice is nearer theirs than the voice it had been put with",
                    {"time": clock(start)[:8]},
                )
            )
        given = [
            *((start, Notice("they open its turn just after a hand-off")) for start in self.edges),
            *(
                (start, Notice("they thank by name the person handed the floor before them"))
                for start in self.cut
            ),
        ]
        for start, why in given:
            turn = next((t for t in self.turns if t.start == start), None)
            if turn is None:  # re-cut by a split since: no turn starts there any more
                continue
            out.setdefault(turn.speaker, []).append(
                Notice(
                    "the words from %(start)s to %(end)s given to it by evidence from another "
                    "voice: %(why)s",
                    {"start": clock(start)[:8], "end": clock(turn.end)[:8], "why": why},
                )
            )
        return out


def floor(said: Sequence[Said], turn_pause: float = 0.5) -> list[int | None]:
    """Who holds the floor at each sentence (a listed person, or None when the words do not
    tell), read in order. Sentences form turns, cut where the voice changes or after a pause of
    ``turn_pause`` seconds. A hand-off passes the floor at the next sentence, unless that one
    hands the same person over again ("Our first speaker is Pieter Claes." "Pieter, please go
    ahead."), speaks to them by name ("Marco, you are still on mute.") or asks a question in
    the same breath ("Sven, let's start with you. What skills do you lack?"): then after it; one
    still to come ("Before I hand over to Glenda, …") passes when another voice speaks, or the
    same one thanks someone by name or introduces themself (the guest, heard in it).
    Another voice opening by thanking someone by name gives them the turn just
    before ("Thank you, Felix."; ``_thanked_turn``). A self-introduction holds the floor from
    its turn's start ("Thanks, Ines." then, no pause, "I'm Pieter Jansen …") — and from a
    sentence of its voice before that which thanks the one said to hold the floor there, who
    does not thank herself — back to a sentence handing over or thanking that person; whoever
    held the floor before it (the host) takes it back as after a hand-off."""
    turn_of = _turns(said, turn_pause)
    starts = [i == 0 or turn_of[i] != turn_of[i - 1] for i in range(len(said))]
    holder: int | None = None
    giver: dict[int, int | None] = {}
    out: list[int | None] = []
    pending: Said | None = None  # the hand-off whose floor has not passed yet
    for i, s in enumerate(said):
        before = said[i - 1] if i else None
        handed = pending.handoff if pending is not None else None
        # the same voice handing the same person over again, or speaking to them ("Marco, you
        # are still on mute."), or asking them in the same breath ("Sven, let's start with
        # you. What skills do food companies lack?"): the floor passes after that
        again = (
            handed is not None
            and s.speaker == before.speaker
            and (
                handed in (s.handoff, s.addressed)
                or (s.question and not starts[i])
                # one still to come passes when another voice speaks, or someone thanks or
                # introduces themself in this one (the guest, heard in the host's voice)
                or (pending.deferred and s.thanks is None and s.intro is None)
            )
        )
        # another voice right after a hand-off to the one said to hold the floor already (an
        # earlier hand-off to her that did not happen): she takes it, not the host
        if handed is not None and not again and (handed != holder or before.speaker != s.speaker):
            if handed != holder:  # a colleague's: the floor goes back to whoever gave it
                giver[handed] = giver.get(holder, holder) if pending.colleague else holder
            holder = handed
        elif holder is not None and (starts[i] or holder in (s.handoff, s.addressed)):
            turn = _turn_at(said, turn_of, i)
            # nobody hands the floor to themself, nor speaks to themself by name: "Marco, one
            # more question …?" in the voice Marco's words came out in is the host asking him
            hosts = holder in (s.thanks, s.handoff, s.addressed) or any(
                x.handoff is not None and x.handoff != holder and not x.colleague for x in turn
            )
            if hosts or (before is not None and before.speaker != s.speaker):
                holder = giver.get(holder, holder)  # the host takes the floor back
        pending = s if s.handoff is not None else pending if again else None
        if (first := _thanked_turn(said, turn_of, i)) is not None:
            out[first:i] = [s.thanks] * (i - first)  # the turn just before was the one thanked
        if s.intro is not None:
            if holder is not None and holder != s.intro:  # taken from someone: the host
                giver.setdefault(s.intro, giver.get(holder, holder))
            holder = s.intro
            for j in range(i - 1, -1, -1):  # the voice's words before it, no other between
                x = said[j]
                if x.speaker != s.speaker or x.intro is not None or x.handoff is not None:
                    break
                # in its turn, or thanking the one said to hold the floor (not oneself)
                if x.thanks == s.intro or not (turn_of[j] == turn_of[i] or x.thanks == out[j]):
                    break
                out[j] = s.intro
        out.append(holder)
    return out


def _turns(said: Sequence[Said], turn_pause: float) -> list[int]:
    """The turn number of each sentence: a turn is cut where the voice changes or after a pause
    of ``turn_pause`` seconds."""
    starts = (
        i == 0 or s.speaker != said[i - 1].speaker or s.start - said[i - 1].end >= turn_pause
        for i, s in enumerate(said)
    )
    return list(itertools.accumulate(int(x) for x in starts))


def _turn_at(said: Sequence[Said], turn_of: list[int], i: int) -> list[Said]:
    """The sentences of the turn that sentence ``i`` opens (from it on)."""
    return [x for x, t in zip(said[i:], turn_of[i:], strict=True) if t == turn_of[i]]


def _handed_over(said: Sequence[Said]) -> Iterator[tuple[int, int]]:
    """(the sentence after a hand-off, the person handed the floor) wherever that sentence is
    another voice cluster's than the hand-off's — and the hand-off is not said in the cluster
    where that person introduced themself: nobody hands the floor to themself, so it was
    misheard (Whisper wrote the host's own name, from the prompt, for the guest's: "It is our
    time for Marek Przeor to present.")."""
    own: dict[int, set[int]] = {}  # person → the clusters they introduced themself in
    for s in said:
        if s.intro is not None:
            own.setdefault(s.intro, set()).add(s.speaker)
    for i in range(len(said) - 1):
        s = said[i]
        other = said[i + 1].speaker != s.speaker
        if s.handoff is not None and other and s.speaker not in own.get(s.handoff, set()):
            yield i + 1, s.handoff


def _holding(turns: list[Turn], s: Said, ends: bool = False) -> int | None:
    """The index of the diarization turn of the sentence's voice that holds its middle (``ends``:
    a middle on the turn's start or end counts too)."""
    middle = (s.start + s.end) / 2
    return next(
        (
            k
            for k, t in enumerate(turns)
            if t.speaker == s.speaker
            and (t.start <= middle <= t.end if ends else t.start < middle < t.end)
        ),
        None,
    )


def edge(
    said: Sequence[Said],
    turns: list[Turn],
    turn_pause: float = 0.5,
    touch: float = 0.3,
    short: float = 2.0,
) -> tuple[list[Turn], list[float]]:
    """The first words of a turn handed to someone, heard in a third voice, given to that turn's
    voice: after a hand-off, a diarization turn of another voice holding one sentence that
    introduces nobody, shorter than ``short`` s, which a longer turn of yet another voice follows
    within ``touch`` s ("Karen?" — "Thanks, David." put with Helena's voice — "What strikes me
    …" in Karen's; the words' turns cut at pauses of ``turn_pause`` s), is that turn's start the
    voices put with the speaker before. Returns the turns and the starts of those moved."""
    out, moved = list(turns), []
    turn_of = _turns(said, turn_pause)
    for i, _target in _handed_over(said):
        piece, host = said[i], said[i - 1].speaker
        rest = _turn_at(said, turn_of, i + 1) if i + 1 < len(said) else []
        if (
            not rest
            or rest[0].speaker in (piece.speaker, host)
            or piece.intro is not None
            or rest[0].intro not in (None, said[i - 1].handoff)
        ):
            continue
        k, after = _holding(out, piece), _holding(out, rest[0])
        if k is None or after is None:
            continue
        turn = out[k]
        alone = not any(
            x is not piece
            and x.speaker == turn.speaker
            and turn.start < x.end
            and x.start < turn.end
            for x in said
        )
        if (
            alone
            and turn.end - turn.start < short
            and out[after].start - turn.end < touch
            and rest[-1].end - rest[0].start > turn.end - turn.start
        ):
            out[k] = replace(turn, speaker=rest[0].speaker)
            moved.append(turn.start)
    return out, moved


def run_on(said: Sequence[Said], turns: list[Turn], voices: np.ndarray) -> Resolution:
    """Give the voice that handed a person the floor the end of that person's turn from the
    first later sentence of it that thanks them by name — the same voice from the hand-off on,
    nobody else introduced and nobody handed the floor in between, nobody introduced after it in
    the turn. Not after a hand-off to the hander's colleague: the hander is no host. Each part
    keeps the turn's voice."""
    out, out_voices, cut = list(turns), list(voices), []
    for i, target in _handed_over(said):
        voice, host = said[i].speaker, said[i - 1].speaker
        if said[i - 1].colleague:
            continue
        for j in range(i + 1, len(said)):
            s = said[j]
            if (
                s.speaker != voice
                or said[j - 1].handoff is not None
                or s.intro not in (None, target)
            ):
                break
            if s.thanks != target:
                continue
            k = _holding(out, s)
            if k is None:
                break
            turn = out[k]
            rest = [x for x in said[j:] if x.speaker == voice and x.start < turn.end]
            if all(x.intro is None for x in rest):
                at = max(turn.start, round((said[j - 1].end + s.start) / 2, 3))
                parts = [replace(turn, end=at)] if at > turn.start else []
                out[k : k + 1] = [*parts, Turn(at, turn.end, host)]
                out_voices[k : k + 1] = [out_voices[k]] * (len(parts) + 1)
                cut.append(at)
            break
    stacked = np.array(out_voices, np.float32).reshape(len(out), voices.shape[1])
    return Resolution(out, stacked, cut=cut)


def split(
    said: Sequence[Said],
    turns: list[Turn],
    voices: np.ndarray,
    turn_pause: float = 0.5,
    cut: Sequence[float] = (),
    edges: Sequence[float] = (),
    min_seconds: float = 3.0,
) -> Resolution:
    """Split every voice cluster in which two or more people introduced themselves, or were
    handed the floor just before a turn of it, or thanked just after one, without introducing
    themselves anywhere (see ``handed``), or one of each — or one such person and sentences of
    another voice handing them the floor or thanking them by name (``_handing``), which become
    an unnamed speaker when each side then holds ``min_seconds`` of speech. ``cut``: the turns'
    ends ``run_on`` gave to the host; ``edges``: the turns' starts ``edge`` gave on."""
    introduced: dict[int, list[int]] = {}
    for s in said:
        if s.intro is not None and s.intro not in introduced.setdefault(s.speaker, []):
            introduced[s.speaker].append(s.intro)
    only_handed = handed(said, turn_pause)
    resolution = Resolution(
        list(turns),
        voices,
        origin={t.speaker: t.speaker for t in turns},
        cut=list(cut),
        edges=list(edges),
    )
    holders = floor(said, turn_pause)
    for cluster in dict.fromkeys([*introduced, *only_handed]):
        intros = introduced.get(cluster, [])
        extra = [k for k in only_handed.get(cluster, []) if k not in intros]
        persons = intros + extra
        mine = [i for i, s in enumerate(said) if s.speaker == cluster]
        decoded = [holders[i] if holders[i] in persons else None for i in mine]
        persons = [k for k in persons if k in decoded]  # each holds the floor in it somewhere
        extra = [k for k in extra if k in persons]
        hander = _handing(said, mine, decoded, turns, persons[0]) if len(persons) == 1 else []
        if hander:  # nobody hands the floor to themself: another voice is in the cluster
            decoded = [HANDER if i in hander else d for i, d in zip(mine, decoded, strict=True)]
            persons.append(HANDER)
        if len(persons) < 2:
            continue
        person_of = _assign([said[i] for i in mine], decoded, turns, voices)
        seconds = dict.fromkeys(persons, 0.0)
        for i, person in zip(mine, person_of, strict=True):
            seconds[person] += said[i].end - said[i].start
        if hander and min(seconds.values()) < min_seconds:
            continue  # a hand-off heard at the edge of the person's own turn, not a voice
        new_id = {persons[0]: cluster}
        for person in persons[1:]:
            new_id[person] = 1 + max(
                max(t.speaker for t in resolution.turns), max(resolution.origin)
            )
            resolution.origin[new_id[person]] = cluster
        sentences = [
            (said[i].start, said[i].end, new_id[p]) for i, p in zip(mine, person_of, strict=True)
        ]
        resolution.turns, resolution.voices = _cut(
            resolution.turns, resolution.voices, cluster, sentences
        )
        resolution.splits.append(tuple(new_id.values()))
        resolution.handed.update(new_id[k] for k in extra)
        if hander:
            resolution.handers.add(new_id[HANDER])
    return resolution


HANDER = -1  # in ``split``: the unnamed voice that hands a cluster's one person the floor


def _handing(
    said: Sequence[Said], mine: list[int], decoded: list[int | None], turns: list[Turn], person: int
) -> list[int]:
    """The sentences of a cluster that hand its one person the floor or thank them by name, said
    by another voice CAM++ put with theirs (a host who never gives their name): in a diarization
    turn where that person holds the floor nowhere, or — a hand-off — before they first hold it
    in the turn. Not one still to come."""
    first: dict[int | None, float] = {}  # diarization turn → when the person first holds it
    for i, d in zip(mine, decoded, strict=True):
        if d == person:
            k = _holding(turns, said[i])
            first[k] = min(first.get(k, said[i].start), said[i].start)
    return [
        i
        for i in mine
        if person in (said[i].handoff, said[i].thanks)
        and not said[i].deferred
        and (k := _holding(turns, said[i])) is not None
        and (k not in first or (said[i].handoff == person and said[i].end <= first[k]))
    ]


def _handed_back(said: Sequence[Said], turn_of: list[int]) -> Iterator[tuple[int, int]]:
    """(the sentence after a hand-off, the person handed the floor) where that sentence opens a
    new turn of the same voice, and that voice — no other between — later opens a turn by
    thanking the person by name: "Piotr, over to you." … "Thank you, Piotr." — or by handing
    them the floor again, a sentence or more after the first ("Up next, Marco." … "Marco, one
    more question: …?": the host asking the one who spoke) — or the next other voice opens by
    thanking them ("Ravi, please." … "Nina, over to you." "Thanks, Ravi."): nobody introduced
    between, nobody else handed the floor but in its last sentence."""
    for i in range(len(said) - 1):
        target, voice = said[i].handoff, said[i].speaker
        if target is None or turn_of[i + 1] == turn_of[i] or said[i + 1].speaker != voice:
            continue
        # asked again counts unless the sentence after the hand-off is still the host's:
        # handing over again, or said to the guest ("Marco, you're on mute.")
        host_goes_on = target in (said[i + 1].handoff, said[i + 1].addressed)
        for j in range(i + 2, len(said)):
            if said[j].speaker != voice:
                if said[j].thanks == target:
                    yield i + 1, target
                break
            if said[j].intro is not None:
                break
            asked = said[j].handoff == target and not host_goes_on
            if turn_of[j] != turn_of[j - 1] and (said[j].thanks == target or asked):
                yield i + 1, target
                break
            last = j + 1 == len(said) or said[j + 1].speaker != voice
            if said[j].colleague:  # the guest handing on to her colleague: still hers
                continue
            if said[j].handoff is not None and not (last and said[j].handoff != target):
                break  # another hand-off; the last may hand over to the next


def _thanked_turn(said: Sequence[Said], turn_of: list[int], k: int) -> int | None:
    """The first sentence of the turn just before sentence ``k`` when ``k`` is another voice's,
    opening by thanking someone by name ("Thank you, Felix."): the turn was theirs — unless
    someone introduces themself in it, or it hands the floor to someone else but in its last
    sentence (a host handing over; "Nina, over to you." then "Thanks, Ravi." is Ravi's own)."""
    target = said[k].thanks
    if target is None or not k or said[k].speaker == said[k - 1].speaker:
        return None
    first = k - 1
    while first and turn_of[first - 1] == turn_of[k - 1]:
        first -= 1
    turn = said[first:k]
    if any(x.intro is not None for x in turn):
        return None
    if any(x.handoff not in (None, target) for x in turn[:-1]):
        return None
    return first


def _thanked_after(said: Sequence[Said], turn_of: list[int]) -> Iterator[tuple[int, int]]:
    """(the first sentence of a turn, the person thanked just after it: ``_thanked_turn``)."""
    for k in range(1, len(said)):
        if (first := _thanked_turn(said, turn_of, k)) is not None:
            yield first, said[k].thanks


def handed(said: Sequence[Said], turn_pause: float = 0.5) -> dict[int, list[int]]:
    """Voice cluster → the listed people handed the floor by name just before a turn of that
    cluster (another voice than the one handing over), or thanked by name by the next voice
    just after one (``_thanked_after``), in which nobody introduces themself, for people who
    introduced themselves nowhere. A host who goes on talking after a hand-off is in the host's
    own cluster, so is not taken for the one handed the floor — unless that voice thanks the
    person by name at the start of a later turn, no other voice between (``_handed_back``)."""
    anywhere = {s.intro for s in said if s.intro is not None}
    turn_of = _turns(said, turn_pause)
    out: dict[int, list[int]] = {}
    named = [*_handed_over(said), *_handed_back(said, turn_of), *_thanked_after(said, turn_of)]
    for i, target in named:
        cluster = said[i].speaker
        if target in anywhere or target in out.get(cluster, []):
            continue
        if all(s.intro is None for s in _turn_at(said, turn_of, i)):
            out.setdefault(cluster, []).append(target)
    return out


def _assign(
    mine: list[Said], decoded: list[int | None], turns: list[Turn], voices: np.ndarray
) -> list[int]:
    """A person for every sentence of a cluster being split: the floor holder where the words
    tell, else the person whose sentences' voices are closest — the voice of a diarization turn
    holding two people's sentences is neither's —, else the nearest in time."""
    at = [_holding(turns, s, ends=True) for s in mine]
    held: dict[int, set[int]] = {}
    for k, person in zip(at, decoded, strict=True):
        if k is not None and person is not None:
            held.setdefault(k, set()).add(person)
    voice_of = [
        voices[k] if k is not None and voices[k].any() and len(held.get(k, ())) < 2 else None
        for k in at
    ]
    centroids: dict[int, np.ndarray] = {}
    for person, voice in zip(decoded, voice_of, strict=True):
        if person is not None and voice is not None:
            centroids[person] = centroids.get(person, 0) + voice
    out: list[int] = []
    for i, person in enumerate(decoded):
        if person is None and voice_of[i] is not None and len(centroids) > 1:
            person = max(centroids, key=lambda k: float(centroids[k] @ voice_of[i]))
        if person is None:
            known = [j for j, p in enumerate(decoded) if p is not None]
            person = decoded[min(known, key=lambda j: abs(mine[j].start - mine[i].start))]
        out.append(person)
    return out


def _cut(
    turns: list[Turn],
    voices: np.ndarray,
    cluster: int,
    sentences: list[tuple[float, float, int]],
) -> tuple[list[Turn], np.ndarray]:
    """The cluster's turns cut where the speaker of its sentences changes (halfway between two
    sentences); a part with no sentence goes to the nearest sentence's speaker. Each part keeps
    its turn's voice."""
    out: list[Turn] = []
    out_voices: list[np.ndarray] = []
    for turn, voice in zip(turns, voices, strict=True):
        if turn.speaker != cluster:
            out.append(turn)
            out_voices.append(voice)
            continue
        inside = [s for s in sentences if turn.start <= (s[0] + s[1]) / 2 <= turn.end]
        if not inside:
            nearest = min(
                sentences, key=lambda s: abs((s[0] + s[1]) / 2 - (turn.start + turn.end) / 2)
            )
            out.append(replace(turn, speaker=nearest[2]))
            out_voices.append(voice)
            continue
        start = turn.start
        for (_a_start, a_end, a), (b_start, _, b) in zip(
            inside, [*inside[1:], (None, None, None)], strict=True
        ):
            if b is not None and b == a:
                continue
            end = turn.end if b is None else round((a_end + b_start) / 2, 3)
            if end > start:
                out.append(Turn(start, end, a))
                out_voices.append(voice)
            start = end
    order = sorted(range(len(out)), key=lambda i: (out[i].start, out[i].speaker))
    stacked = np.array([out_voices[i] for i in order], np.float32)
    return [out[i] for i in order], stacked.reshape(len(out), voices.shape[1])


def join(said: Sequence[Said], resolution: Resolution, max_distance: float) -> Resolution:
    """Join a speaker that was handed the floor as a listed person with the speaker who
    introduced themself as that person, when no other evidence contradicts it and their voices
    are within ``max_distance`` (cosine)."""
    introduced: dict[int, int] = {}  # person → speaker who introduced themself as them
    claims: dict[int, set[int]] = {}  # speaker → people the words say they are
    for s in said:
        if s.intro is not None:
            introduced.setdefault(s.intro, s.speaker)
            claims.setdefault(s.speaker, set()).add(s.intro)
    for i, target in _handed_over(said):
        claims.setdefault(said[i].speaker, set()).add(target)
    voice = speaker_voices(resolution.turns, resolution.voices)
    merged: dict[int, int] = {}
    for speaker, people in claims.items():
        if len(people) != 1:
            continue
        (person,) = people
        home = introduced.get(person)
        if home is None or home == speaker or speaker in introduced.values():
            continue
        home = merged.get(home, home)
        if (
            speaker in voice
            and home in voice
            and 1 - float(voice[speaker] @ voice[home]) > max_distance
        ):
            continue
        merged[speaker] = home
        resolution.joins.append((home, speaker))
    if merged:
        resolution.turns = [
            replace(t, speaker=merged.get(t.speaker, t.speaker)) for t in resolution.turns
        ]
    return resolution


def reclaim(said: Sequence[Said], resolution: Resolution, max_distance: float) -> Resolution:
    """Move to a person's voice cluster the turn just before another voice opens by thanking
    them by name, when they introduced themself in that one cluster only, nobody else
    introduces themself in that turn, and its voice is within ``max_distance`` (cosine) of
    theirs and nearer it than the rest of its own cluster (a short turn CAM++ put with a
    similar voice; a cluster of that one turn is a voice of its own and stays)."""
    homes: dict[int, set[int]] = {}
    for s in said:
        if s.intro is not None:
            homes.setdefault(s.intro, set()).add(s.speaker)
    turns = list(resolution.turns)
    for j in range(1, len(said)):
        person, before = said[j].thanks, said[j - 1]
        found = homes.get(person, set())
        if len(found) != 1 or said[j].speaker == before.speaker or before.speaker in found:
            continue
        (home,) = found
        middle = (before.start + before.end) / 2
        for k, t in enumerate(turns):
            if t.speaker != before.speaker or not t.start <= middle <= t.end:
                continue
            inside = [x for x in said if x.speaker == t.speaker and t.start <= x.start < t.end]
            if any(x.intro not in (None, person) for x in inside):
                continue
            if _nearer(turns, resolution.voices, k, home, max_distance):
                turns[k] = replace(t, speaker=home)
                resolution.moved.append((home, t.start))
    resolution.turns = turns
    return resolution


def _nearer(turns: list[Turn], voices: np.ndarray, k: int, home: int, max_distance: float) -> bool:
    """Whether turn ``k``'s voice is within ``max_distance`` of speaker ``home``'s and nearer it
    than its own speaker's other turns (a turn that is its speaker's only one with a voiceprint
    is a voice of its own, not one put with another)."""
    voice = voices[k]
    others = [i for i in range(len(turns)) if i != k]
    centroids = speaker_voices([turns[i] for i in others], voices[others])
    if not voice.any() or turns[k].speaker not in centroids:
        return False
    unit = voice / np.linalg.norm(voice)
    to_home = 1 - float(unit @ centroids[home]) if home in centroids else 2.0
    to_own = 1 - float(unit @ centroids[turns[k].speaker])
    return to_home <= max_distance and to_home < to_own


def renumber(resolution: Resolution) -> Resolution:
    """Speakers numbered 0, 1, … by first appearance again (notes and origins follow)."""
    order: dict[int, int] = {}
    for t in sorted(resolution.turns, key=lambda t: t.start):
        order.setdefault(t.speaker, len(order))
    return Resolution(
        [replace(t, speaker=order[t.speaker]) for t in resolution.turns],
        resolution.voices,
        [tuple(order[k] for k in group if k in order) for group in resolution.splits],
        [(order[home], joined) for home, joined in resolution.joins if home in order],
        {order[k]: v for k, v in resolution.origin.items() if k in order},
        {order[k] for k in resolution.handed if k in order},
        [(order[k], start) for k, start in resolution.moved if k in order],
        resolution.cut,
        resolution.edges,
        {order[k] for k in resolution.handers if k in order},
        [tuple(order[k] for k in group if k in order) for group in resolution.captioned],
        {order[k] for k in resolution.given if k in order},
        resolution.by_tracks,
    )
