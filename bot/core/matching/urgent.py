"""Messages that need action now, whatever else they are about.

A gas smell, signs of carbon monoxide, live wires, asbestos, words about ending
one's life, a child or adult at risk, domestic abuse, or someone who may have
collapsed: the coach answers these with the safety tip first, before any topic
model has its say. The signs live in ``content/urgent.yaml`` (see
:mod:`bot.core.matching.signs` for how they read).

Signs are exact, and a new wording of the same danger slips past them. So a second
detector, a naive Bayes model taught by each kind's examples, the messages operatives
have typed about each (``content/urgent_asked.yaml``) and the calm ones (messages that
mention a danger but are not one, and every other tip's questions),
catches a message the signs miss when it reads more like an emergency than like
calm. It leans to recall: a false alarm costs a safety tip, a miss can cost a life.
A logistic model taught the same messages, which weighs a message's words together,
has the last word: it stops an alarm it hardly believes ("tenant says hes giving a 0
cos of the wait" is not carbon monoxide), and raises one itself when it is sure.

    >>> alarm = UrgentSigns(library, normaliser)
    >>> alarm.kind_of("theres a smell of gas in the hall").id
    'gas'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum

from rapidfuzz import fuzz, process

from bot.core.content.library import Library, UrgentKind
from bot.core.matching.logistic import LogisticModel
from bot.core.matching.memos import Memoised
from bot.core.matching.naive_bayes import NaiveBayes, features
from bot.core.matching.normalising import Normaliser
from bot.core.matching.signs import Signs

_NEGATIONS = frozenset({"no", "not", "never", "without", "none", "nowhere", "nothing", "nobody"})
#: The model's labels for a message that is not an emergency, and one that is.
CALM = "(calm)"
URGENT = "(urgent)"


class Source(Enum):
    """Where a message the models learn from comes from."""

    #: Written for the content: a kind's examples, calm ones, small talk.
    EXAMPLE = "example"
    #: Typed by operatives about an emergency, or a near miss (``urgent_asked.yaml``).
    TYPED = "typed"
    #: A question of a tip no emergency's tip is.
    TIP_QUESTION = "tip question"
    #: Typed by operatives about anything else (``asked.yaml``).
    ASKED = "asked"


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
#: And one message operatives have typed about an emergency (``content/urgent_asked.yaml``),
#: beside one example written for the content. Each urgent tuning part, scored by a
#: model that learnt from the others (``python -m bench.urgent_parts``), round 8: the
#: coach (naive Bayes alone, before the logistic second opinion below) missed 7 of 2,055
#: urgent messages with them, beside (fresh, before they were learnt) 10 of 150 on
#: tune8a and 3 of 150 on tune8b without.
URGENT_ASKED_WEIGHT = 1.0
#: How much each message teaches the naive Bayes model.
BAYES_WEIGHTS = {
    Source.EXAMPLE: 1.0,
    Source.TYPED: URGENT_ASKED_WEIGHT,
    Source.TIP_QUESTION: TIP_QUESTION_WEIGHT,
    Source.ASKED: ASKED_WEIGHT,
}
#: And the logistic model that has the last word on its alarms: it learns calm from
#: every everyday message as much as from an example.
LOGISTIC_WEIGHTS = {
    Source.EXAMPLE: 1.0,
    Source.TYPED: 2.0,
    Source.TIP_QUESTION: 0.3,
    Source.ASKED: 1.0,
}
#: An alarm the naive Bayes model raises stands only if the logistic model gives an
#: emergency at least this share; and the logistic model alone raises one at
#: ``SURE_ALONE``. Round 8, with two urgent and two routing parts at a time left out of
#: what the models learn (urgent spent7 and tune8a, tune8b and tune7c, tune8c and
#: tune8d, tune7 and spent6; 1,315 urgent messages, and 4,130 ordinary questions,
#: safeguarding aside), as the coach routes: 11 urgent messages missed, 1.0% of the
#: questions taken for an emergency the signs didn't show (0.1 and 0.6: 8 and 2.0%;
#: 0.3 and 0.6: 15 and 0.7%; naive Bayes alone, on the first two folds, 7 of 600
#: missed and 4.6%). Without urgent_asked.yaml, on those two folds, the coach had
#: missed 22 and taken 2.7%. Round 12, once the models learnt round 11's held-out
#: part, six folds (spent7 and tune8b, tune11d, spent10, spent11, tune10a, spent9;
#: 1,150 urgent messages, 2,350 ordinary questions): 10 missed at 0.2, 0.22 and 0.25,
#: 15 at 0.3; questions taken for an emergency 41, 37, 33 and 26.
SECOND_OPINION = 0.25
SURE_ALONE = 0.6
#: A message of ``SHORT_WORDS`` words or fewer the signs don't mark needs a surer second
#: opinion: naive Bayes reads much into one odd word ("aye nae bother" read 0.84 for a
#: gas leak).
#: Round 9, three folds of an urgent and a routing part left out of what the models
#: learn (spent7 and tune8b, spent8 and tune9a, tune9b and tune8c): off-topic messages
#: taken for an emergency 22 of 900 at 0.2, 17 at 0.4, 16 at 0.6; urgent messages
#: caught 999 of 1,000 at each. Every urgent tuning part scored by a matcher that did
#: not learn it (``python -m bench.urgent_parts``): 13 of 3,205 missed at 0.4.
#: Round 10, once the models learnt round 10's quieter urgent parts, six folds
#: (tune10a, tune10c, spent9, tune8e, spent7, tune8b): ordinary questions taken for
#: an emergency 28 of 1,940 at 0.4, 26 at 0.5, 25 at 0.6 to 0.8; 5 of 1,000 urgent
#: messages missed at each. Round 11, once they learnt round 11's people at risk told
#: by what they said or did, eight folds (tune11d, tune10a, tune10c, spent9, spent10,
#: tune8e, spent7, tune8b): 41 of 2,400 at 0.5, 40 at 0.6, with the same 9 of 1,350
#: urgent messages missed. Round 13, eight folds (spent7 and tune8b, tune11d, spent10,
#: spent11, spent12, tune10a, spent9, tune12c; 1,500 urgent messages, 2,810 ordinary
#: questions), the messages that need the surer opinion made longer ("rain rain rain.
#: sick of it" read as water near electrics): up to 4 words, 35 questions taken for an
#: emergency; up to 6, 33; up to 8, 32; 1 urgent message missed at each.
SHORT_WORDS = 8
SHORT_SECOND_OPINION = 0.6
#: The fewest words a message the logistic model alone raises an alarm on must have:
#: on a few words it is sure too soon ("would i ring him tonight myself", typed as an
#: answer, read 0.8 for self-harm).
SURE_ALONE_WORDS = 8
#: Its first step (as the topic model's, ``Tuning.logistic_learning_rate``).
LOGISTIC_LEARNING_RATE = 200.0
#: The model's belief that a message is one of the emergencies, above which it is.
#: Leave-one-part-out on the urgent tuning parts, every part takes a lower one than
#: this (0.02 or 0.05: a miss costs ten false alarms), but lower, ordinary questions
#: ("how do i say no to...") start to read as emergencies. Round 6 set it to 0.1 (from
#: 0.4), with URGENT_PENALTY, TIP_QUESTION_WEIGHT, TELLING_WORD and the asked
#: messages as calm. On the six urgent tuning parts, with round 6's content, against
#: round 5's settings: the model alone misses 20 urgent messages of 890 (39), the
#: coach none (1); near-miss false alarms 16.4% (11.1%); topic routing on the routing
#: tuning parts 96.1% (95.1%)
#: (round 6, ``python -m bench.coaching --tuning``).
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


class UrgentSigns(Memoised):
    # Routing a message asks the belief more than once (the alarm, then how sure).
    MEMOS = (
        ("_typos", "_typo_uncached", 16384),
        ("belief", "_belief_uncached", 1024),
        ("second_opinion", "_second_opinion_uncached", 1024),
    )
    _typos: Callable[[str], str]
    belief: Callable[[str], float]
    second_opinion: Callable[[str], float]

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
        self.memoise()
        self._prefer = library.urgent_prefer
        self._urgent_belief = urgent_belief
        # Choosing the calm messages reads signs, which read typos, before the models
        # and the words emergencies are told by are learnt.
        self._model: NaiveBayes | None = None
        self._urgent_words: dict[str, list[str]] = {}
        sources = list(self._examples(library))
        examples = [
            (label, self._terms(text), BAYES_WEIGHTS[source]) for label, text, source in sources
        ]
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
        # A second opinion on the naive Bayes model's alarm, from a model that weighs a
        # message's words together (and so is not carried away by one word).
        self._second = (
            LogisticModel.fit(
                (
                    (label if label == CALM else URGENT, text, LOGISTIC_WEIGHTS[source])
                    for label, text, source in sources
                ),
                learning_rate=LOGISTIC_LEARNING_RATE,
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

    def _examples(self, library: Library) -> Iterable[tuple[str, str, Source]]:
        """What teaches the models: ``(kind id or CALM, text, where it comes from)``."""
        urgent_tips = {kind.tip for kind in library.urgent}
        for kind in library.urgent:
            for example in kind.examples:
                yield kind.id, example, Source.EXAMPLE
        for kind_id, messages in library.urgent_asked.items():
            for message in messages:
                yield kind_id, message, Source.TYPED
        for text in library.urgent_calm:
            yield CALM, text, Source.EXAMPLE
        for text in library.urgent_asked_calm:
            yield CALM, text, Source.TYPED
        for tip in library.tips.values():
            if tip.id not in urgent_tips:
                for question in tip.questions:
                    yield CALM, question, Source.TIP_QUESTION
        for text in library.small_talk:
            yield CALM, text, Source.EXAMPLE
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
        # And answers to the scenarios no emergency is in: what a reply sounds like.
        replies = [
            reply
            for prompt_id, verdicts in library.replied.items()
            if library.topic_of[prompt_id] in calm_topics
            and not self._signs.shown(library.prompts[prompt_id].scenario)
            for marked in verdicts.values()
            for reply in marked
        ]
        for text in (*asked, *library.asked_off_topic, *replies):
            if not self._signs.shown(text) and not self._mentions.shown(text):
                yield CALM, text, Source.ASKED

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
        """The kind of emergency the models believe the message is about, if they believe
        it is one at all (for a message the signs missed)."""
        if self._model is None or self._which is None:
            return None
        terms = self._known_terms(text)
        if not self.sure(text):
            if len(terms) < MIN_KNOWN_WORDS or self.belief(text) < self._urgent_belief:
                return None
            # A pair of words may tell where neither does alone ("ending it", "not here").
            if not any(self._telling(feature) for feature in features(terms)):
                return None
            short = len(text.split()) <= SHORT_WORDS
            if self.second_opinion(text) < (SHORT_SECOND_OPINION if short else SECOND_OPINION):
                return None
        beliefs = self._which.beliefs(terms)
        return self._kinds[max(beliefs, key=beliefs.__getitem__)]

    def _second_opinion_uncached(self, text: str) -> float:
        """The logistic model's share for an emergency."""
        return self._second.shares(text)[URGENT] if self._second is not None else 0.0

    def sure(self, text: str) -> bool:
        """Whether the logistic model alone is sure the message is an emergency: in a
        message long enough to be sure of ("he kept asking" gives it one word to go on)."""
        return len(text.split()) >= SURE_ALONE_WORDS and self.second_opinion(text) >= SURE_ALONE
