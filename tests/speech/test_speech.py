import wave

import pytest

from aicall.speech.clips import otp_clips, silence, uploaded_audio, wav_seconds
from aicall.speech.espeak import EspeakEngine, to_telephone_wav
from aicall.speech.normalize import normalize_vi, number_words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (105, "một trăm linh năm"),
        (1001, "một nghìn không trăm linh một"),
        (150000, "một trăm năm mươi nghìn"),
        (2005000, "hai triệu không trăm linh năm nghìn"),
        (1_000_000_000, "một tỷ"),
    ],
)
def test_numbers_are_read_the_vietnamese_way(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Đơn hàng 150.000 đồng", "Đơn hàng một trăm năm mươi nghìn đồng"),
        ("Số tiền 1.250.000đ", "Số tiền một triệu hai trăm năm mươi nghìn đồng"),
        (
            "giao ngày 26/11/2026",
            "giao ngày hai mươi sáu tháng mười một năm hai nghìn không trăm hai mươi sáu",
        ),
        ("lúc 14:30", "lúc mười bốn giờ ba mươi phút"),
        ("Mã OTP 123456", "Mã OTP một hai ba bốn năm sáu"),
        ("Gọi 0912345678", "Gọi không chín một hai ba bốn năm sáu bảy tám"),
        ("Giảm 2,5%", "Giảm hai phẩy năm phần trăm"),
        ("Còn 3 ngày", "Còn ba ngày"),
    ],
)
def test_text_normalisation(text, spoken):
    assert normalize_vi(text) == spoken


def _format(path):
    with wave.open(str(path)) as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth()


def test_espeak_renders_telephone_audio_once_for_identical_text(tmp_path):
    engine = EspeakEngine(tmp_path)
    first = engine.render("Xin chào quý khách, đơn hàng 150.000 đồng")
    assert _format(first) == (8000, 1, 2) and wav_seconds(first) > 2
    mtime = first.stat().st_mtime_ns
    again = engine.render("Xin chào quý khách, đơn hàng 150.000 đồng")
    assert again == first and again.stat().st_mtime_ns == mtime
    assert engine.render("Xin chào") != first
    assert [p.name for p in tmp_path.rglob("*.tmp*")] == []


def test_otp_is_a_sequence_of_digit_clips_never_a_file_of_the_code(tmp_path):
    engine = EspeakEngine(tmp_path)
    clips = otp_clips(engine, "2580", repeat=3)
    digit_clips = [c for c in clips if c.parent.parent.name == "tts"]
    two = engine.render("hai", slow=True, normalize=False)
    assert clips.count(two) == 3
    assert clips.count(silence(tmp_path, 800)) == 3
    # Every file on disk is shared by every code: nothing is named or made for "2580".
    assert len({p for p in tmp_path.rglob("*.wav")}) <= 10 + 3 + 2
    assert digit_clips


def test_uploaded_audio_is_converted_to_telephone_format(tmp_path):
    source = tmp_path / "upload.wav"
    with wave.open(str(source), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\x10\x00" * 2 * 44100)
    converted = uploaded_audio(tmp_path / "cache", source)
    assert _format(converted) == (8000, 1, 2)
    assert abs(wav_seconds(converted) - 1.0) < 0.01
    assert uploaded_audio(tmp_path / "cache", source) == converted
    with pytest.raises(Exception, match="sox"):
        to_telephone_wav(tmp_path / "missing.wav", tmp_path / "out.wav")


def test_uploaded_mp3_is_converted(tmp_path):
    source = tmp_path / "upload.wav"
    with wave.open(str(source), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(b"\x00\x10" * 22050 * 2)
    mp3 = tmp_path / "upload.mp3"
    to_telephone_wav(source, tmp_path / "x.wav")  # sox works at all
    import subprocess

    subprocess.run(["sox", str(source), str(mp3)], check=True)  # needs libsox-fmt-mp3
    converted = uploaded_audio(tmp_path / "cache", mp3)
    assert _format(converted) == (8000, 1, 2)
    assert 1.9 < wav_seconds(converted) < 2.2
