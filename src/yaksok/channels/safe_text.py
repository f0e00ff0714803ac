"""User text as every wire format can carry it: one kind of line break, no control characters.

Titles, bodies and reasons are typed or pasted by people; a carriage return, a form feed, a
U+2028 or a bell character must not break an iCalendar content line, an XML document or a
header. Channels pass user text through here before their library sees it.
"""

from __future__ import annotations

import re

# Everything str.splitlines() ends a line on; the formats themselves know only \n (and \r).
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Applied after _LINE_BREAK: the C0 controls left but tab and \n, DEL, the C1 controls, lone
# surrogates (no UTF-8 for them) and the two noncharacters XML refuses.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text_lines(text: str) -> str:
    """``text`` with every kind of line break as ``\\n`` and control characters removed."""
    return _CONTROL.sub("", _LINE_BREAK.sub("\n", text))


def one_line(text: str) -> str:
    """``text`` on one line: each line break becomes a space, control characters are removed."""
    return text_lines(text).replace("\n", " ")
