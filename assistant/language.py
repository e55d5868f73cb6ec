"""Which language a question is written in: German, English, or one the assistant cannot answer in.

The documents are German and the answers quote them; the answerer scores German questions by their
words and English ones through a dictionary (bilingual.py). A question in Turkish, Arabic, Russian,
… found no word of the documents and used to get "Dazu enthalten die vorliegenden Dokumente leider
keine Angaben" — wrong (the documents may well say it) and in a language the asker may not read.
Such a question is now recognised and answered, without a search, with a short note in its own
language, in German and in English: please ask in German or English.

``detect_language`` (German or English, by function words) decides how a question is scored and
stays as it was. ``foreign_language`` adds py3langid (BSD, naive Bayes over byte n-grams, model in
the wheel, 0.1 ms a question once loaded), restricted to German, English and the languages below.
It is consulted only for a question of at least three words with at most one German or English
function word (Romance questions have "a": "Qui a produit les vidéos?"), and it must give the other
languages together >= 0.9. Letters of a non-Latin script are never German or English.
Measured (docs/operations.md, "Fragen in anderen Sprachen"): none of 1,499 German or English questions and
search-word strings is taken for another language; 31 of 32 held-out questions in 19 other
languages are recognised.
"""
from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable

from . import wordlist
from .text import content_terms, words

# Words that mark a question as English or German; not the stopword lists (see their files)
_EN_WORDS = wordlist.words("language-en")
_DE_WORDS = wordlist.words("language-de")

_DE_NOTE = "Leider kann ich nur Fragen auf Deutsch oder Englisch beantworten. Bitte stellen Sie Ihre Frage auf Deutsch oder Englisch."
_EN_NOTE = "Sorry, I can only answer questions in German or English. Please ask your question in German or English."
# The same note in the languages of the largest groups of immigrants in Germany and its neighbours'.
# Each is what a citizen who wrote in that language reads first.
NOTES: dict[str, str] = {
    "tr": "Maalesef yalnızca Almanca veya İngilizce sorulan soruları yanıtlayabiliyorum. Lütfen sorunuzu Almanca veya İngilizce sorun.",
    "ar": "عذرًا، لا يمكنني الإجابة إلا عن الأسئلة المكتوبة بالألمانية أو الإنجليزية. يُرجى طرح سؤالك بالألمانية أو الإنجليزية.",
    "fa": "متأسفانه فقط می‌توانم به پرسش‌هایی به زبان آلمانی یا انگلیسی پاسخ دهم. لطفاً پرسش خود را به آلمانی یا انگلیسی بپرسید.",
    "ru": "К сожалению, я могу отвечать только на вопросы на немецком или английском языке. Пожалуйста, задайте вопрос на немецком или английском.",
    "uk": "На жаль, я можу відповідати лише на запитання німецькою або англійською мовою. Будь ласка, поставте запитання німецькою або англійською.",
    "bg": "За съжаление мога да отговарям само на въпроси на немски или английски език. Моля, задайте въпроса си на немски или английски.",
    "sr": "Нажалост, могу да одговарам само на питања на немачком или енглеском језику. Молимо вас да питање поставите на немачком или енглеском.",
    "hr": "Nažalost, mogu odgovarati samo na pitanja na njemačkom ili engleskom jeziku. Molimo postavite pitanje na njemačkom ili engleskom.",
    "pl": "Niestety mogę odpowiadać tylko na pytania w języku niemieckim lub angielskim. Proszę zadać pytanie po niemiecku lub po angielsku.",
    "ro": "Din păcate, pot răspunde doar la întrebări în germană sau engleză. Vă rugăm să vă puneți întrebarea în germană sau engleză.",
    "it": "Purtroppo posso rispondere solo a domande in tedesco o in inglese. La preghiamo di porre la domanda in tedesco o in inglese.",
    "el": "Δυστυχώς, μπορώ να απαντώ μόνο σε ερωτήσεις στα γερμανικά ή στα αγγλικά. Παρακαλώ διατυπώστε την ερώτησή σας στα γερμανικά ή στα αγγλικά.",
    "es": "Lamentablemente, solo puedo responder preguntas en alemán o en inglés. Por favor, formule su pregunta en alemán o en inglés.",
    "fr": "Malheureusement, je ne peux répondre qu'aux questions posées en allemand ou en anglais. Veuillez poser votre question en allemand ou en anglais.",
    "pt": "Infelizmente, só posso responder a perguntas em alemão ou inglês. Por favor, faça a sua pergunta em alemão ou inglês.",
    "vi": "Rất tiếc, tôi chỉ có thể trả lời các câu hỏi bằng tiếng Đức hoặc tiếng Anh. Vui lòng đặt câu hỏi bằng tiếng Đức hoặc tiếng Anh.",
    "sq": "Fatkeqësisht mund t'u përgjigjem vetëm pyetjeve në gjermanisht ose anglisht. Ju lutemi bëni pyetjen tuaj në gjermanisht ose anglisht.",
    "hu": "Sajnos csak német vagy angol nyelvű kérdésekre tudok válaszolni. Kérjük, tegye fel kérdését németül vagy angolul.",
    "nl": "Helaas kan ik alleen vragen in het Duits of het Engels beantwoorden. Stel uw vraag alstublieft in het Duits of het Engels.",
    "cs": "Bohužel mohu odpovídat pouze na otázky v němčině nebo angličtině. Položte prosím svou otázku německy nebo anglicky.",
}
# The identifier's "sr" covers both of Serbian's scripts; in Latin letters it reads like Croatian.
NOTES["sr-Latn"] = NOTES["hr"]
# Letters of these scripts are never German or English; which language of the script it is, the
# identifier decides among these.
_SCRIPTS = {"ARABIC": ("ar", "fa"), "CYRILLIC": ("ru", "uk", "bg", "sr"), "GREEK": ("el",)}
UNKNOWN = "und"  # a script none of whose languages we know (Chinese, Hebrew, Tamil, …)

_MIN_WORDS = 3  # "Merhaba", "Teşekkürler": too short to tell; such a question is searched as German
_KNOWN_SHARE = 0.5  # ... unless this share of its words are the documents' own
_MIN_SHARE = 0.9  # the identifier's probability that the question is neither German nor English

_lock = threading.Lock()
_identifier = None


def detect_language(text: str) -> str:
    """'en' when the question reads as English, else 'de' (the default audience)."""
    toks = words(text)
    en = sum(t in _EN_WORDS for t in toks)
    de = sum(t in _DE_WORDS for t in toks) + sum(ch in "äöüß" for ch in text.lower())
    return "en" if en > de else "de"


def _identify():
    """py3langid restricted to German, English and the languages of ``NOTES`` (loaded once, 0.8 s)."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ident.set_languages(["de", "en", *(lang for lang in NOTES if "-" not in lang)])
            _identifier = ident
        return _identifier


def warm_up() -> None:
    """Load the identifier now (``serve`` does, so the first such question is not slower)."""
    _identify()


def _script(text: str) -> str:
    """The script most of the letters are written in ("LATIN", "CYRILLIC", …)."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            script = name.split(" ", 1)[0] if name else ""
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.get) if counts else "LATIN"


def foreign_language(text: str, known: Callable[[str], bool] | None = None) -> str | None:
    """The code of the language ``text`` is written in when that is neither German nor English and
    we are sure of it (``UNKNOWN`` for a script of none of our languages); else None.

    ``known(term)`` (a stemmed content term, text.py) says whether the documents use a word: a
    string of search words ("ali dogan landrat zitat", taken for Romanian) is German when at least
    half its words are the documents' own."""
    script = _script(text)
    if script not in ("LATIN", ""):
        choices = _SCRIPTS.get(script)
        if not choices:
            return UNKNOWN
        ranked = [lang for lang, _ in _identify().rank(text) if lang in choices]
        return ranked[0] if ranked else choices[0]
    toks = words(text)
    if len(toks) < _MIN_WORDS or sum(t in _DE_WORDS or t in _EN_WORDS for t in toks) > 1:
        return None
    if known is not None:
        terms = content_terms(text)
        if terms and sum(map(known, terms)) >= _KNOWN_SHARE * len(terms):
            return None
    ranked = _identify().rank(text)
    other = 1.0 - sum(p for lang, p in ranked if lang in ("de", "en"))
    if other < _MIN_SHARE or ranked[0][0] in ("de", "en"):
        return None
    return "sr-Latn" if ranked[0][0] == "sr" else ranked[0][0]


def foreign_note(lang: str) -> str:
    """What a question in ``lang`` is answered with: please ask in German or English — in its own
    language first (when we have it), then in German and English."""
    return "\n\n".join(n for n in (NOTES.get(lang), _DE_NOTE, _EN_NOTE) if n)


__all__ = ["NOTES", "UNKNOWN", "detect_language", "foreign_language", "foreign_note", "warm_up"]
