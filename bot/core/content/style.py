"""The content's house style: a reading age of about 11, and British spellings.

An operative reads the coach in a van, with one hand, so every text the bot shows
(scenarios, options, feedback, model answers, tips, the bot's own words) should be
easy to read: `coachbot content check` reports any that are not.

    >>> reading_age("Ring the office. Tell them the part is on order.")
    5.5
    >>> american_spellings("What color is the neighbor's fence?")
    ['color (colour)', 'neighbor (neighbour)']
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Flesch-Kincaid grade plus five; above this a text is too hard for a quick read.
MAX_READING_AGE = 13.0
#: And the content as a whole should average about 11.
MAX_MEAN_READING_AGE = 11.0
#: Below this many words the formula says little, so short texts are not marked.
MIN_WORDS = 12

#: Spellings a British reader notices, with the British form. Words, not stems, so
#: "program" (software) and "tire"-like traps are left alone.
AMERICAN: Mapping[str, str] = {
    "color": "colour",
    "colors": "colours",
    "neighbor": "neighbour",
    "neighbors": "neighbours",
    "neighborhood": "neighbourhood",
    "behavior": "behaviour",
    "behaviors": "behaviours",
    "favor": "favour",
    "favors": "favours",
    "favorite": "favourite",
    "honor": "honour",
    "labor": "labour",
    "center": "centre",
    "liter": "litre",
    "apologize": "apologise",
    "apologized": "apologised",
    "realize": "realise",
    "realized": "realised",
    "organize": "organise",
    "organized": "organised",
    "recognize": "recognise",
    "prioritize": "prioritise",
    "emphasize": "emphasise",
    "criticize": "criticise",
    "analyze": "analyse",
    "mold": "mould",
    "moldy": "mouldy",
    "gray": "grey",
    "apartment": "flat",
    "cellphone": "mobile",
    "faucet": "tap",
    "gotten": "got",
    "mom": "mum",
    "vacation": "holiday",
    "program": "programme",
    "license": "licence",
    "defense": "defence",
    "offense": "offence",
    "jewelry": "jewellery",
    "traveled": "travelled",
    "canceled": "cancelled",
    "labeled": "labelled",
    "fulfill": "fulfil",
    "enroll": "enrol",
    "catalog": "catalogue",
    "dialog": "dialogue",
    "aluminum": "aluminium",
    "trash": "rubbish",
    "garbage": "rubbish",
    "sidewalk": "pavement",
    "zip code": "postcode",
}

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)|\n+|:\s|;\s")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_TAG = re.compile(r"<[^>]+>")
_SILENT_ED_ES = ("ted", "ded", "ses", "ces", "zes", "ges", "shes", "ches", "xes")


def syllables(word: str) -> int:
    """An estimate good enough for a reading age: vowel groups, less silent endings."""
    word = word.lower()
    count = len(_VOWEL_GROUPS.findall(word))
    silent_e = word.endswith("e") and not word.endswith(("le", "ee", "ye"))
    silent_ending = word.endswith(("ed", "es")) and not word.endswith(_SILENT_ED_ES)
    if count > 1 and (silent_e or silent_ending):
        count -= 1
    return max(1, count)


def reading_age(text: str) -> float:
    """Flesch-Kincaid grade plus five: roughly the age of a reader who finds it easy."""
    plain = _TAG.sub(" ", text)
    sentences = [s for s in _SENTENCE_END.split(plain) if _WORD.search(s)]
    words = _WORD.findall(plain)
    if not words:
        return 0.0
    per_sentence = len(words) / max(1, len(sentences))
    per_word = sum(syllables(w) for w in words) / len(words)
    return round(max(0.0, 0.39 * per_sentence + 11.8 * per_word - 15.59 + 5), 1)


def american_spellings(text: str) -> list[str]:
    """American spellings in ``text``, each with the British form."""
    lower = _TAG.sub(" ", text).lower()
    found = []
    for american, british in AMERICAN.items():
        if american != british and re.search(rf"\b{re.escape(american)}\b", lower):
            found.append(f"{american} ({british})")
    return found


#: The fields of a topic file an operative reads (not rubric examples, tip questions or
#: phrases, which are how operatives type, misspellings and all).
SHOWN_FIELD = re.compile(
    r"^(summary|prompts\[\d+\]\.(scenario|question|model_answer|options\[\d+\]\.(label|feedback)"
    r"|ingredients\[\d+\]\.(found|add)|red_flags\[\d+\]\.why)|tips\[\d+\]\.answer)$"
)


def style_problems(text: str) -> list[str]:
    """What is wrong with one text's style, in the words the content check prints."""
    problems = [f"American spelling: {found}" for found in american_spellings(text)]
    if len(_WORD.findall(_TAG.sub(" ", text))) >= MIN_WORDS:
        age = reading_age(text)
        if age > MAX_READING_AGE:
            problems.append(
                f"reading age {age:g} (keep it under {MAX_READING_AGE:g}: shorter sentences, "
                "plainer words)"
            )
    return problems


def mean_reading_age(texts: list[str]) -> float:
    ages = [reading_age(t) for t in texts if len(_WORD.findall(_TAG.sub(" ", t))) >= MIN_WORDS]
    return round(sum(ages) / len(ages), 1) if ages else 0.0
