"""The coaching content: its schema, and a loader that reports problems by file and line.

Content lives in ``content/`` as YAML so that a facilitator can edit it without
touching code. Load it once at start-up::

    library = load_library(Path("content"))
    prompt = library.prompts["doorstep-id-card"]

A broken file raises :class:`ContentError`, whose ``problems`` read like
``content/topics/doorstep.yaml:42: prompts[3].rubric[0].feedback: too long``.

The topic files name no landlord: they say ``{landlord}``, filled in at load time
with the deploying organisation's name (``COACHBOT_LANDLORD_NAME``)::

    library = load_library(Path("content"), landlord="Riverside Homes")
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.content import style as content_style
from bot.core.content.html import escape, html_problem
from bot.core.content.topics import TOPIC_IDS
from bot.core.matching.normalising import Normaliser, Vocabulary

Verdict = Literal["strong", "partial", "concern"]
VERDICTS: tuple[Verdict, ...] = ("strong", "partial", "concern")

#: What ``{landlord}`` in the topic files becomes when no name is configured.
DEFAULT_LANDLORD = "the housing association"
LANDLORD_PLACEHOLDER = "{landlord}"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")

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

    _check_html = field_validator("found", "add")(_html_ok)


class RedFlag(_Strict):
    """Something that makes a reply a concern (unbooked work, cash, "love", closing a job
    that isn't done, entering without consent), unless the reply rejects it."""

    id: ItemId
    phrases: list[Phrase] = Field(min_length=2)
    why: str = Field(min_length=5, max_length=250)

    _check_html = field_validator("why")(_html_ok)


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

    @field_validator("words")
    @classmethod
    def _single_lowercase_words(cls, words: dict[str, str]) -> dict[str, str]:
        bad = [key for key in words if not key or key != key.lower() or " " in key]
        if bad:
            raise ValueError(f"keys must be single lower-case words: {', '.join(bad)}")
        return {key: value.lower() for key, value in words.items()}

    def vocabulary(self) -> Vocabulary:
        return Vocabulary(dict(self.words), frozenset(self.stopwords))


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

    _check_html = field_validator("reply")(_html_ok)


class SmallTalkFile(_Strict):
    """``content/small_talk.yaml``: chat that isn't a question, for the matcher."""

    examples: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list
    )
    groups: dict[str, list[Phrase]] = Field(default_factory=dict)
    kinds: list[ChatKind] = Field(default_factory=list)


class UrgentKind(_Strict):
    """One kind of emergency (a gas smell, words about ending one's life...): the signs
    that a message is about it, and the tip that says what to do now."""

    id: ItemId
    tip: ItemId
    #: Phrases joined by "+", each a phrase or a $group; see bot.core.matching.urgent.
    signs: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(min_length=1)


class UrgentFile(_Strict):
    """``content/urgent.yaml``: messages that get a safety tip whatever their topic."""

    #: Words that mean the same thing here, used in signs as $name.
    groups: dict[str, list[Phrase]] = Field(default_factory=dict)
    kinds: list[UrgentKind] = Field(default_factory=list)

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

    def titles(self) -> dict[str, str]:
        """Each topic's title by its id, as reports name topics."""
        return {topic_id: topic.title for topic_id, topic in self.topics.items()}

    def prompts_in(self, topic: str) -> list[ScenarioPrompt]:
        return [p for p in self.prompts.values() if self.topic_of[p.id] == topic]

    def text(self, key: str, **values: object) -> str:
        """A bot text from ``content/texts.yaml``, with ``{placeholders}`` filled in."""
        return self.texts[key].format(**values)


#: The most prompts whose strong quick reply is also the longest label: above this,
#: picking the longest option would pass too often.
MAX_STRONG_LONGEST_SHARE = 0.40


def strong_is_longest(library: Library) -> list[str]:
    """Ids of the prompts whose strong quick reply is longer than every other one."""
    found = []
    for prompt in library.prompts.values():
        lengths = [len(option.label) for option in prompt.options]
        if any(
            option.verdict == "strong"
            and lengths.count(len(option.label)) == 1
            and len(option.label) == max(lengths)
            for option in prompt.options
        ):
            found.append(prompt.id)
    return found


@dataclass(frozen=True)
class ContentProblem:
    file: Path
    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.problem}"


class ContentError(Exception):
    """The content could not be loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


Path_ = tuple[str | int, ...]

#: libyaml's parser when PyYAML was built with it: several times faster on our files.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Builds scalars (str, int, bool, dates) with YAML's safe rules.
_SCALARS = yaml.SafeLoader("")


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    """Turn a composed YAML node into plain data, remembering the line of every value."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _SCALARS.construct_object(node)


def _load_yaml(file: Path) -> tuple[Any, dict[Path_, int]]:
    lines: dict[Path_, int] = {}
    with file.open(encoding="utf-8") as stream:
        node = yaml.compose(stream, Loader=_FAST_LOADER)
    if node is None:
        return None, lines
    return _to_python(node, (), lines), lines


def _field_name(loc: Path_) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(file)"


def _line_of(loc: Path_, lines: Mapping[Path_, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _problems_from(
    error: ValidationError, file: Path, lines: Mapping[Path_, int]
) -> Iterator[ContentProblem]:
    for detail in error.errors():
        loc = tuple(part for part in detail["loc"] if not str(part).startswith("function-"))
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "string_type" and isinstance(detail["input"], bool):
            # yes, no, on and off unquoted are YAML's true and false.
            message = f"YAML reads this as {str(detail['input']).lower()}: put it in quotes"
        yield ContentProblem(file, _line_of(loc, lines), _field_name(loc), message)


def _parse(file: Path) -> tuple[Any, dict[Path_, int]] | ContentProblem:
    try:
        return _load_yaml(file)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return ContentProblem(file, line, "(file)", f"not valid YAML: {exc.problem}")


def load_library(root: Path, landlord: str = DEFAULT_LANDLORD) -> Library:
    """Load and validate every content file under ``root``, with ``{landlord}`` in the
    topic files read as ``landlord``.

    Raises ContentError listing every problem found, not just the first.
    """
    problems: list[ContentProblem] = []
    topics: dict[str, Topic] = {}
    prompts: dict[str, ScenarioPrompt] = {}
    tips: dict[str, Tip] = {}
    topic_of: dict[str, str] = {}
    first_seen: dict[str, ContentProblem] = {}
    keywords: list[tuple[ContentProblem, str]] = []

    topic_files = sorted((root / "topics").glob("*.yaml"))
    if not topic_files:
        problems.append(ContentProblem(root / "topics", 1, "(folder)", "no topic files found"))
    for file in topic_files:
        parsed = _parse(file)
        if isinstance(parsed, ContentProblem):
            problems.append(parsed)
            continue
        data, lines = parsed
        problems.extend(_unknown_placeholders(data, file, lines))
        data = _filled(data, escape(landlord))
        try:
            topic_file = TopicFile.model_validate(data)
        except ValidationError as exc:
            problems.extend(_problems_from(exc, file, lines))
            continue
        if topic_file.topic in topics:
            problems.append(
                ContentProblem(
                    file, lines[("topic",)], "topic", f"topic {topic_file.topic!r} defined twice"
                )
            )
            continue
        topics[topic_file.topic] = Topic(
            topic_file.topic, topic_file.title, topic_file.summary, tuple(topic_file.keywords)
        )
        keywords.extend(
            (ContentProblem(file, lines[("keywords", i)], f"keywords[{i}]", ""), keyword)
            for i, keyword in enumerate(topic_file.keywords)
        )
        items: list[tuple[str, int, ScenarioPrompt | Tip]] = [
            *(("prompts", i, p) for i, p in enumerate(topic_file.prompts)),
            *(("tips", i, t) for i, t in enumerate(topic_file.tips)),
        ]
        for kind, index, item in items:
            here = ContentProblem(file, lines[(kind, index, "id")], f"{kind}[{index}].id", "")
            if item.id in first_seen:
                seen = first_seen[item.id]
                problems.append(
                    ContentProblem(
                        here.file,
                        here.line,
                        here.field,
                        f"duplicate id {item.id!r} (first used at {seen.file}:{seen.line})",
                    )
                )
                continue
            first_seen[item.id] = here
            topic_of[item.id] = topic_file.topic
            if isinstance(item, ScenarioPrompt):
                prompts[item.id] = item
            else:
                tips[item.id] = item

    texts = _load_texts(root, problems)
    vocabulary_file = _load_model(root / "vocabulary.yaml", VocabularyFile, problems)
    sequences_file = _load_model(root / "sequences.yaml", SequencesFile, problems)
    small_talk_file = _load_model(root / "small_talk.yaml", SmallTalkFile, problems)
    urgent_file = _load_model(root / "urgent.yaml", UrgentFile, problems)
    urgent = tuple(urgent_file.kinds) if urgent_file else ()
    urgent_groups = (
        {name: tuple(words) for name, words in urgent_file.groups.items()} if urgent_file else {}
    )
    problems.extend(
        ContentProblem(root / "urgent.yaml", 1, f"kinds[{index}].tip", f"no tip {kind.tip!r}")
        for index, kind in enumerate(urgent)
        if kind.tip not in tips
    )
    vocabulary = vocabulary_file.vocabulary() if vocabulary_file else Vocabulary()
    sequence = sequences_file.post_workshop if sequences_file else []
    normaliser = Normaliser(vocabulary)
    problems.extend(
        replace(
            where,
            problem=f"{keyword!r} means nothing to the matcher once stopwords are dropped; "
            "add a word that says what it is about",
        )
        for where, keyword in keywords
        if not normaliser.means_something(keyword)
    )
    if problems:
        raise ContentError(problems)
    small_talk = tuple(small_talk_file.examples) if small_talk_file else ()
    chat = tuple(small_talk_file.kinds) if small_talk_file else ()
    small_talk += tuple(example for kind in chat for example in kind.examples)
    chat_groups = (
        {name: tuple(words) for name, words in small_talk_file.groups.items()}
        if small_talk_file
        else {}
    )
    return Library(
        topics,
        prompts,
        tips,
        topic_of,
        texts,
        vocabulary,
        small_talk,
        chat=chat,
        chat_groups=chat_groups,
        sequence=tuple(sequence),
        urgent=urgent,
        urgent_groups=urgent_groups,
    )


def _strings(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))


def _unknown_placeholders(
    data: Any, file: Path, lines: Mapping[Path_, int]
) -> Iterator[ContentProblem]:
    """Braces that would reach an operative as they are: only {landlord} is filled in."""
    for path, text in _strings(data):
        for placeholder in _PLACEHOLDER.findall(text):
            if placeholder != LANDLORD_PLACEHOLDER:
                yield ContentProblem(
                    file,
                    _line_of(path, lines),
                    _field_name(path),
                    f"{placeholder} is not filled in by the bot; only {LANDLORD_PLACEHOLDER} is",
                )


def style_check(root: Path) -> tuple[list[ContentProblem], float]:
    """Texts an operative reads that are hard to read or not in British English, by file
    and line, and the mean reading age of all of them (see :mod:`bot.core.content.style`)."""
    problems: list[ContentProblem] = []
    shown: list[str] = []
    files = [
        *sorted((root / "topics").glob("*.yaml")),
        root / "texts.yaml",
        root / "sequences.yaml",
    ]
    for file in files:
        parsed = _parse(file) if file.exists() else None
        if parsed is None or isinstance(parsed, ContentProblem):
            continue  # load_library reports these
        data, lines = parsed
        for path, text in _strings(data):
            field = _field_name(path)
            topic_text = file.parent.name == "topics" and content_style.SHOWN_FIELD.match(field)
            bot_text = file.name == "texts.yaml" or field.endswith(".text")
            if not (topic_text or bot_text):
                continue
            shown.append(text)
            problems.extend(
                ContentProblem(file, _line_of(path, lines), field, problem)
                for problem in content_style.style_problems(text)
            )
    return problems, content_style.mean_reading_age(shown)


def _filled(data: Any, landlord: str) -> Any:
    if isinstance(data, str):
        return data.replace(LANDLORD_PLACEHOLDER, landlord)
    if isinstance(data, dict):
        return {key: _filled(value, landlord) for key, value in data.items()}
    if isinstance(data, list):
        return [_filled(value, landlord) for value in data]
    return data


_Model = TypeVar("_Model", bound=BaseModel)


def _load_model(file: Path, model: type[_Model], problems: list[ContentProblem]) -> _Model | None:
    """Validate one top-level YAML file; None if it is absent or has problems (reported)."""
    if not file.exists():
        return None
    parsed = _parse(file)
    if isinstance(parsed, ContentProblem):
        return None  # _load_texts has already reported it
    data, lines = parsed
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, file, lines))
        return None


def _load_texts(root: Path, problems: list[ContentProblem]) -> dict[str, str]:
    """Load ``texts.yaml`` (the bot's own words), plus ``texts-*.yaml`` for a feature's
    own words, all in one namespace."""
    texts: dict[str, str] = {}
    for file in sorted(root.glob("texts*.yaml")):
        if file.stem != "texts" and not file.stem.startswith("texts-"):
            continue
        parsed = _parse(file)
        if isinstance(parsed, ContentProblem):
            problems.append(parsed)
            continue
        data, lines = parsed
        if not isinstance(data, dict):
            problems.append(ContentProblem(file, 1, "(file)", "expected key: text pairs"))
            continue
        for key, value in data.items():
            if not isinstance(value, str):
                problems.append(ContentProblem(file, lines[(key,)], key, "expected a text"))
                continue
            problem = html_problem(value.replace("{", "").replace("}", ""))
            if problem:
                problems.append(ContentProblem(file, lines[(key,)], key, problem))
            if key in texts:
                problems.append(ContentProblem(file, lines[(key,)], key, "defined twice"))
            texts[key] = value.strip()
    return texts
