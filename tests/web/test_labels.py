"""Every note the system can write has words in both languages."""

from django.utils import translation

from aicall.dialer import policy
from aicall.telephony import base
from aicall.web.labels import HANGUP_CAUSE, hangup_cause


def notes_of(module) -> set[str]:
    """The module's note constants: upper-case names holding upper-case words."""
    return {
        value
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and value.isupper() and " " in value
    }


def test_every_note_constant_has_a_label():
    notes = notes_of(base) | notes_of(policy)
    assert {"NORMAL CLEARING", "USER BUSY", "MEDIA TIMEOUT", "TRUNK UNAVAILABLE"} <= notes
    assert {"DO NOT CALL", "OTP EXPIRED"} <= notes
    assert policy.INTERRUPTED in HANGUP_CAUSE
    missing = sorted(notes - set(HANGUP_CAUSE))
    assert not missing, f"add these notes to web/labels.py HANGUP_CAUSE: {missing}"


def test_labels_are_plain_words_in_each_language():
    with translation.override("vi"):
        assert hangup_cause("USER BUSY") == "Máy bận"
        assert hangup_cause("NORMAL CLEARING") == "Kết thúc bình thường"
        vietnamese = {hangup_cause(note) for note in HANGUP_CAUSE}
    with translation.override("en"):
        assert hangup_cause("USER BUSY") == "Busy"
        english = {hangup_cause(note) for note in HANGUP_CAUSE}
    assert len(vietnamese) == len(english) == len(HANGUP_CAUSE)  # no two notes read alike
    assert not vietnamese & set(HANGUP_CAUSE)  # none left as the raw code
    assert hangup_cause("SOMETHING NEW") == "SOMETHING NEW"
