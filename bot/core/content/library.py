"""The coaching content's schema: topics, scenario prompts, tips, chat, urgent signs and
the post-workshop sequence, as validated models, and the :class:`Library` that holds
them once loaded (see :mod:`bot.core.content.loader`).

Content lives in ``content/`` as YAML so that a facilitator can edit it without
touching code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.core.content.html import html_problem
from bot.core.content.topics import TOPIC_IDS
from bot.core.matching.normalising import Vocabulary

Verdict = Literal["strong", "partial", "concern"]
VERDICTS: tuple[Verdict, ...] = ("strong", "partial", "concern")

#: What ``{landlord}`` in the topic files becomes when no name is configured.
DEFAULT_LANDLORD = "the housing association"
LANDLORD_PLACEHOLDER = "{landlord}"
PLACEHOLDER_PATTERN = re.compile(r"\{[^{}]*\}")

#: Item ids travel inside Telegram callback_data (64 bytes), so they are kept short.
ItemId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]


def _html_ok(value: str) -> str:
    problem = html_problem(value)
    if problem:
        raise ValueError(f"Telegram would reject this HTML: {problem}")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class QuickReply(_Strict):
    """A button under a scenario prompt."""

    label: str = Field(min_length=1, max_length=60)
    verdict: Verdict
    feedback: str = Field(min_length=1, max_length=350)

    _check_html = field_validator("feedback")(_html_ok)


class RubricPattern(_Strict):
    """One kind of free-text answer: how people phrase it, and what the coach says back."""

    verdict: Verdict
    examples: list[Annotated[str, Field(min_length=2, max_length=300)]] = Field(min_length=1)
    key_phrases: list[Annotated[str, Field(min_length=2, max_length=60)]] = Field(
        default_factory=list
    )
    feedback: str = Field(min_length=1, max_length=350)

    _check_html = field_validator("feedback")(_html_ok)


Trade = Literal[
    "gas", "electrical", "plumbing", "joinery", "multi-trade", "plastering-decorating", "other"
]
TRADES: tuple[Trade, ...] = (
    "gas",
    "electrical",
    "plumbing",
    "joinery",
    "multi-trade",
    "plastering-decorating",
    "other",
)

Phrase = Annotated[str, Field(min_length=2, max_length=80)]


class Ingredient(_Strict):
    """One thing a strong free-text answer has, and how the feedback names it.

    The feedback reads "You {found}. Next time add {add}.", so for the shelves::

        id: alternative
        found: offered him what he can do instead
        add: "what he can do instead: the office can tell him his options"
        phrases: [ring the office, office can tell, log it as a new request]
    """

    id: ItemId
    found: str = Field(min_length=3, max_length=120)
    add: str = Field(min_length=3, max_length=200)
    phrases: list[Phrase] = Field(min_length=3)
    #: An act-now safety step (make it safe, 999, the gas emergency line, the
    #: safeguarding lead, getting out): a reply not seen to have it is never strong.
    essential: bool = False
    #: A call the tenant may make themselves ("tell him he can ring the office to check
    #: I'm genuine"): left to them, it still counts. Any other call or report left to
    #: the tenant ("she should ring it in") is not made.
    tenant_may: bool = False

    _check_html = field_validator("found", "add")(_html_ok)


class RedFlag(_Strict):
    """Something that makes a reply a concern (unbooked work, cash, "love", closing a job
    that isn't done, entering without consent), unless the reply rejects it."""

    id: ItemId
    phrases: list[Phrase] = Field(min_length=2)
    why: str = Field(min_length=5, max_length=250)
    #: The ingredient this shortcut stands in for ("tape it up" for making it safe):
    #: in a reply that has that ingredient too, it is a step of a safe answer.
    instead_of: str | None = None
    #: A stance rather than an act ("not my trade", "not my job"): followed by "but" in
    #: the same sentence and a step of a good answer ("not my trade, but I'll log it now
    #: so a gas engineer comes"), it is the reason given before acting, not a brush-off.
    but_undoes: bool = False
    #: Words said to the tenant (pet names): a negation turns one down only when nothing
    #: but little words stand between ("no love", "not my love"), so "don't worry hun"
    #: still calls her hun.
    addressed: bool = False

    _check_html = field_validator("why")(_html_ok)


class JudgingFile(_Strict):
    """``content/judging.yaml``: what judging shares across prompts. Shortcuts that make
    a reply to any prompt a concern (keeping it from the office, cash, pet names,
    phoning while driving), beside each prompt's own red flags."""

    red_flags: list[RedFlag] = Field(default_factory=list)

    @field_validator("red_flags")
    @classmethod
    def _unique(cls, flags: list[RedFlag]) -> list[RedFlag]:
        ids = [flag.id for flag in flags]
        if len(set(ids)) != len(ids):
            raise ValueError("red flag ids must be unique")
        return flags


class ScenarioPrompt(_Strict):
    """A short doorstep situation and a question, answered with a tap or a few words."""

    id: ItemId
    scenario: str = Field(min_length=10, max_length=400)
    question: str = Field(min_length=5, max_length=200)
    #: The trades the scenario is written for; empty means it suits every trade.
    trades: list[Trade] = Field(default_factory=list)
    options: list[QuickReply] = Field(min_length=2, max_length=4)
    #: What a strong answer has; a reply with all is strong, with some partial.
    ingredients: list[Ingredient] = Field(default_factory=list, max_length=4)
    red_flags: list[RedFlag] = Field(default_factory=list)
    rubric: list[RubricPattern] = Field(min_length=1)
    model_answer: str = Field(min_length=5, max_length=500)

    _check_html = field_validator("scenario", "question", "model_answer")(_html_ok)

    @field_validator("rubric")
    @classmethod
    def _rubric_has_a_strong_answer(cls, rubric: list[RubricPattern]) -> list[RubricPattern]:
        if not any(pattern.verdict == "strong" for pattern in rubric):
            raise ValueError("the rubric needs at least one pattern with verdict 'strong'")
        return rubric

    @model_validator(mode="after")
    def _stands_in_for_an_ingredient(self) -> ScenarioPrompt:
        ingredients = {ingredient.id for ingredient in self.ingredients}
        unknown = [
            f"{flag.id}: {flag.instead_of}"
            for flag in self.red_flags
            if flag.instead_of is not None and flag.instead_of not in ingredients
        ]
        if unknown:
            raise ValueError(f"instead_of names no ingredient of this prompt: {', '.join(unknown)}")
        return self


class Tip(_Strict):
    """An answer to a "what do I say when..." question, with the ways people ask it."""

    id: ItemId
    questions: list[Annotated[str, Field(min_length=3, max_length=200)]] = Field(min_length=2)
    answer: str = Field(min_length=10, max_length=800)

    _check_html = field_validator("answer")(_html_ok)


class TopicFile(_Strict):
    """One file in ``content/topics/``: everything the coach knows about one topic."""

    topic: str
    title: str = Field(min_length=3, max_length=60)
    summary: str = Field(min_length=10, max_length=300)
    #: Words and phrases that point to this topic, for routing free questions.
    keywords: list[Annotated[str, Field(min_length=2, max_length=40)]] = Field(default_factory=list)
    prompts: list[ScenarioPrompt] = Field(min_length=1)
    tips: list[Tip] = Field(min_length=1)

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, topic: str) -> str:
        if topic not in TOPIC_IDS:
            raise ValueError(f"unknown topic {topic!r}; known topics: {', '.join(TOPIC_IDS)}")
        return topic


class VocabularyFile(_Strict):
    """``content/vocabulary.yaml``: how operatives type, for the matcher."""

    words: dict[str, str] = Field(default_factory=dict)
    stopwords: list[str] = Field(default_factory=list)
    #: Family name -> the wordings that read as it when ingredients and red flags are
    #: spotted (not in routing): "call" <- "phone", "give him a bell".
    families: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("words")
    @classmethod
    def _single_lowercase_words(cls, words: dict[str, str]) -> dict[str, str]:
        bad = [key for key in words if not key or key != key.lower() or " " in key]
        if bad:
            raise ValueError(f"keys must be single lower-case words: {', '.join(bad)}")
        return {key: value.lower() for key, value in words.items()}

    @field_validator("families")
    @classmethod
    def _each_wording_once(cls, families: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        twice = []
        for name, wordings in families.items():
            for wording in wordings:
                if seen.setdefault(wording.lower(), name) != name:
                    twice.append(wording)
        if twice:
            raise ValueError(f"wordings in more than one family: {', '.join(twice)}")
        return families

    def vocabulary(self) -> Vocabulary:
        return Vocabulary(
            dict(self.words),
            frozenset(self.stopwords),
            {
                wording.lower(): name.lower()
                for name, wordings in self.families.items()
                for wording in wordings
            },
        )


class ChatKind(_Strict):
    """One kind of chat that isn't a question (thanks, a greeting, being sworn at, a
    question about the bot...) and the short, human answer it gets instead of a tip."""

    id: ItemId
    reply: str = Field(min_length=2, max_length=400)
    #: A short message made only of these words (and small ones) is this kind of chat:
    #: "cheers that helped", "morning all".
    words: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list)
    #: Signs (as in urgent.yaml) that make a message of up to 14 words this
    #: kind of chat wherever they stand: "change my time", "who reads this".
    signs: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(default_factory=list)
    examples: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list
    )
    #: Sums ("20 x 17", "15% of 240") are this kind of chat.
    sums: bool = False
    #: A short message that asks nothing and opens or ends with one of these is this
    #: kind of chat, whatever else it says: "cheers for the help earlier".
    bookends: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list)

    _check_html = field_validator("reply")(_html_ok)


class SmallTalkFile(_Strict):
    """``content/small_talk.yaml``: chat that isn't a question, for the matcher."""

    examples: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list
    )
    groups: dict[str, list[Phrase]] = Field(default_factory=dict)
    kinds: list[ChatKind] = Field(default_factory=list)


class AskedFile(_Strict):
    """``content/asked.yaml``: messages operatives have typed, by the topic whose tips
    answer them, and ones no topic answers. The matcher learns from these how people
    really ask, in words the tips' own questions don't use."""

    topics: dict[ItemId, list[Annotated[str, Field(min_length=2, max_length=600)]]] = Field(
        default_factory=dict
    )
    off_topic: list[Annotated[str, Field(min_length=1, max_length=600)]] = Field(
        default_factory=list
    )

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, topics: dict[str, list[str]]) -> dict[str, list[str]]:
        for topic in topics:
            if topic not in TOPIC_IDS:
                raise ValueError(f"unknown topic {topic!r}; known topics: {', '.join(TOPIC_IDS)}")
        return topics


class UrgentAskedFile(_Strict):
    """``content/urgent_asked.yaml``: messages operatives have typed about each kind of
    emergency, in their own words, and near misses that only sound like one. The urgent
    model learns from these how a danger is really told: often without its name, or in
    passing in a message about something else."""

    kinds: dict[ItemId, list[Annotated[str, Field(min_length=2, max_length=600)]]] = Field(
        default_factory=dict
    )
    calm: list[Annotated[str, Field(min_length=2, max_length=600)]] = Field(default_factory=list)


class RepliedFile(_Strict):
    """``content/replied.yaml``: replies operatives have typed to the prompts, by prompt
    and by the verdict a trainer gave them. The judge learns from these how partial and
    concern answers are really worded, across every prompt."""

    prompts: dict[
        ItemId, dict[Verdict, list[Annotated[str, Field(min_length=1, max_length=600)]]]
    ] = Field(default_factory=dict)


class TypedWhileWaitingFile(_Strict):
    """``content/typed_while_waiting.yaml``: messages operatives have typed while a
    scenario waited for their answer, as answers and as questions. A model learns from
    these how a question is put when it has no question word or mark ("if i havent got
    covers in the van"), and how an answer sounds when it quotes one ("ring him, is
    half 12 ok?")."""

    answers: list[Annotated[str, Field(min_length=1, max_length=600)]] = Field(default_factory=list)
    questions: list[Annotated[str, Field(min_length=1, max_length=600)]] = Field(
        default_factory=list
    )


class UrgentKind(_Strict):
    """One kind of emergency (a gas smell, words about ending one's life...): the signs
    that a message is about it, and the tip that says what to do now."""

    id: ItemId
    tip: ItemId
    #: Phrases joined by "+", each a phrase or a $group; see bot.core.matching.urgent.
    signs: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(min_length=1)
    #: Signs that name the danger without saying it is here ("asbestos", "carbon
    #: monoxide"): training questions and handled jobs name it too. A message showing
    #: only these is this kind unless the model is all but sure it is calm.
    mentions: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(
        default_factory=list
    )
    #: Messages about this emergency, in operatives' own words: they teach the model
    #: that catches what the signs miss.
    examples: list[Annotated[str, Field(min_length=2, max_length=200)]] = Field(
        default_factory=list
    )


class UrgentFile(_Strict):
    """``content/urgent.yaml``: messages that get a safety tip whatever their topic."""

    #: Words that mean the same thing here, used in signs as $name.
    groups: dict[str, list[Phrase]] = Field(default_factory=dict)
    kinds: list[UrgentKind] = Field(default_factory=list)
    #: Messages that mention a danger but are not an emergency ("how do i explain what
    #: a co alarm is for"): they teach the model what calm looks like.
    calm: list[Annotated[str, Field(min_length=2, max_length=200)]] = Field(default_factory=list)
    #: When a message shows signs of several kinds, a kind here wins over those it lists
    #: (a child among the dangers makes it a child at risk), whatever their weight.
    prefer: dict[ItemId, list[ItemId]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _kinds_exist(self) -> UrgentFile:
        ids = {kind.id for kind in self.kinds}
        unknown = sorted(
            {kind for kind, others in self.prefer.items() for kind in (kind, *others)} - ids
        )
        if unknown:
            raise ValueError(f"prefer names kinds that are not defined: {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _groups_exist(self) -> UrgentFile:
        missing = sorted(
            {
                part.strip()
                for kind in self.kinds
                for sign in kind.signs
                for part in sign.split("+")
                if part.strip().startswith("$") and part.strip()[1:] not in self.groups
            }
        )
        if missing:
            raise ValueError(f"signs use groups that are not defined: {', '.join(missing)}")
        return self


SequenceAsk = Literal["commitment", "commitment_check", "reflection"]


class SequenceStep(_Strict):
    """One step of the post-workshop sequence (``content/sequences.yaml``)."""

    id: ItemId
    day: int = Field(ge=0, le=365)
    ask: SequenceAsk
    text: str = Field(min_length=5, max_length=1000)

    _check_html = field_validator("text")(_html_ok)


class SequencesFile(_Strict):
    post_workshop: list[SequenceStep] = Field(default_factory=list)

    @field_validator("post_workshop")
    @classmethod
    def _unique_in_order(cls, steps: list[SequenceStep]) -> list[SequenceStep]:
        ids = [step.id for step in steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        if [step.day for step in steps] != sorted(step.day for step in steps):
            raise ValueError("steps must be in order of day")
        return steps


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    summary: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Library:
    """All content, indexed for the core. Built by :func:`load_library`."""

    topics: Mapping[str, Topic]
    prompts: Mapping[str, ScenarioPrompt]
    tips: Mapping[str, Tip]
    topic_of: Mapping[str, str]
    texts: Mapping[str, str] = field(default_factory=dict)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    #: Examples of off-topic chat, so the matcher can tell it apart.
    small_talk: tuple[str, ...] = ()
    #: Kinds of chat, each with its own answer; groups of words their signs use.
    chat: tuple[ChatKind, ...] = ()
    chat_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The post-workshop sequence, in order of day.
    sequence: tuple[SequenceStep, ...] = ()
    #: Emergencies that override routing, in order of precedence.
    urgent: tuple[UrgentKind, ...] = ()
    #: The groups of words urgent signs use, by name.
    urgent_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Red flags for every prompt, beside its own (a prompt's own flag of the same id wins).
    red_flags: tuple[RedFlag, ...] = ()
    #: Messages that mention a danger but are not an emergency.
    urgent_calm: tuple[str, ...] = ()
    #: Which urgent kinds win over which, when a message shows signs of both.
    urgent_prefer: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Messages operatives have typed, by the topic that answers them
    #: (``content/asked.yaml``), and ones that no topic answers.
    asked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    asked_off_topic: tuple[str, ...] = ()
    #: Messages operatives have typed about each kind of emergency, and near misses
    #: (``content/urgent_asked.yaml``).
    urgent_asked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    urgent_asked_calm: tuple[str, ...] = ()
    #: Replies operatives have typed, by prompt and the verdict a trainer gave them
    #: (``content/replied.yaml``).
    replied: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    #: Messages operatives have typed while a scenario waited: its answers, and
    #: questions asked instead (``content/typed_while_waiting.yaml``).
    waiting_answers: tuple[str, ...] = ()
    waiting_questions: tuple[str, ...] = ()

    def titles(self) -> dict[str, str]:
        """Each topic's title by its id, as reports name topics."""
        return {topic_id: topic.title for topic_id, topic in self.topics.items()}

    def prompts_in(self, topic: str) -> list[ScenarioPrompt]:
        return [p for p in self.prompts.values() if self.topic_of[p.id] == topic]

    def text(self, key: str, **values: object) -> str:
        """A bot text from ``content/texts.yaml``, with ``{placeholders}`` filled in."""
        return self.texts[key].format(**values)
