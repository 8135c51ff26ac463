"""Mark a typed reply to a scenario prompt by what it says, and say what to add.

A prompt may list the *ingredients* of a strong answer and its *red flags*
(see :class:`bot.core.content.library.Ingredient` and :class:`~bot.core.content.library.RedFlag`).
For such a prompt, a reply is marked in this order:

1. a typed version of a quick reply (close to an option's label) gets that
   option's verdict and feedback;
2. a red flag the reply does not turn down ("take the cash", but not "i'd never
   take cash") makes it a concern, and the feedback says why; the prompt's own red
   flags and those for every prompt (``content/judging.yaml``) count, except one
   that stands in for an ingredient the reply has ("tape it up" after "power off
   at the board"), and one named in a condition ("if you've not heard by friday,
   ring"). A call or report left to the tenant ("get them to ring it in", "she'll
   report it") is not the step, unless the ingredient is one the tenant may make
   (``tenant_may``: ringing the office to check a caller). A reply to a safety
   prompt with every ingredient, the act-now steps among them, is partial at worst:
   never a concern; so is one whose only red flags stand in for a step ("tape over
   it" for isolating) beside other steps of a good answer;
3. a bare no or apology ("nah sorry mate") is partial;
4. every ingredient makes it strong, unless each is said as thinly as the partial
   replies trainers have marked ("sorry, part on order": partial, told to say more);
   some make it partial (a concern needs a red flag,
   or the words of a concern example all but exactly), and the feedback names the ones
   found and the first one missing: "You gave the reason. Next time add what he can
   do instead: the office can tell him his options." A reply worded like the strong
   examples is strong with all but one of three or more ingredients, or, when it is
   full (14 words or three steps), with at least half of them: people say each step
   in more ways than its phrases list; so is one with any of them worded very like
   the strong replies trainers have marked (:mod:`bot.core.matching.replies`).
   Never when an *essential* (act-now safety) ingredient is missing, nor when it
   leaves the call or report to the tenant ("she should ring the office");
5. with no ingredient and no red flag found, the nearest rubric example decides,
   as it does for prompts without ingredients (the prompt's marked partial and
   concern replies are examples too; between a partial and a concern example, the
   reply's wording weighs in: :mod:`bot.core.matching.replies`),
   except that a reply with none of the ingredients is never strong: it is
   partial, and told what to add.

The feedback never praises what the reply didn't say: it names only what was found.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import pairwise

from rapidfuzz import fuzz

from bot.core.content.library import RedFlag, ScenarioPrompt, Verdict
from bot.core.matching.normalising import Normaliser
from bot.core.matching.phrases import Hit, PhraseBook

_INGREDIENT = "ingredient:"
_RED_FLAG = "red-flag:"
#: How far after a stance ("not my trade") the operative's own step may come to undo it.
_ACT_REACH = 8
#: "I'll", "I'm", "I can": the operative saying what they will do.
_WILL = frozenset({"will", "am", "can", "would", "shall"})
#: A bare no or apology says one of these (normalised: "nah" is "no", "cant" "can not")...
_REFUSALS = frozenset({"no", "not", "sorry", "apologise", "apologies", "soz", "afraid"})
#: ...and nothing but these.
_BARE = _REFUSALS | frozenset(
    {"i", "am", "can", "do", "mate", "pal", "really", "so", "very", "oh", "well", "im", "that"}
)


class Basis(StrEnum):
    """What a verdict rests on."""

    #: The reply is a typed version of a quick reply.
    OPTION = "option"
    #: A red flag the reply did not turn down.
    RED_FLAG = "red_flag"
    #: The ingredients of a strong answer it has.
    INGREDIENTS = "ingredients"
    #: The nearest rubric example.
    RUBRIC = "rubric"
    #: Nothing to go on: no verdict.
    NONE = "none"


@dataclass(frozen=True)
class Judgement:
    """How a reply to a prompt measures up, and what the coach says about it."""

    verdict: Verdict | None
    #: The rubric pattern the verdict came from, when it came from the rubric.
    pattern: int | None
    #: How close the reply is to the nearest rubric pattern (0 to about 1.2), or to the
    #: quick reply it is a typed version of (0.85 to 1).
    score: float
    feedback: str = ""
    basis: Basis = Basis.NONE
    #: The quick reply (index in the prompt's options) the reply is a typed version of.
    option: int | None = None
    #: Ingredient ids, in the prompt's order.
    ingredients_found: tuple[str, ...] = ()
    ingredients_missing: tuple[str, ...] = ()
    #: Red flag ids the reply has.
    red_flags: tuple[str, ...] = ()
    #: Red flag ids the reply names only to turn them down ("i'd never take cash").
    rejected_red_flags: tuple[str, ...] = ()


#: Builds a bot text from ``content/texts.yaml`` (``Library.text``).
Texts = Callable[..., str]


class PromptJudge:
    """Judges replies to one prompt by its quick replies, ingredients and red flags."""

    def __init__(
        self,
        prompt: ScenarioPrompt,
        normaliser: Normaliser,
        texts: Texts,
        typed_option_ratio: float = 85.0,
        strong_wording: float = 0.6,
        full_reply_words: int = 14,
        common_flags: Sequence[RedFlag] = (),
        concern_verbatim: float = 1.05,
        *,
        saying_no: bool = False,
        strong_lean: float = math.inf,
        thin_lean: float = -math.inf,
    ) -> None:
        self.prompt = prompt
        self.normaliser = normaliser
        self.texts = texts
        self.typed_option_ratio = typed_option_ratio
        self.strong_wording = strong_wording
        self.full_reply_words = full_reply_words
        self.concern_verbatim = concern_verbatim
        #: A reply with some ingredients worded this much like the strong answers (log
        #: odds, :meth:`bot.core.matching.replies.ReplyLean.towards_strong`) is strong.
        self.strong_lean = strong_lean
        #: A reply with every ingredient worded this little like the strong answers
        #: (log odds) says each step too thinly ("sorry, part on order"): partial.
        self.thin_lean = thin_lean
        #: A prompt about saying no to a request, where "not my job" is a blunt no.
        self.saying_no = saying_no
        self._labels = [normaliser.text(option.label) for option in prompt.options]
        self._ingredients = {i.id: i for i in prompt.ingredients}
        self._essential = {i.id: i.essential for i in prompt.ingredients}
        self._tenant_may = frozenset(i.id for i in prompt.ingredients if i.tenant_may)
        #: A prompt about safety: one with an act-now step, that the operative must take
        #: (and not leave to the tenant: "get them to ring it in").
        self._safety = any(self._essential.values())
        self._instead_of = {flag.id: flag.instead_of for flag in prompt.red_flags}
        own = {flag.id for flag in prompt.red_flags}
        self.red_flags = (*prompt.red_flags, *(f for f in common_flags if f.id not in own))
        self._but_undoes = frozenset(flag.id for flag in self.red_flags if flag.but_undoes)
        self._book = PhraseBook(
            normaliser,
            {
                **{_INGREDIENT + i.id: i.phrases for i in prompt.ingredients},
                **{_RED_FLAG + f.id: f.phrases for f in self.red_flags},
            },
            frozenset(_INGREDIENT + i.id for i in prompt.ingredients),
            named_calls=frozenset(_INGREDIENT + i.id for i in prompt.ingredients if i.essential),
            addressed=frozenset(_RED_FLAG + f.id for f in self.red_flags if f.addressed),
        )

    def judge(self, text: str, by_rubric: Judgement, towards_strong: float = 0.0) -> Judgement:
        """Judge ``text``; ``by_rubric`` is the nearest-example judgement to fall back on,
        ``towards_strong`` how much its wording leans to a strong answer over a partial
        one (log odds)."""
        plain = self.normaliser.text(text)
        if not plain:
            return by_rubric
        typed = self._typed_option(plain)
        if typed is not None:
            option, closeness = typed
            chosen = self.prompt.options[option]
            return replace(
                by_rubric,
                verdict=chosen.verdict,
                pattern=None,
                # As close to an answer as the label is: a typed quick reply is an answer.
                score=max(by_rubric.score, closeness),
                feedback=chosen.feedback,
                basis=Basis.OPTION,
                option=option,
            )
        if not self._book:
            return by_rubric
        hits = _within_an_answer_dropped(self._book.spot(text))
        # The call or report is the operative's to make: "get them to ring it in" is not
        # ringing it in, on any prompt.
        hits = [
            hit
            for hit in hits
            if not hit.group.startswith(_INGREDIENT)
            or hit.group.removeprefix(_INGREDIENT) in self._tenant_may
            or not self._book.handed_back_at(text, hit.start, hit.end)
        ]
        # A shortcut named in a condition ("if you've not heard by friday, ring") is
        # the circumstance the reply answers, not something it does.
        hits = [
            hit
            for hit in hits
            if not hit.group.startswith(_RED_FLAG)
            or not self._book.in_condition(text, hit.start, hit.end)
        ]
        flags = _groups(hits, _RED_FLAG, rejected=False)
        rejected = tuple(f for f in _groups(hits, _RED_FLAG, rejected=True) if f not in flags)
        said = set(_groups(hits, _INGREDIENT, rejected=False))
        flags = tuple(f for f in flags if self._instead_of.get(f) not in said)
        if flags:
            # "not my trade, but i'll log it now", "even if it's more forms": what the
            # operative concedes before doing the right thing.
            flags = tuple(f for f in flags if not self._conceded(f, hits, text))
        found = tuple(i.id for i in self.prompt.ingredients if i.id in said)
        missing = tuple(i.id for i in self.prompt.ingredients if i.id not in said)
        marked = replace(
            by_rubric,
            ingredients_found=found,
            ingredients_missing=missing,
            red_flags=flags,
            rejected_red_flags=rejected,
        )
        if flags and missing and self.saying_no and self._bare_stance(flags, hits, text):
            # Asked for something outside the job, "not my job mate" is a bare no: a
            # start at best. Elsewhere ("nowt to do with me") it passes the buck.
            return self._by_ingredients(marked, "partial")
        if flags:
            why = next(f.why for f in self.red_flags if f.id == flags[0])
            # Every step of a safe answer, the act-now ones among them, is no concern
            # whatever else it says ("...ring 0800 111 999, and see a GP about the
            # headaches"): at worst partial, and the feedback still says why.
            acted = not missing and self._safety
            # A stand-in for a step ("tape over it" for isolating the socket) amid the
            # other steps of a good answer is a weak step, not a shortcut: partial.
            acted = acted or (bool(found) and all(self._instead_of.get(f) for f in flags))
            return replace(
                marked,
                verdict="partial" if acted else "concern",
                pattern=None,
                feedback=why,
                basis=Basis.RED_FLAG,
            )
        if missing and _bare_no_or_sorry(plain):
            # "no", "sorry mate", "nah sorry i cant": a start, never a concern or strong.
            return self._by_ingredients(marked, "partial")
        # A reply that names a red flag only to turn it down reads like the concern
        # examples, but isn't one. One with some ingredients and no red flag is partial
        # unless it is a concern example all but word for word: a shortcut is a concern
        # because of a red flag, and short first steps ("tell him to mind it") read
        # like the short concern examples.
        like_a_concern = by_rubric.verdict == "concern" and not rejected
        if found and missing and like_a_concern and by_rubric.score >= self.concern_verbatim:
            # All but word for word one of the author's concern examples: a concern,
            # whatever step it has, and its feedback says what is wrong.
            return marked
        turned_down = by_rubric.verdict == "concern" and bool(rejected)
        if found or (missing and (by_rubric.verdict == "strong" or turned_down)):
            # With nothing found, a reply worded like the strong examples (or one that
            # only turns a flag down) is partial, not strong: no praise for what it
            # didn't say, and it hears what to add.
            full = (
                len(plain.split()) >= self.full_reply_words or self._steps(text) >= 3
            ) and not self._book.hands_back(text)
            strong = self._strong(found, missing, by_rubric, full=full) or (
                bool(found) and towards_strong > self.strong_lean and self._trusted(missing, text)
            )
            if strong and not missing and towards_strong < self.thin_lean:
                # The phrases spot each step, but said this thinly ("someone'll be in
                # touch") trainers mark it a start: it hears what it said, and to say more.
                return replace(
                    self._by_ingredients(marked, "partial"),
                    feedback=self.texts("judged_thin", found=self._found_list(found)),
                )
            verdict: Verdict = "strong" if strong else "partial"
            return self._by_ingredients(marked, verdict)
        return marked

    def _by_ingredients(self, marked: Judgement, verdict: Verdict) -> Judgement:
        """``marked`` with ``verdict``, given for its ingredients: the feedback names what
        it said and what to add."""
        return replace(
            marked,
            verdict=verdict,
            pattern=None,
            feedback=self.feedback(marked.ingredients_found, marked.ingredients_missing),
            basis=Basis.INGREDIENTS,
        )

    def _strong(
        self,
        found: tuple[str, ...],
        missing: tuple[str, ...],
        by_rubric: Judgement,
        *,
        full: bool,
    ) -> bool:
        """Every ingredient; or, in words close to the strong examples, all but one of
        three or more, or at least half of them in a full reply (the first one missed
        is then named as what to add).

        People say each ingredient in more ways than its phrases list, so a full,
        several-step reply worded like the strong answers is taken at its word for
        the ingredients not spotted; a short one is not."""
        if not missing:
            return True
        if by_rubric.verdict != "strong" or by_rubric.score < self.strong_wording:
            return False
        if any(self._essential[i] for i in missing):
            # A safety step is never taken on trust.
            return False
        return (len(missing) == 1 and len(found) >= 2) or (full and len(found) >= len(missing))

    def _trusted(self, missing: tuple[str, ...], text: str) -> bool:
        """Whether the steps not spotted may be taken on trust: no act-now safety step
        among them, and no call or report left to the tenant."""
        return not any(self._essential[i] for i in missing) and not self._book.hands_back(text)

    def _bare_stance(self, flags: tuple[str, ...], hits: list[Hit], text: str) -> bool:
        """Whether the reply is one stance ("not my job") and nothing but a bare no
        around it: no shortcut taken, no next step."""
        if not set(flags) <= self._but_undoes:
            return False
        spans = [h for h in hits if h.group.startswith(_RED_FLAG) and not h.rejected]
        if len({(h.start, h.end) for h in spans}) != 1:
            return False
        inside = range(spans[0].start, spans[0].end + 1)
        tokens = self._book.tokens(text)
        return all(t.word in _BARE for i, t in enumerate(tokens) if i not in inside)

    def _conceded(self, flag: str, hits: list[Hit], text: str) -> bool:
        """Whether every mention of a flag is conceded beside a step of a good answer:
        "even if it's more forms" before it, granted then set aside ("i'm sure he's soft
        as owt, but..."), or for a stance ("not my trade") a "but" after it. ("Take the
        cash but keep it quiet" is no concession.)"""
        mentions = [h for h in hits if h.group == _RED_FLAG + flag and not h.rejected]
        return all(
            self._book.conceded(text, hit.start)
            or self._book.granted(text, hit.start, hit.end)
            or (
                flag in self._but_undoes
                and (self._book.but_after(text, hit.end) or self._acts_after(hit, hits, text))
            )
            for hit in mentions
        )

    def _acts_after(self, stance: Hit, hits: list[Hit], text: str) -> bool:
        """Whether the operative says straight after a stance that they will take a step
        of a good answer: "not my trade. I'll raise it now" gives the reason, then acts,
        as "not my trade, but I'll raise it" does; "not my trade, someone else will" and
        "not my trade, tell her to report it" do not."""
        tokens = self._book.tokens(text)
        reach = stance.end + _ACT_REACH
        for hit in hits:
            if not hit.group.startswith(_INGREDIENT) or hit.rejected:
                continue
            if not stance.end < hit.start <= reach:
                continue
            between = [t.word for t in tokens[stance.end + 1 : hit.start]]
            if any(a == "i" and b in _WILL for a, b in pairwise(between)):
                return True
        return False

    def _steps(self, text: str) -> int:
        """How many clauses of two words or more: "tell ms jones, photo it, report it"
        is three steps."""
        sizes: dict[int, int] = {}
        for token in self._book.tokens(text):
            sizes[token.clause] = sizes.get(token.clause, 0) + 1
        return sum(size >= 2 for size in sizes.values())

    def feedback(self, found: tuple[str, ...], missing: tuple[str, ...]) -> str:
        """ "You gave the reason. Next time add what he can do instead: ..." """
        said = self._found_list(found)
        if not missing:
            return self.texts("judged_all", found=said)
        add = self._ingredients[missing[0]].add.rstrip(". ")
        if not found:
            return self.texts("judged_none", add=add)
        return self.texts("judged_some", found=said, add=add)

    def _found_list(self, found: tuple[str, ...]) -> str:
        return self._list([self._ingredients[i].found.rstrip(". ") for i in found])

    def _list(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return self.texts("judged_list", items=", ".join(items[:-1]), last=items[-1])

    def _typed_option(self, plain: str) -> tuple[int, float] | None:
        """The quick reply this reply is a typed version of, if any, and how close (0-1)."""
        best: tuple[int, float] | None = None
        for index, label in enumerate(self._labels):
            ratio = fuzz.ratio(plain, label)
            if ratio >= self.typed_option_ratio and (best is None or ratio > best[1] * 100):
                best = (index, ratio / 100)
        return best


def _bare_no_or_sorry(plain: str) -> bool:
    """A bare no or apology, and nothing else: "no", "nah sorry mate", "sorry i cant"."""
    words = set(plain.split())
    return bool(words & _REFUSALS) and words <= _BARE


def _within_an_answer_dropped(hits: list[Hit]) -> list[Hit]:
    """The hits without the red flags said in an ingredient's words: "say nowt" in "say
    nowt there" (keeping it safe while he's in the room), "not my trade" where saying so
    is the honest answer."""
    answers = [
        (hit.start, hit.end)
        for hit in hits
        if hit.group.startswith(_INGREDIENT) and not hit.rejected and hit.end > hit.start
    ]
    return [
        hit
        for hit in hits
        if not hit.group.startswith(_RED_FLAG)
        or not any(start <= hit.start and hit.end <= end for start, end in answers)
    ]


def _groups(hits: list[Hit], prefix: str, *, rejected: bool) -> tuple[str, ...]:
    """Ids of the groups with a hit that is (or is not) turned down, in reply order."""
    found: dict[str, None] = {}
    for hit in hits:
        if hit.group.startswith(prefix) and hit.rejected is rejected:
            found[hit.group.removeprefix(prefix)] = None
    return tuple(found)
