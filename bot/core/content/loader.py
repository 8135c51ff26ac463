"""Loading the coaching content from ``content/``, and reporting problems by file and line.

    library = load_library(Path("content"))
    prompt = library.prompts["doorstep-id-card"]

A broken file raises :class:`ContentError`, whose ``problems`` read like
``content/topics/doorstep.yaml:42: prompts[3].rubric[0].feedback: too long``.

The topic files name no landlord: they say ``{landlord}``, filled in at load time
with the deploying organisation's name (``COACHBOT_LANDLORD_NAME``)::

    library = load_library(Path("content"), landlord="Riverside Homes")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from bot.core.content import style as content_style
from bot.core.content.html import escape, html_problem
from bot.core.content.library import (
    DEFAULT_LANDLORD,
    LANDLORD_PLACEHOLDER,
    PLACEHOLDER_PATTERN,
    AskedFile,
    JudgingFile,
    Library,
    RepliedFile,
    ScenarioPrompt,
    SequencesFile,
    SmallTalkFile,
    Tip,
    Topic,
    TopicFile,
    TypedWhileWaitingFile,
    UrgentAskedFile,
    UrgentFile,
    VocabularyFile,
)
from bot.core.matching.normalising import Normaliser, Vocabulary

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
    every_topic_read = True

    topic_files = sorted((root / "topics").glob("*.yaml"))
    if not topic_files:
        problems.append(ContentProblem(root / "topics", 1, "(folder)", "no topic files found"))
    for file in topic_files:
        parsed = _parse(file)
        if isinstance(parsed, ContentProblem):
            problems.append(parsed)
            every_topic_read = False
            continue
        data, lines = parsed
        problems.extend(_unknown_placeholders(data, file, lines))
        data = _filled(data, escape(landlord))
        try:
            topic_file = TopicFile.model_validate(data)
        except ValidationError as exc:
            problems.extend(_problems_from(exc, file, lines))
            every_topic_read = False
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
    judging_file = _load_model(root / "judging.yaml", JudgingFile, problems)
    asked_file = _load_model(root / "asked.yaml", AskedFile, problems)
    replied_file = _load_model(root / "replied.yaml", RepliedFile, problems)
    urgent_asked_file = _load_model(root / "urgent_asked.yaml", UrgentAskedFile, problems)
    waiting_file = _load_model(root / "typed_while_waiting.yaml", TypedWhileWaitingFile, problems)
    if urgent_asked_file and urgent_file:
        urgent_kinds = {kind.id for kind in urgent_file.kinds}
        problems.extend(
            ContentProblem(
                root / "urgent_asked.yaml", 1, f"kinds.{kind}", f"no urgent kind {kind!r}"
            )
            for kind in urgent_asked_file.kinds
            if kind not in urgent_kinds
        )
    # A topic file that failed to load leaves its ids unknown: saying so of every
    # reference to them would bury the one real problem under its echoes.
    if replied_file and every_topic_read:
        problems.extend(
            ContentProblem(root / "replied.yaml", 1, f"prompts.{prompt}", f"no prompt {prompt!r}")
            for prompt in replied_file.prompts
            if prompt not in prompts
        )
    urgent = tuple(urgent_file.kinds) if urgent_file else ()
    urgent_groups = (
        {name: tuple(words) for name, words in urgent_file.groups.items()} if urgent_file else {}
    )
    problems.extend(
        ContentProblem(root / "urgent.yaml", 1, f"kinds[{index}].tip", f"no tip {kind.tip!r}")
        for index, kind in enumerate(urgent)
        if kind.tip not in tips and every_topic_read
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
        red_flags=tuple(judging_file.red_flags) if judging_file else (),
        urgent_calm=tuple(urgent_file.calm) if urgent_file else (),
        urgent_prefer=(
            {kind: tuple(others) for kind, others in urgent_file.prefer.items()}
            if urgent_file
            else {}
        ),
        asked=(
            {topic: tuple(messages) for topic, messages in asked_file.topics.items()}
            if asked_file
            else {}
        ),
        asked_off_topic=tuple(asked_file.off_topic) if asked_file else (),
        urgent_asked=(
            {kind: tuple(messages) for kind, messages in urgent_asked_file.kinds.items()}
            if urgent_asked_file
            else {}
        ),
        urgent_asked_calm=tuple(urgent_asked_file.calm) if urgent_asked_file else (),
        replied=(
            {
                prompt: {verdict: tuple(replies) for verdict, replies in by_verdict.items()}
                for prompt, by_verdict in replied_file.prompts.items()
            }
            if replied_file
            else {}
        ),
        waiting_answers=tuple(waiting_file.answers) if waiting_file else (),
        waiting_questions=tuple(waiting_file.questions) if waiting_file else (),
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
        for placeholder in PLACEHOLDER_PATTERN.findall(text):
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
        root / "judging.yaml",
    ]
    for file in files:
        parsed = _parse(file) if file.exists() else None
        if parsed is None or isinstance(parsed, ContentProblem):
            continue  # load_library reports these
        data, lines = parsed
        for path, text in _strings(data):
            field = _field_name(path)
            topic_text = file.parent.name == "topics" and content_style.SHOWN_FIELD.match(field)
            bot_text = (
                file.name == "texts.yaml"
                or field.endswith(".text")
                or (file.name == "judging.yaml" and field.endswith(".why"))
            )
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
