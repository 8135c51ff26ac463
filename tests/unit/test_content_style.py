"""The content check's house style: British spellings and a reading age of about 11."""

from __future__ import annotations

from pathlib import Path

from bot.core.content.loader import style_check
from bot.core.content.style import american_spellings, reading_age
from tests.unit.test_content import topic_file, write


def test_plain_short_sentences_read_young_and_long_formal_ones_old() -> None:
    plain = "Ring the office. Tell them the part is on order. Give her a time."
    formal = (
        "Notwithstanding organisational considerations, operatives should systematically "
        "communicate anticipated appointment modifications, facilitating residents' "
        "understanding of subsequent administrative procedures and responsibilities."
    )
    assert reading_age(plain) < 8 < 16 < reading_age(formal)


def test_american_spellings_are_named_with_the_british_form() -> None:
    assert american_spellings("Check the color of the mold by the gas meter.") == [
        "color (colour)",
        "mold (mould)",
    ]
    assert american_spellings("Check the colour of the mould by the gas meter.") == []


def test_the_check_names_file_line_and_field_and_ignores_how_operatives_type(
    tmp_path: Path,
) -> None:
    hard = (
        "Notwithstanding organisational considerations, operatives should systematically "
        "communicate anticipated appointment modifications to residents."
    )
    root = write(
        tmp_path,
        {
            "topics/a.yaml": topic_file(
                "doorstep",
                "styled",
                rubric=(
                    "      - verdict: strong\n"
                    '        examples: ["color me mold"]\n'
                    "        feedback: Good."
                ),
            ).replace("Say it kindly and clearly.", hard),
            "texts.yaml": "greeting: Hi, what's your favorite color?\n",
        },
    )
    problems, mean_age = style_check(root)
    lines = [str(problem) for problem in problems]
    assert len(lines) == 3, lines
    assert (
        lines[0].startswith(f"{root}/topics/a.yaml:") and "tips[0].answer: reading age" in lines[0]
    )
    assert f"{root}/texts.yaml:1: greeting: American spelling: color (colour)" in lines
    assert f"{root}/texts.yaml:1: greeting: American spelling: favorite (favourite)" in lines
    assert mean_age > 13
