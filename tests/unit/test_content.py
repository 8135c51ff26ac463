"""The content schema and `coachbot content check`: every problem, by file and line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.core.content.library import Library
from bot.core.content.loader import ContentError, load_library, strong_is_longest
from bot.core.content.topics import TOPIC_IDS
from tests.conftest import CONTENT
from tests.forked_cli import clean_environment, run_coachbot

GOOD_PROMPT = """
  - id: {id}
    scenario: A tenant asks you to look at something that isn't on the job sheet.
    question: What do you say?
    options:
      - {{label: Log it as a new job, verdict: strong, feedback: Right. Logging it keeps it fair.}}
      - {{label: Just do it, verdict: concern, feedback: Unapproved work causes trouble later.}}
    rubric:
{rubric}
    model_answer: "I can't do that today, but I'll log it for you now."
"""
GOOD_RUBRIC = """      - verdict: strong
        examples: [log it as a new job]
        feedback: Logging it keeps things fair and on record."""


def topic_file(topic: str, prompt_id: str, rubric: str = GOOD_RUBRIC, extra: str = "") -> str:
    return (
        f"topic: {topic}\ntitle: A topic\nsummary: What this topic is about.\n{extra}"
        "prompts:"
        + GOOD_PROMPT.format(id=prompt_id, rubric=rubric)
        + "tips:\n  - id: {tip}\n    questions: [what do i say, how do i say it]\n"
        "    answer: Say it kindly and clearly.\n".format(tip=f"{prompt_id}-tip")
    )


def write(folder: Path, files: dict[str, str]) -> Path:
    (folder / "topics").mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_the_real_content_is_complete(library: Library) -> None:
    assert set(library.topics) == set(TOPIC_IDS)
    for topic in TOPIC_IDS:
        assert len(library.prompts_in(topic)) >= 10
        assert sum(library.topic_of[t] == topic for t in library.tips) >= 6
    for prompt in library.prompts.values():
        assert 2 <= len(prompt.options) <= 4 and len(prompt.scenario) <= 400
        assert {p.verdict for p in prompt.rubric} >= {"strong"}
        assert all(len(p.feedback) <= 350 for p in prompt.rubric)


def test_every_problem_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "topics/a.yaml": topic_file("doorstep", "same-id"),
            "topics/b.yaml": topic_file("saying-no", "same-id"),
            "topics/c.yaml": topic_file("plumbing", "other-id"),
            "topics/d.yaml": topic_file("diversity", "empty-rubric", rubric="      []"),
            "topics/e.yaml": topic_file("preventive", "long", extra="keywords: [no]\n").replace(
                "What do you say?", "What do you say? " + "x" * 200
            ),
            "topics/f.yaml": topic_file("performance", "bad-html").replace(
                "Right. Logging", "Right & <blink>Logging"
            ),
        },
    )
    with pytest.raises(ContentError) as raised:
        load_library(root)
    lines = [str(problem) for problem in raised.value.problems]
    assert any(
        line.startswith(f"{root}/topics/b.yaml:5: prompts[0].id: duplicate id 'same-id'")
        for line in lines
    ), lines
    assert any(
        line.startswith(f"{root}/topics/c.yaml:1: topic: unknown topic 'plumbing'")
        for line in lines
    )
    assert any("d.yaml" in line and "prompts[0].rubric" in line for line in lines)
    assert any(
        "e.yaml" in line and "prompts[0].question" in line and "at most 200" in line
        for line in lines
    )
    assert f"{root}/topics/e.yaml:4: keywords[0]: YAML reads this as false: put it in quotes" in (
        lines
    )
    assert any(
        "f.yaml" in line and "options[0].feedback" in line and "Telegram would reject" in line
        for line in lines
    )


def test_content_check_exits_1_and_prints_each_problem(tmp_path: Path) -> None:
    broken = tmp_path / "content"
    shutil.copytree(CONTENT, broken)
    path = broken / "topics" / "doorstep.yaml"
    path.write_text(path.read_text().replace("verdict: strong", "verdict: brilliant", 1))
    result = _check(broken)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:") and "verdict: Input should be 'strong'" in first
    ok = _check(CONTENT)
    assert ok.returncode == 0 and "10 topics" in ok.stdout


def test_a_keyword_of_filler_words_alone_is_reported_where_it_is(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = content / "topics" / "appointments.yaml"
    text = path.read_text()
    path.write_text(text.replace("keywords:\n", "keywords:\n  - not in\n  - no one in here\n", 1))
    line = text.splitlines().index("keywords:") + 2
    with pytest.raises(ContentError) as raised:
        load_library(content)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{path}:{line}: keywords[0]: 'not in' means nothing to the matcher once stopwords "
        "are dropped; add a word that says what it is about"
    ]


def test_the_landlord_is_named_once_for_every_item(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "topics/a.yaml": topic_file("doorstep", "named").replace(
                "Say it kindly and clearly.", "Say you're from {landlord}, kindly and clearly."
            )
        },
    )
    library = load_library(root, landlord="Riverside & Co")
    assert (
        library.tips["named-tip"].answer
        == "Say you're from Riverside &amp; Co, kindly and clearly."
    )
    assert "the housing association" in load_library(root).tips["named-tip"].answer


def test_a_placeholder_the_bot_does_not_fill_is_reported(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "topics/a.yaml": topic_file("doorstep", "braces").replace(
                "Say it kindly and clearly.", "Say you're from {company}, kindly."
            )
        },
    )
    with pytest.raises(ContentError) as raised:
        load_library(root)
    assert [str(p) for p in raised.value.problems] == [
        f"{root}/topics/a.yaml:19: tips[0].answer: {{company}} is not filled in by the bot; "
        "only {landlord} is"
    ]


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    """`coachbot content check --dir ROOT`, as its own process."""
    return run_coachbot(["content", "check", "--dir", str(root)], clean_environment())


def test_content_check_fails_when_the_longest_quick_reply_gives_the_answer_away(
    tmp_path: Path,
) -> None:
    # The strong option, "Log it as a new job", is longer than "Just do it".
    tempting = "Just do it as he asked nicely and it is quick"
    files = {
        "topics/a.yaml": topic_file("doorstep", "given-away"),
        "topics/b.yaml": topic_file("saying-no", "tempting").replace("Just do it", tempting),
    }
    given_away = _check(write(tmp_path / "half", files))
    assert given_away.returncode == 1
    assert given_away.stderr.strip().splitlines() == [
        f"{tmp_path / 'half'}: the strong quick reply is the longest in 1 of 2 prompts (50%); "
        "keep it at or below 40%, so the longest option isn't a give-away"
    ]
    files["topics/c.yaml"] = topic_file("diversity", "tempting-too").replace("Just do it", tempting)
    library = load_library(write(tmp_path / "third", files))
    assert strong_is_longest(library) == ["given-away"]
    fine = _check(tmp_path / "third")
    assert fine.returncode == 0
    assert "the strong quick reply is the longest in 1 (33%)" in fine.stdout


def test_an_asked_message_under_a_topic_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = content / "asked.yaml"
    text = path.read_text()
    path.write_text(text.replace("topics:\n", "topics:\n  door-step:\n  - how do i knock\n", 1))
    line = text.splitlines().index("topics:") + 1
    with pytest.raises(ContentError) as raised:
        load_library(content)
    (problem,) = raised.value.problems
    assert str(problem).startswith(f"{path}:{line}: topics: unknown topic 'door-step'")


def test_a_typed_emergency_of_a_kind_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = content / "urgent_asked.yaml"
    text = path.read_text()
    path.write_text(text.replace("kinds:\n", "kinds:\n  flood:\n  - water everywhere\n", 1))
    with pytest.raises(ContentError) as raised:
        load_library(content)
    (problem,) = raised.value.problems
    assert "no urgent kind 'flood'" in str(problem)


def test_a_reply_to_a_prompt_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = content / "replied.yaml"
    text = path.read_text()
    path.write_text(
        text.replace("prompts:\n", "prompts:\n  no-such-prompt:\n    partial: [ok]\n", 1)
    )
    with pytest.raises(ContentError) as raised:
        load_library(content)
    (problem,) = raised.value.problems
    assert "no prompt 'no-such-prompt'" in str(problem)
