"""Bad input to the update commands: the exit code the README's table gives, one message,
the file unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke


@pytest.mark.parametrize(
    ("source", "expected_code", "expected_error"),
    [
        ("https://example.org/a b", 2, "contains a space"),
        ("http://exa mple.org/", 2, "contains a space"),
        ("example.org/news", 2, "neither a source id (such as 'tass-1295507') nor an http(s) URL"),
        ("ftp://example.org/a", 2, "nor an http(s) URL"),
        ("http://[x", 2, "not a valid URL"),
        ("no-such-source", 1, "unknown source 'no-such-source'"),
    ],
)
def test_a_bad_source_is_refused_with_the_documented_code(
    data: Path, source: str, expected_code: int, expected_error: str
) -> None:
    before = data.read_bytes()
    result = invoke(
        "--data", str(data), "agree", "customs", "--on", "2021-06-10", "--source", source
    )
    assert result.exit_code == expected_code
    assert expected_error in result.stderr
    assert "Traceback" not in result.stderr
    assert data.read_bytes() == before
