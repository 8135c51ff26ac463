"""Scenario prompts, answers to them, and free questions.

A prompt sets the operative's waiting state to :class:`AnswerTo` it; the next
tap or text is judged against that prompt. Anything else typed is a free
question, routed to the best tip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.callbacks import Answer, AnswerTo, ShowTip, button, waiting
from bot.core.content import ScenarioPrompt, Verdict
from bot.core.matching import Confidence, Route
from bot.core.messages import Reply
from bot.core.model import ContentGap, EventType
from bot.core.scheduling import streak

if TYPE_CHECKING:
    from bot.core.coaching import Coach, Turn


def prompt_reply(coach: Coach, prompt: ScenarioPrompt) -> Reply:
    """The message that puts a scenario to an operative, with its quick replies."""
    topic = coach.library.topics[coach.library.topic_of[prompt.id]]
    text = coach.text(
        "prompt", title=topic.title, scenario=prompt.scenario, question=prompt.question
    )
    buttons = tuple(
        (button(option.label, Answer(prompt.id, index)),)
        for index, option in enumerate(prompt.options)
    )
    return Reply(text, buttons)


def awaiting_prompt(coach: Coach, awaiting: str | None) -> ScenarioPrompt | None:
    match waiting(awaiting):
        case AnswerTo(prompt_id=prompt_id):
            return coach.library.prompts.get(prompt_id)
    return None


def _feedback(
    coach: Coach, turn: Turn, verdict: Verdict, feedback: str, prompt: ScenarioPrompt
) -> str:
    """Feedback and the model answer in one message, with the streak when there is one."""
    lines = [
        f"{coach.text(f'verdict_{verdict}')} {feedback}",
        "",
        coach.text("model_answer", answer=prompt.model_answer),
    ]
    days = streak(coach.record(turn).days, turn.today)
    if days >= 2:
        lines += ["", coach.text("streak", days=days)]
    return "\n".join(lines)


def tapped(coach: Coach, turn: Turn, prompt_id: str, option: int) -> None:
    """A quick-reply button under a prompt."""
    operative = turn.operative
    assert operative is not None
    prompt = coach.library.prompts.get(prompt_id)
    if prompt is None or option >= len(prompt.options):
        turn.say(coach.text("button_expired"))
        return
    if awaiting_prompt(coach, operative.awaiting) != prompt:
        turn.say(coach.text("already_answered"))
        return
    choice = prompt.options[option]
    _answered(coach, turn, prompt, choice.verdict, "button", option=option, score=1.0)
    turn.say(_feedback(coach, turn, choice.verdict, choice.feedback, prompt))


def typed(coach: Coach, turn: Turn, text: str) -> None:
    """Free text: an answer to the waiting prompt if it reads like one, else a question."""
    operative = turn.operative
    assert operative is not None
    prompt = awaiting_prompt(coach, operative.awaiting)
    route = coach.matcher.route(text)
    if prompt is not None:
        judgement = coach.matcher.judge(prompt, text)
        if judgement.pattern is not None and coach.matcher.reads_as_answer(
            prompt, text, judgement, route
        ):
            assert judgement.verdict is not None
            pattern = prompt.rubric[judgement.pattern]
            _answered(
                coach,
                turn,
                prompt,
                judgement.verdict,
                "text",
                pattern=judgement.pattern,
                score=round(judgement.score, 3),
            )
            turn.say(_feedback(coach, turn, judgement.verdict, pattern.feedback, prompt))
            return
        if route.confidence is not Confidence.SURE:
            coach.log(turn, EventType.UNSURE, item=prompt.id, score=round(judgement.score, 3))
            turn.say(coach.text("answer_unclear"), prompt_reply(coach, prompt).buttons)
            return
    question(coach, turn, text, route)


def _answered(
    coach: Coach,
    turn: Turn,
    prompt: ScenarioPrompt,
    verdict: Verdict,
    how: str,
    **details: object,
) -> None:
    operative = turn.operative
    assert operative is not None
    operative.awaiting = None
    turn.uow.operatives.save(operative)
    coach.log(
        turn,
        EventType.ANSWERED,
        item=prompt.id,
        topic=coach.library.topic_of[prompt.id],
        verdict=verdict,
        via=how,
        **details,
    )


def question(coach: Coach, turn: Turn, text: str, route: Route) -> None:
    """A free question (already routed): the best tip, a "did you mean", or a friendly no."""
    operative = turn.operative
    assert operative is not None
    score = round(route.score, 3)
    if route.confidence is Confidence.SURE and route.tip is not None:
        coach.log(turn, EventType.TIP_SHOWN, item=route.tip, topic=route.topic, score=score)
        turn.say(tip_text(coach, route.tip))
        return
    if route.confidence is Confidence.UNSURE:
        coach.log(turn, EventType.UNSURE, topic=route.topic, score=score)
        buttons = tuple(
            (button(coach.library.topics[topic].title, ShowTip(tip)),)
            for topic, tip in route.choices
        )
        turn.say(coach.text("did_you_mean"), buttons)
    else:
        coach.log(turn, EventType.OFF_TOPIC, score=score)
        turn.say(coach.text("small_talk" if route.small_talk else "off_topic"))
        if route.small_talk:
            return
    turn.uow.gaps.add(
        ContentGap(text[:500], operative.cohort_id, operative.id, route.topic, coach.clock())
    )


def tip_text(coach: Coach, tip_id: str) -> str:
    tip = coach.library.tips[tip_id]
    topic = coach.library.topics[coach.library.topic_of[tip_id]]
    return coach.text("tip", title=topic.title, answer=tip.answer)


def tip_chosen(coach: Coach, turn: Turn, tip_id: str) -> None:
    """A "did you mean" button."""
    if tip_id not in coach.library.tips:
        turn.say(coach.text("button_expired"))
        return
    coach.log(
        turn, EventType.TIP_SHOWN, item=tip_id, topic=coach.library.topic_of[tip_id], chosen=True
    )
    turn.say(tip_text(coach, tip_id), replace=True)
