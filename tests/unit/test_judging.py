"""Typed answers marked by the ingredients of a strong answer and its red flags, at the
service level: what the operative reads back, and what is recorded."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import partial

import pytest
import yaml

from bot.core.callbacks import AnswerTo
from bot.core.content.library import Library, ScenarioPrompt
from bot.core.handlers import answers as answering
from bot.core.jobs.planner import DailyPrompts
from bot.core.matching.judging import Basis
from bot.core.matching.matcher import Matcher
from bot.core.model import Kind
from bot.core.router import Coach
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.support import FakeClock
from tests.unit.conversation import Operative
from tests.unit.test_answering import events

SHELVES = "no-shelves-while-here"
#: What a content author adds to the shelves prompt (content brief, issue 13).
ANNOTATION = yaml.safe_load(
    """
ingredients:
  - id: reason
    found: gave the reason
    add: "the reason: you can only do the work that's booked"
    phrases: [only booked for, booked work, only here for, not a repair, has to be booked,
              needs recording, not on the job]
  - id: alternative
    found: told him what he can do instead
    add: "what he can do instead: the office can tell him his options"
    phrases: [ring the office, office can help, check with the office, his options,
              note he asked, log it, new request, repairs number]
  - id: kind-no
    found: said no kindly
    add: "a kind no, like \\"I'd like to help, but\\""
    phrases: [sorry, id like to help, id love to, wish i could, afraid i cant]
red_flags:
  - id: unbooked-work
    phrases: [put them up, do it quick, whack them up, off the books, for cash, dont log it]
    why: "Work that isn't booked isn't recorded, so if it goes wrong later no one can put it right."
"""
)
REASON_ONLY = (
    "You gave the reason. Next time add what he can do instead: "
    "the office can tell him his options."
)


PLAIN = "no-cash-offer"


@pytest.fixture(scope="module")
def annotated(library: Library) -> Library:
    """The real content, with the shelves prompt's ingredients and red flags written, and
    the cash prompt with none (as before issue 13), its strong feedback opening with the
    header's words."""
    shelves = ScenarioPrompt.model_validate({**library.prompts[SHELVES].model_dump(), **ANNOTATION})
    plain = library.prompts[PLAIN].model_dump()
    plain.update(ingredients=[], red_flags=[])
    for pattern in plain["rubric"]:
        if pattern["verdict"] == "strong":
            pattern["feedback"] = "Spot on. " + pattern["feedback"].removeprefix("Spot on. ")
    prompts = {**library.prompts, SHELVES: shelves, PLAIN: ScenarioPrompt.model_validate(plain)}
    return dataclasses.replace(library, prompts=prompts)


@pytest.fixture(scope="module")
def matcher(annotated: Library) -> Matcher:
    return Matcher(annotated)


@pytest.fixture
def coach(
    sqlite_url: str, annotated: Library, matcher: Matcher, clock: FakeClock
) -> Iterator[Coach]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield Coach(
        partial(SqlUnitOfWork, make_session_factory(engine)), annotated, clock, matcher=matcher
    )
    engine.dispose()


def waiting_for(coach: Coach, prompt_id: str, user_id: int = 42) -> Operative:
    """An operative with ``prompt_id`` put to them and not yet answered."""
    sam = Operative(coach, user_id=user_id)
    sam.send("/start")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(user_id)
        assert operative is not None
        operative.awaiting = AnswerTo(prompt_id).encode()
        uow.operatives.save(operative)
        uow.commit()
    return sam


def answered(coach: Coach) -> dict[str, object]:
    kind, payload = events(coach)[-1]
    assert kind == "answered"
    return payload


# -- ingredients ----------------------------------------------------------------------


def test_a_reply_with_every_ingredient_is_strong_and_hears_what_it_had(coach: Coach) -> None:
    sam = waiting_for(coach, SHELVES)
    answer = sam.send(
        "sorry jordan, im only booked for the rad today. ring the office n theyll help"
    )
    assert answer.startswith("✅ <b>Spot on.</b> You gave the reason, told him what he can do")
    assert "and said no kindly." in answer
    assert "Next time" not in answer
    assert coach.library.prompts[SHELVES].model_answer in answer  # the model answer follows
    payload = answered(coach)
    assert payload["verdict"] == "strong" and payload["judged_by"] == "ingredients"


def test_a_reply_with_some_ingredients_is_partial_and_hears_which_one_to_add(
    coach: Coach,
) -> None:
    sam = waiting_for(coach, SHELVES)
    answer = sam.send("cant do it, im only booked for the radiator")
    assert answer.startswith(f"👍 <b>Good start.</b> {REASON_ONLY}")
    assert coach.library.prompts[SHELVES].model_answer in answer
    assert answered(coach)["verdict"] == "partial"


def test_feedback_never_praises_what_the_reply_did_not_say(matcher: Matcher) -> None:
    prompt = matcher.library.prompts[SHELVES]
    judgement = matcher.judge(prompt, "cant do it, im only booked for the radiator")
    assert judgement.ingredients_found == ("reason",)
    assert judgement.ingredients_missing == ("alternative", "kind-no")
    assert judgement.feedback == REASON_ONLY
    for ingredient in prompt.ingredients[1:]:
        assert ingredient.found not in judgement.feedback


def test_a_reply_near_a_strong_example_but_with_no_ingredient_is_not_strong(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts[SHELVES]
    reply = "be polite and explain why"
    assert matcher.judge_by_rubric(prompt, reply).verdict == "strong"
    judgement = matcher.judge(prompt, reply)
    assert judgement.verdict == "partial"
    assert judgement.feedback == "Next time add the reason: you can only do the work that's booked."


# -- red flags ------------------------------------------------------------------------


def test_a_red_flag_is_a_concern_and_the_feedback_says_why(coach: Coach) -> None:
    sam = waiting_for(coach, SHELVES)
    answer = sam.send("sorry, its not booked but ill whack them up quick, keeps him sweet")
    assert answer.startswith(f"⚠️ <b>Worth a rethink.</b> {ANNOTATION['red_flags'][0]['why']}")
    assert coach.library.prompts[SHELVES].model_answer in answer
    payload = answered(coach)
    assert payload["verdict"] == "concern" and payload["judged_by"] == "red_flag"


@pytest.mark.parametrize(
    "reply",
    [
        "id never just put them up. sorry, its only booked work, ring the office",
        "sorry, i wouldnt do it quick on the side, only booked for the rad. ring the office",
        "sorry but instead of whacking them up, tell him its booked work only and log it",
    ],
)
def test_a_reply_that_turns_a_red_flag_down_is_not_a_concern(matcher: Matcher, reply: str) -> None:
    judgement = matcher.judge(matcher.library.prompts[SHELVES], reply)
    # Strong or partial is for the ingredients to say (learnt from the tuning replies).
    assert judgement.verdict != "concern"
    assert judgement.red_flags == ()
    assert judgement.rejected_red_flags == ("unbooked-work",)


# -- typed quick replies and the fallback -------------------------------------------


def test_a_typed_quick_reply_gets_that_options_verdict_and_feedback(coach: Coach) -> None:
    prompt = coach.library.prompts[SHELVES]
    for index, option in enumerate(prompt.options):
        sam = waiting_for(coach, SHELVES, user_id=100 + index)
        typed = option.label.lower().replace("'", "").replace(",", "")
        answer = sam.send(typed)
        assert option.feedback in answer
        _, payload = events(coach, 100 + index)[-1]
        assert payload["verdict"] == option.verdict and payload["option"] == index
        assert payload["judged_by"] == "option" and float(str(payload["score"])) >= 0.85


def test_a_reply_with_no_ingredient_and_no_flag_is_judged_by_the_nearest_example(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts[SHELVES]
    for reply, verdict in (
        ("no can do, tight schedule", "partial"),
        ("go on then, pass us the drill", "concern"),
    ):
        by_rubric = matcher.judge_by_rubric(prompt, reply)
        judgement = matcher.judge(prompt, reply)
        assert judgement.basis is Basis.RUBRIC and by_rubric.pattern is not None
        assert judgement.verdict == by_rubric.verdict == verdict
        assert judgement.feedback == prompt.rubric[by_rubric.pattern].feedback


def test_a_prompt_without_ingredients_is_judged_as_before(matcher: Matcher) -> None:
    prompt = matcher.library.prompts[PLAIN]
    for pattern in prompt.rubric:
        reply = pattern.examples[0]
        assert (
            matcher.judge(prompt, reply).verdict == matcher.judge_by_rubric(prompt, reply).verdict
        )


def test_the_header_is_never_repeated_by_the_feedback(coach: Coach) -> None:
    strong = next(r for r in coach.library.prompts[PLAIN].rubric if r.verdict == "strong")
    assert strong.feedback.startswith("Spot on. ")
    sam = waiting_for(coach, PLAIN)
    answer = sam.send(strong.examples[0])
    assert answer.startswith("✅ <b>Spot on.</b> ")
    assert answer.count("Spot on") == 1
    rest = strong.feedback.removeprefix("Spot on. ")
    assert f"<b>Spot on.</b> {rest[0].upper()}{rest[1:]}" in answer


# -- quick replies in a varying order ------------------------------------------------


def test_quick_replies_are_shuffled_but_stable_for_one_message(coach: Coach) -> None:
    prompt = coach.library.prompts[SHELVES]
    day = date(2026, 12, 1)
    first = answering.prompt_reply(coach.deps, prompt, 42, day).buttons
    assert answering.prompt_reply(coach.deps, prompt, 42, day).buttons == first
    strong = next(i for i, o in enumerate(prompt.options) if o.verdict == "strong")
    places = {
        answering.option_order(prompt, who, date(2026, 12, d)).index(strong)
        for who in (1, 2, 3)
        for d in range(1, 11)
    }
    assert places == set(range(len(prompt.options)))


def test_a_tap_is_recorded_against_the_option_it_named(coach: Coach) -> None:
    prompt = coach.library.prompts[SHELVES]
    for user_id in range(200, 206):
        sam = waiting_for(coach, SHELVES, user_id=user_id)
        sam.last = [answering.prompt_reply(coach.deps, prompt, user_id, coach.clock().date())]
        shown_first = sam.buttons()[0].label
        option = next(i for i, o in enumerate(prompt.options) if o.label == shown_first)
        answer = sam.press(shown_first)
        assert prompt.options[option].feedback in answer
        _, payload = events(coach, user_id)[-1]
        assert payload["option"] == option
        assert payload["verdict"] == prompt.options[option].verdict


def test_the_daily_prompt_shows_its_quick_replies_in_that_messages_order(
    coach: Coach, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # a Tuesday, 08:00 in London
    sam = Operative(coach, user_id=300)
    sam.send("/start")
    DailyPrompts(coach.uow_factory, coach.deps).plan()
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(300)
        assert operative is not None and operative.id is not None
        queued = uow.outbox.find(Kind.PROMPT, operative.id, date(2026, 12, 1))
    assert queued is not None and queued.prompt_id is not None
    prompt = coach.library.prompts[queued.prompt_id]
    order = answering.option_order(prompt, 300, date(2026, 12, 1))
    assert queued.buttons == [[(prompt.options[i].label, f"ans:{prompt.id}:{i}")] for i in order]


def test_a_reply_that_only_turns_a_red_flag_down_is_told_what_to_add(matcher: Matcher) -> None:
    prompt = matcher.library.prompts[SHELVES]
    reply = "id never just put them up"
    # Worded like the concern examples ("just put them up its only two minutes")...
    assert matcher.judge_by_rubric(prompt, reply).verdict == "concern"
    judgement = matcher.judge(prompt, reply)
    # ...but it says the opposite.
    assert judgement.verdict == "partial"
    assert judgement.rejected_red_flags == ("unbooked-work",)
    assert judgement.feedback == "Next time add the reason: you can only do the work that's booked."


def test_all_but_one_ingredient_worded_like_a_strong_answer_is_strong_and_names_the_last(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts[SHELVES]
    reply = "explain im only booked for the radiator and tell him the office can help"
    assert matcher.judge_by_rubric(prompt, reply).verdict == "strong"
    judgement = matcher.judge(prompt, reply)
    assert judgement.verdict == "strong"
    assert judgement.ingredients_missing == ("kind-no",)
    assert judgement.feedback == (
        "You gave the reason and told him what he can do instead. "
        'Next time add a kind no, like "I\'d like to help, but".'
    )


# -- replies the phrases don't fully cover ------------------------------------------------


def test_a_full_reply_worded_like_a_strong_answer_is_strong_though_a_step_is_unspotted(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts["prev-trip-hazard"]
    full = matcher.judge(
        prompt, "photo it and report it today so it gets fixed before someone trips over it"
    )
    assert full.verdict == "strong"
    # It is told what it may have left out, and praised only for what it said.
    assert full.feedback == (
        'You reported it today. Next time add a warning for now: "Please take care on that slab".'
    )
    assert matcher.judge(prompt, "report it").verdict == "partial"


def test_a_reply_of_three_steps_counts_as_full(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["prev-trip-hazard"]
    judgement = matcher.judge(prompt, "tell ms jones, photo it, report it")
    assert judgement.verdict == "strong"
    assert judgement.ingredients_missing == ("warn",)


def test_a_full_reply_without_the_act_now_safety_step_is_never_strong(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["safe-bruises-child"]
    reply = (
        "I'd be really worried about that. I'd write down what I saw and make sure I "
        "mention it to someone."
    )
    # As a reply never seen: a trainer marked this one, and the judge learnt from it.
    kept = matcher.learnt
    unseen = frozenset({matcher.normaliser.text(reply)})
    matcher.learnt = matcher.learn_replies(matcher.library.replied, unseen)
    try:
        assert matcher.judge_by_rubric(prompt, reply).verdict == "strong"
        judgement = matcher.judge(prompt, reply)
    finally:
        matcher.learnt = kept
    assert judgement.verdict == "partial"
    assert judgement.feedback.startswith(
        "You wrote down what you saw and heard. Next time add telling the safeguarding lead"
    )


# -- red flags --------------------------------------------------------------------------


def test_a_shortcut_is_a_concern_on_any_prompt(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["no-cash-offer"]
    judgement = matcher.judge(prompt, "fit it for her, nobody needs to know")
    assert judgement.verdict == "concern"
    assert "keeping-it-quiet" in judgement.red_flags
    running_late = matcher.library.prompts["appt-running-late"]
    assert matcher.judge(running_late, "text her while driving to say im late").verdict == (
        "concern"
    )


def test_a_shortcut_turned_down_is_not_a_concern(matcher: Matcher) -> None:
    prompt = matcher.library.prompts[SHELVES]
    judgement = matcher.judge(
        prompt,
        "sorry, only booked for the rad, ring the office. i wouldnt ever say nobody needs to know",
    )
    assert judgement.verdict == "strong"
    assert judgement.rejected_red_flags == ("keeping-it-quiet",)


def test_every_shortcut_a_refusal_names_is_turned_down(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["no-cash-offer"]
    judgement = matcher.judge(
        prompt,
        "thats kind but i cant take cash or do it on the quiet. "
        "i can tell you how to ask for it through the office",
    )
    assert judgement.verdict == "strong" and judgement.red_flags == ()
    assert "keeping-it-quiet" in judgement.rejected_red_flags


def test_a_shortcut_after_the_safe_step_it_stands_in_for_is_part_of_a_safe_answer(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts["prev-exposed-wiring"]
    safe = matcher.judge(
        prompt, "turn the power off at the board, tape it up, then ring it in as an emergency"
    )
    assert safe.verdict == "strong" and safe.red_flags == ()
    unsafe = matcher.judge(prompt, "tape it up and log it for later")
    assert unsafe.verdict == "concern" and "tape-it" in unsafe.red_flags


def test_a_doctor_after_the_emergency_line_is_no_delay(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["prev-co-signs"]
    judgement = matcher.judge(
        prompt,
        "Gas fire off, windows open, get her out into fresh air, ring the gas emergency line "
        "0800 111 999 and tell her to see a GP about the headaches. Then report it",
    )
    assert judgement.verdict == "strong" and judgement.red_flags == ()
    assert matcher.judge(prompt, "tell her to see her gp about the headaches").verdict == (
        "concern"
    )


def test_a_safe_answer_with_every_act_now_step_is_never_a_concern(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["prev-co-signs"]
    judgement = matcher.judge(
        prompt, "fire off, windows open, ring 0800 111 999, then carry on with my job"
    )
    assert judgement.verdict == "partial" and judgement.red_flags == ("wait",)
    assert "can't wait" in judgement.feedback
    assert matcher.judge(prompt, "carry on with my job, its just soot").verdict == "concern"


def test_a_stand_in_for_the_safe_step_beside_other_steps_is_partial_not_a_concern(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts["div-learning-disability"]
    judgement = matcher.judge(
        prompt,
        "keep it simple, show him the socket, put tape over it with a do not use sign, ask him "
        "to tell me back what it means",
    )
    assert judgement.verdict == "partial" and judgement.red_flags == ("leave-live",)
    assert "make it safe first" in judgement.feedback
    assert matcher.judge(prompt, "just tape over it and go").verdict == "concern"


def test_an_act_now_call_left_to_the_tenant_is_not_made(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["prev-exposed-wiring"]
    judgement = matcher.judge(
        prompt, "tell mum to keep the baby away from it and get them to ring it in"
    )
    assert judgement.verdict == "partial"
    assert judgement.ingredients_missing == ("ring-now",)
    assert "rang" not in judgement.feedback and "Next time add" in judgement.feedback
    mine = matcher.judge(prompt, "keep the baby away from it and ring it in now as an emergency")
    assert mine.verdict == "strong"


def test_a_report_left_to_the_tenant_is_not_made_on_any_prompt(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["prev-spray-and-go"]
    judgement = matcher.judge(prompt, "say itd only come back so no point, he should report it")
    assert judgement.verdict == "partial"
    assert "report" in judgement.ingredients_missing
    assert judgement.feedback.startswith("You ") and "Next time add" in judgement.feedback


def test_a_call_the_tenant_may_make_still_counts_when_left_to_them(matcher: Matcher) -> None:
    # Checking the caller is genuine is the tenant's call to make.
    prompt = matcher.library.prompts["virt-closed-door"]
    judgement = matcher.judge(prompt, "id up to the window and tell her she can ring the office")
    assert "check" in judgement.ingredients_found


@pytest.mark.parametrize(
    "reply",
    [
        "not what im here for, tell them keep the kids away and ring it in",
        "thats not why im here, someone else can sort the glass",
    ],
)
def test_not_what_im_here_for_passes_the_buck(matcher: Matcher, reply: str) -> None:
    judgement = matcher.judge(matcher.library.prompts["no-broken-glass-door"], reply)
    assert judgement.verdict == "concern"
    assert judgement.red_flags == ("passing-the-buck",)
    assert "nowhere to go" in judgement.feedback


def test_telling_her_a_tripping_toaster_is_fine_is_a_concern(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["no-trip-switch"]
    judgement = matcher.judge(
        prompt, "Reset it and tell her the toaster's fine, just don't use it with the kettle"
    )
    assert judgement.verdict == "concern"
    assert "stop using it" in judgement.feedback
    safe = matcher.judge(prompt, "tell her its the toaster tripping it, stop using it, reset it")
    assert safe.verdict != "concern"


def test_taking_the_circuit_off_the_rcd_is_a_concern(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["no-trip-switch"]
    judgement = matcher.judge(
        prompt, "she needs her kitchen so id take that circuit off the rcd, stops it tripping"
    )
    assert judgement.verdict == "concern"
    assert "never stop it from working" in judgement.feedback


def test_a_view_granted_then_set_aside_by_but_is_not_a_shortcut(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["diff-dog"]
    granted = matcher.judge(
        prompt, "I'm sure he's soft as owt but I'm not coming in till he's shut in another room"
    )
    assert granted.verdict != "concern"
    assert matcher.judge(prompt, "im sure hes soft as anything, go straight in").verdict == (
        "concern"
    )


def test_scots_negatives_turn_a_shortcut_down(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["appt-parts-date-slips"]
    ring_first = "Ring him Thursday, dinnae wait till Friday, tell him sorry and the new day"
    assert matcher.judge(prompt, ring_first).red_flags == ()


def test_a_shortcut_named_in_a_condition_is_not_taken(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["perf-what-happens-next"]
    judgement = matcher.judge(
        prompt,
        "I don't know the date, I won't guess. I'm raising the plasterer job now and asking "
        "the office to ring you. Here's the ref, if you've not heard by Friday ring and quote it",
    )
    assert judgement.verdict == "strong" and judgement.red_flags == ()
    # Without a comma, what ends the condition is what the reply does.
    rushed = matcher.library.prompts["perf-no-access-rushed"]
    assert matcher.judge(rushed, "if hes not in close it as no access and go").verdict == "concern"


def test_saying_she_is_not_my_love_turns_the_pet_name_down(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["doorstep-love-habit"]
    judgement = matcher.judge(
        prompt,
        "Bite my tongue. She's not my love, she's Mrs Begum. 'Good morning Mrs Begum' and ID",
    )
    assert judgement.verdict != "concern"
    assert "pet-name" in judgement.rejected_red_flags


def test_every_step_said_thinly_is_partial_and_hears_to_say_more(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["diff-part-needed"]
    judgement = matcher.judge(prompt, "yeah sorry needs a part, office will be in touch")
    assert judgement.verdict == "partial"
    assert judgement.ingredients_missing == ()
    assert judgement.feedback.startswith("You ") and "say a bit more" in judgement.feedback
    full = matcher.judge(
        prompt,
        "Sorry Mr Price, the pump needs a part I haven't got on the van. I'll order it "
        "today and the office will ring you tomorrow with the date I'm back",
    )
    assert full.verdict == "strong"


def test_ringing_the_office_is_not_ringing_999(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["safe-on-the-floor"]
    judgement = matcher.judge(prompt, "ring the office and see if anyone's got a key")
    assert "ring-999" not in judgement.ingredients_found
    assert judgement.verdict != "strong" and "rang 999" not in judgement.feedback
    assert "ring-999" in matcher.judge(prompt, "ring 999 now").ingredients_found


def test_all_the_time_is_not_noting_the_time(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["safe-bruises-child"]
    judgement = matcher.judge(prompt, "kids fall off bikes all the time")
    assert judgement.ingredients_found == ()
    assert "wrote down" not in judgement.feedback


def test_not_my_trade_then_what_i_will_do_gives_the_reason_and_acts(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["office-follow-on-job"]
    acting = matcher.judge(prompt, "That's a decorator job, not my trade. I'll raise it now")
    assert acting.verdict != "concern" and acting.red_flags == ()
    assert acting.feedback.startswith("You raised the follow-on job yourself")
    left = matcher.judge(prompt, "not my trade. someone will sort it")
    assert left.verdict == "concern" and left.red_flags == ("passing-the-buck",)


def test_switched_off_and_taped_over_is_a_safe_socket(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["div-learning-disability"]
    judgement = matcher.judge(
        prompt,
        "Switch it off, tape it over and put a clear DO NOT USE sign on it. Explain simply and "
        "ask him to tell me back what he won't do. Let the office know today",
    )
    assert judgement.verdict == "strong" and judgement.red_flags == ()


def test_an_answer_that_says_the_tenant_should_not_have_to_is_not_a_concern(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts["prev-tenant-says-dont-bother"]
    judgement = matcher.judge(prompt, "u shouldnt have to keep wiping it, ill report it today")
    assert judgement.verdict == "strong"
    assert judgement.rejected_red_flags == ("leave-it",)


def test_a_red_flag_must_stand_in_for_an_ingredient_of_its_prompt(library: Library) -> None:
    prompt = library.prompts["prev-exposed-wiring"].model_dump()
    prompt["red_flags"][0]["instead_of"] = "no-such-step"
    with pytest.raises(ValueError, match="instead_of names no ingredient"):
        ScenarioPrompt.model_validate(prompt)


@pytest.mark.parametrize("reply", ["no", "nah sorry mate", "sorry i cant", "Sorry."])
def test_a_bare_no_or_apology_is_partial_and_hears_what_to_add(
    matcher: Matcher, reply: str
) -> None:
    prompt = matcher.library.prompts["safe-kids-alone"]
    judgement = matcher.judge(prompt, reply)
    assert judgement.verdict == "partial"
    assert judgement.feedback.startswith("Next time add staying outside")


def test_a_full_reply_that_leaves_the_report_to_the_tenant_is_not_strong(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts["diff-mould-lifestyle"]
    judgement = matcher.judge(
        prompt, "tell her its not her fault and she should ring the office about it"
    )
    assert judgement.verdict == "partial"
    assert judgement.ingredients_found == ("no-blame",)


def test_not_my_trade_is_a_concern_unless_the_reply_goes_on_to_act(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["office-follow-on-job"]
    brush_off = matcher.judge(prompt, "not my trade, someone else will sort it")
    assert brush_off.verdict == "concern"
    assert brush_off.red_flags == ("passing-the-buck",)
    acting = matcher.judge(
        prompt, "not my trade, but ill raise the follow on job now and give her the reference"
    )
    assert acting.verdict != "concern"
    assert acting.red_flags == ()


def test_some_ingredients_and_no_red_flag_is_partial_however_it_is_worded(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts["appt-no-access"]
    reply = "card through the door and off to the next job"
    # Worded like the author's concern examples (learning from no marked replies).
    kept = matcher.learnt
    matcher.learnt = matcher.learn_replies({})
    try:
        assert matcher.judge_by_rubric(prompt, reply).verdict == "concern"
        judgement = matcher.judge(prompt, reply)
    finally:
        matcher.learnt = kept
    assert judgement.verdict == "partial"
    judgement = matcher.judge(prompt, reply)
    assert judgement.verdict == "partial"
    assert judgement.ingredients_found == ("card",)
    assert judgement.red_flags == ()


def test_a_bare_not_my_job_is_a_bare_no_but_with_more_it_passes_the_buck(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts[SHELVES]
    assert matcher.judge(prompt, "not my job pal").verdict == "partial"
    shrug = matcher.judge(prompt, "not my job, he can sort it himself")
    assert shrug.verdict == "concern"
    assert "passing-the-buck" in shrug.red_flags


def test_a_shortcut_said_in_a_good_steps_own_words_is_not_a_concern(matcher: Matcher) -> None:
    # On this prompt, saying it's not your trade is the honest answer, not passing the buck.
    prompt = matcher.library.prompts["no-wrong-trade-boiler"]
    judgement = matcher.judge(
        prompt, "be honest, its not my trade. ill report it today so a gas engineer comes"
    )
    assert judgement.verdict == "strong"
    assert judgement.red_flags == ()


def test_even_if_it_is_not_my_job_then_acting_is_not_passing_the_buck(matcher: Matcher) -> None:
    prompt = matcher.library.prompts["prev-loose-handrail"]
    judgement = matcher.judge(prompt, "even if its not my job, ill report it today and warn him")
    assert judgement.verdict == "strong"
    assert judgement.red_flags == ()


def test_a_shortcut_conceded_with_even_if_beside_a_good_step_is_not_a_concern(
    matcher: Matcher,
) -> None:
    prompt = matcher.library.prompts["office-hazard-box"]
    judgement = matcher.judge(
        prompt, "tick yes and add photos of the mould and a note, even if its more forms"
    )
    assert judgement.verdict != "concern"
    assert judgement.red_flags == ()
