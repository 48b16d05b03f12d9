"""Every view derives a record's shape from its type: a field added to a record type appears
in `show`, `show --json`, `list --json`, every export and the report, unless it is declared
hidden, in one place (the field's metadata)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke

from unionstate import checks, models, plain, report, store
from unionstate.models import HIDDEN, Line


@dataclass(kw_only=True, slots=True)
class TaggedRoadmap(models.Roadmap):
    """A roadmap with two more fields, as a later version of the model might add them."""

    tag: Line | None = None
    secret: Line | None = field(default=None, metadata=HIDDEN)


@pytest.fixture
def tagged(tmp_path: Path, minimal_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The minimal record with roadmap 'customs' tagged, read through the extended type."""
    monkeypatch.setattr(models, "Roadmap", TaggedRoadmap)
    monkeypatch.setattr(checks, "_VALIDATOR", [])
    monkeypatch.setattr(plain, "_BUILDERS", {})
    monkeypatch.setenv("UNIONSTATE_CACHE", "0")
    minimal_data["roadmaps"][1].update(tag="tag-in-every-view", secret="never-shown")
    path = tmp_path / "tagged.yaml"
    store.save(checks.validate(minimal_data), path)
    assert isinstance(store.load(path).roadmaps[1], TaggedRoadmap)
    return path


def test_a_new_field_appears_in_show_on_a_terminal(tagged: Path) -> None:
    shown = invoke("--data", str(tagged), "show", "customs", env={"TTY_COMPATIBLE": "1"})
    assert "tag-in-every-view" in shown.stdout
    assert "never-shown" not in shown.stdout


@pytest.mark.parametrize(
    "args",
    [["show", "customs"], ["show", "customs", "--json"]],
    ids=["show piped", "show --json"],
)
def test_a_new_field_appears_in_show_piped_and_as_json(tagged: Path, args: list[str]) -> None:
    out = invoke("--data", str(tagged), *args).stdout
    assert "tag-in-every-view" in out
    assert "never-shown" not in out


def test_a_new_field_is_a_key_of_list_json_and_a_field_to_pick(tagged: Path) -> None:
    rows = json.loads(invoke("--data", str(tagged), "list", "--json").stdout)
    assert [r["tag"] for r in rows] == [None, "tag-in-every-view", None]
    assert all("secret" not in r for r in rows)
    picked = json.loads(invoke("--data", str(tagged), "list", "--fields", "id,tag").stdout)
    assert picked[1] == {"id": "customs", "tag": "tag-in-every-view"}


def test_a_hidden_field_cannot_be_picked(tagged: Path) -> None:
    refused = invoke("--data", str(tagged), "list", "--fields", "id,secret")
    assert refused.exit_code == 2
    assert "unknown field 'secret'" in refused.stderr


def test_a_new_field_appears_in_every_export(tagged: Path) -> None:
    exported = json.loads(invoke("--data", str(tagged), "export").stdout)
    assert exported["roadmaps"][1]["tag"] == "tag-in-every-view"
    assert exported["roadmaps"][1]["secret"] == "never-shown"  # the export is the whole file
    table = list(
        csv.DictReader(io.StringIO(invoke("--data", str(tagged), "export", "-f", "csv").stdout))
    )
    assert table[1]["tag"] == "tag-in-every-view" and "secret" not in table[1]
    markdown = invoke("--data", str(tagged), "export", "-f", "markdown").stdout
    assert "tag-in-every-view" in markdown and "never-shown" not in markdown


def test_a_new_field_appears_on_the_report_page(tagged: Path) -> None:
    pages = report.build(store.load(tagged))
    assert "tag-in-every-view" in pages["roadmaps/customs.html"]
    html = {path: page for path, page in pages.items() if path.endswith(".html")}
    assert not any("never-shown" in page for page in html.values())
    assert "never-shown" in pages["data/record.json"]  # the download is the whole-file export
