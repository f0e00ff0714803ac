from typing import NamedTuple

class ParsedResult(NamedTuple):
    valid: bool
    weightedLength: int
    permillage: int
    validRangeStart: int
    validRangeEnd: int
    displayRangeStart: int
    displayRangeEnd: int

def parse_tweet(text: str) -> ParsedResult: ...
