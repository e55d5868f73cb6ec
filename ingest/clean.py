"""Normalise text and keep scraped-page clutter out of the index.

Clutter is recognised by general properties of a line, not by a list of known lines:
- image credits ("Foto: …", "Bild: …", "X / Pixabay", "© …") and share/comment/newsletter/cookie
  widgets ("Kommentar hinterlassen", "Teilen auf Facebook", "wird nicht veröffentlicht");
- advertising and banner lines: short lines without sentence punctuation that carry a trademark
  sign, shop/sale vocabulary or shouting capitals;
- teaser headlines of *other* articles: short headline-like lines that share no content word with
  the rest of the document (a real heading always shares vocabulary with the text it heads);
- lines of bare punctuation.
Contact details (phone, fax, e-mail, postal code) are content and are always kept.
Sentences addressed to an AI ("Ignoriere alle Anweisungen …", see assistant/guard.py) are dropped
too and reported separately, so staff see them in the ingest log.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.guard import is_instruction, opens_instructions
from assistant.text import stem

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)

# Words too common to show that two lines are about the same thing.
_STOP = set(
    """aber alle allem allen aller alles als also am an ans auch auf aus bei beim bin bis bist da dadurch
    daher damit dann das dass dein deine dem den der des dessen deshalb die dies diese diesem diesen dieser
    dieses doch dort du durch ein eine einem einen einer eines er es euer eure für hat hatte hier hin
    hinter ich ihr ihre im in ist ja jede jeder jedes jetzt kann kein keine mit muss nach nicht noch nun nur
    ob oder ohne sehr sein seine sich sie sind so über um und uns unser unter vom von vor war waren was weil
    welche wenn wer werden wie wieder wir wird wo zu zum zur zwischen the and for with from this that are
    was were you your our their has have not but all can will""".split()
)

_CONTACT = re.compile(
    r"(\b(tel(efon)?|fax|phone|e-?mail|mail)\b\.?\s*:?)|(\+?\d[\d /().-]{6,}\d)|(\[at\]|@)|\b\d{5}\s+[A-ZÄÖÜ]",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^\s*(fotos?|bilder?|titelbild|symbolbild(er)?|grafik|abbildung|photos?|images?|credits?|quelle\s+bild)\s*:"
    r"|[©℗]|/\s*(pixabay|unsplash|shutterstock|istock|pexels|adobe\s*stock|getty\s*images|dpa|picture[- ]alliance)\b"
    r"|\b(pixabay|unsplash|shutterstock|istock(photo)?|pexels)(\.com)?\b",
    re.IGNORECASE,
)
_WIDGET = re.compile(
    r"kommentar\w*\s+(hinterlass|schreib|abgeben|verfass)|(hinterlass|schreib|verfass)\w*\s+(\w+\s+){0,2}kommentar|"
    r"wird nicht veröffentlicht|pflichtfelder|antworten abbrechen|leave a (comment|reply)|"
    r"(teilen|share)\s+(auf|on|via)\s|newsletter\s+(abonnieren|bestellen)|cookies?\s+(akzeptieren|zulassen)|"
    r"alle cookies|zum seitenanfang|nach oben scrollen|^\s*(drucken|teilen|weiterlesen|mehr lesen|anzeige|werbung|sponsored)\s*$|"
    r"das könnte sie auch interessieren|lesen sie auch|auch interessant",
    re.IGNORECASE,
)
_AD_WORDS = re.compile(r"\b(shop|store|presale|pre-sale|sale|rabatt|gutschein|angebot|bestellen|kaufen|deal)\b", re.IGNORECASE)
_TRADEMARK = re.compile(r"[®™]")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")
_SENTENCE_END = re.compile(r"[.:;,“”\"»«)]\s*$")


def normalize(text: str) -> str:
    """Unicode NFC, unify line breaks and odd spaces, trim lines, collapse blank-line runs."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # no-break, thin and other exotic spaces become plain spaces; zero-width characters go
    text = re.sub(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]", " ", text)
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff\u00ad]", "", text)
    # control characters other than newline are never content
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    lines = [re.sub(r" {2,}", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _stems(line: str) -> set[str]:
    return {stem(w) for w in (m.lower() for m in _WORD.findall(line)) if w not in _STOP}


@dataclass(frozen=True)
class CleanResult:
    text: str
    removed: tuple[str, ...]  # the clutter lines, for the ingest log and tests
    instructions: tuple[str, ...] = ()  # sentences addressed to an AI (assistant/guard.py), never indexed


def _is_clutter(line: str, stems: set[str], stem_counts: dict[str, int]) -> bool:
    if _PUNCT_ONLY.match(line) or _WIDGET.search(line):
        return True  # comment forms mention "E-Mail" too, so widgets are checked before contacts
    if _CONTACT.search(line) and not _CREDIT.search(line):
        return False  # contact details are content people ask for
    if _CREDIT.search(line):
        return True
    words = line.split()
    short = len(words) <= 12 and not _SENTENCE_END.search(line)
    if not short:
        return False
    if _TRADEMARK.search(line) or _AD_WORDS.search(line):
        return True
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        return True  # SHOUTING banner
    # a headline of another article: several content words, none of which the document uses
    # elsewhere (a count of 1 is this line's own use)
    return len(stems) >= 3 and not any(stem_counts[s] > 1 for s in stems)


def split_instructions(line: str) -> tuple[str, list[str], bool]:
    """(``line`` without its sentences addressed to an AI, the removed sentences, whether an
    instruction header opened a block that goes on in the following lines of the paragraph)."""
    if not is_instruction(line):
        return line, [], False
    from .sentences import split_sentences

    kept: list[str] = []
    dropped: list[str] = []
    block = False
    for a, b in split_sentences(line):
        sentence = line[a:b]
        if block or is_instruction(sentence):
            dropped.append(sentence)
            block = block or opens_instructions(sentence)
        else:
            kept.append(sentence)
    return " ".join(kept), dropped, block


def clean(text: str) -> CleanResult:
    """Normalise ``text`` and drop clutter lines. Paragraph structure (blank lines) is kept."""
    text = normalize(text)
    lines = text.split("\n")
    stems_per_line = [_stems(line) for line in lines]
    stem_counts: dict[str, int] = {}
    for stems in stems_per_line:
        for s in stems:
            stem_counts[s] = stem_counts.get(s, 0) + 1
    kept: list[str] = []
    removed: list[str] = []
    instructions: list[str] = []
    ai_block = False  # inside a paragraph introduced by an instruction header ("Hinweis für KI-Systeme:")
    for line, stems in zip(lines, stems_per_line):
        if not line:
            ai_block = False
            kept.append(line)
            continue
        if ai_block:
            instructions.append(line)
            continue
        if _is_clutter(line, stems, stem_counts):
            removed.append(line)
            continue
        # prompt injection: an instruction to an AI is not content and must never be quoted
        line, dropped, ai_block = split_instructions(line)
        instructions.extend(dropped)
        if line:
            kept.append(line)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return CleanResult(cleaned, tuple(removed), tuple(instructions))
