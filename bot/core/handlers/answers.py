"""Scenario prompts, answers to them, and free questions.

A prompt sets the operative's waiting state to :class:`AnswerTo` it; the next
tap or text is judged against that prompt. Anything else typed is a free
question, routed to the best tip.

Quick replies are shown in an order that varies by operative, day and prompt, so
the right one is not always in the same place; a button's data names the option
(its place in the content), not its place on screen.
"""

from __future__ import annotations

import random
import re
from datetime import date

from bot.core.callbacks import (
    Answer,
    ShowTip,
    TypedTime,
    TypedZone,
    button,
    scenario_awaited,
    waiting,
)
from bot.core.content.library import ScenarioPrompt, Verdict
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.matching.matcher import Confidence, Route
from bot.core.matching.waiting import asks_something, reads_as_question
from bot.core.messages import Button, Reply
from bot.core.model import ContentGap, EventType
from bot.core.policy.streaks import streak


def option_order(prompt: ScenarioPrompt, who: int, day: date) -> list[int]:
    """The prompt's options (by their place in the content) in the order shown to
    ``who`` on ``day``: shuffled, but the same every time for that message."""
    order = list(range(len(prompt.options)))
    # A string seed is hashed with SHA-512, so the order is the same in every process.
    random.Random(f"{who}:{day.isoformat()}:{prompt.id}").shuffle(order)
    return order


def prompt_reply(deps: Deps, prompt: ScenarioPrompt, who: int, day: date) -> Reply:
    """The message that puts a scenario to operative ``who`` (their Telegram id) on
    ``day``, with its quick replies in that message's order."""
    topic = deps.library.topics[deps.library.topic_of[prompt.id]]
    text = deps.text(
        "prompt", title=topic.title, scenario=prompt.scenario, question=prompt.question
    )
    return Reply(text, _option_buttons(prompt, who, day))


def _option_buttons(prompt: ScenarioPrompt, who: int, day: date) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (button(prompt.options[index].label, Answer(prompt.id, index)),)
        for index in option_order(prompt, who, day)
    )


def awaiting_prompt(deps: Deps, awaiting: str | None) -> ScenarioPrompt | None:
    # A scenario still waits while a setting is being typed: its buttons keep working.
    scenario = scenario_awaited(waiting(awaiting))
    return deps.library.prompts.get(scenario.prompt_id) if scenario else None


def _feedback(
    turn: Turn, deps: Deps, verdict: Verdict, feedback: str, prompt: ScenarioPrompt
) -> str:
    """Feedback and the model answer in one message, with the streak when there is one."""
    header = deps.text(f"verdict_{verdict}")
    lines = [
        f"{header} {_without_opener(header, feedback)}",
        "",
        deps.text("model_answer", answer=prompt.model_answer),
    ]
    operative = turn.known
    assert operative.id is not None
    # The latest prompt day carries the counts before it: no need to read the history.
    latest = turn.uow.events.latest_prompt_days({operative.id: turn.today})
    days = streak(latest.values(), turn.today)
    if days >= 2:
        lines += ["", deps.text("streak", days=days)]
    return "\n".join(lines)


_TAGS = re.compile(r"<[^>]+>")
_NOT_WORDS = re.compile(r"^\W+|\W+$")


def _without_opener(header: str, feedback: str) -> str:
    """Feedback without an opener that repeats the header ("✅ Spot on. Spot on. ...")."""
    opener = _NOT_WORDS.sub("", _TAGS.sub("", header))
    rest = feedback[len(opener) :]
    if opener and feedback.lower().startswith(opener.lower()) and not rest[:1].isalnum():
        rest = rest.lstrip(".!,:; ")
        if rest:
            return rest[0].upper() + rest[1:]
    return feedback


def tapped(turn: Turn, deps: Deps, prompt_id: str, option: int) -> None:
    """A quick-reply button under a prompt."""
    operative = turn.operative
    assert operative is not None
    prompt = deps.library.prompts.get(prompt_id)
    if prompt is None or option >= len(prompt.options):
        turn.say(deps.text("button_expired"))
        return
    if awaiting_prompt(deps, operative.awaiting) != prompt:
        turn.say(deps.text("already_answered"))
        return
    choice = prompt.options[option]
    _answered(turn, deps, prompt, choice.verdict, "button", option=option, score=1.0)
    turn.say(_feedback(turn, deps, choice.verdict, choice.feedback, prompt))


def typed(turn: Turn, deps: Deps, text: str) -> None:
    """Free text: an answer to the waiting prompt if it reads like one, else a question
    (answered, with a line to say the scenario is still there)."""
    operative = turn.operative
    assert operative is not None
    prompt = awaiting_prompt(deps, operative.awaiting)
    route = deps.matcher.route(text)
    if prompt is None:
        question(turn, deps, text, route)
        return
    if reads_as_question(deps.matcher, prompt, text, route):
        question(turn, deps, text, route)
        turn.say(deps.text("scenario_still_open"))
        return
    judgement = deps.matcher.judge(prompt, text)
    if judgement.verdict is None:
        turn.log(EventType.UNSURE, item=prompt.id, score=round(judgement.score, 3))
        buttons = _option_buttons(prompt, operative.telegram_id, turn.today)
        turn.say(deps.text("answer_unclear"), buttons)
        return
    _answered(
        turn,
        deps,
        prompt,
        judgement.verdict,
        "text",
        pattern=judgement.pattern,
        option=judgement.option,
        judged_by=judgement.basis.value,
        score=round(judgement.score, 3),
    )
    turn.say(_feedback(turn, deps, judgement.verdict, judgement.feedback, prompt))


def _answered(
    turn: Turn,
    deps: Deps,
    prompt: ScenarioPrompt,
    verdict: Verdict,
    how: str,
    **details: object,
) -> None:
    operative = turn.operative
    assert operative is not None
    # Answered by a tap while a setting is being typed: the setting is still awaited.
    match waiting(operative.awaiting):
        case TypedTime() | TypedZone() as typing:
            operative.awaiting = type(typing)().encode()
        case _:
            operative.awaiting = None
    turn.uow.operatives.save(operative)
    turn.log(
        EventType.ANSWERED,
        item=prompt.id,
        topic=deps.library.topic_of[prompt.id],
        verdict=verdict,
        via=how,
        **details,
    )


def question(turn: Turn, deps: Deps, text: str, route: Route) -> None:
    """A free question (already routed): the best tip, a "did you mean", or a friendly no."""
    operative = turn.operative
    assert operative is not None
    score = round(route.score, 3)
    if route.confidence is Confidence.SURE and route.tip is not None:
        turn.log(EventType.TIP_SHOWN, item=route.tip, topic=route.topic, score=score)
        turn.say(tip_text(deps, route.tip))
        return
    missing = content_gap(deps, text, route)
    if route.confidence is Confidence.UNSURE:
        turn.log(EventType.UNSURE, topic=route.topic, score=score)
        buttons = tuple(
            (button(deps.library.topics[topic].title, ShowTip(tip)),)
            for topic, tip in route.choices
        )
        turn.say(deps.text("did_you_mean"), buttons)
    else:
        turn.log(EventType.OFF_TOPIC, score=score)
        turn.say(deps.text("off_topic") if missing else chat_reply(deps, route))
    if not missing:
        return
    turn.uow.gaps.add(
        ContentGap(text[:500], operative.cohort_id, operative.id, route.topic, deps.clock())
    )


#: A message that isn't put as a question is kept as a gap from this many words: "no
#: thanks" is chat the matcher wasn't sure of, "damp in the bathroom again" a topic.
GAP_WORDS = 3


def content_gap(deps: Deps, text: str, route: Route) -> bool:
    """Whether a message the coach had no sure tip for is a question it couldn't answer
    (kept for the facilitators' /gaps) rather than chat, banter or noise (not kept).

    Chat of a known kind (thanks, greetings, swearing, trivia, work chat) never is, nor
    is a message close to a small-talk example ("how are you"). A question is, even
    when the content knows none of its words ("what do i do about bedbugs"); so is a
    message of a few words the coach was unsure of or found beyond its content."""
    if route.chat is not None or deps.matcher.is_small_talk(text):
        return False
    if asks_something(deps.matcher, text):
        return True
    if route.confidence is Confidence.UNSURE or not route.small_talk:
        return len(deps.matcher.normaliser.text(text).split()) >= GAP_WORDS
    return False


def chat_reply(deps: Deps, route: Route) -> str:
    """What the coach says to chat: its kind's own answer, or a friendly pointer."""
    replies = {kind.id: kind.reply for kind in deps.library.chat}
    if route.chat in replies:
        return replies[route.chat]
    return deps.text("small_talk" if route.small_talk else "off_topic")


def tip_text(deps: Deps, tip_id: str) -> str:
    tip = deps.library.tips[tip_id]
    topic = deps.library.topics[deps.library.topic_of[tip_id]]
    return deps.text("tip", title=topic.title, answer=tip.answer)


def tip_chosen(turn: Turn, deps: Deps, tip_id: str) -> None:
    """A "did you mean" button."""
    if tip_id not in deps.library.tips:
        turn.say(deps.text("button_expired"))
        return
    turn.log(EventType.TIP_SHOWN, item=tip_id, topic=deps.library.topic_of[tip_id], chosen=True)
    turn.say(tip_text(deps, tip_id), replace=True)


ROUTES = Routes(
    buttons={
        Answer: lambda turn, deps, tap: tapped(turn, deps, tap.prompt_id, tap.option),
        ShowTip: lambda turn, deps, choice: tip_chosen(turn, deps, choice.tip_id),
    },
)
