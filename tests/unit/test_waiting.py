"""While a scenario waits: an answer offered tentatively, or holding chat, is still an
answer; a question opened with a greeting is still a question."""

from __future__ import annotations

import pytest

from bot.core.matching.answer_or_question import AnswerOrQuestion
from bot.core.matching.matcher import Matcher
from bot.core.matching.normalising import Normaliser, Vocabulary
from bot.core.matching.waiting import reads_as_question


@pytest.mark.parametrize(
    ("prompt", "text", "question"),
    [
        ("div-no-english", "a translation app on my phone and some pictures?", False),
        ("perf-survey-top-marks", "say thanks and ask for honest feedback", False),
        ("diff-verbal-abuse", "tell him calmly i will leave if he carries on like that", False),
        ("div-no-english", "hiya, what is the best way to get an interpreter", True),
        ("div-no-english", "how do i tell a tenant im running late?", True),
        ("div-no-english", "cheers", True),
        # Doing it, though "do" and "have" open questions too.
        ("office-close-in-van", "do it right, pictures and a written note on the job", False),
        ("div-colleague-joke", "have a quiet chat with him later on", False),
        # A greeting said to the tenant in the scene.
        ("doorstep-love-habit", "afternoon mr jones", False),
        ("safe-kids-alone", "at what point is a child too young to be home alone", True),
        (
            "perf-always-done-it",
            "hes been a plumber longer than ive been alive, why would he take advice from me",
            True,
        ),
        # A condition left hanging asks "what then?"; one with what to do about it answers.
        ("div-shoes-off", "and if ive run out of covers", True),
        ("diff-dog", "and if she says the dog is fine", True),
        ("appt-no-access", "if shes not in i will card it and ring the office", False),
        # A question quoted to the tenant, and a job note, are answers.
        ("appt-running-late", "bell her n say sorry, is half 12 ok with you?", False),
        ("appt-running-late", "rang her, new time half 12, office told", False),
        # A question answered at once, and words quoted to the tenant, are answers.
        ("office-close-in-van", "should i just put done? nah, photos and a proper note", False),
        ("div-shoes-off", "'mind if i pop covers on my boots?' then crack on", False),
        # A negated question asks; a negated answer doesn't.
        ("safe-money-taken", "isnt that one for the police rather than me", True),
        ("appt-missed-last-week", "wouldnt argue, say sorry and get the job done", False),
        # An answer about making a danger safe, put as what the operative would do.
        (
            "diff-upset-tenant",
            "id check the waters stopped and theres no electrics near that wet ceiling, "
            "light fittings n that, then listen to her",
            False,
        ),
        # A question asked after a first step, and one put as a doubt.
        ("prev-water-electrics", "power off at the board, then what, wait for a sparky", True),
        ("perf-always-done-it", "not sure how im meant to tell him off", True),
        # "How do I put it" opens an answer, not a question.
        (
            "no-hall-bulbs",
            "how do i put it... bulbs are the tenants job, sorry gary. if he cant reach ill "
            "tell him about the handyperson service",
            False,
        ),
    ],
)
def test_answers_and_questions_are_told_apart(
    matcher: Matcher, prompt: str, text: str, question: bool
) -> None:
    waiting = matcher.library.prompts[prompt]
    assert reads_as_question(matcher, waiting, text, matcher.route(text)) is question


@pytest.mark.parametrize(
    ("prompt", "text"),
    [
        ("div-no-english", "tell you what, theres a strong smell of gas in the hall"),
        # A scenario the urgent model reads a little like one (she's gone quiet) is not
        # about an emergency: words about ending her life get the safety tip.
        (
            "doorstep-check-happy",
            "she just said she has had enough and has been saving her tablets",
        ),
    ],
)
def test_an_emergency_is_never_taken_for_an_answer(
    matcher: Matcher, prompt: str, text: str
) -> None:
    waiting = matcher.library.prompts[prompt]
    assert reads_as_question(matcher, waiting, text, matcher.route(text))


def test_an_answer_to_a_scenario_about_an_emergency_may_name_another(matcher: Matcher) -> None:
    waiting = matcher.library.prompts["safe-cuckooing"]
    text = (
        "get the job done quick, dont challenge anyone, report to safeguarding lead, "
        "999 if i think hes in danger"
    )
    assert not reads_as_question(matcher, waiting, text, matcher.route(text))


def test_the_model_learns_how_questions_are_put_from_typed_messages() -> None:
    normaliser = Normaliser(Vocabulary())
    model = AnswerOrQuestion.fit(
        ["ring her now", "card it and go", "tell him the part is on order"],
        ["and if she says no", "if the van has no covers", "what then"],
        normaliser,
    )
    assert model.question_share("and if he is not in") > 0.5
    assert model.question_share("ring him now") < 0.5


def test_with_nothing_learnt_the_model_leaves_it_to_the_signs() -> None:
    model = AnswerOrQuestion.fit([], ["and if she says no"], Normaliser(Vocabulary()))
    assert model.question_share("and if she says no") == 0.5
