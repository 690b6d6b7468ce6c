"""Sentence splitting, word tokens, stop words and language detection, all offline."""

from __future__ import annotations

import pytest

from bot.news.language import detect_language
from bot.news.text import LANGUAGES, split_marked, split_sentences, stem, stop_words, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The U.S. Army said it would act. The U.N. agreed.",
         ["The U.S. Army said it would act.", "The U.N. agreed."]),
        ("He went to the U.S. The trip was long.", ["He went to the U.S.", "The trip was long."]),
        ("U.S. President Joe Biden spoke. He left.", ["U.S. President Joe Biden spoke.", "He left."]),
        ("Mr. Smith met Dr. Jones on Jan. 5 at No. 10 Downing Street. They talked.",
         ["Mr. Smith met Dr. Jones on Jan. 5 at No. 10 Downing Street.", "They talked."]),
        ("J. R. R. Tolkien wrote it. It cost 3.5 million dollars.",
         ["J. R. R. Tolkien wrote it.", "It cost 3.5 million dollars."]),
        ("Wait... Then it ended.", ["Wait...", "Then it ended."]),
        ("It was... well, odd. Fine.", ["It was... well, odd.", "Fine."]),
        ('He said: "I quit." Then he left.', ['He said: "I quit."', "Then he left."]),
        ('"Stop!" he shouted. Nobody did.', ['"Stop!" he shouted.', "Nobody did."]),
        ("‘I’d be over the moon,’ said Locke. ‘It is a great club.’ He smiled.",
         ["‘I’d be over the moon,’ said Locke.", "‘It is a great club.’", "He smiled."]),
        ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
        ("Army Spc. Caleb Barnes was charged. He denied it.",
         ["Army Spc. Caleb Barnes was charged.", "He denied it."]),
        ("Prices rose 2.5% in Q3. Apple Inc. said sales fell. Shares slid.",
         ["Prices rose 2.5% in Q3.", "Apple Inc. said sales fell.", "Shares slid."]),
        ("It sells pens, paper etc. The shop opens at 9 a.m. on Monday.",
         ["It sells pens, paper etc.", "The shop opens at 9 a.m. on Monday."]),
    ],
)
def test_english_splitting(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Das ist z. B. ein Test. Er wohnt in der Str. Nr. 5 seit dem 3. Oktober. Dann ging er.", "de",
         ["Das ist z. B. ein Test.", "Er wohnt in der Str. Nr. 5 seit dem 3. Oktober.", "Dann ging er."]),
        ("M. Macron a parlé hier. Il a cité la France, l'Italie, etc. Ensuite il est parti.", "fr",
         ["M. Macron a parlé hier.", "Il a cité la France, l'Italie, etc.", "Ensuite il est parti."]),
        ("El Sr. García llegó a las 10. Luego se fue con la Sra. Pérez.", "es",
         ["El Sr. García llegó a las 10.", "Luego se fue con la Sra. Pérez."]),
    ],
)
def test_other_languages(text: str, language: str, expected: list[str]) -> None:
    assert split_sentences(text, language) == expected


def test_paragraphs_and_lines_always_split() -> None:
    text = "First paragraph without a stop\n\nSecond one. Third one.\n- a bullet item\n- another item"
    assert split_sentences(text) == [
        "First paragraph without a stop", "Second one.", "Third one.", "- a bullet item", "- another item",
    ]
    # A hard-wrapped paragraph is joined again, not split at every line end.
    assert split_sentences("This sentence was\nwrapped by the mailer. Next.") == [
        "This sentence was wrapped by the mailer.", "Next.",
    ]


def test_split_is_fast_and_total_on_long_text() -> None:
    text = " ".join(f"Sentence number {i} says Mr. X paid $3.50 for it." for i in range(2000))
    out = split_sentences(text)
    assert len(out) == 2000
    assert split_sentences("") == []
    assert split_sentences("   \n\n  ") == []


def test_words_keep_inner_apostrophes_and_hyphens() -> None:
    assert words("Kilmarnock’s 39-year-old boss, isn't he?") == ["Kilmarnock’s", "39-year-old", "boss", "isn't", "he"]
    assert words("Straße über Ärger") == ["Straße", "über", "Ärger"]


def test_languages_have_stop_words_and_stemmers() -> None:
    assert {"en", "de", "fr", "es"} <= set(LANGUAGES)
    for code in LANGUAGES:
        assert stop_words(code), code
        assert stem("running", code)
    assert stem("running", "en") == "run"
    assert stem("Häuser", "de") == "haus"
    assert "the" in stop_words("en") and "der" in stop_words("de")
    assert stop_words("xx") == frozenset()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The government said on Monday that it would raise taxes for the richest families.", "en"),
        ("Die Regierung hat am Montag gesagt, dass sie die Steuern für die Reichen erhöhen wird.", "de"),
        ("Le gouvernement a déclaré lundi qu'il augmenterait les impôts des plus riches.", "fr"),
        ("El gobierno dijo el lunes que subiría los impuestos a las familias más ricas.", "es"),
        ("Il governo ha detto lunedì che aumenterà le tasse per le famiglie più ricche.", "it"),
        ("O governo disse na segunda-feira que vai aumentar os impostos para as famílias mais ricas.", "pt"),
        ("Уряд заявив у понеділок, що підвищить податки для найбагатших.", "uk"),
    ],
)
def test_detect_language(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_detect_language_hint_wins_when_supported() -> None:
    english = "The government said on Monday that it would raise taxes."
    assert detect_language(english, hint="de-DE") == "de"
    assert detect_language(english, hint="fr_FR") == "fr"
    assert detect_language(english, hint="german") == "de"
    # An unsupported hint is ignored and detection decides.
    assert detect_language("Die Regierung hat am Montag gesagt, dass sie die Steuern erhöht.", hint="nl") == "de"
    assert detect_language("", hint=None) == "en"
    assert detect_language("12345 !!!") == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(CNN)Blues legend B.B. King was ill. He recovered.", ["Blues legend B.B. King was ill.", "He recovered."]),
        ("New Delhi, India (CNN)As the earth shook, India acted.", ["As the earth shook, India acted."]),
        ("LONDON, England (Reuters) -- Oil prices rose on Monday.", ["Oil prices rose on Monday."]),
        ("(AP) — The storm moved north.", ["The storm moved north."]),
        ("WASHINGTON — The Senate voted on Friday.", ["The Senate voted on Friday."]),
        ("By . Daily Mail Reporter . PUBLISHED: . 12:03 EST, 14 March 2013 . | . UPDATED: . "
         "13:10 EST, 14 March 2013 . A man was arrested on Tuesday.", ["A man was arrested on Tuesday."]),
        ("By . Jane Doe and . John Smith . The court met.", ["The court met."]),
        ("Police came. Last updated at 5:42 PM on 3rd January 2012 . The road reopened.",
         ["Police came.", "The road reopened."]),
        ("Scroll down for video A fox was seen in the garden.", ["A fox was seen in the garden."]),
        # Not furniture: a ticker in brackets, a parenthesis that opens a sentence mid-text.
        ("Apple (AAPL) shares rose. The Fed (in a statement) said no.",
         ["Apple (AAPL) shares rose.", "The Fed (in a statement) said no."]),
        ("Scroll down for video", ["Scroll down for video"]),
        ("NATO — the alliance of 30 countries — agreed.", ["NATO — the alliance of 30 countries — agreed."]),
    ],
)
def test_news_furniture_is_removed(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


def test_run_in_captions_are_split_and_flagged() -> None:
    text = (
        "Juan Mata (right) says United must treat the games as 'finals' The 26-year-old has been in fine form. "
        "Fans saw it at the event And with her new role, came new duties. He told The Times it was fine. "
        "The film It Follows opens today."
    )
    assert split_marked(text, "en") == [
        ("Juan Mata (right) says United must treat the games as 'finals'", True),
        ("The 26-year-old has been in fine form.", False),
        ("Fans saw it at the event", True),
        ("And with her new role, came new duties.", False),
        ("He told The Times it was fine.", False),
        ("The film It Follows opens today.", False),
    ]
    # Only English openers: German capitalises nouns mid-sentence.
    assert split_marked("Er sagte es The Guardian heute.", "de") == [("Er sagte es The Guardian heute.", False)]


def test_a_caption_that_restates_the_next_sentence_is_cut_off() -> None:
    text = (
        "A fisherman drowned in the river near the old weir on Sunday afternoon A fisherman has drowned "
        "after falling into the river near the old weir, police said. Police said the man had been fishing."
    )
    assert split_marked(text, "en") == [
        ("A fisherman drowned in the river near the old weir on Sunday afternoon", True),
        ("A fisherman has drowned after falling into the river near the old weir, police said.", False),
        ("Police said the man had been fishing.", False),
    ]


def test_a_lone_seam_that_restates_nothing_is_a_title_not_a_caption() -> None:
    text = "The Canadian broadcaster quietly bought the rights and then bought Flight into Danger for $600. The flight was late."
    assert split_marked(text, "en") == [
        ("The Canadian broadcaster quietly bought the rights and then bought Flight into Danger for $600.", False),
        ("The flight was late.", False),
    ]


def test_run_in_seams_on_a_page_with_captions() -> None:
    # The labelled caption shows the page has captions, so seams need no re-statement.
    text = (
        "Pictured: The striker lifts the trophy at the stadium. "
        "The striker celebrates with fans after the final whistle Police in the city said the crowd was calm and police thanked fans. "
        "He was voted the players' Player of the year by the rest of the squad. "
        "He thanked the fans in the city stadium Police Scotland said the match passed without incident. "
        "Officers stood by the main gate near the city centre The match ended late in the evening. "
        "He scored twice in the final minutes of the game 'I am delighted with the result,' he said. "
        "It was the moment the whole team realised I knew we could win the title."
    )
    assert split_marked(text, "en") == [
        ("Pictured: The striker lifts the trophy at the stadium.", True),
        ("The striker celebrates with fans after the final whistle", True),
        ("Police in the city said the crowd was calm and police thanked fans.", False),
        # A possessive, a name ("Police Scotland") or a bare "I" is no seam.
        ("He was voted the players' Player of the year by the rest of the squad.", False),
        ("He thanked the fans in the city stadium Police Scotland said the match passed without incident.", False),
        # A stop word opens a sentence too ("centre The match"), but not after a function word.
        ("Officers stood by the main gate near the city centre", True),
        ("The match ended late in the evening.", False),
        ("He scored twice in the final minutes of the game", True),
        ("'I am delighted with the result,' he said.", False),
        ("It was the moment the whole team realised I knew we could win the title.", False),
    ]


def test_a_seam_that_recurs_is_a_fixed_term() -> None:
    text = (
        "Wanted: A man is sought. Pictured: The shop. The new cream protects against infra-red A rays and sunburn. "
        "It is the first cream to block infra-red A rays as well as heat."
    )
    assert split_marked(text, "en") == [
        ("Wanted: A man is sought.", True),
        ("Pictured: The shop.", True),
        ("The new cream protects against infra-red A rays and sunburn.", False),
        ("It is the first cream to block infra-red A rays as well as heat.", False),
    ]


CAPTIONED = (
    "The mayor opened the bridge over the river on Sunday afternoon "
    "The mayor opened the new bridge over the river, officials said."
)


@pytest.mark.parametrize(
    ("sentence", "caption"),
    [
        ("Wanted: Police have issued a warrant for the arrest of a man.", True),
        ("Fighter ace: The pilot lost both legs in a crash.", True),
        ("SHOW US YOUR MEDALS: Played 133 Tests for his country.", True),
        ("Fall of an Empire: The Story of a Queen opens in cinemas today.", False),
        ("Joy Smith: Oh my gosh, how long will it be?", False),
        ("The minister added: The plan is ready.", False),
        ("Q: What did you learn in your first year?", False),
        ("The council met at 10: Members voted on the plan.", False),
    ],
)
def test_a_short_label_marks_a_caption(sentence: str, caption: bool) -> None:
    # On a page with another caption (the run-in one in CAPTIONED).
    assert split_marked(f"{sentence} {CAPTIONED}", "en") == [
        (sentence, caption),
        ("The mayor opened the bridge over the river on Sunday afternoon", True),
        ("The mayor opened the new bridge over the river, officials said.", False),
    ]


def test_a_lone_label_is_prose() -> None:
    text = "Another caveat: Even though the border was visited, the totals cover both borders. The rest is fine."
    assert split_marked(text, "en") == [
        ("Another caveat: Even though the border was visited, the totals cover both borders.", False),
        ("The rest is fine.", False),
    ]


def test_ago_ends_an_english_sentence_but_is_a_month_elsewhere() -> None:
    assert split_sentences("The plant closed two years ago. Workers lost their jobs.", "en") == [
        "The plant closed two years ago.",
        "Workers lost their jobs.",
    ]
    assert split_sentences("Llegó el 15 de ago. Pedro lo vio.", "es") == ["Llegó el 15 de ago. Pedro lo vio."]


def test_a_possessive_or_contraction_before_the_full_stop_is_no_initial() -> None:
    text = "It matched Biden's. Another tool disagreed. Some can't. Others won’t. J. R. R. Tolkien wrote it."
    assert split_sentences(text, "en") == [
        "It matched Biden's.",
        "Another tool disagreed.",
        "Some can't.",
        "Others won’t.",
        "J. R. R. Tolkien wrote it.",
    ]
