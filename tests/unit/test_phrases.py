"""Finding a prompt's phrases in a reply, and telling when the reply turns them down."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.content.library import Library, VocabularyFile
from bot.core.matching.normalising import Normaliser
from bot.core.matching.phrases import PhraseBook

GROUPS = {
    "unbooked": ["put them up", "do it quick", "whack them up", "off the books"],
    "cash": ["take the cash", "cash in hand", "on the quiet"],
    "no-access": ["put no access", "close the job", "close it"],
    "call": ["ring her", "ring the office"],
    "card": ["leave a card", "calling card", "card through the door"],
    "own-goal": ["not my job"],
}


@pytest.fixture(scope="module")
def book(library: Library) -> PhraseBook:
    return PhraseBook(Normaliser(library.vocabulary), GROUPS, frozenset({"card"}))


def found(book: PhraseBook, text: str) -> dict[str, bool]:
    """Each group found, and whether every hit of it was turned down."""
    groups: dict[str, bool] = {}
    for hit in book.spot(text):
        groups[hit.group] = groups.get(hit.group, True) and hit.rejected
    return groups


def test_phrases_are_found_in_phone_typed_text_with_typos(book: PhraseBook) -> None:
    assert found(book, "Ill ring the ofice b4 I go") == {"call": False}
    assert found(book, "ring up the housing office") == {"call": False}
    assert found(book, "Put them up quick, its 2 mins") == {"unbooked": False}
    assert found(book, "closing it now") == {"no-access": False}


def test_short_phrases_do_not_match_everything(book: PhraseBook) -> None:
    assert found(book, "put a card through and note it") == {"card": False}
    assert found(book, "i'd put the kettle on") == {}
    assert found(book, "the cash machine was quiet") == {}


def test_a_key_word_of_a_group_is_found_on_its_own(book: PhraseBook) -> None:
    assert found(book, "knock again then card n note the time") == {"card": False}


@pytest.mark.parametrize(
    "text",
    [
        "i'd never take the cash",
        "id never in a million years take the cash",
        "I wouldn't just put no access",
        "dont just close it",
        "not gonna close the job",
        "rather than close the job id ring her",
        "no cash in hand",
        "taking the cash is not allowed",
        "closing the job would be wrong",
        "closing the job just hides it",
        "never take the cash or do it on the quiet",
    ],
)
def test_a_flag_the_reply_turns_down_is_rejected(book: PhraseBook, text: str) -> None:
    flags = {g: r for g, r in found(book, text).items() if g in ("cash", "no-access")}
    assert flags and all(flags.values()), flags


@pytest.mark.parametrize(
    "text",
    [
        "take the cash, she won't know",
        "close the job so she will never know",
        "no answer, put no access",
        "not in so close it",
        "tenant not in, close the job",
        "not bothering ringing her, just close the job",
    ],
)
def test_a_flag_the_reply_means_is_not_rejected(book: PhraseBook, text: str) -> None:
    flags = {g: r for g, r in found(book, text).items() if g in ("cash", "no-access")}
    assert flags and not any(flags.values()), flags


def test_a_negation_belongs_to_the_nearest_phrase(book: PhraseBook) -> None:
    # The "not" turns down the ringing, not the closing.
    assert found(book, "not gonna ring her just close it") == {"call": True, "no-access": False}
    # A phrase's own negation reaches no further than it.
    assert found(book, "not my job ring the office") == {"own-goal": False, "call": False}


def test_a_comparison_turns_down_all_it_weighs_up_to_the_next_punctuation_mark(
    book: PhraseBook,
) -> None:
    assert found(book, "better late than rushing in and closing the job") == {"no-access": True}
    assert found(book, "rather than going back and taking the cash, ring her") == {
        "cash": True,
        "call": False,
    }
    # What comes before the comparison stands.
    assert found(book, "take the cash, easier than a calling card") == {
        "cash": False,
        "card": True,
    }


def test_a_clause_stops_a_negation(book: PhraseBook) -> None:
    assert found(book, "dont just close it, ring her") == {"no-access": True, "call": False}
    assert found(book, "i wont put them up but ill ring the office") == {
        "unbooked": True,
        "call": False,
    }


def test_a_book_with_no_usable_phrase_finds_nothing(library: Library) -> None:
    book = PhraseBook(Normaliser(library.vocabulary), {"empty": ["!!", "..."]})
    assert not book
    assert book.spot("anything at all") == []


def test_a_family_of_wordings_reads_as_one(library: Library) -> None:
    vocabulary = dataclasses.replace(
        library.vocabulary, families={"phone": "call", "give her a bell": "call her"}
    )
    families = PhraseBook(Normaliser(vocabulary), {"call": ["call her", "call the office"]})
    assert [hit.group for hit in families.spot("phone the office first")] == ["call"]
    assert [hit.group for hit in families.spot("id give her a bell")] == ["call"]
    assert families.spot("id bell the office") == []  # not in the family


def test_the_real_families_cover_how_people_say_ring_the_office(library: Library) -> None:
    real = PhraseBook(Normaliser(library.vocabulary), {"call": ["call the office"]})
    for said in ("phone the schedulers", "ring control", "bell the planners"):
        assert real.spot(said), said


def test_nowt_and_owt_read_as_nothing_and_anything(library: Library) -> None:
    real = PhraseBook(Normaliser(library.vocabulary), {"quiet": ["say nothing", "tell anything"]})
    assert [hit.group for hit in real.spot("say nowt and just go wednesday")] == ["quiet"]
    assert [hit.group for hit in real.spot("wont tell owt")] == ["quiet"]


def test_a_phrase_does_not_reach_across_punctuation(book: PhraseBook) -> None:
    assert found(book, "ring the office") == {"call": False}
    assert found(book, "ring, then the office") == {}
    assert found(book, "she said ring. office shut") == {}


def test_the_opposite_little_word_undoes_a_phrase(library: Library) -> None:
    lights = PhraseBook(Normaliser(library.vocabulary), {"switch": ["turn the light on"]})
    assert lights.spot("turn the light on to check")
    assert not lights.spot("turn the lights off at the board")


def test_a_phrase_word_is_not_read_as_short_for_a_longer_one(library: Library) -> None:
    taps = PhraseBook(Normaliser(library.vocabulary), {"stop": ["stop him"], "tap": ["stopcock"]})
    assert [hit.group for hit in taps.spot("stop him touching it")] == ["stop"]
    assert [hit.group for hit in taps.spot("turn the stopcok off")] == ["tap"]


def test_a_word_in_its_own_right_is_not_read_as_short_for_a_longer_one(
    library: Library,
) -> None:
    money = PhraseBook(Normaliser(library.vocabulary), {"cash": ["without testing"]})
    assert not money.spot("ill sort it with him")


def test_a_wording_belongs_to_one_family_only() -> None:
    with pytest.raises(ValueError, match="more than one family: phone"):
        VocabularyFile.model_validate({"families": {"call": ["phone"], "text": ["phone"]}})


@pytest.mark.parametrize(
    "text",
    [
        "the last thing id do is take the cash",
        "id catch myself before i put no access",
        "i'd stop myself closing the job",
    ],
)
def test_more_ways_of_turning_a_shortcut_down(book: PhraseBook, text: str) -> None:
    assert all(found(book, text).values()), found(book, text)


def test_a_condition_keeps_its_own_negation(book: PhraseBook) -> None:
    assert found(book, "if she doesnt answer leave a card") == {"card": False}
    assert found(book, "if i dont take the cash hell be upset") == {"cash": True}


def test_two_negations_side_by_side_undo_each_other(library: Library) -> None:
    checks = PhraseBook(Normaliser(library.vocabulary), {"check": ["check the register"]})
    assert [hit.rejected for hit in checks.spot("not without checking the register")] == [False]


def test_a_no_before_an_answers_own_negative_phrase_agrees_with_it(library: Library) -> None:
    groups = {"stop": ["wont drill"], "flag": ["wasnt me"]}
    drill = PhraseBook(Normaliser(library.vocabulary), groups, frozenset({"stop"}))
    assert [(h.group, h.rejected) for h in drill.spot("no, i wont drill")] == [("stop", False)]
    assert [(h.group, h.rejected) for h in drill.spot("no i wont drill")] == [("stop", False)]
    # A red flag's negative phrase after a "no" is still read as turned down.
    assert [(h.group, h.rejected) for h in drill.spot("no that wasnt me")] == [("flag", True)]


def test_a_negation_carried_by_or_covers_every_phrase_on_the_words(library: Library) -> None:
    names = PhraseBook(Normaliser(library.vocabulary), {"pet": ["love", "darling", "darlin"]})
    assert all(hit.rejected for hit in names.spot("morning mrs begum, not love or darling"))


def test_a_refusal_carries_on_by_or_and_over_words_already_turned_down(
    library: Library,
) -> None:
    groups = {"reason": ["cant take cash"], "cash": ["take the cash", "do it on the quiet"]}
    groups["quiet"] = ["on the quiet"]
    refusing = PhraseBook(Normaliser(library.vocabulary), groups, frozenset({"reason"}))
    hits = refusing.spot("thats kind but i cant take cash or do it on the quiet")
    assert {(h.group, h.rejected) for h in hits} == {
        ("reason", False),
        ("cash", True),
        ("quiet", True),
    }
    # A phrase over an answer's own negative words is not turned down by them.
    kind = PhraseBook(
        Normaliser(library.vocabulary),
        {"reassure": ["dont worry"], "pet": ["dont worry love", "love"]},
        frozenset({"reassure"}),
    )
    assert ("pet", False) in {(h.group, h.rejected) for h in kind.spot("say dont worry love")}
    # Without the "or", a new shortcut is not the refusal's.
    hits = refusing.spot("i cant take cash, but do it on the quiet")
    assert ("quiet", False) in {(h.group, h.rejected) for h in hits}


def test_a_turned_down_phrase_takes_the_rest_of_its_group_in_its_clause(library: Library) -> None:
    groups = {"no-access": ["put no access", "one knock"], "call": ["ring her"]}
    shortcut = PhraseBook(Normaliser(library.vocabulary), groups)
    assert found(shortcut, "i'd never put no access off one knock") == {"no-access": True}
    # In a clause of its own, the same shortcut is still taken.
    assert found(shortcut, "i'd never put no access, but one knock will do") == {"no-access": False}
    assert found(shortcut, "i wouldnt ring her, one knock and put no access") == {
        "call": True,
        "no-access": False,
    }


def test_a_refusal_after_but_turns_down_what_came_before(book: PhraseBook) -> None:
    assert found(book, "he offered cash in hand but i said no") == {"cash": True}
    assert found(book, "she offered cash in hand but i turned it down") == {"cash": True}
    assert found(book, "cash in hand but only this once") == {"cash": False}


@pytest.mark.parametrize(
    ("text", "handed_back"),
    [
        ("she should ring the office", True),
        ("tell him to report it", True),
        ("you need to ring it in", True),
        ("ill ring the office and she should hear today", False),
        ("tell him ill report it", False),
        ("if she wants it looking at she'll report it", True),
        ("she'd best ring the repairs line", True),
        ("you'll have to ring it in", True),
        ("tell the neighbour to ring the office", True),
        ("ring it in themselves when they get a sec", True),
        ("tell them keep the kids away and ring it in", True),
        ("tell him dont touch that and ring the office", False),
        ("get her some help and report it today", False),
        ("ask my supervisor to ring you back himself", False),
        ("get the office to ring her and rebook", False),
    ],
)
def test_a_call_left_to_the_tenant_is_told_apart(
    book: PhraseBook, text: str, handed_back: bool
) -> None:
    assert book.hands_back(text) is handed_back


def test_what_someone_is_not_turns_down_only_what_follows_it(book: PhraseBook) -> None:
    assert found(book, "hes not a cash in hand sort") == {"cash": True}
    assert found(book, "he's not in, cash in hand then") == {"cash": False}


def test_a_negation_about_someone_else_describes_and_turns_nothing_down(book: PhraseBook) -> None:
    # "they never ..." says how things are; "i'd never ..." is the operative refusing.
    assert found(book, "they never ring her back, so close the job") == {
        "call": False,
        "no-access": False,
    }
    assert found(book, "he has never had a calling card from us") == {"card": False}
    assert found(book, "i'd never take the cash") == {"cash": True}


def test_a_verdict_in_a_clause_of_its_own_on_what_came_before_turns_it_down(
    book: PhraseBook,
) -> None:
    assert found(book, "cash in hand, that is not on") == {"cash": True}
    assert found(book, "on the quiet? thats asking for trouble") == {"cash": True}
    # A new clause about something else turns nothing down.
    assert found(book, "close it, then ring her") == {"no-access": False, "call": False}


def test_isnt_good_enough_after_a_phrase_turns_it_down(book: PhraseBook) -> None:
    assert found(book, "one knock then put no access isn't good enough") == {"no-access": True}


def test_not_just_is_more_than_not_the_shortcut_not(book: PhraseBook) -> None:
    # "own-goal" is not an answer's group here, so "not just my ... job" isn't "not my job".
    assert found(book, "ring her, this is not just my gas job") == {"call": False}
    assert found(book, "ring her, not my job") == {"call": False, "own-goal": False}


def test_a_tenant_named_with_a_title_is_him_or_her(book: PhraseBook) -> None:
    assert found(book, "ring mrs okafor before i go") == {"call": False}
    assert found(book, "ring mr okafor") == {}


@pytest.fixture(scope="module")
def address_book(library: Library) -> PhraseBook:
    return PhraseBook(
        Normaliser(library.vocabulary),
        {"pet-name": ["love", "hun", "darlin"], "reassure": ["dont worry"]},
        frozenset({"reassure"}),
        addressed=frozenset({"pet-name"}),
    )


@pytest.mark.parametrize(
    "text",
    [
        "ah dont worry hun, it'll be our secret",
        "dont you worry darlin, ill write it down for ya",
        "not my lot darlin, that was contractors",
    ],
)
def test_a_pet_name_said_to_the_tenant_is_not_turned_down_by_a_negation_before_it(
    address_book: PhraseBook, text: str
) -> None:
    assert found(address_book, text)["pet-name"] is False


@pytest.mark.parametrize(
    "text",
    [
        "no love, just good morning mrs begum",
        "i'd never call her love",
        "I'd catch myself before the 'love' comes out",
    ],
)
def test_a_pet_name_the_reply_refuses_to_use_is_turned_down(
    address_book: PhraseBook, text: str
) -> None:
    assert found(address_book, text)["pet-name"] is True
