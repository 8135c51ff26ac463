"""Prompts, answers, free questions and the content-gap list, at the service level."""

from __future__ import annotations

from bot.core.model import Cohort, Role
from bot.core.router import Coach
from tests.unit.conversation import Operative
from tests.unit.test_enrolment import stored


def practising(coach: Coach, user_id: int = 42) -> Operative:
    sam = Operative(coach, user_id=user_id)
    sam.send("/start")
    sam.send("/practice")
    return sam


def events(coach: Coach, user_id: int = 42) -> list[tuple[str, dict[str, object]]]:
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(user_id)
        assert operative is not None and operative.id is not None
        return [(e.type, e.payload) for e in uow.events.of(operative.id)]


def current_prompt_id(coach: Coach, user_id: int = 42) -> str:
    operative = stored(coach, user_id)
    assert operative is not None and operative.awaiting is not None
    return operative.awaiting.removeprefix("answer:")


def test_practice_sends_a_core_theme_prompt_with_quick_replies(coach: Coach) -> None:
    sam = practising(coach)
    prompt = coach.library.prompts[current_prompt_id(coach)]
    assert coach.library.topic_of[prompt.id] in {"doorstep", "diversity", "saying-no"}
    assert prompt.scenario in sam.last[0].text
    # In this message's shuffled order, each button naming its option, not its place.
    shown = [(b.label, b.data) for b in sam.buttons()]
    assert sorted(shown) == sorted(
        (option.label, f"ans:{prompt.id}:{index}") for index, option in enumerate(prompt.options)
    )


def test_tapping_an_option_gives_its_feedback_and_the_model_answer(coach: Coach) -> None:
    sam = practising(coach)
    prompt = coach.library.prompts[current_prompt_id(coach)]
    option = prompt.options[0]
    answer = sam.press(option.label)
    assert option.feedback in answer
    assert prompt.model_answer in answer
    assert len(sam.last) == 1  # feedback and model answer come in one message
    kind, payload = events(coach)[-1]
    assert kind == "answered"
    assert payload["item"] == prompt.id and payload["verdict"] == option.verdict
    assert payload["via"] == "button"


def test_the_same_prompt_cannot_be_answered_twice(coach: Coach) -> None:
    sam = practising(coach)
    prompt = coach.library.prompts[current_prompt_id(coach)]
    sam.press(prompt.options[0].label)
    assert "answered that one" in sam.press_data(f"ans:{prompt.id}:1")
    assert [e for e, _ in events(coach)].count("answered") == 1


def test_a_typed_answer_is_judged_and_logged_without_its_words(coach: Coach) -> None:
    sam = practising(coach)
    prompt = coach.library.prompts[current_prompt_id(coach)]
    example = prompt.rubric[0].examples[0]
    judgement = coach.matcher.judge(prompt, example)
    answer = sam.send(example)
    # The header already says "Spot on.", so the feedback doesn't say it again.
    assert judgement.feedback.removeprefix("Spot on. ") in answer
    assert answer.count("Spot on") == 1 or judgement.verdict != "strong"
    assert prompt.model_answer in answer
    kind, payload = events(coach)[-1]
    assert kind == "answered"
    assert payload["verdict"] == judgement.verdict == prompt.rubric[0].verdict
    assert payload["via"] == "text"
    assert isinstance(payload["score"], float)
    assert example not in str(payload)


def test_forged_answer_buttons_are_refused(coach: Coach) -> None:
    sam = practising(coach)
    prompt_id = current_prompt_id(coach)
    assert "expired" in sam.press_data(f"ans:{prompt_id}:9")
    assert "expired" in sam.press_data("ans:no-such-prompt:0")
    assert "expired" in sam.press_data(f"ans:{prompt_id}:x")


def test_a_free_question_gets_the_best_tip(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    answer = sam.send("what do i say if im running late for an appointment")
    assert "Keeping tenants informed" in answer
    kind, payload = events(coach)[-1]
    assert kind == "tip_shown" and payload["topic"] == "appointments"


def test_a_question_while_a_prompt_waits_still_gets_a_tip(coach: Coach) -> None:
    sam = practising(coach)
    answer = sam.send("what do i say if im running late for an appointment")
    assert "Keeping tenants informed" in answer
    assert stored(coach) is not None and current_prompt_id(coach)  # the prompt still waits


def test_small_talk_gets_a_friendly_word_and_is_not_a_content_gap(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    assert "Ask me anything" in sam.send("morning mate")
    assert "Ask me anything" in sam.send("🙂")
    with coach.uow_factory() as uow:
        assert uow.gaps.recent(coach.clock().replace(year=2000), None) == []


def test_did_you_mean_offers_two_topics_as_buttons(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    route = coach.matcher.route("the office")
    sam.send("the office")
    if route.confidence.value == "unsure":
        assert len(sam.buttons()) == 2
        tip_answer = sam.press(sam.buttons()[0].label)
        assert coach.library.topics[route.choices[0][0]].title in tip_answer
    else:
        assert route.confidence.value in {"sure", "off_topic"}


def test_unmatched_questions_reach_only_the_cohorts_facilitator(coach: Coach) -> None:
    with coach.uow_factory() as uow:
        mine = uow.cohorts.add(Cohort("Mine", "MINE12345", created_by=7, created_at=coach.clock()))
        uow.cohorts.add(Cohort("Theirs", "THEIRS123", created_by=8, created_at=coach.clock()))
        uow.commit()
    for user_id, code in ((1, "MINE12345"), (2, "THEIRS123")):
        sam = Operative(coach, user_id=user_id)
        sam.send(f"/start {code}")
        sam.send(f"how do i fix the quantum wibble sprocket number {user_id} <now>")
    facilitator = Operative(coach, user_id=7)
    facilitator.send("/start")
    assert "only for facilitators" in facilitator.send("/gaps")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(7)
        assert operative is not None
        operative.role = Role.FACILITATOR
        uow.operatives.save(operative)
        uow.commit()
    listing = facilitator.send("/gaps")
    assert "number 1 &lt;now&gt;" in listing
    assert "number 2" not in listing
    assert "Sam" not in listing and mine.id is not None


def test_a_question_typed_while_a_scenario_waits_gets_its_tip_and_the_scenario_stays(
    coach: Coach,
) -> None:
    sam = practising(coach)
    waiting = current_prompt_id(coach)
    question = "how do i tell a tenant im running late?"
    answer = sam.send(question)
    route = coach.matcher.route(question)
    assert route.tip is not None and route.confidence.value == "sure"
    assert coach.library.tips[route.tip].answer.split(".")[0] in answer
    assert answer.endswith(coach.library.text("scenario_still_open"))
    assert current_prompt_id(coach) == waiting
    assert not [payload for kind, payload in events(coach) if kind == "answered"]


def test_an_answer_that_ends_in_a_question_mark_is_still_marked(coach: Coach) -> None:
    sam = practising(coach)
    reply = sam.send("id say sorry, explain why and ask what would help?")
    assert coach.library.text("scenario_still_open") not in reply
    assert [payload for kind, payload in events(coach) if kind == "answered"]


def test_chat_while_a_scenario_waits_gets_a_chat_answer_and_leaves_it_open(coach: Coach) -> None:
    sam = practising(coach)
    waiting = current_prompt_id(coach)
    assert sam.send("cheers").startswith("Glad it helped.")
    assert current_prompt_id(coach) == waiting
