"""The syndication ``token`` react-tweet derives from a tweet id.

react-tweet computes ``((Number(id) / 1e15) * Math.PI).toString(36)`` and removes
every ``.`` and every run of ``0``. Python has no base-36 float formatter, so this
is a port of V8's ``DoubleToRadixCString`` (src/numbers/conversions.cc): fraction
digits are produced until they drop below half an ulp, with round-half-even carry.
The fake accepts any token (the reference says rejection is UNCONFIRMED) and only
records whether the client sent the right one.
"""

from __future__ import annotations

import math
import re

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _exponent(value: float) -> int:
    """V8 ``Double(value).Exponent()``: value = significand(53 bits) * 2**exponent."""
    if value == 0:
        return -1074
    _, exp = math.frexp(value)  # value = m * 2**exp, 0.5 <= m < 1
    return exp - 53


def double_to_radix(value: float, radix: int = 36) -> str:
    """JavaScript ``Number.prototype.toString(radix)`` for finite doubles."""
    negative = value < 0
    value = -value if negative else value
    integer = math.floor(value)
    fraction = value - integer
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), math.ulp(0.0))
    frac_digits: list[int] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            frac_digits.append(digit)
            fraction -= digit
            round_up = fraction > 0.5 or (fraction == 0.5 and digit & 1)
            if round_up and fraction + delta > 1:
                # Round up, carrying into earlier digits (and the integer part).
                while True:
                    if not frac_digits:
                        integer += 1
                        break
                    last = frac_digits.pop()
                    if last + 1 < radix:
                        frac_digits.append(last + 1)
                        break
                break
            if fraction < delta:
                break
    int_digits: list[str] = []
    whole = float(integer)
    while _exponent(whole / radix) > 0:
        whole /= radix
        int_digits.append("0")
    while True:
        remainder = math.fmod(whole, radix)
        int_digits.append(_DIGITS[int(remainder)])
        whole = (whole - remainder) / radix
        if whole <= 0:
            break
    text = "".join(reversed(int_digits))
    if frac_digits:
        text += "." + "".join(_DIGITS[d] for d in frac_digits)
    return "-" + text if negative else text


def syndication_token(tweet_id: str) -> str:
    """The token react-tweet sends for ``tweet_id`` (e.g. 20 -> ``6dq1a2xwd93``)."""
    return re.sub(r"(0+|\.)", "", double_to_radix((float(int(tweet_id)) / 1e15) * math.pi))
