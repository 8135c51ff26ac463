"""Find short phrases in a typed reply, forgiving typos, and tell when the reply rejects them.

A prompt's ingredients and red flags are lists of short phrases ("ring the office",
"cash in hand"). :class:`PhraseBook` compiles them once; :meth:`PhraseBook.spot`
finds them in a reply and marks each hit the reply turns down::

    >>> book = PhraseBook(normaliser, {"cash": ["cash in hand", "take cash"]})
    >>> [(hit.group, hit.rejected) for hit in book.spot("id never take cash")]
    [('cash', True)]

How a phrase matches, so authors can predict it:

* words are compared after normalising (lower case, the vocabulary's spellings
  and slang) and a light stem ("ringing" is "ring"); a word of five letters or
  more forgives one slip ("ofice", "numbr");
* the vocabulary's *families* read as one: "phone the schedulers" and "give her
  a bell" are "call the office" and "call her", so a phrase covers its family;
* a phrase never spans a punctuation mark ("ask things, thank the carer" has no
  "ask the carer"), and "off" in the reply undoes an "on" in the phrase ("turn the
  lights off" is not "turn the light on");
* a phrase with two or more meaningful words matches when they all appear in
  order, close together; its little words (the stopwords: "the", "it", "up") may
  be missing or different ("ring up the housing office" has "ring the office").
  A phrase with a negation ("not waiting", "dont tell the office") is read as
  written, as are the phrases below; "not", "never" and "no" stand for each other;
* a phrase with one meaningful word ("put them up", "log it") is read as
  written, little words and all (one stray word allowed between), so "put them
  up" is not found in "put a card through", nor "send them to me" in "send them
  to the office". One word on its own ("cash", "darling") is found wherever it is.

A hit is *rejected* when, in the same clause, a negation comes shortly before it
("i'd never take cash", "don't just put no access", "not gonna ring", "instead
of closing it", "rather than a card") or a verdict on it comes just after
("closing it would be wrong", "cash in hand is not allowed", "a random photo, thats
asking for trouble"). A negation
belongs to the first phrase after it, and to any joined to that one by "or", so
in "not bothering ringing, just close the job" only the ringing is turned down.
A comparison ("better late than…", "rather than…", "instead of…") reaches past an
"and", to the next punctuation mark.
A negation in a condition is the condition's own ("if he doesn't answer, leave a
card" leaves a card), one whose subject is someone else describes ("they never open a
window"), two side by side undo each other ("not without checking"), and
a "no" before an answer's own negative phrase agrees with it ("no, i won't drill").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz, process

from bot.core.matching.memos import Memoised
from bot.core.matching.normalising import Normaliser, stem

_VOWELS = frozenset("aeiou")


def _root(word: str) -> str:
    """The stem, with a final e made consistent, so "take" and "taking", "close" and
    "closing", "leave" and "leaving" agree (but "here" stays apart from "her")."""
    root = stem(word)
    if (
        len(root) == 3
        and root != word
        and root[1] in _VOWELS
        and root[0] not in _VOWELS
        and root[2] not in _VOWELS | {"w", "x", "y"}
    ):
        root += "e"  # taking -> tak -> take
    return root[:-1] if len(root) >= 5 and root.endswith("e") else root


#: Punctuation that ends a clause; a negation never reaches past it.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n]+|\s[-–—]+\s")
#: Words that start a new clause: "not my job but i'll log it", "don't go in and wait".
_CLAUSE_WORDS = frozenset(
    {
        "but",
        "so",
        "then",
        "because",
        "if",
        "and",
        "although",
        "though",
        "unless",
        "otherwise",
        "when",
        "until",
        "once",
        "whereas",
        "plus",
    }
)
#: A negation, how many meaningful words may stand between it and the phrase it turns
#: down ("never in a million years take cash": three), and how many words in all.
_NEGATION_WORDS: Mapping[tuple[str, ...], tuple[int, int]] = {
    ("not",): (2, 8),
    ("never",): (3, 8),
    # "no cash", "no to cash", but not "no one in close the job".
    ("no",): (0, 1),
    # "nothing on the quiet", but not "nothing wrong with closing it": one word between.
    ("nothing",): (1, 2),
    ("nor",): (1, 3),
    ("without",): (1, 3),
    ("avoid",): (1, 3),
    ("refuse",): (1, 3),
    ("instead", "of"): (1, 3),
    ("rather", "than"): (1, 3),
    # "better late than turning up wound up": see _COMPARISONS.
    ("than",): (2, 6),
    ("no", "way"): (2, 5),
    # "the last thing id do is card it", "i'd catch myself before saying love".
    ("last", "thing"): (2, 6),
    ("worst", "thing"): (2, 6),
    ("catch", "myself"): (2, 5),
    ("stop", "myself"): (2, 5),
    ("resist",): (1, 3),
}
_NEGATIONS = {
    tuple(_root(word) for word in words): reach for words, reach in _NEGATION_WORDS.items()
}
#: Negations that weigh one course against another: what they turn down may run on past
#: an "and" to the next punctuation mark ("better late than turning up wound up and
#: taking it out on them" turns down taking it out on them).
_COMPARISONS = frozenset({("than",), ("rather", "than"), ("instead", "of")})
#: Verdicts that turn down what comes just before them ("closing it would be wrong").
_VERDICT_WORDS: tuple[tuple[str, ...], ...] = (
    ("wrong",),
    ("not", "allowed"),
    ("not", "ok"),
    ("not", "okay"),
    ("not", "acceptable"),
    ("not", "on"),
    ("not", "an", "option"),
    ("a", "no", "no"),
    ("bad", "idea"),
    ("out", "of", "order"),
    ("not", "good", "enough"),
    ("not", "right"),
    ("a", "lie"),
    ("asking", "for", "trouble"),
    ("a", "no", "from", "me"),
    # "closing it as done just hides it".
    ("hides", "it"),
    ("hides", "the", "problem"),
    ("covers", "it", "up"),
)
_VERDICTS_AFTER = tuple(tuple(_root(word) for word in words) for words in _VERDICT_WORDS)
_NEGATION_STARTS = frozenset(words[0] for words in _NEGATIONS)
_VERDICT_STARTS = frozenset(words[0] for words in _VERDICTS_AFTER)
#: How far after a phrase such a verdict may come ("cash in hand, that is not on").
_VERDICT_REACH = 3
#: Words that open a clause about what came just before: "take the cash, that is wrong".
_BACK_REFERENCES = frozenset({"that", "which", "this"})
#: Negations stand for each other in a phrase: "never blame" has "dont blame".
_NEGATIVE = frozenset({"not", "never", "no"})
#: Words that carry a negation on to the next phrase: "never take cash or do homers".
_JOINERS = frozenset({"or", "nor"})
#: Words that open a condition, whose negation belongs to the condition.
_CONDITIONS = frozenset({"if", "unless"})
#: Refusals that turn down what came just before a "but" ("a tenner but i said no").
_REFUSED = tuple(
    tuple(_root(word) for word in words)
    for words in (
        ("said", "no"),
        ("say", "no"),
        ("refused",),
        ("declined",),
        ("turned", "it", "down"),
        ("turn", "it", "down"),
        ("no", "thanks"),
    )
)
#: How far after a phrase that "but" may come.
_REFUSAL_REACH = 4
#: How far after a stance ("not my trade") a "but" may come and undo it.
_BUT_REACH = 8
#: How far before a shortcut "even if" or one of these may come, to concede it.
_CONCESSION_REACH = 4
_CONCESSIONS = frozenset(_root(word) for word in ("though", "although", "tho"))
#: What is granted before a "but" ("i'm sure he's soft as owt, but i'm not coming in"):
#: the tenant's view allowed, then set aside.
_GRANTED = frozenset({("i", "am", "sure"), ("i", "know"), ("i", "bet"), ("fair", "enough")})
#: How far before a phrase the granting words may come, and after it the "but".
_GRANTED_REACH = 6
#: Words that may stand between a negation and the words said to someone it turns
#: down: "never call her love", "catch myself before the 'love' comes out".
_NAMING = frozenset(
    _root(word) for word in ("call", "calling", "say", "saying", "use", "using", "before")
)
#: A call, with no word of whom it is to.
_CALLING = frozenset({_root("call")})
#: What an operative should do themselves, not leave to the tenant...
_PASSED_ON = frozenset(_root(word) for word in ("call", "report", "office"))
#: ...when these come just before it ("she should ring the office").
_HANDED_BACK = tuple(
    tuple(_root(word) for word in words)
    for words in (
        ("she", "should"),
        ("he", "should"),
        ("they", "should"),
        ("you", "should"),
        ("tell", "her", "to"),
        ("tell", "him", "to"),
        ("tell", "them", "to"),
        ("you", "will", "need", "to"),
        ("you", "need", "to"),
        ("she", "can"),
        ("he", "can"),
        ("get", "her", "to"),
        ("get", "him", "to"),
        ("get", "them", "to"),
        ("he", "will", "have", "to"),
        ("she", "will", "have", "to"),
        ("they", "will", "have", "to"),
        # "she'll report it", "he'd best ring them", "you'll have to ring it in": the
        # contractions lose their apostrophe ("shell", "hed", "ull") when normalised.
        ("she", "will"),
        ("he", "will"),
        ("shell",),
        ("hell", "have", "to"),
        ("hell", "need", "to"),
        ("shed", "have", "to"),
        ("shed", "need", "to"),
        ("shed", "best"),
        ("hed", "have", "to"),
        ("hed", "need", "to"),
        ("hed", "best"),
        ("you", "will", "have", "to"),
        ("you", "have", "to"),
        ("ull", "need", "to"),
        ("ull", "have", "to"),
        ("youll", "need", "to"),
        ("youll", "have", "to"),
        ("up", "to", "her", "to"),
        ("up", "to", "him", "to"),
        ("up", "to", "them", "to"),
        ("let", "her"),
        ("let", "him"),
    )
)
#: Who, besides "her", "him" and "them", may be told to make the call: "tell the
#: neighbour to ring it in", "get his wife to report it" (but not "tell the office to").
_TENANT_SIDE = frozenset(
    _root(word)
    for word in (
        "her",
        "him",
        "them",
        "neighbour",
        "neighbours",
        "tenant",
        "family",
        "parents",
        "mum",
        "dad",
        "wife",
        "husband",
        "son",
        "daughter",
        "carer",
        "partner",
        "kids",
    )
)
#: Words that tell someone to do something: "tell them to", "get her to", "ask him to".
_TELLING = frozenset(_root(word) for word in ("tell", "get", "ask"))
#: Said just after the call, these leave it to the tenant: "ring it in themselves".
_THEMSELVES = frozenset(_root(word) for word in ("themselves", "herself", "himself", "yourself"))
#: Who is rung when the tenant is: a call to them ("get the office to ring her") is not
#: one left to them.
_CALLED = frozenset(_root(word) for word in ("you", "her", "him", "back"))
#: Words after "tell them" that start what they are told, not an instruction: "tell
#: her i'll ring it in", "tell them what happens next".
_NOT_AN_ORDER = frozenset(
    _root(word)
    for word in (
        "i",
        "im",
        "ill",
        "id",
        "we",
        "you",
        "he",
        "she",
        "they",
        "it",
        "its",
        "that",
        "what",
        "whats",
        "why",
        "how",
        "when",
        "where",
        "who",
        "about",
        "someone",
        "somebody",
        "the",
        "a",
        "an",
        "my",
        "our",
        "straight",
        "gently",
        "kindly",
    )
)
#: Someone other than the operative, as the subject of a negation...
_OTHERS = frozenset(_root(word) for word in ("he", "she", "they"))
#: ...with these between: "it is not", "they do not", "he has never".
_AUXILIARIES = frozenset(
    _root(word) for word in ("is", "are", "was", "were", "do", "does", "did", "has", "have", "had")
)
#: The auxiliaries of being: "she is not my love" denies, "they do not open" describes.
_BEING = frozenset(_root(word) for word in ("is", "are", "was", "were"))
#: Negations that undo each other side by side ("not without", "never not").
_DOUBLED = frozenset({"not", "never", "without"})
#: After a negation, words that make it "more than": "not just the gas", "not only".
_MORE_THAN = frozenset({"just", "only"})
#: Titles before a tenant's name, and the pronoun that stands for them ("miss" is
#: left out: "don't miss the slot").
_TITLES = {"mr": "him", "mrs": "her", "ms": "her"}
#: Little words whose opposite in the reply undoes a phrase.
_OPPOSITE = {"on": "off", "off": "on"}
#: Extra words a phrase of several meaningful words may have among its own.
_LOOSE_GAP = 3


@dataclass(frozen=True)
class Hit:
    """One phrase found in a reply: which group it belongs to, and where."""

    group: str
    phrase: str
    start: int
    end: int
    rejected: bool


@dataclass(frozen=True)
class _Token:
    word: str
    clause: int
    little: bool
    #: The stretch between punctuation marks it is in: a phrase never spans two.
    part: int = 0


@dataclass(frozen=True)
class _Phrase:
    group: str
    text: str
    words: tuple[str, ...]
    #: Per word: whether it must be there (a meaningful word).
    needed: tuple[bool, ...]
    #: Several meaningful words: little ones optional, a few extra words allowed.
    loose: bool


class PhraseBook(Memoised):
    """Phrases by group (an ingredient's or red flag's id), compiled for spotting."""

    # A reply is read twice when judged (for phrases, then for its steps).
    MEMOS = (("_similar", "_similar_uncached", 4096), ("_tokens", "_tokens_uncached", 8))
    _similar: Callable[[str], frozenset[str]]
    _tokens: Callable[[str], tuple[_Token, ...]]

    def __init__(
        self,
        normaliser: Normaliser,
        groups: Mapping[str, Sequence[str]],
        keyword_groups: frozenset[str] = frozenset(),
        named_calls: frozenset[str] = frozenset(),
        addressed: frozenset[str] = frozenset(),
    ) -> None:
        self.normaliser = normaliser
        self._addressed = addressed
        self._little = frozenset(normaliser.vocabulary.stopwords) - {
            word for negation in _NEGATION_WORDS for word in negation
        }
        self._little_roots = frozenset(_root(word) for word in self._little)
        self._families = {
            tuple(_root(word) for word in plain): tuple(normaliser.text(name).split())
            for wording, name in normaliser.vocabulary.families.items()
            if (plain := normaliser.text(wording).split())
        }
        self._longest_family = max(map(len, self._families), default=0)
        self._phrases = [
            phrase
            for group, texts in groups.items()
            for text in texts
            if (phrase := self._compile(group, text)) is not None
        ]
        self._answers = keyword_groups
        self._phrases += [
            phrase
            for phrase in _keywords(self._phrases, keyword_groups, self._little_roots)
            # For these groups a call counts only with whom it is to ("ring 999"): a bare
            # "ring" may be to the office, when the step is 999 or the safeguarding lead.
            if not (phrase.group in named_calls and phrase.words[0] in _CALLING)
        ]
        self._words = sorted({word for phrase in self._phrases for word in phrase.words})
        self._known = frozenset(self._words)
        # Each phrase's needed words, and the phrases by their first needed word, so a
        # reply is checked only against the phrases it could have.
        self._needed = [
            tuple(w for w, need in zip(phrase.words, phrase.needed, strict=True) if need)
            for phrase in self._phrases
        ]
        self._by_word: dict[str, list[int]] = {}
        for number, needed in enumerate(self._needed):
            self._by_word.setdefault(needed[0], []).append(number)
        self._long_words = [word for word in self._words if len(word) >= 5]
        self.memoise()

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def _read(self, text: str, *, reply: bool = False) -> list[str]:
        """The text's normalised words, each family's wordings read as its name
        ("give him a bell" as "call him"), so a phrase covers its family's wordings.
        In a reply, a tenant named with a title is "him" or "her" ("tell mrs begum"
        has "tell her"), unless the phrases name them ("mr ali")."""
        words = self.normaliser.text(text).split()
        if reply:
            words = _by_pronoun(words, self._known)
        if not self._families:
            return words
        roots = [_root(word) for word in words]
        out: list[str] = []
        at = 0
        while at < len(words):
            for length in range(min(self._longest_family, len(words) - at), 0, -1):
                name = self._families.get(tuple(roots[at : at + length]))
                if name is not None:
                    out.extend(name)
                    at += length
                    break
            else:
                out.append(words[at])
                at += 1
        return out

    def _compile(self, group: str, text: str) -> _Phrase | None:
        plain = self._read(text)
        if not plain:
            return None
        words = tuple(_root(word) for word in plain)
        needed = tuple(word not in self._little for word in plain)
        if not any(needed):
            # Little words alone ("tell him"): all of them, as written.
            needed = tuple(True for _ in words)
        # A negation must stay next to what it negates: "not waiting" is not in
        # "no problem, i'll wait", so a phrase with one is read as written.
        loose = sum(needed) >= 2 and not _NEGATIVE & set(words)
        return _Phrase(group, text, words, needed, loose)

    # -- reading a reply -----------------------------------------------------------

    def tokens(self, text: str) -> tuple[_Token, ...]:
        """The reply's words, stemmed, each with the number of the clause it is in."""
        return self._tokens(text)

    def _tokens_uncached(self, text: str) -> tuple[_Token, ...]:
        tokens: list[_Token] = []
        clause = 0
        for number, part in enumerate(_CLAUSE_BREAK.split(text)):
            clause += 1
            for word in self._read(part, reply=True):
                if word in _CLAUSE_WORDS:
                    clause += 1
                tokens.append(_Token(_root(word), clause, word in self._little, number))
        return tuple(tokens)

    def _similar_uncached(self, word: str) -> frozenset[str]:
        """The phrase words a reply's word stands for, a slip forgiven in longer words."""
        found = ({word} | (_NEGATIVE if word in _NEGATIVE else set())) & self._known
        if len(word) >= 4 and self._long_words:
            for candidate, score, _ in process.extract(
                word, self._long_words, scorer=fuzz.ratio, score_cutoff=80, limit=None
            ):
                # One letter added or dropped in a short word, one changed in a long one:
                # "sory" is sorry, but "story" is not.
                if candidate[0] == word[0] and score >= (85 if len(candidate) <= 6 else 80):
                    found.add(candidate)
            # Shortened words: "thurs" is thursday, "appt" appointment; but a word in its
            # own right is not short for a longer one ("back" for "backhander", "stop"
            # for "stopcock" where "stop him" is a phrase).
            if word not in self._little_roots and word not in self._known:
                found.update(
                    c for c in self._long_words if len(c) > len(word) and c.startswith(word)
                )
        return frozenset(found)

    def spot(self, text: str) -> list[Hit]:
        """Every phrase found in ``text``, in order, each marked rejected or not."""
        tokens = self.tokens(text)
        where: dict[str, list[int]] = {}
        for position, token in enumerate(tokens):
            for word in self._similar(token.word):
                where.setdefault(word, []).append(position)
        spans: list[tuple[int, int, _Phrase]] = []
        # Only the phrases whose first needed word is in the reply, in the book's order.
        candidates = sorted({number for word in where for number in self._by_word.get(word, ())})
        for number in candidates:
            phrase = self._phrases[number]
            if all(word in where for word in self._needed[number]):
                spans.extend(
                    (start, end, phrase)
                    for start, end in _find(phrase, where)
                    if tokens[start].part == tokens[end].part
                    and not _reversed(phrase, tokens, start, end)
                    and not (
                        phrase.group not in self._answers and _more_than(phrase, tokens, start)
                    )
                )
        spans.sort(key=lambda span: (span[0], span[1]))
        negative = {
            i
            for i, (_, _, phrase) in enumerate(spans)
            if phrase.group in self._answers and _NEGATIVE & set(phrase.words)
        }
        addressed = {i for i, (_, _, phrase) in enumerate(spans) if phrase.group in self._addressed}
        rejected = _rejected([(start, end) for start, end, _ in spans], tokens, negative, addressed)
        rejected |= self._turned_down_by_answer(spans, tokens)
        rejected |= self._carried(spans, tokens, rejected, negative)
        return [
            Hit(phrase.group, phrase.text, start, end, index in rejected)
            for index, (start, end, phrase) in enumerate(spans)
        ]

    def in_condition(self, text: str, start: int, end: int) -> bool:
        """Whether the words from ``start`` to ``end`` are inside a condition: "by friday"
        in "if you've not heard by friday ring" or "if you've not heard by friday, ring".
        Words that end an unpunctuated condition are taken as what follows it: "if he's
        out close it as no access and go" closes it."""
        tokens = self.tokens(text)
        clause = tokens[start].clause
        opening = next(token.word for token in tokens if token.clause == clause)
        if opening not in _CONDITIONS:
            return False
        last = max(i for i, token in enumerate(tokens) if token.clause == clause)
        closed = last + 1 < len(tokens) and tokens[last + 1].part != tokens[last].part
        return end < last or closed

    def but_after(self, text: str, end: int) -> bool:
        """Whether a "but" comes soon after the word at ``end``: "not my trade, but i'll
        log it", "not my job so i can't touch it, but ill ring it in"."""
        return _but_within(self.tokens(text), end, _BUT_REACH)

    def conceded(self, text: str, start: int) -> bool:
        """Whether "even if", "even though" or "although" comes just before the word at
        ``start``: "even if it's more forms", "even if it's not my job"."""
        tokens = self.tokens(text)
        before = [token.word for token in tokens[max(0, start - _CONCESSION_REACH) : start]]
        return any(word in _CONCESSIONS for word in before) or any(
            pair == ("even", "if") for pair in pairwise(before)
        )

    def granted(self, text: str, start: int, end: int) -> bool:
        """Whether the words from ``start`` to ``end`` are granted, then set aside by a
        "but": "i'm sure he's soft as owt but i'm not coming in till he's shut away"."""
        tokens = self.tokens(text)
        before = [token.word for token in tokens[max(0, start - _GRANTED_REACH) : start]]
        return any(
            tuple(before[at : at + len(words)]) == words
            for words in _GRANTED
            for at in range(len(before))
        ) and _but_within(tokens, end, _GRANTED_REACH)

    def hands_back(self, text: str) -> bool:
        """Whether the reply leaves a call or a report to the tenant: "she should ring
        the office", "tell him to report it", "you need to ring it in"."""
        tokens = self.tokens(text)
        return any(
            token.word in _PASSED_ON and _handed_back(tokens, position)
            for position, token in enumerate(tokens)
        )

    def _carried(
        self,
        spans: Sequence[tuple[int, int, _Phrase]],
        tokens: Sequence[_Token],
        rejected: set[int],
        negative: set[int],
    ) -> set[int]:
        """The hits a refusal carries on to, whoever made it (a negation, a verdict, an
        answer's own negative phrase like "cant take cash"): any over words already
        turned down ("on the quiet" in "do it on the quiet"), any joined on by "or"
        in the same clause ("i cant take cash or do it on the quiet"), and the rest of
        a turned-down phrase's own group in its clause ("one knock" in "i'd never put no
        access off one knock"); but not a phrase over the words of an answer's own
        negative phrase ("dont worry love")."""
        carried: set[int] = set()
        for seed in sorted(rejected | negative):
            start, reached, _ = spans[seed]
            clause = tokens[start].clause
            for index in range(len(spans)):
                if index == seed or index in rejected or index in negative:
                    continue
                other_start, other_end, phrase = spans[index]
                if phrase.group in self._answers or other_start < start:
                    continue
                if other_start <= reached:
                    # An answer's own words are not turned down ("dont worry love" is
                    # not "dont worry" turning down "love").
                    if seed in rejected:
                        carried.add(index)
                        reached = max(reached, other_end)
                    continue
                if (
                    seed in rejected
                    and phrase.group == spans[seed][2].group
                    and tokens[other_start].clause == clause
                ):
                    carried.add(index)
                    reached = max(reached, other_end)
                    continue
                if tokens[other_start].clause != clause or not any(
                    token.word in _JOINERS for token in tokens[reached + 1 : other_start]
                ):
                    break
                carried.add(index)
                reached = max(reached, other_end)
        return carried

    def handed_back_at(self, text: str, start: int, end: int) -> bool:
        """Whether the words from ``start`` to ``end`` are a call or report left to the
        tenant: "ring it in" in "get them to ring it in"."""
        tokens = self.tokens(text)
        return any(
            tokens[position].word in _PASSED_ON and _handed_back(tokens, position)
            for position in range(start, min(end + 1, len(tokens)))
        )

    def _turned_down_by_answer(
        self, spans: Sequence[tuple[int, int, _Phrase]], tokens: Sequence[_Token]
    ) -> set[int]:
        """Hits of other groups that come straight after an answer's own negative
        phrase, and so are what it turns down: "you shouldn't have to | keep wiping
        it", "don't | close it". Not words said to someone: "don't worry | hun"."""
        negative_ends = [
            end
            for _, end, phrase in spans
            if phrase.group in self._answers and _NEGATIVE & set(phrase.words)
        ]
        return {
            index
            for index, (start, _, phrase) in enumerate(spans)
            if phrase.group not in self._answers
            and phrase.group not in self._addressed
            and any(
                end < start <= end + 2 and tokens[start].clause == tokens[end].clause
                for end in negative_ends
            )
        }


def _more_than(phrase: _Phrase, tokens: Sequence[_Token], start: int) -> bool:
    """Whether the reply says "not just" or "not only" where the phrase says "not":
    "not just my gas job" is more than the gas job, not the shortcut "not my job"."""
    return (
        phrase.words[0] in _NEGATIVE
        and start + 1 < len(tokens)
        and tokens[start + 1].word in _MORE_THAN
        and phrase.words[1:2] != (tokens[start + 1].word,)
    )


def _reversed(phrase: _Phrase, tokens: Sequence[_Token], start: int, end: int) -> bool:
    """Whether the reply says the opposite of the phrase's little word: "turn the lights
    off" is not "turn the light on"."""
    said = {token.word for token in tokens[start : end + 2]}
    return any(
        _OPPOSITE.get(word) in said and _OPPOSITE[word] not in phrase.words for word in phrase.words
    )


def _by_pronoun(words: list[str], names: frozenset[str]) -> list[str]:
    """A tenant named with a title read as "him" or "her": "tell mrs begum the plan"
    has "tell her", "ring mr achebe" has "ring him"; but not a name in ``names``."""
    out: list[str] = []
    at = 0
    while at < len(words):
        pronoun = _TITLES.get(words[at])
        if pronoun is not None and at + 1 < len(words) and _root(words[at + 1]) not in names:
            out.append(pronoun)
            at += 2
        else:
            out.append(words[at])
            at += 1
    return out


def _keywords(
    phrases: Sequence[_Phrase], groups: frozenset[str], little: frozenset[str]
) -> list[_Phrase]:
    """A group's key words, found on their own: a meaningful word of four letters or
    more in two or more of its phrases (not ones with a negation), and three times as
    many as in any other group's ("card" in "leave a card", "card through", "calling
    card"; but not "id" in "id like to help", "id love to")."""
    uses: dict[str, dict[str, int]] = {}
    for phrase in phrases:
        for word in set(phrase.words) - little:
            uses.setdefault(word, {}).setdefault(phrase.group, 0)
            if not _NEGATIVE & set(phrase.words) or phrase.group not in groups:
                uses[word][phrase.group] += 1
    keywords = []
    for word, counts in sorted(uses.items()):
        for group, count in counts.items():
            others = max((n for g, n in counts.items() if g != group), default=0)
            telling = len(word) >= 4 and word not in _NEGATIVE
            if group in groups and telling and count >= 2 and count >= 3 * others:
                keywords.append(_Phrase(group, word, (word,), (True,), False))
    return keywords


def _find(phrase: _Phrase, where: Mapping[str, list[int]]) -> list[tuple[int, int]]:
    """Every place the phrase matches, as (start, end) positions, end included."""
    first = phrase.needed.index(True)
    spans: list[tuple[int, int]] = []
    for anchor in where[phrase.words[first]]:
        if spans and anchor <= spans[-1][1]:
            continue
        span = _align(phrase, where, first, anchor)
        if span is not None:
            spans.append(span)
    return spans


def _align(
    phrase: _Phrase, where: Mapping[str, list[int]], first: int, anchor: int
) -> tuple[int, int] | None:
    """Match the phrase with its first meaningful word at ``anchor``, in order.

    A loose phrase needs only its meaningful words, within a few extra words; a
    close one needs every word, each right after the last (one stray word allowed)."""
    if phrase.loose:
        position = anchor
        for word, need in zip(phrase.words[first + 1 :], phrase.needed[first + 1 :], strict=True):
            if not need:
                continue
            limit = anchor + len(phrase.words) + _LOOSE_GAP - 1
            after = [p for p in where[word] if position < p <= limit]
            if not after:
                return None
            position = after[0]
        return anchor, position
    start = anchor
    for word in reversed(phrase.words[:first]):
        before = [p for p in where.get(word, ()) if start - 2 <= p < start]
        if not before:
            return None
        start = max(before)
    position = anchor
    for word in phrase.words[first + 1 :]:
        after = [p for p in where.get(word, ()) if position < p <= position + 2]
        if not after:
            return None
        position = after[0]
    return start, position


def _starts_with(tokens: Sequence[_Token], at: int, words: Sequence[str]) -> bool:
    end = at + len(words)
    return end <= len(tokens) and all(
        tokens[at + i].word == word and tokens[at + i].clause == tokens[at].clause
        for i, word in enumerate(words)
    )


def _handed_back(tokens: Sequence[_Token], start: int) -> bool:
    """Whether the tenant is told to do it, just before ``start``: "she should ring the
    office", "tell him to report it", "you'll need to ring it in", "tell the neighbour
    to ring it in"; or just after ("ring it in themselves"); or in the same breath as
    another thing they are told to do ("tell them keep the kids away and ring it in").
    A call to the tenant is not left to them: "ask them to ring her to rebook"."""
    if start + 1 < len(tokens) and tokens[start + 1].word in _CALLED - {"back"}:
        return False
    for words in _HANDED_BACK:
        at = start - len(words)
        while at >= 0 and start - at <= len(words) + 1:
            if tokens[at].clause == tokens[start].clause and _starts_with_words(tokens, at, words):
                return True
            at -= 1
    clause = tokens[start].clause
    after = [t.word for t in tokens[start + 1 : start + 5] if t.clause == clause]
    if _THEMSELVES & set(after) and not _CALLED & set(after):
        # "ring it in themselves"; not "ask my supervisor to ring you back himself".
        return True
    told = _told_to(tokens, start)
    if told is not None and told >= start - 3:
        return True
    return _told_before_and(tokens, start)


def _told_to(tokens: Sequence[_Token], start: int) -> int | None:
    """Where an order to the tenant's side ends, in ``start``'s clause before it: "tell
    them to", "get his wife to", "tell her keep"; None without one."""
    clause = tokens[start].clause
    for at in range(start - 1, -1, -1):
        if tokens[at].clause != clause:
            return None
        if tokens[at].word not in _TELLING:
            continue
        who = at + 1
        while (
            who < start
            and tokens[who].word in {"the", "his", "her", "their"}
            and (who + 1 < start and tokens[who + 1].word in _TENANT_SIDE)
        ):
            who += 1
        if who >= start or tokens[who].word not in _TENANT_SIDE:
            continue
        order = who + 1
        if order < len(tokens) and tokens[order].word == "to":
            return order
        # "tell them keep the kids away" orders; "get her some help" does not.
        if tokens[at].word == "tell" and order <= start and tokens[order].word not in _NOT_AN_ORDER:
            return order - 1
    return None


def _told_before_and(tokens: Sequence[_Token], start: int) -> bool:
    """Whether the call's clause opens with "and", with no one of its own, straight after
    a clause that orders the tenant to do something (not a "don't": "tell him don't
    touch it and ring the office" is the operative ringing)."""
    clause = tokens[start].clause
    first = start
    while first > 0 and tokens[first - 1].clause == clause:
        first -= 1
    if first == 0 or tokens[first].word != "and" or tokens[first - 1].part != tokens[start].part:
        return False
    if any(t.word in _OTHERS | {"i", "we"} for t in tokens[first + 1 : start]):
        return False
    told = _told_to(tokens, first - 1)
    if told is None:
        return False
    return not any(t.word in _NEGATIVE for t in tokens[told + 1 : told + 3])


def _describes(tokens: Sequence[_Token], at: int) -> bool:
    """Whether the negation at ``at`` says what someone else does, not what the
    operative won't do: "they never open a window", "he doesn't smoke". Its subject,
    just before it, is another person; not "it" ("so it isn't closed as no access" is
    the operative's doing) nor "there" ("so there's no second visit")."""
    before = at - 1
    while before >= 0 and tokens[before].word in _AUXILIARIES:
        before -= 1
    return (
        before >= 0
        and tokens[before].clause == tokens[at].clause
        and tokens[before].word in _OTHERS
    )


_ARTICLES = frozenset({"a", "an", "the"})


def _denies(tokens: Sequence[_Token], at: int) -> bool:
    """Whether the negation at ``at`` says what someone is not: "she's not my love"."""
    return at > 0 and tokens[at - 1].word in _BEING


def _double_negative(tokens: Sequence[_Token], at: int) -> bool:
    """A negation next to another, which undo each other: "not without checking"."""
    return (
        any(
            0 <= i < len(tokens)
            and tokens[i].word in _DOUBLED
            and tokens[i].clause == tokens[at].clause
            for i in (at - 1, at + 1)
        )
        and tokens[at].word in _DOUBLED
    )


def _rejected(
    spans: Sequence[tuple[int, int]],
    tokens: Sequence[_Token],
    negative: set[int],
    addressed: set[int],
) -> set[int]:
    """Which of the hits (sorted by start) the reply turns down. A "no" before an
    answer's own negative phrase agrees with it ("no, i won't drill"). Words said to
    someone (``addressed``) are turned down only by a negation right before them: "no
    love" is, "don't worry hun" is not."""
    rejected: set[int] = set()
    if not spans:
        return rejected
    for position, token in enumerate(tokens):
        if token.word not in _NEGATION_STARTS or _double_negative(tokens, position):
            continue
        describes = _describes(tokens, position)
        denies = describes and _denies(tokens, position)
        if describes and not denies:
            continue
        for negation, (reach, words) in _NEGATIONS.items():
            if _starts_with(tokens, position, negation):
                turned = _negated(spans, tokens, position, len(negation), reach, words)
                if denies:
                    # "she's not my love" denies the pet name; "he's not in, close it"
                    # says nothing of closing it.
                    turned = {
                        i
                        for i in turned
                        if all(
                            t.word in _ARTICLES
                            for t in tokens[position + len(negation) : spans[i][0]]
                        )
                    }
                after = position + len(negation)
                turned = {
                    i
                    for i in turned
                    if i not in addressed
                    or all(t.little or t.word in _NAMING for t in tokens[after : spans[i][0]])
                }
                rejected |= turned - negative if negation == ("no",) else turned
    for index, (_, end) in enumerate(spans):
        clause, first = tokens[end].clause, end + 1
        if first < len(tokens) and tokens[first].word in _BACK_REFERENCES:
            # "cash in hand, that is not on": a clause of its own, on what came before.
            clause, first = tokens[first].clause, first + 1
        for at in range(first, min(first + 1 + _VERDICT_REACH, len(tokens))):
            if tokens[at].clause != clause:
                break
            if tokens[at].word in _VERDICT_STARTS and any(
                _starts_with(tokens, at, verdict) for verdict in _VERDICTS_AFTER
            ):
                rejected.add(index)
                break
        if _refused_after(tokens, end):
            rejected.add(index)
    return rejected


def _refused_after(tokens: Sequence[_Token], end: int) -> bool:
    """Whether "but" and a refusal follow soon after, before any punctuation: "she
    offered me a tenner but i said no"."""
    stop = min(end + 1 + _REFUSAL_REACH, len(tokens))
    for at in range(end + 1, stop):
        if tokens[at].part != tokens[end].part:
            return False
        if tokens[at].word == "but":
            return any(
                _starts_with_words(tokens, i, refusal)
                for i in range(at + 1, min(at + 4, len(tokens)))
                for refusal in _REFUSED
            )
    return False


def _but_within(tokens: Sequence[_Token], end: int, reach: int) -> bool:
    """Whether a "but" comes within ``reach`` words after the word at ``end``."""
    return any(token.word == "but" for token in tokens[end + 1 : end + 1 + reach])


def _starts_with_words(tokens: Sequence[_Token], at: int, words: Sequence[str]) -> bool:
    end = at + len(words)
    return end <= len(tokens) and all(tokens[at + i].word == w for i, w in enumerate(words))


def _negated(
    spans: Sequence[tuple[int, int]],
    tokens: Sequence[_Token],
    at: int,
    length: int,
    reach: int,
    words: int,
) -> set[int]:
    """The hits turned down by the negation of ``length`` words at ``at``."""
    after = at + length
    # A negation inside a phrase ("not my job", "don't close it") is that phrase's own:
    # it reaches only phrases inside it ("close it" in "don't close it").
    inside = [end for start, end in spans if start <= at <= end]
    limit = min(inside) if inside else len(tokens)
    clause = tokens[at].clause
    opening = next(token.word for token in tokens if token.clause == clause)
    if opening in _CONDITIONS:
        # "if he doesn't answer, leave a card": the negation is the condition's own.
        reach = 0
    if tuple(token.word for token in tokens[at:after]) in _COMPARISONS:
        part = tokens[at].part
        within = [token.part == part for token in tokens]
    else:
        within = [token.clause == clause for token in tokens]
    following = [
        i for i, (start, _) in enumerate(spans) if after <= start <= limit and within[start]
    ]
    if not following:
        return set()
    first_start, first_end = spans[following[0]]
    between = tokens[after:first_start]
    if len(between) > words or sum(not token.little for token in between) > reach:
        return set()
    negated = {i for i in following if spans[i][0] <= first_end}
    reached = max(spans[i][1] for i in negated)
    # "never take cash or do homers": the negation carries over "or".
    for i in following:
        start, end = spans[i]
        if i in negated:
            continue
        if start <= reached:
            # Another phrase over words already turned down ("darlin" in "darling").
            negated.add(i)
            continue
        if not any(token.word in _JOINERS for token in tokens[reached + 1 : start]):
            break
        negated.add(i)
        reached = max(reached, end)
    return negated
