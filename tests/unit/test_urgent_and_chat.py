"""Urgent safety matters beat every topic, and chat gets a human answer, not a tip."""

from __future__ import annotations

import json
import re

import pytest

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.core.router import Coach
from tests.forked_cli import clean_environment, run_coachbot
from tests.unit.conversation import Operative


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("theres a smell of gas in the hall", "gas"),
        ("black sooty marks round the gas fire", "carbon-monoxide"),
        ("bare wires hanging out the ceiling", "live-electrics"),
        ("leak from upstairs dripping onto the fuse box", "water-electrics"),
        ("she said she wants to end it all", "self-harm"),
        ("milk bottles on the step for days and no answer", "collapse-not-seen"),
        ("toddler home on his own all morning", "child-at-risk"),
        ("she had a black eye and he answered every question for her", "domestic-abuse"),
        ("old fella with dementia, no heating and nothing to eat", "adult-at-risk"),
        ("about to drill into some old artex ceiling", "asbestos"),
        ("hob knob left on, no flame, the kitchen reeks", "gas"),
        ("tenant heating the lounge with a disposable bbq, windows shut", "carbon-monoxide"),
        ("consumer unit has no cover on, you can see all the bits", "live-electrics"),
        ("she says the kids would be better off without her", "self-harm"),
        ("heard a thud upstairs and now hes not answering me", "collapse-not-seen"),
        ("two kids under 5 on their own, mum went to the shop hours ago", "child-at-risk"),
        ("her ex kicked the door in last night and says hes coming back", "domestic-abuse"),
        ("a gang are dealing from the old boys flat and he cant say no", "adult-at-risk"),
        ("drilled into a board in a 1960s block and white dust came out", "asbestos"),
    ],
)
def test_every_kind_of_emergency_is_recognised_in_operatives_words(
    matcher: Matcher, message: str, kind: str
) -> None:
    route = matcher.route(message)
    assert route.urgent == kind
    assert route.tip == next(k.tip for k in matcher.library.urgent if k.id == kind)


@pytest.mark.parametrize(
    "message",
    [
        "gas safety check booked next week, how do i remind her",
        "tenant asked where her electric meter is",
        "kids keep asking what im doing",
        "the tenant ended up writing it all down for me",
        "whats the point of the satisfaction survey",
        "boiler makes a kettling noise, no smell of gas or anything",
        "small drip under the sink, nowhere near anything electric",
        "socket a bit loose on the wall, no wires showing, works fine",
        "old fella opened the door and didnt ask who i was, what first",
        "how do i explain to a tenant what a co alarm is for",
        "she said she was dying for a brew",
        "my dust sheet left a mark on her carpet, how do i own up to that",
    ],
)
def test_near_misses_are_not_emergencies(matcher: Matcher, message: str) -> None:
    assert matcher.route(message).urgent is None


@pytest.mark.parametrize(
    "message",
    [
        "old boy gave me his war medals to keep, said he has no further use for them now",
        "she said this is the last job her flat will ever need and thanked me for everything",
        "he has written letters to each of his grandkids and put them in a drawer for after",
        "tenant asked which bridge round here is the highest, then went quiet",
        "apprentice asked would anyone even care if he did not turn up tomorrow",
        "he cancelled everything, sold his car and paid his rent up so nobody is left with it",
        "you have the dog mate, i will not be needing him",
        "she does not plan on seeing christmas and has given her rings away",
        "he asked if the loft beam would hold a grown man",
    ],
)
def test_an_indirect_farewell_gets_the_self_harm_safety_tip(matcher: Matcher, message: str) -> None:
    """Few people say it outright: things handed on for good, a last job ever, letters
    for "after", a question about heights or weight. Any of these is urgent."""
    assert matcher.route(message).urgent == "self-harm"


@pytest.mark.parametrize(
    "message",
    [
        "i wont be needing the ladders tomorrow, can someone take them back",
        "would anyone care if i used grey sealant instead of white",
        "how high is the bridge on the ring road, will the van fit under",
        "last job of the day then home for my tea",
        "nobody has heard off the supplier for days about the part",
        "she gave me a bag of tomatoes from her allotment, can i take them",
    ],
)
def test_everyday_words_like_a_farewell_are_not_emergencies(matcher: Matcher, message: str) -> None:
    assert matcher.route(message).urgent is None


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("she asked me to fit a bolt on the bedroom door to get away from him", "domestic-abuse"),
        ("her partner rang four times while i was there, checking who was in", "domestic-abuse"),
        ("girl of about 11 said she is scared to go home when he is there", "child-at-risk"),
        ("nobody has heard off him for days and his car has not moved", "collapse-not-seen"),
        (
            "leak from the washer got into the oven control panel and it keeps clicking",
            "water-electrics",
        ),
        ("i get a little nip off the sink whenever i lean on the radiator", "live-electrics"),
        ("two days of meals on wheels left on her step, not touched", "collapse-not-seen"),
        ("he says he wont be needing any of it after this weekend", "self-harm"),
        ("the toddler was in the bath on his own with the hot tap running", "child-at-risk"),
        ("his cameras in every room, she says he checks them from work", "domestic-abuse"),
        ("old man barefoot on the landing asking for his mum, lives on his own", "adult-at-risk"),
        ("her head is always pounding in the flat but clears at work", "carbon-monoxide"),
        ("she said i was the last nice person she would talk to", "self-harm"),
        ("his pull cord light is flashing outside the flat and no answer", "collapse-not-seen"),
        ("little lad tied to the gate post in the rain, nobody about", "child-at-risk"),
        ("wants a key cut without him knowing, needs a way out when he drinks", "domestic-abuse"),
    ],
)
def test_fear_and_danger_told_indirectly_raise_the_alarm(
    matcher: Matcher, message: str, kind: str
) -> None:
    assert matcher.route(message).urgent == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("office said its dead but my volt stick says live", "live-electrics"),
        ("he said to give his cat to his sister in case hes not here next time", "self-harm"),
        ("lad is stood the other side of the railing on the top floor", "self-harm"),
        ("been hurting meself again and i cant stop", "self-harm"),
        ("his wife went in the bathroom an hour ago and is not answering", "collapse-not-seen"),
        ("the babys nappy has not been changed since yesterday", "child-at-risk"),
        ("could hear a woman screaming through the wall next door", "domestic-abuse"),
        ("old lady with dementia, some lads keep making her pay them", "adult-at-risk"),
        ("she said he goes through her post so the office mustnt write", "domestic-abuse"),
        ("wee lass said her uncle does stuff to her, made me promise not to tell", "child-at-risk"),
        ("he says hes sorted his funeral and had enough of it all", "self-harm"),
        ("a man at the door wanted her pin number for the roof, she has dementia", "adult-at-risk"),
    ],
)
def test_an_emergency_is_told_by_its_signs_together(
    matcher: Matcher, message: str, kind: str
) -> None:
    assert matcher.route(message).urgent == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("tenant said she just wants it all to be over for good", "self-harm"),
        ("bloke asked me whats the quickest way to go, said he was done", "self-harm"),
        ("she told me shes been cutting again and has a blade in the bathroom", "self-harm"),
        ("co meter on my belt went off as soon as i walked into the kitchen", "carbon-monoxide"),
        ("the fuse box is damp and dripping after the tank overflowed", "water-electrics"),
        ("knocked and could hear faint moaning, nobody coming to the door", "collapse-not-seen"),
        ("she passed me a bit of paper saying call the police", "domestic-abuse"),
        ("old boy hands his cash over to some lads who come round every week", "adult-at-risk"),
    ],
)
def test_new_wordings_of_an_emergency_are_caught(matcher: Matcher, message: str, kind: str) -> None:
    assert matcher.route(message).urgent == kind


@pytest.mark.parametrize(
    ("message", "urgent", "topic"),
    [
        # A thing that won't be here is an appointment; a person who won't be, a worry.
        (
            "how do i tell an already fuming tenant the part wont be here till next week",
            None,
            "difficult-conversations",
        ),
        ("he said dont bother with the repair, he wont be here", "self-harm", "safeguarding"),
        # The urgent model is unsure of these, and the topic model hears everyday work.
        ("what do i do if a tenant threatens me", None, "difficult-conversations"),
        ("whats the best primer for bare plaster", None, None),
        # Unsure too, but the topic model hears the same worry (since round 7 ulcerated
        # feet are a sign of neglect, so that message no longer tests this).
        (
            "tenant fell off the steps in the garden while i was at the van, out cold",
            "collapse-not-seen",
            "safeguarding",
        ),
    ],
)
def test_an_unsure_alarm_needs_the_topic_model_to_hear_the_same_worry(
    matcher: Matcher, message: str, urgent: str | None, topic: str | None
) -> None:
    route = matcher.route(message)
    assert (route.urgent, route.topic) == (urgent, topic)


@pytest.mark.parametrize(
    "message",
    [
        "is there a course on asbestos i can book onto",
        "what number do i give a tenant for a gas emergency",
        "tenant keeps asking me about carbon monoxide since she saw it on telly",
        "asbestos removal finished last month, can she paint the room now",
        "what training is there on spotting domestic abuse",
    ],
)
def test_naming_a_danger_in_a_question_or_a_handled_job_stays_calm(
    matcher: Matcher, message: str
) -> None:
    assert matcher.route(message).urgent is None


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("i think its asbestos, i just put my drill through the panel", "asbestos"),
        ("tenant says she feels sick and dizzy, worried its carbon monoxide", "carbon-monoxide"),
        ("her arms are covered in fresh self harm cuts", "self-harm"),
    ],
)
def test_naming_a_danger_that_is_here_raises_the_alarm(
    matcher: Matcher, message: str, kind: str
) -> None:
    assert matcher.route(message).urgent == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("his lips have gone a funny colour and he is not making sense", "collapse-not-seen"),
        ("she keeps saying her family would be happier if she was gone", "self-harm"),
        ("she said she feels like giving up on everything", "self-harm"),
    ],
)
def test_the_model_catches_an_emergency_the_signs_miss(
    matcher: Matcher, message: str, kind: str
) -> None:
    assert matcher.urgent.signed(message) is None
    assert matcher.route(message).urgent == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("needles on the floor where the toddler was lying about playing", "child-at-risk"),
        ("strong smell of gas at no 6, nobody answering the door", "gas"),
        ("leak running down onto the fuse box and its crackling", "water-electrics"),
    ],
)
def test_of_two_emergencies_the_one_that_matters_more_wins(
    matcher: Matcher, message: str, kind: str
) -> None:
    assert matcher.route(message).urgent == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("she said she feels sucidal", "self-harm"),
        ("about to drill into some asbestoes board", "asbestos"),
        ("old man has colapsed in the hall", "collapse-not-seen"),
    ],
)
def test_typos_of_emergency_words_are_read_as_those_words(
    matcher: Matcher, message: str, kind: str
) -> None:
    assert matcher.route(message).urgent == kind


def test_every_urgent_tip_opens_with_what_to_do_now(library: Library) -> None:
    """The first sentence is the action, not the explanation: a reader in a hurry may
    read no further."""
    actions = re.compile(r"\b(ring|stop|keep|get|turn|don't|make it safe|switch off)\b")
    for kind in library.urgent:
        answer = re.sub(r"^act now[.:]\s*", "", library.tips[kind.tip].answer.lower())
        first = re.split(r"(?<=[.!?])\s", answer, maxsplit=1)[0]
        assert actions.search(first), (kind.id, first)


def test_chat_is_never_taken_for_an_emergency(matcher: Matcher) -> None:
    for message in ("cheers ta", "thanks mate", "morning all", "absolute pish"):
        route = matcher.route(message)
        assert route.urgent is None and route.chat is not None


def test_a_one_word_jibe_is_not_read_as_an_emergency(matcher: Matcher) -> None:
    for message in ("shove it", "shove off"):
        assert matcher.route(message).urgent is None


def test_an_urgent_message_gets_its_safety_tip_first(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    answer = sam.send("funny eggy pong by the boiler, tenant says its nothing")
    gas = next(kind for kind in coach.library.urgent if kind.id == "gas")
    assert coach.library.tips[gas.tip].answer.split(".")[0] in answer


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("cheers that helped", "thanks"),
        ("ta very much pal", "thanks"),
        ("morning all", "greeting"),
        ("f off", "abuse"),
        ("this bot is useless", "abuse"),
        ("how do i change my time", "about-bot"),
        ("can my manager see what i write", "about-bot"),
        ("whats 15% of 240", "sums-and-trivia"),
        ("what torque for a 15mm compression fitting", "work-chat"),
        ("oops wrong chat", "banter"),
        ("cheers will try that tomorrow", "thanks"),
        ("stop messaging me ffs", "abuse"),
        ("can i get these at weekends", "about-bot"),
        ("why did i get two today", "about-bot"),
        ("tallest mountain in wales?", "sums-and-trivia"),
        ("heater in the van has packed in", "work-chat"),
        ("im off sick tomorrow, who do i ring", "work-chat"),
        ("how do i book the gas refresher course", "work-chat"),
        ("do u ever sleep", "banter"),
        ("cheers for the help earlier", "thanks"),
        ("that was actually useful ta", "thanks"),
        ("hiya, just checking in", "greeting"),
        # Comments on the bot's own replies.
        ("answers are a bit long for my phone", "about-bot"),
        ("can you say it again simpler", "about-bot"),
        ("you sound like my nan", "banter"),
    ],
)
def test_chat_is_recognised_by_kind(matcher: Matcher, message: str, kind: str) -> None:
    route = matcher.route(message)
    assert route.chat == kind and route.tip is None


@pytest.mark.parametrize(
    "message",
    [
        "tenant said thanks but seemed upset",
        "tenant offered me a brew, is it rude to say no",
        "how do i say no",
        "got a 3/10 on the survey, gutted",
        "tenant called me useless to my face",
        "van broke down, how do i tell my first job",
        "stores sent the wrong part again",
        "my score dropped to 6 this month",
        "how do i sound friendly on the phone when im knackered",
        "how do i say no nicely",
        "thanks but what if she says no?",
        "cheers, the tenant still wont let me in",
        "thanks but no, i cant take cash",
        "cant help you there mate, ring the office",
        "forgot me id badge today, do i still knock",
        "key safe code didnt work and no ones answering, do i card it",
        "tenant says the job took too long, what do i say",
    ],
)
def test_customer_care_questions_are_not_taken_for_chat(matcher: Matcher, message: str) -> None:
    assert matcher.route(message).chat is None


def test_being_sworn_at_gets_a_short_answer_and_no_lecture(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    assert sam.send("cheers that helped") == "Glad it helped."
    answer = sam.send("piss off")
    assert answer == "Fair enough. I'm here when you need me."
    assert "/settings" in sam.send("how do i change the time i get it")


def test_ask_says_whether_a_message_is_urgent() -> None:
    result = run_coachbot(
        ["ask", "--json"],
        clean_environment(),
        stdin="smell of gas on the landing\nhow do i explain a delay\n",
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["urgent"] for line in lines] == [True, False]
    assert lines[0]["urgent_kind"] == "gas" and lines[0]["topic"] is not None
