"""Plain text -> Article, and the line-level clean-up that HTML extraction shares."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import ExtractError
from bot.models import Article, Link

NO_TEXT = "the page has no article text I can read"

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_URL_RE = re.compile(r"https?://\S+")
# An address after a short label ("Listen: https://...") is a link, not a sentence. A bare address on a line of
# its own is usually a cited source, which the body keeps (the page's own address is dropped in extract_html).
_LABELLED_URL_RE = re.compile(r"^[\w'’ -]{1,25}:\s*(?:https?://|www\.)\S+$", re.IGNORECASE)
_BYLINE_RE = re.compile(
    r"^(?i:by|von|par|por|di|door)\s+(?P<name>[A-ZÀ-Þ][\w.'’-]+(?:\s+(?:[A-ZÀ-Þ][\w.'’-]+|and|und|et|y|e|van|von|de)){0,5})"
    r"\s*(?:[,|·–—-].*)?$"
)
_DATELINE_RE = re.compile(r"\b(?:1[89]|20)\d\d\b|\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")
_JUNK_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd]")
_TERMINAL = tuple(".!?…:;\"'”’»)]")

# Lines that introduce another story rather than continue this one.
_RELATED_RE = re.compile(
    r"^\s*\(?(?:read also|read more|also read|see also|related|related (?:article|story|post|content)s?|more|more on this|"
    r"also on [\w.]+|recommended|lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|weiterlesen|"
    r"lire aussi|à lire aussi|leer también|lee también|leggi anche(?: su)?)\s*[:：>»|-]\s*(?P<title>.+?)\)?$",
    re.IGNORECASE,
)

# Whole lines that are page furniture in any article: credits, sharing prompts, legal notices.
_BOILERPLATE_RE = re.compile(
    r"^(?:"
    r"(?:source|sources|photo|photos|image|images|picture|credit|credits|foto|bild|quelle|fuente|fonte)\s*:.*"
    r"|\(?(?:photo|image|picture|foto|bild) (?:by|credit|courtesy)\b.*"
    r"|.*\(\s*(?:ap|afp|reuters|getty|epa|dpa|photo|foto|bild|image|picture|credit)\b[^()]{0,80}\)\.?"
    r"|(?:like this story|share this|share on|share (?:this|the) article|follow us on|"
    r"sign up for (?:our|the) newsletter|subscribe to our)\b.{0,60}"
    r"|(?:advertisement|anzeige|werbung|publicidad|sponsored|tags?|topics|comments?|\d+ comments?|"
    r"don'?t miss|most read|trending|print article|order reprints|print|email|share|tweet)\s*:?"
    r"|(?:©|ⓒ|\(c\)|copyright\s*(?:©|ⓒ|\(c\)|\d{4})).{0,200}"
    r"|all rights reserved\.?"
    r"|also on [\w-]+(?:\.[\w-]+)+\b.{0,200}"
    r"|write to .{1,80} at \S+@\S+"
    # Credits for the reporting and calls to action (newsletters, membership pitches).
    r"|(?:with )?additional reporting by .{1,200}"
    r"|(?:sign up|subscribe)\b.{0,120}\bnewsletters?\b.{0,80}"
    r"|if you (?:enjoyed|liked|like|enjoy|value) (?:this|our) (?:article|story|post|journalism|reporting)\b.*"
    r"|\[(\w+)\b[^\]]*\].*\[/\1\]"  # a WordPress shortcode the site failed to render
    r"|this copy is for your personal, non-commercial use only.*"
    r"|an error has occurred, please try again later\.?"
    r"|tell us what you think.*"
    r"|(?:updated|published|posted|last updated|last modified|aktualisiert|veröffentlicht)(?: at| on|:)? (?=.*\d)"
    r"[\w ,.:/-]{1,40}"
    # Captions' labels, and the page's buttons and section labels when they stand alone on a line.
    r"|(?:image|photo|media) (?:caption|copyright)\b.*|media playback is unsupported\b.*"
    r"|(?:read more|continue reading|keep reading|load more|show more|see more|back to top|"
    r"skip to (?:main )?content|related(?: articles| stories| posts| topics| coverage| content| links)?|recommended|"
    r"sponsored content|read next|up next|watch next|report an? (?:error|typo|correction)|"
    r"(?:show |hide |toggle )?caption|close|updated|expand|enlarge|biography|"
    r"(?:print|email|share) this (?:page|article|story|post))\s*[:.…]*"
    # Newsletter pitches, social and comment prompts, and the labels of the link lists around an article
    # ("Most read", "You may also like"), in the wordings news sites share.
    r"|(?:get|receive|join)\b.{0,60}\bnewsletters?\b.{0,100}"
    r"|follow (?:us|me|him|her|them|@?[\w.]+(?: [\w.]+){0,3}) on "
    r"(?:twitter|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky|x)\b.{0,100}"
    r"|(?:leave a (?:comment|reply)|post a comment|join the (?:conversation|discussion)|"
    r"(?:view|show|load|read|see) (?:all )?(?:\d+ )?comments?)\b.{0,60}"
    r"|(?:get|gain|enjoy|unlock) (?:unlimited |full |digital |premium |instant )?access to\b(?=.*\bsubscri).{0,600}"
    r"|(?:subscribe (?:now|today)|(?:got|have) a (?:news )?tip\??)"
    # The comment form's notices that blog software prints under every post.
    r"|this site uses akismet to reduce spam\b.*|your email address will not be published\b.*"
    r"|(?:required fields are marked|notify me of (?:follow-up comments|new posts))\b.*"
    r"|(?:most (?:popular|read|viewed|shared|commented)|popular on [\w .'’-]{1,40}|more from [\w .'’-]{1,40}|"
    r"you (?:may|might) (?:also )?(?:like|enjoy)(?: these (?:posts|stories|articles))?|"
    r"recommended (?:for you|stories|articles|reading|videos))\s*:?"
    r")$",
    re.IGNORECASE,
)

# Furniture that may start anywhere in the line: picture-agency credits, reporting credits, "click here" calls,
# affiliate disclosures, inbox and app pitches. Unanchored patterns cost more than all the others together, so
# they are tried only on lines holding one of _UNANCHORED_HINTS.
_UNANCHORED_RE = re.compile(
    r"^(?:"
    r".*\b(?:getty images|shutterstock|istockphoto|imago images|picture alliance)\b\S*\.?"
    r"|.{1,250}\bcontributed (?:reporting )?to (?:this|the) (?:report|story|article)\.?"
    r"|.{0,200}\bclick here\b.{0,120}"
    r"|"
    r"(?=.*\b(?:you (?:buy|purchase|click|shop)|(?:affiliate|retail|these|our) links?|through (?:this|our) (?:post|site)))"
    r".{0,200}\b(?:may|might|could|will|can) (?:earn|get|receive|collect|make)\b.{0,40}"
    r"\b(?:commission|share of (?:the )?(?:sales?|revenue)|affiliate)\b.{0,200}"
    r"|.{0,120}\b(?:contains?|includes?|uses?) affiliate links?\b.{0,200}"
    r"|.{0,120}\b(?:delivered|sent|straight|directly) to your inbox\b.{0,100}"
    r"|.{0,80}\b(?:download|get) (?:the|our) (?:[\w-]+ ){0,3}app\b.{0,100}"
    r")$",
    re.IGNORECASE,
)
_UNANCHORED_HINTS = ("getty images", "shutterstock", "istockphoto", "imago images", "picture alliance", "contributed",
                     "click here", "commission", "share of", "affiliate", "inbox", " app")


def normalise(text: str) -> str:
    """Lower-case words only, with typographic quotes folded, for comparing lines."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(_WORD_RE.findall(text.lower()))


def similar(a: str, b: str, threshold: float = 0.8) -> bool:
    """Whether two lines say nearly the same words (a repeated headline reworded slightly)."""
    wa, wb = set(normalise(a).split()), set(normalise(b).split())
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold


def clean_inline(text: str) -> str:
    """One line of text: whitespace collapsed, characters that are never text (controls, NULs, surrogates) dropped."""
    text = _JUNK_RE.sub("", text)
    return re.sub(r"[\s\u200b\ufeff]+", " ", text).strip()


def word_count(text: str) -> int:
    """How many words a line has."""
    return len(_WORD_RE.findall(text))


def is_sentence(line: str) -> bool:
    """Whether a line reads as body prose rather than a heading or a label."""
    return line.rstrip().endswith(_TERMINAL) or word_count(line) > 25


def is_boilerplate(line: str) -> bool:
    """Whether a whole line is page furniture (credit, share prompt, legal notice, bare link)."""
    line = line.strip()
    if _BOILERPLATE_RE.match(line) or _LABELLED_URL_RE.match(line):
        return True
    lowered = line.lower()
    return any(hint in lowered for hint in _UNANCHORED_HINTS) and bool(_UNANCHORED_RE.match(line))


def related_title(line: str) -> tuple[str, str] | None:
    """For a 'Read also: <title>' line, the title and any URL it names."""
    match = _RELATED_RE.match(line)
    if match is None:
        return None
    rest = match.group("title").strip()
    url_match = _URL_RE.search(rest)
    url = url_match.group(0).rstrip(").,") if url_match else ""
    title = _URL_RE.sub("", rest).strip(" -–—|()[]")
    if not title and not url:
        return None
    return title or url, url


def _merge_wrapped(block: list[str]) -> list[str]:
    """Join hard-wrapped lines of one blank-line-separated block back into paragraphs."""
    if len(block) < 2:
        return block
    wrapped = sum(1 for line in block[:-1] if 40 <= len(line) <= 100 and not line.endswith(_TERMINAL))
    merged: list[str] = [block[0]]
    for line in block[1:]:
        prev = merged[-1]
        continues = not prev.endswith(_TERMINAL) and (line[:1].islower() or wrapped >= len(block) // 2 + 1)
        if continues and is_sentence(prev + " " + line) and word_count(prev) >= 6:
            merged[-1] = prev + " " + line
        else:
            merged.append(line)
    return merged


def _lines(text: str) -> list[str]:
    """Non-empty logical lines, hard-wrapped paragraphs rejoined."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [clean_inline(line) for line in block.splitlines()]
        out.extend(_merge_wrapped([line for line in lines if line]))
    return out


def _is_heading(line: str) -> bool:
    return not is_sentence(line) and 1 <= word_count(line) <= 20


def _is_meta_line(line: str) -> bool:
    """A byline or a dateline: never the headline, never the standfirst."""
    return bool(_BYLINE_RE.match(line)) or (word_count(line) <= 8 and bool(_DATELINE_RE.search(line)))


def _find_headline(lines: list[str]) -> tuple[int, str]:
    """Index and text of the headline: the first heading-like line, skipping a breadcrumb trail and bylines.

    Index -1 means the text has no headline line, and the headline is made from the first sentence's words.
    """
    for i, line in enumerate(lines[:6]):
        if not _is_heading(line) or _is_meta_line(line) or word_count(line) < 2:
            continue
        norm = normalise(line)
        # A breadcrumb ("Home Updates Politics <headline>") ends with the real headline found nearby.
        for later in lines[i + 1 : i + 6]:
            later_norm = normalise(later)
            if later_norm and norm != later_norm and norm.endswith(" " + later_norm) and _is_heading(later):
                return lines.index(later, i + 1), _strip_markup(later)
        return i, _strip_markup(line)
    words = lines[0].split()
    return -1, " ".join(words[:14]) + ("…" if len(words) > 14 else "")


def _strip_markup(line: str) -> str:
    """'# Headline' or '**Headline**' (Markdown-ish plain text) -> 'Headline'."""
    return line.strip("#*=_ \t") or line


def clean_paragraphs(paragraphs: list[str], headline: str, description: str | None = None) -> list[str]:
    """Drop a leading headline or standfirst repeat, furniture lines and back-to-back duplicates."""
    out: list[str] = []
    desc_norm = normalise(description or "")
    head_norm = normalise(headline)
    for para in paragraphs:
        norm = normalise(para)
        if not norm or (out and norm == normalise(out[-1])):
            continue
        # Only before the body starts: later a similar line is usually a recipe card or table title.
        if not out and head_norm and (norm == head_norm or (not is_sentence(para) and similar(para, headline))):
            continue
        # A standfirst ends without a full stop; a lede that merely equals og:description is body text.
        if not out and desc_norm and norm == desc_norm and not is_sentence(para):
            continue
        if is_boilerplate(para) or related_title(para) is not None:
            continue
        out.append(para)
    return out


def extract_text(content: str, *, url: str | None = None, language_hint: str | None = None) -> Article:
    """A plain-text article: headline, standfirst, body paragraphs and 'Read also' links."""
    lines = _lines(content)
    if not lines or not any(is_sentence(line) and word_count(line) >= 4 for line in lines):
        raise ExtractError(NO_TEXT)
    index, headline = _find_headline(lines)
    related: list[Link] = []
    description: str | None = None
    author: str | None = None
    body: list[str] = []
    for pos, line in enumerate(lines):
        if pos <= index and (pos == index or _is_heading(line)):
            continue  # the headline and whatever trail sat above it
        byline = _BYLINE_RE.match(line)
        if byline is not None and author is None and not body and word_count(line) <= 12:
            author = byline.group("name").strip()
            continue
        rel = related_title(line)
        if rel is not None:
            related.append(Link(title=rel[0], url=rel[1]))
            continue
        if _is_heading(line):
            # A long unpunctuated sentence right after the headline is the standfirst (dek).
            standfirst = word_count(line) >= 8 and not _is_meta_line(line) and not similar(line, headline)
            if description is None and not body and standfirst:
                description = line
            continue
        body.append(line)
    paragraphs = clean_paragraphs(body, headline)
    if not paragraphs:
        raise ExtractError(NO_TEXT)
    return Article(
        headline=headline,
        paragraphs=tuple(paragraphs),
        url=url,
        canonical_url=url,
        author=author,
        language=language_hint,
        related=tuple(related),
        description=description,
    )
