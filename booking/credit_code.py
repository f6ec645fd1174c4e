"""China's unified social credit code (统一社会信用代码), validated per GB 32100-2015."""

import re

# The standard's 31-character alphabet: digits and capitals without I, O, Z, S, V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(rf"^[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}$")


def normalize(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def check_character(first17: str) -> str:
    """The 18th character that the first 17 call for."""
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True for an 18-character code of the right shape whose check character is right."""
    code = normalize(code)
    return bool(_SHAPE.match(code)) and check_character(code[:17]) == code[17]
