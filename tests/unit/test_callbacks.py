"""Button payloads and waiting states: typed, within Telegram's 64 bytes, forged data expires."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.core.callbacks import (
    ALL_DAYS_MASK,
    CALLBACK_DATA_BYTES,
    MAX_CHOICE,
    MAX_PAUSE_DAYS,
    MAX_ROW_ID,
    WAITING_CHARS,
    Answer,
    AnswerTo,
    CheckCommitment,
    CloseCohort,
    CohortAction,
    Expired,
    FollowUpAction,
    FollowUpCohort,
    FollowUpText,
    ForgetChoice,
    KeepDaily,
    ListCommitments,
    OpenSettings,
    PauseFor,
    Payload,
    PickHour,
    SaveDays,
    ScheduleFollowUp,
    ScheduleFollowUpOn,
    SetDailyPrompts,
    SetPromptTime,
    SetZone,
    ShareName,
    ShowReport,
    ShowTip,
    StepReply,
    StopChoice,
    StopTyping,
    ToggleDays,
    TypedTime,
    TypedZone,
    TypeZone,
    Waiting,
    decode,
    scenario_awaited,
    waiting,
)
from bot.core.content.library import Library

ITEM_IDS = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,39}\Z")
ROW_IDS = st.integers(1, MAX_ROW_ID)
ZONES = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_+/-]{0,49}\Z").filter(lambda zone: zone != "other")

PAYLOADS: st.SearchStrategy[Payload] = st.one_of(
    st.builds(StopChoice, st.booleans()),
    st.builds(ForgetChoice, st.booleans()),
    st.builds(PauseFor, st.integers(0, MAX_PAUSE_DAYS)),
    st.just(KeepDaily()),
    st.builds(OpenSettings, st.sampled_from(["time", "days", "tz", "done"])),
    st.builds(PickHour, st.integers(0, 23)),
    st.builds(SetPromptTime, st.integers(0, 23), st.integers(0, 59)),
    st.builds(ToggleDays, st.integers(0, ALL_DAYS_MASK)),
    st.builds(SaveDays, st.integers(0, ALL_DAYS_MASK)),
    st.builds(SetZone, ZONES),
    st.just(TypeZone()),
    st.just(StopTyping()),
    st.builds(SetDailyPrompts, st.booleans()),
    st.builds(Answer, ITEM_IDS, st.integers(0, MAX_CHOICE)),
    st.builds(ShowTip, ITEM_IDS),
    st.builds(CloseCohort, ROW_IDS),
    st.builds(CohortAction, st.sampled_from(["show", "link", "sum", "shut", "keep"]), ROW_IDS),
    st.builds(FollowUpCohort, ROW_IDS),
    st.builds(FollowUpAction, st.sampled_from(["send", "sched", "cancel"]), ROW_IDS),
    st.builds(ScheduleFollowUp, ROW_IDS, st.integers(0, MAX_CHOICE)),
    st.builds(ScheduleFollowUpOn, ROW_IDS, st.dates(date(1000, 1, 1), date(9999, 12, 31))),
    st.builds(ListCommitments, ROW_IDS),
    st.builds(ShareName, st.booleans()),
    st.builds(CheckCommitment, st.sampled_from(["kept", "partly", "not_yet"])),
    st.builds(
        ShowReport,
        st.sampled_from(["summary", "export"]),
        st.one_of(st.none(), ROW_IDS),
        st.one_of(st.none(), st.tuples(st.dates(), st.dates())),
    ),
)
WAITING: st.SearchStrategy[Waiting] = st.one_of(
    st.builds(AnswerTo, ITEM_IDS),
    st.builds(TypedZone, st.one_of(st.none(), st.builds(AnswerTo, ITEM_IDS))),
    st.builds(TypedTime, st.one_of(st.none(), st.builds(AnswerTo, ITEM_IDS))),
    st.builds(FollowUpText, ROW_IDS),
    st.builds(StepReply, st.sampled_from(["commitment", "note", "reflection"])),
)


@given(PAYLOADS)
def test_every_payload_fits_in_64_bytes_and_reads_back_as_itself(payload: Payload) -> None:
    data = payload.encode()
    assert 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_BYTES
    assert decode(data) == payload


@given(st.one_of(st.text(), st.binary().map(lambda raw: raw.decode("latin-1"))))
def test_any_data_decodes_without_raising_and_only_from_its_own_encoding(data: str) -> None:
    found = decode(data)
    assert isinstance(found, Expired) or found.encode() == data


@given(PAYLOADS, st.sampled_from(["²", "٣", "99999999999999999999", "-1", "007", " 1", ""]))
def test_a_forged_number_inside_real_data_expires(payload: Payload, bad: str) -> None:
    # A tip's id is a name that may happen to be all digits ("0"), not a number.
    assume(not isinstance(payload, ShowTip))
    parts = payload.encode().split(":")
    numbers = [index for index, part in enumerate(parts) if part.isdigit()]
    if not numbers:
        return
    parts[numbers[-1]] = bad
    assert decode(":".join(parts)) == Expired()


@pytest.mark.parametrize(
    "data",
    [
        "fu:send:99999999999999999999",
        "set:h:²",
        "set:d:٣",
        "pause:91",
        "pause:+7",
        "ans:doorstep-id-first:1:2",
        "ans:../etc:0",
        "cm:list:0",
        "coh:open:1",
        "fu:on:1:20261301",
        "fu:on:1:2026121",
        "fu:on:1:02026120",
        "stop:maybe",
        "nonsense",
        "set:tz:Europe/London:extra",
        "x" * 65,
        "tip:" + "a" * 41,
        "rep:s:HULL1:20261102-20261129",
        "rep:s:0:20261102-20261129",
        "rep:x:all:week",
        "rep:e:all:20260230-20260301",
        "rep:s:all:2026112-20261129",
        "rep:s:all:month",
        "rep:s:12:20261102-20261129:x",
    ],
)
def test_forged_payloads_expire(data: str) -> None:
    assert decode(data) == Expired()


@given(WAITING)
def test_every_waiting_state_fits_its_column_and_reads_back(state: Waiting) -> None:
    stored = state.encode()
    assert len(stored) <= WAITING_CHARS
    assert waiting(stored) == state


@given(st.one_of(st.none(), st.text()))
def test_any_stored_waiting_state_reads_without_raising(stored: str | None) -> None:
    found = waiting(stored)
    assert found is None or found.encode() == stored


def test_every_prompt_and_tip_in_the_content_fits_a_button(library: Library) -> None:
    for prompt in library.prompts.values():
        for option in range(len(prompt.options)):
            assert decode(Answer(prompt.id, option).encode()) == Answer(prompt.id, option)
        assert waiting(AnswerTo(prompt.id).encode()) == AnswerTo(prompt.id)
    for tip_id in library.tips:
        assert decode(ShowTip(tip_id).encode()) == ShowTip(tip_id)


def test_a_typed_setting_remembers_the_scenario_it_interrupted() -> None:
    scenario = AnswerTo("doorstep-id-first")
    assert waiting("time:answer:doorstep-id-first") == TypedTime(scenario)
    assert waiting("timezone") == TypedZone()
    assert scenario_awaited(TypedTime(scenario)) == scenario
    assert scenario_awaited(TypedZone()) is None
    assert scenario_awaited(scenario) == scenario
    for forged in ("time:", "time:time", "timezone:followup:3", "time:answer:../x", "times"):
        assert waiting(forged) is None
