"""Vietnamese text normalisation: write numbers, dates, times and amounts as words.

espeak-ng reads "150.000" digit group by digit group and "26/11/2026" as a fraction; a
Vietnamese listener expects "một trăm năm mươi nghìn" and "ngày hai mươi sáu tháng mười
một năm hai nghìn không trăm hai mươi sáu". Vietnamese writes thousands with dots and
decimals with a comma, so "1.500.000" is one and a half million and "2,5" is two point five.
"""

import re

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_SCALES = ["", "nghìn", "triệu", "tỷ"]


def _below_thousand(n: int, full: bool) -> str:
    """0-999; `full` when a higher group precedes, so 5 reads "không trăm linh năm"."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and (hundreds or full):
            words.append("linh")
        if units:
            words.append(DIGITS[units])
        return " ".join(words)
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5:
        words.append("lăm")
    elif units == 4 and tens >= 2:
        words.append("tư")
    elif units:
        words.append(DIGITS[units])
    return " ".join(words)


def number_words(n: int) -> str:
    """An integer in Vietnamese words: 150000 -> "một trăm năm mươi nghìn"."""
    if n < 0:
        return "âm " + number_words(-n)
    if n == 0:
        return DIGITS[0]
    if n >= 1000**4:
        # Beyond tỷ, Vietnamese repeats "tỷ": 10^12 is "nghìn tỷ".
        high, low = divmod(n, 1000**3)
        tail = number_words(low) if low else ""
        return " ".join(w for w in (number_words(high), "tỷ", tail) if w)
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words.append(_below_thousand(group, full=bool(words)))
        if _SCALES[index]:
            words.append(_SCALES[index])
    return " ".join(words)


def digits_words(digits: str) -> str:
    """Each digit on its own, for phone numbers and codes: "0912" -> "không chín một hai"."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


_CURRENCY = r"(?:đồng|đ|vnđ|vnd|VNĐ|VND|₫)"
_DATE = re.compile(r"(?:\bngày\s+)?\b(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b", re.IGNORECASE)
# A code after "mã …"/"OTP" is read digit by digit, however short it is.
_CODE = re.compile(r"\b((?:mã|OTP|code|PIN)(?:\s+[^\W\d]+){0,3}\s*:?\s*)(\d+)\b", re.IGNORECASE)
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:h](\d{2})\b")
_AMOUNT = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?\s*(" + _CURRENCY + r")(?!\w)")
_PERCENT = re.compile(r"(\d+)(?:,(\d+))?\s*%")
_GROUPED = re.compile(r"\b\d{1,3}(?:\.\d{3})+\b")
_DECIMAL = re.compile(r"\b(\d+),(\d+)\b")
# A phone number or a code: a leading zero, or 7+ digits that nobody reads as a quantity.
_DIGIT_STRING = re.compile(r"\+?\b(?:0\d{2,}|\d{7,})\b")
_INTEGER = re.compile(r"\b\d+\b")


def _decimal(whole: str, fraction: str | None) -> str:
    text = number_words(int(whole.replace(".", "")))
    if fraction:
        text += " phẩy " + (
            number_words(int(fraction)) if not fraction.startswith("0") else digits_words(fraction)
        )
    return text


def _date(match: re.Match) -> str:
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group(0)
    # "mùng" for days 1-10 is how the date is spoken.
    text = ("mùng " if day <= 10 else "") + number_words(day) + " tháng " + number_words(month)
    if month == 4:
        text = text[: -len("bốn")] + "tư"
    if year:
        text += " năm " + number_words(int(year))
    return "ngày " + text


def _time(match: re.Match) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59:
        return match.group(0)
    text = number_words(hour) + " giờ"
    if minute:
        text += " " + number_words(minute) + " phút"
    return text


def normalize_vi(text: str) -> str:
    """The text with every number written out as a Vietnamese speaker reads it."""
    text = _DATE.sub(_date, text)
    text = _CODE.sub(lambda m: m.group(1) + digits_words(m.group(2)), text)
    text = _TIME.sub(_time, text)
    text = _AMOUNT.sub(lambda m: _decimal(m.group(1), m.group(2)) + " đồng", text)
    text = _PERCENT.sub(lambda m: _decimal(m.group(1), m.group(2)) + " phần trăm", text)
    text = _GROUPED.sub(lambda m: number_words(int(m.group(0).replace(".", ""))), text)
    text = _DECIMAL.sub(lambda m: _decimal(m.group(1), m.group(2)), text)
    text = _DIGIT_STRING.sub(
        lambda m: ("cộng " if m.group(0).startswith("+") else "") + digits_words(m.group(0)), text
    )
    text = _INTEGER.sub(lambda m: number_words(int(m.group(0))), text)
    return re.sub(r"\s+", " ", text).strip()
