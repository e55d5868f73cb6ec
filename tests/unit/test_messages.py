"""The reasons for an abstention, told to citizens and to staff, come from one list."""
from __future__ import annotations

import pytest

from assistant.messages import abstain_message
from assistant.language import NOTES, UNKNOWN, foreign_note
from assistant.messages import ABSTAIN_REASONS, KIND_FOR_STAFF, abstain_reason, basis_for_staff, note_languages


@pytest.mark.parametrize("lang, reason", sorted(ABSTAIN_REASONS))
def test_the_answerer_tells_each_reason_as_listed(lang, reason):
    basis, detail = (reason, "Bielefeld") if reason in ("detail", "name") else ("kind", reason)
    why = abstain_reason(lang, basis, detail)
    assert why and why in abstain_message(lang, ["Vielfalt als Stärke"], [], basis, detail)


def test_every_missing_kind_has_words_for_staff():
    kinds = {reason for _, reason in ABSTAIN_REASONS} - {"detail", "name"}
    assert kinds == set(KIND_FOR_STAFF)
    assert basis_for_staff("kind", "phone") == KIND_FOR_STAFF["phone"]
    assert abstain_reason("de", "low confidence") == ""


@pytest.mark.parametrize("lang", [*sorted(NOTES), UNKNOWN])
def test_each_paragraph_of_the_language_note_has_its_language(lang):
    assert len(note_languages(lang)) == len(foreign_note(lang).split("\n\n"))
    assert note_languages(lang)[-2:] == ["de", "en"]
