"""Messages that need action now, whatever else they are about.

A gas smell, signs of carbon monoxide, live wires, asbestos, words about ending
one's life, a child or adult at risk, domestic abuse, or someone who may have
collapsed: the coach answers these with the safety tip first, before any topic
model has its say. The signs live in ``content/urgent.yaml`` (see
:mod:`bot.core.matching.signs` for how they read).

Signs are exact, and a new wording of the same danger slips past them. So a second
detector, a naive Bayes model taught by each kind's examples and the calm ones
(messages that mention a danger but are not one, and every other tip's questions),
catches a message the signs miss when it reads more like an emergency than like
calm. It leans to recall: a false alarm costs a safety tip, a miss can cost a life.

    >>> alarm = UrgentSigns(library, normaliser)
    >>> alarm.kind_of("theres a smell of gas in the hall").id
    'gas'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.core.content.library import Library, UrgentKind
from bot.core.matching.naive_bayes import NaiveBayes, features
from bot.core.matching.normalising import Normaliser
from bot.core.matching.signs import Signs

_NEGATIONS = frozenset({"no", "not", "never", "without", "none", "nowhere", "nothing", "nobody"})
#: The model's labels for a message that is not an emergency, and one that is.
CALM = "(calm)"
URGENT = "(urgent)"
#: How much one question of an ordinary tip teaches the model what calm looks like,
#: beside one example written for it. Doubled in round 6 (from 0.05) when the model
#: was made to lean further to recall: the everyday questions hold its false alarms on
#: ordinary routing in check.
TIP_QUESTION_WEIGHT = 0.1
#: And one message operatives have typed (``content/asked.yaml``) about a topic no
#: emergency's tip belongs to, or about nothing the coach covers, that shows no sign
#: nor names a danger. Routing with each routing tuning part left out of asked.yaml
#: (``python -m bench.coaching --leave-out tune3,tune4,spent3,spent4,spent5``), on
#: average: 89.5% without them, 90.1% with them at 0.1 (round 5's settings and
#: content: 91.1%); the model's misses on the urgent tuning parts are the same.
ASKED_WEIGHT = 0.1
#: Topics an emergency's tip belongs to whose asked messages are calm all the same:
#: preventive questions are about gutters, handrails and damp, the emergencies among
#: them show signs.
CALM_ASKED_TOPICS: frozenset[str] = frozenset({"preventive"})
#: The model's belief that a message is one of the emergencies, above which it is.
#: Leave-one-part-out on the urgent tuning parts, every part takes a lower one than
#: this (0.02 or 0.05: a miss costs ten false alarms), but lower, ordinary questions
#: ("how do i say no to...") start to read as emergencies. Round 6 set it to 0.1 (from
#: 0.4), with URGENT_PENALTY, TIP_QUESTION_WEIGHT, TELLING_WORD and the asked
#: messages as calm. On the six urgent tuning parts, with round 6's content, against
#: round 5's settings: the model alone misses 20 urgent messages of 890 (39), the
#: coach none (1); near-miss false alarms 16.4% (11.1%); topic routing on the routing
#: tuning parts 96.1% (95.1%)
#: (``python -m bench.urgent_parts --lopo``, ``python -m bench.coaching --tuning``).
URGENT_BELIEF = 0.1
#: And at least one of its words, or pairs of words, must be this much likelier (in
#: nats) in an emergency than in calm: weak hints alone ("door", "noise") never raise
#: the alarm. 1.0 since round 6 (was 1.25): when set, the model alone missed 17 urgent
#: messages of the 890 in the urgent tuning parts rather than 21, for one more
#: near-miss false alarm and routing 0.4 points lower with each part left out of
#: asked.yaml.
TELLING_WORD = 1.0
#: A message that only names a danger ("mentions" in urgent.yaml: "asbestos", "carbon
#: monoxide") is that emergency unless the model's belief is below this: all but sure
#: it is calm, as training questions and handled jobs read. Set well below every urgent
#: message of the tuning parts that only names its danger (the lowest has read 0.4 with
#: any model tried here, 0.97 now), and above almost all the calm ones (most read under
#: 0.01).
MENTION_BELIEF = 0.1
#: The fewest words the model must know to judge a message: one word is too little to
#: go on ("shove it", "shove off" are chat), and a one-word emergency is the signs' job.
MIN_KNOWN_WORDS = 2
#: How much a phrase of a kind's signs teaches which kind a message is about.
SIGN_WORD_WEIGHT = 0.2
#: A word this long or longer, unknown to the content, this close (rapidfuzz ratio) to
#: a word emergencies are told by, is read as that word.
TYPO_MIN_LENGTH = 6
TYPO_RATIO = 88.0
#: The model's additive smoothing, and the most one word it has not seen with a label
#: costs that label (in nats). Set on the tuning parts, for recall.
SMOOTHING = 0.1
MAX_PENALTY = 3.0
#: The most a word seen in calm messages but never in an emergency's costs the
#: emergency. Lower than ``MAX_PENALTY``: the calm messages are many and everyday, and
#: an emergency told in new words ("kicking off at her", "fresh blood") shares few
#: of its words with the examples; a word of chat must not outweigh a telling one.
URGENT_PENALTY = 2.0


class UrgentSigns:
    def __init__(
        self,
        library: Library,
        normaliser: Normaliser,
        urgent_belief: float = URGENT_BELIEF,
        known: Callable[[str], bool] | None = None,
    ) -> None:
        """``known`` says whether a word is one the content uses, so not a typo."""
        self._normaliser = normaliser
        self._known = known
        self._signs = Signs(
            [(kind, kind.signs) for kind in library.urgent],
            library.urgent_groups,
            normaliser,
            self._correct if known is not None else None,
        )
        self._mentions = Signs(
            [(kind, kind.mentions) for kind in library.urgent],
            library.urgent_groups,
            normaliser,
            self._correct if known is not None else None,
        )
        self._kinds = {kind.id: kind for kind in library.urgent}
        self._typos = lru_cache(maxsize=16384)(self._typo_uncached)
        # Routing a message asks the belief more than once (the alarm, then how sure).
        self.belief = lru_cache(maxsize=1024)(self._belief_uncached)
        self._prefer = library.urgent_prefer
        self._urgent_belief = urgent_belief
        examples = list(self._examples(library))
        labels = {label for label, _, _ in examples}
        # Is it an emergency at all (every kind's examples against calm), and if so which.
        self._model = (
            NaiveBayes.fit(
                (
                    (label if label == CALM else URGENT, terms, weight)
                    for label, terms, weight in examples
                ),
                smoothing=SMOOTHING,
                max_penalty=MAX_PENALTY,
                penalties={URGENT: URGENT_PENALTY},
            )
            if CALM in labels and len(labels) > 1
            else None
        )
        # The words emergencies are told by, for reading typos of them.
        words = {
            word
            for phrase in (*self._sign_phrases(library), *(t for _, t, _ in examples))
            for word in phrase
            if len(word) >= TYPO_MIN_LENGTH and "_" not in word
        }
        self._urgent_words: dict[str, list[str]] = {}
        for word in sorted(words):
            self._urgent_words.setdefault(word[0], []).append(word)
        # Which kind also learns from the words of each kind's signs ("knife", "flue").
        self._which = (
            NaiveBayes.fit(
                [
                    *(example for example in examples if example[0] != CALM),
                    *self._sign_words(library),
                ]
            )
            if self._model
            else None
        )

    def _correct(self, word: str) -> str:
        """A word the content never uses, read as the emergency word it is a typo of
        ("asbestoes", "suicidal"), if it is surely one."""
        if (
            len(word) < TYPO_MIN_LENGTH
            or (self._known is not None and self._known(word))
            or (self._model is not None and self._model.knows(word))
        ):
            return word
        return self._typos(word)

    def _typo_uncached(self, word: str) -> str:
        # People rarely get the first letter wrong, and it keeps the search small.
        found = process.extractOne(
            word, self._urgent_words.get(word[0], ()), scorer=fuzz.ratio, score_cutoff=TYPO_RATIO
        )
        return str(found[0]) if found else word

    def _telling(self, feature: str) -> bool:
        assert self._model is not None
        row = self._model.log_probability.get(feature)
        if row is None:
            return False
        urgent, calm = self._model.labels.index(URGENT), self._model.labels.index(CALM)
        return row[urgent] - row[calm] >= TELLING_WORD

    def _terms(self, text: str) -> list[str]:
        """The message's words for the model, each of the two after a negation marked
        as such: "no smell of gas" is not "smell of gas"."""
        terms: list[str] = []
        negated = 0
        for term in self._normaliser.terms(text):
            if term in _NEGATIONS:
                negated = 2
            elif negated:
                terms.append(f"not_{term}")
                negated -= 1
            else:
                terms.append(term)
        return terms

    def _examples(self, library: Library) -> Iterable[tuple[str, list[str], float]]:
        terms = self._terms
        urgent_tips = {kind.tip for kind in library.urgent}
        for kind in library.urgent:
            for example in kind.examples:
                yield kind.id, terms(example), 1.0
        for text in library.urgent_calm:
            yield CALM, terms(text), 1.0
        for tip in library.tips.values():
            if tip.id not in urgent_tips:
                for question in tip.questions:
                    yield CALM, terms(question), TIP_QUESTION_WEIGHT
        for text in library.small_talk:
            yield CALM, terms(text), 1.0
        # How operatives really ask about everything else: calm, unless a sign says not.
        calm_topics = set(CALM_ASKED_TOPICS) | (
            set(library.asked) - {library.topic_of[tip] for tip in urgent_tips}
        )
        asked = [
            text
            for topic, messages in library.asked.items()
            if topic in calm_topics
            for text in messages
        ]
        for text in (*asked, *library.asked_off_topic):
            if not self._signs.shown(text) and not self._mentions.shown(text):
                yield CALM, terms(text), ASKED_WEIGHT

    def _sign_words(self, library: Library) -> Iterable[tuple[str, list[str], float]]:
        for kind in library.urgent:
            for sign in (*kind.signs, *kind.mentions):
                for part in (part.strip() for part in sign.split("+")):
                    phrases = (
                        library.urgent_groups.get(part[1:], ()) if part.startswith("$") else (part,)
                    )
                    for phrase in phrases:
                        yield kind.id, self._terms(phrase), SIGN_WORD_WEIGHT

    def _sign_phrases(self, library: Library) -> Iterable[list[str]]:
        for _, terms, _ in self._sign_words(library):
            yield terms

    def kind_of(self, text: str) -> UrgentKind | None:
        """The kind of emergency the message shows the surest sign of, if any; else the
        one the model believes it is about, if it believes it is one at all."""
        return self.signed(text) or self.believed(text)

    def signed(self, text: str) -> UrgentKind | None:
        """The kind of emergency the message shows the surest sign of, if any; of several,
        one the content prefers over the others ("prefer" in urgent.yaml), and of signs
        as sure of kinds neither is preferred to, the kind its words read most like."""
        shown = self._signs.shown(text)
        if not shown:
            shown = self._mentions.shown(text)
            if shown and self.belief(text) < MENTION_BELIEF:
                return None
        ids = {kind.id for kind, _ in shown}
        beaten = {other for kind in ids for other in self._prefer.get(kind, ())}
        unbeaten = [(kind, weight) for kind, weight in shown if kind.id not in beaten] or shown
        if not unbeaten:
            return None
        surest = max(weight for _, weight in unbeaten)
        tied = [kind for kind, weight in unbeaten if weight == surest]
        if len(tied) > 1 and self._which is not None:
            # Signs as sure of several kinds: the one its words read most like.
            beliefs = self._which.beliefs(self._known_terms(text))
            return max(tied, key=lambda kind: beliefs.get(kind.id, 0.0))
        return tied[0]

    def _known_terms(self, text: str) -> list[str]:
        """The message's terms the model knows, typos read as the words they are of."""
        assert self._model is not None
        terms = self._terms(text)
        if self._known is not None:
            terms = [term if self._model.knows(term) else self._correct(term) for term in terms]
        return [term for term in terms if self._model.knows(term)]

    def _belief_uncached(self, text: str) -> float:
        """The model's belief that the message is one of the emergencies."""
        if self._model is None:
            return 1.0
        terms = self._known_terms(text)
        return self._model.beliefs(terms)[URGENT] if terms else 0.0

    def believed(self, text: str) -> UrgentKind | None:
        """The kind of emergency the model believes the message is about, if it believes
        it is one at all (for a message the signs missed)."""
        if self._model is None or self._which is None:
            return None
        terms = self._known_terms(text)
        if len(terms) < MIN_KNOWN_WORDS or self.belief(text) < self._urgent_belief:
            return None
        # A pair of words may tell where neither does alone ("ending it", "not here").
        if not any(self._telling(feature) for feature in features(terms)):
            return None
        beliefs = self._which.beliefs(terms)
        return self._kinds[max(beliefs, key=beliefs.__getitem__)]
