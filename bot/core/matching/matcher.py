"""Match what operatives type to the coaching content.

Two jobs, both on normalised text (see :mod:`bot.core.matching.normalising`):

* :meth:`Matcher.route` takes a free question ("what do i say if im running
  late") and finds the best tip across all topics, or says it is off-topic;
* :meth:`Matcher.judge` takes a reply to a scenario prompt and marks it by the
  ingredients and red flags it has (see :mod:`bot.core.matching.judging`), or else by
  the rubric pattern it is closest to; between a partial and a concern pattern, how
  replies worded like it were marked (``content/replied.yaml``,
  :mod:`bot.core.matching.replies`) weighs in too.

    >>> matcher = Matcher(library)
    >>> matcher.route("tenent kicking off about the wait").topic
    'difficult-conversations'

In routing, the evidence (the nearest phrasings, the content's and those in
``content/asked.yaml``, and a naive Bayes model) says how sure the coach is; it, a
complement naive Bayes model over words and runs of letters
(:mod:`bot.core.matching.complement`) and a logistic model over words
(:mod:`bot.core.matching.logistic`), both also learning from asked.yaml, vote on
which topic; the complement model, which knows off-topic messages best, says when no
topic answers, and the logistic model may too. Tips and rubric patterns are matched by how
much of the message's meaning (words weighted by rarity) they cover, and by rapidfuzz
similarity to their phrasings, which forgives word order and typos.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process

from bot.core.content.library import Library, ScenarioPrompt, UrgentKind
from bot.core.matching.answer_or_question import AnswerOrQuestion
from bot.core.matching.chat import ChatSigns
from bot.core.matching.complement import ComplementModel
from bot.core.matching.judging import Basis, Judgement, PromptJudge
from bot.core.matching.logistic import LogisticModel
from bot.core.matching.memos import Memoised
from bot.core.matching.naive_bayes import NaiveBayes
from bot.core.matching.neighbours import Neighbour, PhraseIndex, Phrasing
from bot.core.matching.normalising import Normaliser, Vocabulary
from bot.core.matching.replies import ReplyLean
from bot.core.matching.tfidf import Space, word_features
from bot.core.matching.urgent import UrgentSigns


class Confidence(StrEnum):
    SURE = "sure"
    UNSURE = "unsure"
    OFF_TOPIC = "off_topic"


#: The label the topic model uses for small talk and anything else off-topic.
OFF_TOPIC = "(off-topic)"
#: The topic of saying no to requests, where a bare "not my job" is a blunt no.
SAYING_NO = "saying-no"


@dataclass(frozen=True)
class Tuning:
    """The matcher's knobs, set on the tuning part of the evaluation set."""

    #: Naive Bayes: additive smoothing, the most one unused word costs a label
    #: (in nats), and how much a word pair counts against a single word.
    smoothing: float = 0.5
    max_penalty: float = 3.0
    pair_weight: float = 1.0
    #: How much the different parts of the content teach the topic model.
    weight_tip_question: float = 3.0
    weight_tip_answer: float = 1.0
    weight_scenario: float = 2.0
    weight_example: float = 1.0
    weight_keyword: float = 5.0
    weight_small_talk: float = 12.0
    #: Messages operatives have typed (content/asked.yaml), on a topic or off it.
    weight_asked: float = 3.0
    #: A short message this close (rapidfuzz ratio) to a small-talk example is small talk.
    small_talk_ratio: float = 88.0
    #: How many words count as a short message, for that check.
    short_message_words: int = 4
    #: The complement model (words and letter runs): its smoothing, the most any one
    #: example counts, how sharply its scores become shares, and its weight in the vote.
    complement_smoothing: float = 1.0
    complement_weight_cap: float = 3.0
    complement_sharpness: float = 4.0
    complement_weight: float = 0.5
    #: The logistic model (words and word pairs, :mod:`bot.core.matching.logistic`): its
    #: share of the topic vote, beside the evidence and the complement model's, and how
    #: it is fitted (passes, first step, L2 shrinking).
    logistic_weight: float = 0.7
    #: The message is off-topic, too, when the logistic model gives off-topic at least
    #: this share of its best topic's.
    logistic_off_topic_lean: float = 2.0
    logistic_epochs: int = 10
    logistic_learning_rate: float = 200.0
    logistic_regularisation: float = 1e-5
    #: How many nearest phrasings vote, and how their vote weighs against the model's.
    neighbours: int = 15
    #: How many of the content's own phrasings nearest the message are searched for its tip.
    tip_neighbours: int = 20
    belief_weight: float = 0.25
    #: Below this share of known (weighted) words, a message is beyond the content.
    known_share_below: float = 0.4
    #: Below this share of the vote for the best topic, the message is off-topic.
    off_topic_below: float = 0.22
    #: The message is off-topic when the complement model gives off-topic at least
    #: this share of its best topic's: below 1, doubt leans towards "not a coaching
    #: question" (a trade question wrongly answered with a tip costs more trust than a
    #: question sent to the "ask me about..." answer).
    off_topic_lean: float = 0.5
    #: The urgent model's belief below which its alarm needs a second opinion: the topic
    #: model must give the emergency tip's topic at least ``urgent_topic_share``; and,
    #: while a scenario waits, a message it reads so unsurely stays an answer.
    urgent_unsure_below: float = 0.4
    urgent_topic_share: float = 0.1
    #: Below this share of the vote, the coach asks "did you mean...".
    unsure_below: float = 0.6
    #: A typo is corrected to a known word at this rapidfuzz ratio or above.
    typo_ratio: float = 80.0
    #: In choosing a tip, weight of word coverage against fuzzy similarity.
    tip_coverage_weight: float = 0.6
    #: In judging, weight of the best example's fuzzy similarity against word overlap.
    example_weight: float = 0.8
    #: Weight of the all-prompts verdict model (how strong, partial and concern
    #: answers tend to be worded anywhere) beside this prompt's own examples.
    verdict_model_weight: float = 0.15
    #: Between the nearest partial and the nearest concern example, weight of how far
    #: the reply's wording leans to a concern (log odds, learnt from
    #: ``content/replied.yaml``) beside the difference in their scores.
    reply_lean_weight: float = 0.03
    #: That model's additive smoothing.
    reply_lean_smoothing: float = 1.0
    #: A reply with some ingredients (and no act-now step missing) whose wording leans
    #: this much to the strong replies over the partial ones (log odds) is strong.
    strong_lean_above: float = 15.0
    #: A reply with every ingredient whose wording leans this much to the partial
    #: replies (log odds below this) is a thin version of each step: partial. Set on
    #: the tuning parts, a nat and more under the lowest strong reply there.
    thin_lean_below: float = -1.5
    #: Added to a pattern's score when one of its key phrases appears.
    key_phrase_bonus: float = 0.1
    #: A reply scoring below this against every pattern has no verdict.
    no_verdict_below: float = 0.25
    #: A reply this close (rapidfuzz ratio) to a quick reply's label is that quick reply.
    typed_option_ratio: float = 85.0
    #: A reply missing one of three or more ingredients is strong if it scores this
    #: much against a strong rubric pattern.
    strong_wording: float = 0.6
    #: A reply of this many words or more is full: with at least half the ingredients,
    #: worded like the strong examples (``strong_wording``), it is strong.
    full_reply_words: int = 14
    #: A reply with some ingredients is partial, unless it scores this much against a
    #: concern pattern: all but word for word one of its examples.
    concern_verbatim: float = 1.05


@dataclass(frozen=True)
class Route:
    """Where a free question goes."""

    confidence: Confidence
    topic: str | None
    tip: str | None
    #: How far the content's own words back ``topic``, from 0 to 1: "sure" at
    #: ``Tuning.unsure_below`` and above.
    score: float
    #: For "did you mean...", the best tip in each of the two likeliest topics (in the
    #: likeliest alone when sure; none when off-topic).
    choices: tuple[tuple[str, str], ...] = ()
    #: Off-topic because it is chat, not a question the content is missing.
    small_talk: bool = False
    #: The kind of emergency the message is about (content/urgent.yaml), if any: then
    #: ``tip`` is that kind's safety tip, whatever else the message seems to be about.
    urgent: str | None = None
    #: The kind of chat it is (content/small_talk.yaml), if it is chat of a known kind.
    chat: str | None = None


@dataclass(frozen=True)
class _Pattern:
    """A rubric pattern, prepared: each example's normalised text and terms, and padded
    key phrases."""

    #: Each example's normalised text, terms, and the terms' total weight.
    examples: tuple[tuple[str, frozenset[str], float], ...]
    key_phrases: tuple[str, ...]


@dataclass(frozen=True)
class _TipIndex:
    tip: str
    terms: frozenset[str]
    phrasings: tuple[str, ...]


@dataclass(frozen=True)
class Learnt:
    """What the judge learnt from marked replies: how their wording leans, and each
    prompt's rubric patterns with the replies among their examples."""

    lean: ReplyLean
    rubrics: Mapping[str, list[_Pattern]]


class Matcher(Memoised):
    MEMOS = (("_correct", "_correct_uncached", 16384),)
    _correct: Callable[[str], str]

    def __init__(
        self,
        library: Library,
        vocabulary: Vocabulary | None = None,
        small_talk: Sequence[str] | None = None,
        tuning: Tuning | None = None,
    ) -> None:
        self.library = library
        self.normaliser = Normaliser(vocabulary or library.vocabulary)
        self.tuning = tuning or Tuning()
        chat = small_talk if small_talk is not None else library.small_talk
        self._small_talk = sorted({self.normaliser.text(example) for example in chat})
        topic_texts = list(self._topic_texts(chat))
        self._topics = NaiveBayes.fit(
            [(label, self.normaliser.terms(text), weight) for label, text, weight in topic_texts],
            smoothing=self.tuning.smoothing,
            max_penalty=self.tuning.max_penalty,
            pair_weight=self.tuning.pair_weight,
        )
        cap = self.tuning.complement_weight_cap
        capped = [(label, text, min(weight, cap)) for label, text, weight in topic_texts]
        words = Space.learn([text for _, text, _ in capped], word_features)
        self._complement = ComplementModel.fit(capped, self.tuning.complement_smoothing, words)
        # The logistic model learns how questions are asked, not how the scenarios are
        # answered: with each of eight routing parts left out of asked.yaml in turn,
        # topics 90.5% -> 90.9%, off-topic recall 89.7% -> 90.1% (round 8). The replies
        # keep their place, weightless, so the word features learnt above still fit.
        replies = {
            example
            for prompt in library.prompts.values()
            for pattern in prompt.rubric
            for example in (*pattern.examples, *pattern.key_phrases)
        }
        self._logistic = LogisticModel.fit(
            [(label, text, 0.0 if text in replies else weight) for label, text, weight in capped],
            epochs=self.tuning.logistic_epochs,
            learning_rate=self.tuning.logistic_learning_rate,
            regularisation=self.tuning.logistic_regularisation,
            words=words,
        )
        self._verdicts = NaiveBayes.fit(
            self._verdict_examples(),
            smoothing=self.tuning.smoothing,
            max_penalty=self.tuning.max_penalty,
            pair_weight=self.tuning.pair_weight,
        )
        content_phrasings = list(self._phrasings())
        self._phrases = PhraseIndex(
            [*content_phrasings, *self._asked_phrasings()], self.tuning.pair_weight
        )
        # The tip to answer with is chosen among the content's own phrasings: the many
        # asked messages, which name no tip, would crowd the tips' questions out.
        self._tip_phrases = PhraseIndex(content_phrasings, self.tuning.pair_weight)
        self._tips_in: dict[str, list[_TipIndex]] = {}
        for tip in library.tips.values():
            self._tips_in.setdefault(library.topic_of[tip.id], []).append(
                _TipIndex(
                    tip.id,
                    self._terms([*tip.questions, tip.answer]),
                    tuple(self._phrase(q) for q in tip.questions),
                )
            )
        self._vocabulary_by_initial: dict[str, list[str]] = {}
        # Typos are corrected to the content's own words only: the messages in asked.yaml
        # hold typos and slang of their own, which would become targets.
        asked = {*library.asked_off_topic, *(m for ms in library.asked.values() for m in ms)}
        content_terms = {
            term
            for _, text, _ in topic_texts
            if text not in asked
            for term in self.normaliser.terms(text)
            if " " not in term
        }
        for term in sorted(content_terms):
            self._vocabulary_by_initial.setdefault(term[0], []).append(term)
        self.memoise()
        self.urgent = UrgentSigns(library, self.normaliser, known=self._topics.knows)
        self.chat = ChatSigns(library, self.normaliser)
        #: How messages typed while a scenario waits are put (answer or question).
        self.answer_or_question = AnswerOrQuestion.fit(
            library.waiting_answers, library.waiting_questions, self.normaliser
        )
        #: What the judge learnt from marked replies (``content/replied.yaml``). Replace
        #: it (:meth:`learn_replies`) to score a part of those replies honestly.
        self.learnt = self.learn_replies(library.replied)
        self._judges = {
            prompt.id: PromptJudge(
                prompt,
                self.normaliser,
                library.text,
                self.tuning.typed_option_ratio,
                self.tuning.strong_wording,
                self.tuning.full_reply_words,
                library.red_flags,
                self.tuning.concern_verbatim,
                saying_no=library.topic_of[prompt.id] == SAYING_NO,
                strong_lean=self.tuning.strong_lean_above,
                thin_lean=self.tuning.thin_lean_below,
            )
            for prompt in library.prompts.values()
        }

    # -- building --------------------------------------------------------------

    def _terms(self, texts: Iterable[str]) -> frozenset[str]:
        return frozenset(term for text in texts for term in self.normaliser.terms(text))

    def _phrase(self, text: str) -> str:
        return " ".join(self.normaliser.terms(text))

    def _topic_texts(self, small_talk: Sequence[str]) -> Iterable[tuple[str, str, float]]:
        """What teaches the topic models: ``(topic or OFF_TOPIC, text, weight)``."""
        tuning, library = self.tuning, self.library
        for topic in library.topics.values():
            yield topic.id, f"{topic.title} {topic.summary}", tuning.weight_scenario
            for keyword in topic.keywords:
                yield topic.id, keyword, tuning.weight_keyword
        for tip in library.tips.values():
            topic_id = library.topic_of[tip.id]
            for question in tip.questions:
                yield topic_id, question, tuning.weight_tip_question
            yield topic_id, tip.answer, tuning.weight_tip_answer
        for prompt in library.prompts.values():
            topic_id = library.topic_of[prompt.id]
            yield topic_id, f"{prompt.scenario} {prompt.question}", tuning.weight_scenario
            for pattern in prompt.rubric:
                for example in (*pattern.examples, *pattern.key_phrases):
                    yield topic_id, example, tuning.weight_example
        for example in small_talk:
            yield OFF_TOPIC, example, tuning.weight_small_talk
        for topic_id, messages in library.asked.items():
            for message in messages:
                yield topic_id, message, tuning.weight_asked
        for message in library.asked_off_topic:
            yield OFF_TOPIC, message, tuning.weight_asked

    def _verdict_examples(self) -> Iterable[tuple[str, list[str], float]]:
        """How strong, partial and concern answers are worded, across every prompt."""
        terms = self.normaliser.terms
        for prompt in self.library.prompts.values():
            for pattern in prompt.rubric:
                for example in (*pattern.examples, *pattern.key_phrases):
                    yield pattern.verdict, terms(example), 1.0
            for option in prompt.options:
                yield option.verdict, terms(option.label), 1.0

    def _phrasings(self) -> Iterable[Phrasing]:
        library, terms = self.library, self.normaliser.terms
        for tip in library.tips.values():
            for question in tip.questions:
                yield Phrasing(library.topic_of[tip.id], tip.id, tuple(terms(question)))
        for topic in library.topics.values():
            for keyword in topic.keywords:
                yield Phrasing(topic.id, None, tuple(terms(keyword)))
        for prompt in library.prompts.values():
            text = f"{prompt.scenario} {prompt.question}"
            yield Phrasing(library.topic_of[prompt.id], None, tuple(terms(text)))

    def _asked_phrasings(self) -> Iterable[Phrasing]:
        terms = self.normaliser.terms
        for topic_id, messages in self.library.asked.items():
            for message in messages:
                yield Phrasing(topic_id, None, tuple(terms(message)))

    # -- shared ----------------------------------------------------------------

    def _correct_uncached(self, term: str) -> str:
        if self._topics.knows(term) or len(term) < 4 or term.isdigit():
            return term
        # People rarely get the first letter wrong, and it keeps the search small.
        candidates = self._vocabulary_by_initial.get(term[0], [])
        found = process.extractOne(
            term, candidates, scorer=fuzz.ratio, score_cutoff=self.tuning.typo_ratio
        )
        return found[0] if found else term

    def query_terms(self, text: str) -> list[str]:
        """The message's content words, typos corrected to words the content uses."""
        return [self._correct(term) for term in self.normaliser.terms(text)]

    def _weight(self, term: str) -> float:
        return self._phrases.idf(term)

    def _coverage(self, terms: Sequence[str], known: frozenset[str]) -> float:
        total = sum(self._weight(t) for t in terms)
        if not total:
            return 0.0
        return sum(self._weight(t) for t in terms if t in known) / total

    # -- routing free questions ------------------------------------------------

    def route(self, text: str) -> Route:
        """Find the best tip for a free question, or decide it is off-topic. A message
        showing signs of an emergency gets that emergency's safety tip first."""
        # Chat ("cheers ta") before the urgent model, which may read it either way.
        urgent = self.urgent.signed(text)
        chat = self.chat.kind_of(text) if urgent is None else None
        if urgent is None and chat is None:
            urgent = self._believed_urgent(text)
        if urgent is not None:
            topic = self.library.topic_of[urgent.tip]
            return Route(Confidence.SURE, topic, urgent.tip, 1.0, urgent=urgent.id)
        if chat is not None:
            return Route(Confidence.OFF_TOPIC, None, None, 0.0, small_talk=True, chat=chat.id)
        terms = self.query_terms(text)
        known = [term for term in terms if self._topics.knows(term)]
        if not known or self._is_small_talk(text):
            return Route(Confidence.OFF_TOPIC, None, None, 0.0, small_talk=True)
        if self._coverage(terms, frozenset(known)) < self.tuning.known_share_below:
            # Mostly words the content never uses: perhaps a question it is missing.
            return Route(Confidence.OFF_TOPIC, None, None, 0.0)
        beliefs = self._topics.beliefs(known)
        if max(beliefs, key=beliefs.__getitem__) == OFF_TOPIC:
            return Route(Confidence.OFF_TOPIC, None, None, beliefs[OFF_TOPIC], small_talk=True)
        neighbours = self._phrases.nearest(terms, self.tuning.neighbours)
        votes = dict.fromkeys(self.library.topics, 0.0)
        for neighbour in neighbours:
            votes[neighbour.phrasing.topic] += neighbour.similarity
        total_votes = sum(votes.values()) or 1.0
        topic_belief = sum(beliefs[topic] for topic in votes) or 1.0
        weight = self.tuning.belief_weight
        evidence = {
            topic: (votes[topic] / total_votes + weight * beliefs[topic] / topic_belief)
            / (1 + weight)
            for topic in votes
        }
        likelihood = self._complement_shares(text)
        complement = self.tuning.complement_weight
        # Both vote on the topic; the complement model, which reads letters as well as
        # words, evens out what the nearest few phrasings happen to be.
        logistic = self._logistic.shares(text)
        logistic_total = sum(logistic[topic] for topic in votes) or 1.0
        mix = self.tuning.logistic_weight
        # The logistic model weighs the words together: it tells close topics apart by the
        # words that differ, where the others are pulled by every word they share.
        shares = {
            topic: (1 - mix) * (evidence[topic] + complement * likelihood[topic]) / (1 + complement)
            + mix * logistic[topic] / logistic_total
            for topic in votes
        }
        ranked = sorted(shares, key=shares.__getitem__, reverse=True)
        # Sure only as far as the content's own words back the choice.
        top, score = ranked[0], evidence[ranked[0]]
        best_topic = max(likelihood[topic] for topic in votes)
        best_logistic = max(logistic[topic] for topic in votes)
        if (
            max(evidence.values()) < self.tuning.off_topic_below
            or likelihood[OFF_TOPIC] >= self.tuning.off_topic_lean * best_topic
            or logistic[OFF_TOPIC] >= self.tuning.logistic_off_topic_lean * best_logistic
        ):
            # Not chat (that was caught above) but a question no topic answers: a gap.
            return Route(Confidence.OFF_TOPIC, None, None, score)
        confidence = Confidence.SURE if score >= self.tuning.unsure_below else Confidence.UNSURE
        # "Did you mean" offers the two likeliest topics; a sure answer needs one tip.
        offered = ranked[:2] if confidence is Confidence.UNSURE else ranked[:1]
        tip_neighbours = self._tip_phrases.nearest(terms, self.tuning.tip_neighbours)
        choices = tuple((topic, self._tip_for(topic, terms, tip_neighbours)) for topic in offered)
        return Route(confidence, top, choices[0][1], score, choices)

    def _believed_urgent(self, text: str) -> UrgentKind | None:
        """The emergency the urgent model reads in a message no sign marks, if it is sure,
        or if unsure and the topic model agrees: "how do i tell a fuming tenant the part
        wont be here" reads a little like despair, but the topic model hears a hard
        conversation, not safeguarding."""
        urgent = self.urgent.believed(text)
        if (
            urgent is None
            or self.urgent.belief(text) >= self.tuning.urgent_unsure_below
            or self.urgent.sure(text)
        ):
            return urgent
        topic = self.library.topic_of[urgent.tip]
        agrees = self._complement_shares(text)[topic] >= self.tuning.urgent_topic_share
        return urgent if agrees else None

    def _complement_shares(self, text: str) -> dict[str, float]:
        """The complement model's scores as shares that add up to 1 (a softmax)."""
        scores = self._complement.scores(text)
        top = max(scores.values())
        sharpness = self.tuning.complement_sharpness
        exps = {label: math.exp(sharpness * (score - top)) for label, score in scores.items()}
        total = sum(exps.values())
        return {label: value / total for label, value in exps.items()}

    def is_small_talk(self, text: str) -> bool:
        """Whether a short message is close to one of the small-talk examples."""
        return self._is_small_talk(text)

    def _is_small_talk(self, text: str) -> bool:
        normalised = self.normaliser.text(text)
        if len(normalised.split()) > self.tuning.short_message_words:
            return False
        found = process.extractOne(
            normalised,
            self._small_talk,
            scorer=fuzz.ratio,
            score_cutoff=self.tuning.small_talk_ratio,
        )
        return found is not None

    def _tip_for(self, topic: str, terms: Sequence[str], neighbours: Sequence[Neighbour]) -> str:
        for neighbour in neighbours:
            if neighbour.phrasing.topic == topic and neighbour.phrasing.tip:
                return neighbour.phrasing.tip
        return self.best_tip(topic, terms)

    def best_tip(self, topic: str, terms: Sequence[str]) -> str:
        """The tip in ``topic`` whose wording is closest to a message with these terms."""
        phrase = " ".join(terms)
        weight = self.tuning.tip_coverage_weight
        # The message's term weights once, not once a tip: long messages meet many tips.
        weights = [(term, self._weight(term)) for term in terms]
        total = sum(w for _, w in weights)

        def score(index: _TipIndex) -> float:
            found = process.extractOne(phrase, index.phrasings, scorer=fuzz.token_sort_ratio)
            similarity = found[1] / 100 if found else 0.0
            covered = sum(w for term, w in weights if term in index.terms) / total if total else 0.0
            return weight * covered + (1 - weight) * similarity

        return max(self._tips_in[topic], key=score).tip

    # -- judging replies to prompts --------------------------------------------

    def judge(self, prompt: ScenarioPrompt, text: str) -> Judgement:
        """Mark a reply to ``prompt``: its verdict, what it has and lacks, and feedback."""
        return self._judges[prompt.id].judge(
            text, self.judge_by_rubric(prompt, text), self.lean.towards_strong(text)
        )

    def judge_by_rubric(self, prompt: ScenarioPrompt, text: str) -> Judgement:
        """Match a reply against the prompt's rubric examples alone."""
        terms = self.query_terms(text)
        if not terms:
            return Judgement(None, None, 0.0)
        plain = self.normaliser.text(text)
        normalised = f" {plain} "
        verdict_beliefs = self._verdicts.beliefs(terms)
        tuning = self.tuning
        best: tuple[float, int] = (0.0, -1)
        #: The best score and pattern of each verdict.
        by_verdict: dict[str, tuple[float, int]] = {}
        pattern_verdicts = [p.verdict for p in prompt.rubric]
        # The reply's term weights, once: the overlap with every example needs them.
        mine = {term: self._weight(term) for term in terms}
        mine_total = sum(mine.values())
        for index, pattern in enumerate(self.learnt.rubrics[prompt.id]):
            closest = 0.0
            for example_text, example_terms, example_total in pattern.examples:
                # Characters of the whole reply, small words included: in an answer
                # "tell him" and "tell him why" are different verdicts.
                fuzzy = fuzz.ratio(plain, example_text) / 100
                overlap = _f1(mine, mine_total, example_terms, example_total)
                closest = max(
                    closest, tuning.example_weight * fuzzy + (1 - tuning.example_weight) * overlap
                )
            score = closest
            score += tuning.verdict_model_weight * verdict_beliefs[pattern_verdicts[index]]
            if any(key in normalised for key in pattern.key_phrases):
                score += tuning.key_phrase_bonus
            if score > best[0]:
                best = (score, index)
            verdict = pattern_verdicts[index]
            if score > by_verdict.get(verdict, (0.0, -1))[0]:
                by_verdict[verdict] = (score, index)
        score, index = best
        if index < 0 or score < tuning.no_verdict_below:
            return Judgement(None, None, score)
        partial, concern = by_verdict.get("partial"), by_verdict.get("concern")
        if pattern_verdicts[index] != "strong" and partial and concern:
            # A thin start or a corner cut: the examples' scores, and how replies worded
            # like this one were marked across every prompt.
            lean = tuning.reply_lean_weight * self.lean.towards_concern(text)
            score, index = concern if concern[0] - partial[0] + lean > 0 else partial
        nearest = prompt.rubric[index]
        return Judgement(nearest.verdict, index, score, nearest.feedback, Basis.RUBRIC)

    def learn_replies(
        self,
        replied: Mapping[str, Mapping[str, Sequence[str]]],
        leave_out: frozenset[str] = frozenset(),
    ) -> Learnt:
        """What the judge learns from ``replied`` (prompt -> verdict -> replies): how
        replies lean, and each prompt's rubric with its partial and concern replies as
        examples beside the author's. Replies whose normalised text is in ``leave_out``
        are left out (to score a part of them honestly)."""
        if leave_out:
            replied = {
                prompt: {
                    verdict: [r for r in replies if self.normaliser.text(r) not in leave_out]
                    for verdict, replies in by_verdict.items()
                }
                for prompt, by_verdict in replied.items()
            }
        lean = ReplyLean.fit(
            self.normaliser,
            replied,
            smoothing=self.tuning.reply_lean_smoothing,
            max_penalty=self.tuning.max_penalty,
        )
        rubrics = {
            prompt.id: self._prepare(prompt, replied.get(prompt.id, {}))
            for prompt in self.library.prompts.values()
        }
        return Learnt(lean, rubrics)

    @property
    def lean(self) -> ReplyLean:
        return self.learnt.lean

    def _prepare(
        self, prompt: ScenarioPrompt, replied: Mapping[str, Sequence[str]]
    ) -> list[_Pattern]:
        """The prompt's rubric, ready to match. The first pattern of each verdict also
        holds the marked partial and concern replies (a strong verdict needs the
        ingredients, so strong replies would add nothing but doubt)."""
        first: dict[str, int] = {}
        for index, pattern in enumerate(prompt.rubric):
            first.setdefault(pattern.verdict, index)
        return [
            _Pattern(
                tuple(
                    (self.normaliser.text(example), terms, sum(self._weight(t) for t in terms))
                    for example in (
                        *pattern.examples,
                        *(
                            replied.get(pattern.verdict, ())
                            if first[pattern.verdict] == index and pattern.verdict != "strong"
                            else ()
                        ),
                    )
                    for terms in [frozenset(self.query_terms(example))]
                ),
                tuple(f" {self.normaliser.text(key)} " for key in pattern.key_phrases),
            )
            for index, pattern in enumerate(prompt.rubric)
        ]


def _f1(
    mine: dict[str, float], mine_total: float, example: frozenset[str], example_total: float
) -> float:
    """Weighted overlap of a reply (its terms' weights) with an example: both must cover
    each other."""
    shared = sum(weight for term, weight in mine.items() if term in example)
    if not shared:
        return 0.0
    precision = shared / mine_total
    recall = shared / example_total
    return 2 * precision * recall / (precision + recall)
