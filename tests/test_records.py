"""Sources, official counts, new records and field edits from the command line (issue 20).

Each command runs on a copy of the frozen 2021-05-28 record (the `data` fixture), then the
file is reloaded through the library to check what changed; a refusal leaves its bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import Result

from tests.conftest import invoke
from unionstate import sources, store

TASS = "https://tass.com/politics/1295507"  # in the record as tass-1295507
NEW = "https://eng.belta.by/politics/view/lukashenko-putin-talks-141234-2021/"


def run(data: Path, *args: str) -> Result:
    return invoke("--data", str(data), *args)


# ------------------------------------------------------------------------- sources


def test_source_add_prints_the_new_id_and_keeps_every_field(data: Path) -> None:
    result = run(
        data, "source", "add", NEW, "--publisher", "BelTA", "--title", "Talks in Sochi",
        "--date", "2021-06-01", "--language", "en", "--reprint-of", "TASS",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    new_id = result.stdout.strip()
    added = next(s for s in store.load(data).sources if s.id == new_id)
    assert (added.url, added.publisher, added.title) == (NEW, "BelTA", "Talks in Sochi")
    assert (str(added.date), added.language, added.reprint_of) == ("2021-06-01", "en", "TASS")


def test_source_add_with_an_id_and_then_cite_it_by_id_or_url(data: Path) -> None:
    result = run(
        data, "source", "add", NEW, "--publisher", "BelTA", "--title", "T", "--id", "belta-141234"
    )
    assert result.stdout == "belta-141234\n"
    by_id = run(
        data, "note", "customs", "--on", "2021-06-01", "--note", "A.", "--source", "belta-141234"
    )
    by_url = run(data, "note", "taxation", "--on", "2021-06-01", "--note", "B.", "--source", NEW)
    assert by_id.exit_code == by_url.exit_code == 0, by_id.stderr + by_url.stderr
    after = store.load(data)
    assert after.roadmap_by_id("customs").observations[-1].sources == ["belta-141234"]
    assert after.roadmap_by_id("taxation").observations[-1].sources == ["belta-141234"]
    assert [s.url for s in after.sources].count(NEW) == 1


def test_source_add_of_a_known_url_reuses_its_id_and_writes_nothing(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "source", "add", TASS, "--publisher", "TASS", "--title", "Other title")
    assert result.exit_code == 0
    assert result.stdout == "tass-1295507\n"
    assert "already source tass-1295507" in result.stderr
    assert "--title" in result.stderr and "source edit tass-1295507" in result.stderr
    assert data.read_bytes() == before


def test_derived_ids_never_clash(data: Path) -> None:
    first = run(data, "source", "add", NEW, "--publisher", "BelTA", "--title", "A").stdout.strip()
    other = NEW.replace("141234", "141235")
    second = run(
        data, "source", "add", other, "--publisher", "BelTA", "--title", "B"
    ).stdout.strip()
    assert first != second
    assert {first, second} <= {s.id for s in store.load(data).sources}


@pytest.mark.parametrize(
    ("args", "code", "expected_error"),
    [
        (["--id", "tass-1295507"], 1, "source id 'tass-1295507' is taken by https://tass.com/"),
        (["--id", "Not_An_Id"], 2, "neither a source id"),
        (["--date", "2021-6-1"], 2, "expected a date as YYYY-MM-DD"),
        (["--date", "2021-02-30"], 2, "is not a real date"),
        (["--language", "Russian"], 2, "expected a language code"),
        (["--title", "two\nlines"], 2, "must be a single line"),
    ],
)
def test_source_add_bad_input(data: Path, args: list[str], code: int, expected_error: str) -> None:
    before = data.read_bytes()
    result = run(data, "source", "add", NEW, "--publisher", "BelTA", "--title", "T", *args)
    assert result.exit_code == code, result.stderr
    assert expected_error in result.stderr
    assert len(result.stderr.strip().splitlines()[-1]) < 200
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    "url", ["https://tass.com/a b", "ftp://tass.com/a", "https://", "http://[x", "tass.com/a"]
)
def test_source_add_refuses_what_is_no_http_url(data: Path, url: str) -> None:
    before = data.read_bytes()
    result = run(data, "source", "add", url, "--publisher", "X", "--title", "T")
    assert result.exit_code == 2, result.stderr
    assert data.read_bytes() == before


def test_source_edit_changes_the_fields_named_and_diff_says_so(data: Path) -> None:
    title = "Integration should not be rushed"
    result = run(data, "source", "edit", "tass-1295507", "--title", title, "--language", "en")
    assert result.exit_code == 0, result.stderr
    assert "title, language changed" in result.stderr
    edited = next(s for s in store.load(data).sources if s.id == "tass-1295507")
    assert (edited.title, edited.language, edited.url) == (
        "Integration should not be rushed",
        "en",
        TASS,
    )
    diff = run(
        data, "diff", str(Path(__file__).parent / "data" / "record-2021-05-28.yaml"), str(data)
    )
    assert "source tass-1295507: title:" in diff.stdout


def test_source_edit_by_url_and_of_an_unknown_source(data: Path) -> None:
    assert run(data, "source", "edit", TASS, "--publisher", "TASS (English)").exit_code == 0
    before = data.read_bytes()
    unknown = run(data, "source", "edit", "tass-129550", "--title", "X")
    assert unknown.exit_code == 1
    assert "did you mean 'tass-1295507'" in unknown.stderr
    nothing = run(data, "source", "edit", "tass-1295507")
    assert nothing.exit_code == 2
    assert "say what to change" in nothing.stderr
    assert data.read_bytes() == before


def test_source_edit_refuses_a_url_another_source_has(data: Path) -> None:
    other = store.load(data).sources[0]
    before = data.read_bytes()
    result = run(data, "source", "edit", "tass-1295507", "--url", other.url)
    assert result.exit_code == 1
    assert f"is already source {other.id}" in result.stderr
    assert data.read_bytes() == before


def test_sources_lists_each_with_its_citations_and_unused_ones(data: Path) -> None:
    listed = run(data, "sources", "--json")
    assert listed.exit_code == 0
    import json

    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["tass-1295507"]["cited"] >= 1
    assert set(rows) == {s.id for s in store.load(data).sources}
    assert run(data, "sources", "--unused").stdout.count("\n") == 1  # the header: all cited
    run(data, "source", "add", NEW, "--publisher", "BelTA", "--title", "T", "--id", "belta-141234")
    unused = run(data, "sources", "--unused")
    assert unused.stdout.splitlines()[1].startswith("belta-141234\tBelTA\t")


@pytest.mark.parametrize(
    ("source", "code", "expected_error"),
    [
        ("tass-129550", 1, "unknown source 'tass-129550' — did you mean 'tass-1295507'"),
        ("https://tass.com/a b", 2, "contains a space"),
        ("ftp://tass.com/politics", 2, "neither a source id"),
        ("Sochi talks", 2, "neither a source id"),
        ("http://[x", 2, "is not a valid URL"),
    ],
)
def test_every_source_option_checks_what_it_names(
    data: Path, source: str, code: int, expected_error: str
) -> None:
    """The README's exit codes: a malformed source is a usage error, an unknown id a refusal."""
    before = data.read_bytes()
    for args in (
        ["note", "customs", "--on", "2021-06-01", "--note", "N."],
        ["agree", "customs", "--on", "2021-06-01"],
    ):
        result = run(data, *args, "--source", source)
        assert result.exit_code == code, (args, result.stderr)
        assert expected_error in result.stderr
    assert data.read_bytes() == before


def test_citations_count_every_kind_of_record(data: Path) -> None:
    dataset = store.load(data)
    counts = sources.citations(dataset)
    assert set(counts) == {s.id for s in dataset.sources}
    cited_in_milestones = {s for m in dataset.milestones for s in m.sources}
    assert all(counts[s] >= 1 for s in cited_in_milestones)


# -------------------------------------------------------------------------- counts

COUNT = ["count", "add", "--on", "2021-05-28", "--by", "Putin", "--side", "russia",
         "--source", "tass-1295507"]  # fmt: skip


def test_count_add_records_the_figure_and_says_it_is_consistent(data: Path) -> None:
    """On 2021-05-28 the record has 26 roadmaps agreed and 5 open: a count that says so fits."""
    before = store.load(data)
    result = run(data, *COUNT, "--unit", "roadmaps", "--agreed", "26", "--open", "5",
                 "--total", "31", "--reported", "26 of 31 agreed")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "consistent with the record: the record has 26 agreed and 5 open of 31" in result.stderr
    after = store.load(data)
    assert len(after.milestones) == len(before.milestones) + 1
    new = next(m for m in after.milestones if m.reported == "26 of 31 agreed")
    assert (str(new.agreed), str(new.open), new.total, new.unit) == ("26", "5", 31, "roadmaps")
    assert (new.speaker, str(new.side), new.sources) == ("Putin", "russia", ["tass-1295507"])
    dates = [m.date.first for m in after.milestones]
    assert dates == sorted(dates)


def test_count_add_says_when_a_count_contradicts_the_record(data: Path) -> None:
    result = run(data, *COUNT, "--unit", "roadmaps", "--agreed", "30", "--reported", "30 agreed")
    assert result.exit_code == 0, result.stderr
    assert "contradicts the record: the record has 26 agreed" in result.stderr
    summary = run(data, "summary", "--json")
    import json

    checked = json.loads(summary.stdout)["milestones"]
    assert any(m["reported"] == "30 agreed" and m["consistent"] is False for m in checked)


def test_count_add_of_a_unit_the_record_does_not_hold_is_not_checked(data: Path) -> None:
    result = run(data, *COUNT, "--unit", "percent", "--percent", "46.5", "--reported", "~46.5%")
    assert result.exit_code == 0, result.stderr
    assert "not checked" in result.stderr
    new = next(m for m in store.load(data).milestones if m.reported == "~46.5%")
    assert new.percent == 46.5


def test_count_add_over_named_members(data: Path) -> None:
    result = run(data, *COUNT, "--unit", "roadmaps", "--open", "2", "--members", "customs,7",
                 "--reported", "customs and taxation still open")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "consistent with the record" in result.stderr
    new = next(m for m in store.load(data).milestones if m.members)
    assert new.members == ["customs", "taxation"]


def test_count_add_of_a_total_alone_of_words_only_and_about_one_program(data: Path) -> None:
    """Counts the record holds that are no done-of-total: '11 directions', 'under 80%'."""
    total = run(
        data, *COUNT, "--unit", "directions", "--total", "11", "--reported", "11 directions"
    )
    words = run(data, *COUNT, "--unit", "percent", "--no-figure", "--reported", "under 80%")
    about = run(data, *COUNT, "--unit", "tasks", "--done", "3", "--total", "5", "--subject",
                "customs", "--reported", "3 of 5 tasks")  # fmt: skip
    assert total.exit_code == words.exit_code == about.exit_code == 0, total.stderr + words.stderr
    new = {m.reported: m for m in store.load(data).milestones}
    assert (new["11 directions"].total, new["11 directions"].done) == (11, None)
    assert (new["under 80%"].percent, new["under 80%"].total) == (None, None)
    assert new["3 of 5 tasks"].subject == "customs"


def test_one_event_cites_every_source_given_in_order(data: Path) -> None:
    result = run(data, "note", "customs", "--on", "2021-05-28", "--note", "Both say so.",
                 "--source", NEW, "--source", "tass-1295507", "--source", NEW)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    new_id = next(s.id for s in after.sources if s.url == NEW)
    assert f"added source {new_id} for {NEW}, tass-1295507" in result.stderr
    assert after.roadmap_by_id("customs").observations[-1].sources == [new_id, "tass-1295507"]
    before = data.read_bytes()
    bad = run(data, "note", "customs", "--on", "2021-05-28", "--note", "X.",
              "--source", "tass-1295507", "--source", "ftp://x")  # fmt: skip
    assert bad.exit_code == 2 and "is neither a source id" in bad.stderr
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    ("figures", "code", "expected_error"),
    [
        (["--done", "30", "--total", "28"], 2, "--done 30 is more than --total 28"),
        (
            ["--agreed", "20", "--open", "10", "--total", "28"],
            2,
            "at least 30, more than --total 28",
        ),
        (["--done", "3"], 2, "give --done and --total together"),
        (["--done", "3", "--total", "5", "--percent", "60"], 2, "give one kind of count"),
        ([], 2, "give one kind of count"),
        (["--percent", "70", "--no-figure"], 2, "--no-figure goes with no figure"),
        (["--open", "2", "--subject", "nope"], 1, "unknown roadmap 'nope'"),
        (["--percent", "101"], 2, "not between 0 and 100"),
        (["--agreed", "6..x"], 2, "--agreed: expected a whole number"),
        (["--agreed", "7..6"], 2, "--agreed: expected"),
        (["--open", "2", "--members", "customs,nope"], 1, "unknown roadmap 'nope'"),
        (["--open", "2", "--unit", "bananas"], 2, "--unit 'bananas': choose roadmaps"),
        (["--open", "2", "--on", "2099-01-01"], 1, "is in the future"),
        (["--open", "2", "--by", "two\nlines"], 2, "--by 'two\\nlines': must be a single line"),
    ],
)
def test_count_add_bad_input(
    data: Path, figures: list[str], code: int, expected_error: str
) -> None:
    before = data.read_bytes()
    unit = [] if "--unit" in figures else ["--unit", "roadmaps"]
    result = run(data, *COUNT, *unit, "--reported", "as reported", *figures)
    assert result.exit_code == code, result.stderr
    assert expected_error in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert data.read_bytes() == before


def test_count_add_needs_a_source(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "count", "add", "--on", "2021-05-28", "--unit", "roadmaps", "--open", "5",
                 "--reported", "5 open")  # fmt: skip
    assert result.exit_code == 2
    assert "needs --source" in result.stderr
    assert data.read_bytes() == before


# --------------------------------------------------------------------- new records

GAS_PROGRAM = [
    "add", "program", "--id", "program-gas-market", "--title", "Formation of a unified gas market",
    "--sphere", "energy", "--number", "25", "--succeeds", "gas-market", "--succession",
    "hypothesis", "--status", "blocked", "--link", "gas-price", "--on", "2021-08-09",
    "--source", "https://www.urdupoint.com/en/world/update-belarus-president-hopes-for-adoption-1322753.html",
]  # fmt: skip


def test_add_program_with_its_first_event_shown_and_in_the_diff(data: Path) -> None:
    result = run(data, *GAS_PROGRAM)
    assert result.exit_code == 0, result.stderr
    assert "added program P25 (program-gas-market), first recorded on 2021-08-09" in result.stderr
    after = store.load(data)
    program = after.programs[0]
    assert (program.number, program.status.value, program.linked_conditions) == (
        25,
        "blocked",
        ["gas-price"],
    )
    assert (program.succeeds, program.succession) == (["gas-market"], "hypothesis")
    assert program.title_confirmed is False
    first = program.history[0]
    assert (str(first.date), first.note) == ("2021-08-09", "First recorded.")
    assert after.as_of.isoformat() == "2021-08-09"
    shown = run(data, "show", "P25", "--section", "history")
    assert "2021-08-09\tprogram\tblocked\tFirst recorded.\turdupoint-com-1" in shown.stdout
    fixture = Path(__file__).parent / "data" / "record-2021-05-28.yaml"
    diff = run(data, "diff", str(fixture), str(data))
    assert "program P25 (program-gas-market) added" in diff.stdout


def test_add_keeps_a_documents_standing_notes_and_a_condition_has_none(data: Path) -> None:
    result = run(data, *GAS_PROGRAM, "--notes", "Its number follows the 2021 list.")
    assert result.exit_code == 0, result.stderr
    assert store.load(data).programs[0].notes == "Its number follows the 2021 list."
    assert "Its number follows the 2021 list." in run(data, "show", "P25").stdout
    before = data.read_bytes()
    refused = run(data, "add", "condition", "--id", "visas", "--title", "Visas",
                  "--description", "D.", "--notes", "N.", "--on", "2021-05-28",
                  "--source", "tass-1295507")  # fmt: skip
    assert refused.exit_code == 2 and "a condition has no" in refused.stderr
    assert data.read_bytes() == before


def test_add_numbers_a_document_after_the_last_one(data: Path) -> None:
    result = run(data, "add", "roadmap", "--id", "visas", "--title", "Mutual recognition of visas",
                 "--sphere", "migration", "--on", "2021-06", "--source", "tass-1295507",
                 "--note", "Proposed.")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "roadmap 32 (visas)" in result.stderr
    roadmap = store.load(data).roadmap_by_id("visas")
    assert (roadmap.number, roadmap.status.value, roadmap.history[0].note) == (
        32,
        "pending",
        "Proposed.",
    )


def test_add_condition_and_directions(data: Path) -> None:
    condition = run(data, "add", "condition", "--id", "energy-prices", "--title", "Equal prices",
                    "--description", "Belarus asks for Russia's domestic prices.", "--kind",
                    "red-line", "--on", "2021-05-28", "--source", "tass-1295507")  # fmt: skip
    assert condition.exit_code == 0, condition.stderr
    run(data, *GAS_PROGRAM)
    directions = run(data, "add", "directions", "--id", "directions-2021", "--title",
                     "Main Directions 2021–2023", "--sphere", "integration", "--contains", "P25",
                     "--status", "signed", "--on", "2021-11-04",
                     "--source", "tass-1295507")  # fmt: skip
    assert directions.exit_code == 0, directions.stderr
    after = store.load(data)
    added = after.condition_by_id("energy-prices")
    assert (added.kind, added.status.value, added.history[0].note) == (
        "red-line",
        "open",
        "Raised.",
    )
    assert after.directions[0].contains == ["program-gas-market"]
    assert after.directions[0].label == "directions D1 (directions-2021)"


@pytest.mark.parametrize(
    ("args", "code", "expected_error"),
    [
        (["program", "--id", "customs"], 1, "the id 'customs' is taken: it is roadmap 8 (customs)"),
        (["program", "--id", "gas-price"], 1, "it is condition gas-price"),
        (["program", "--id", "bad_id"], 2, "--id 'bad_id': expected a lowercase slug"),
        (["roadmap", "--id", "r", "--number", "8"], 1, "roadmap number 8 is taken"),
        (["roadmap", "--id", "r", "--status", "done"], 2, "--status 'done': a roadmap is pending"),
        (["program", "--id", "p", "--succeeds", "customs"], 2, "needs --succession"),
        (
            ["program", "--id", "p", "--succeeds", "nope", "--succession", "reported"],
            1,
            "unknown roadmap 'nope'",
        ),
        (
            ["roadmap", "--id", "r", "--succeeds", "customs", "--succession", "reported"],
            2,
            "--succeeds is for programs",
        ),
        (
            ["program", "--id", "p", "--status", "blocked"],
            1,
            "none of its linked conditions is open",
        ),
        (["program", "--id", "p", "--link", "nope"], 1, "unknown condition 'nope'"),
        (["condition", "--id", "c"], 2, "needs --description"),
        (["program", "--id", "p", "--title", "two\nlines"], 2, "--title 'two\\nlines': must be"),
        (["program", "--id", "p", "--on", "2099"], 1, "is in the future"),
        (["nation", "--id", "p"], 2, "Invalid value for 'KIND'"),
    ],
)
def test_add_bad_input(data: Path, args: list[str], code: int, expected_error: str) -> None:
    before = data.read_bytes()
    defaults = ["--title", "T", "--sphere", "s", "--source", "tass-1295507", "--on", "2021-05-28"]
    if args[0] == "condition":
        defaults.remove("--sphere")
        defaults.remove("s")
    result = run(data, "add", args[0], *defaults, *args[1:])
    assert result.exit_code == code, result.stderr
    assert expected_error in result.stderr
    assert data.read_bytes() == before


# -------------------------------------------------------------------- field edits

FIXTURE = Path(__file__).parent / "data" / "record-2021-05-28.yaml"


def test_edit_title_is_recorded_with_its_source_in_history_and_diff(data: Path) -> None:
    title = "Customs regulation and administration"
    result = run(data, "edit", "customs", "--title", title, "--on", "2021-06",
                 "--source", "tass-1295507", "--note", "As TASS calls it.")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (
        "roadmap 8 (customs): title 'Customs regulation' → 'Customs regulation and" in result.stderr
    )
    roadmap = store.load(data).roadmap_by_id("customs")
    assert roadmap.title == "Customs regulation and administration"
    observed = roadmap.observations[-1]
    assert observed.note == (
        "Edited: title 'Customs regulation' → 'Customs regulation and administration'. "
        "As TASS calls it."
    )
    assert (str(observed.date), observed.sources) == ("2021-06", ["tass-1295507"])
    history = run(data, "history", "customs")
    assert "2021-06\troadmap\tcustoms\t\tEdited: title 'Customs regulation'" in history.stdout
    diff = run(data, "diff", str(FIXTURE), str(data)).stdout
    assert "roadmap 8 (customs): on 2021-06 (note: Edited: title" in diff
    assert "roadmap 8 (customs): title: 'Customs regulation' → 'Customs regulation and" in diff


def test_edit_links_and_unlinks_conditions(data: Path) -> None:
    link = run(data, "edit", "customs", "--link", "goods-restrictions", "--on", "2021-06",
               "--source", "tass-1295507")  # fmt: skip
    assert link.exit_code == 0, link.stderr
    assert store.load(data).roadmap_by_id("customs").linked_conditions == ["goods-restrictions"]
    assert "linked to condition goods-restrictions" in link.stderr
    unlink = run(data, "edit", "customs", "--unlink", "goods-restrictions", "--on", "2021-06",
                 "--source", "tass-1295507")  # fmt: skip
    assert unlink.exit_code == 0, unlink.stderr
    roadmap = store.load(data).roadmap_by_id("customs")
    assert roadmap.linked_conditions == []
    assert [o.note for o in roadmap.observations[-2:]] == [
        "Edited: linked to condition goods-restrictions.",
        "Edited: unlinked from condition goods-restrictions.",
    ]


def test_edit_a_condition_title_and_a_program_succession(data: Path) -> None:
    cond = run(data, "edit", "gas-price", "--title", "Gas price", "--on", "2021-05-28",
               "--source", "tass-1295507")  # fmt: skip
    assert cond.exit_code == 0, cond.stderr
    assert store.load(data).condition_by_id("gas-price").title == "Gas price"
    run(data, *GAS_PROGRAM)
    succession = run(data, "edit", "P25", "--succession", "reported", "--on", "2021-09",
                     "--source", "tass-1295507")  # fmt: skip
    assert succession.exit_code == 0, succession.stderr
    assert store.load(data).programs[0].succession == "reported"


def test_edit_of_what_already_holds_changes_nothing(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "edit", "customs", "--title", "Customs regulation", "--on", "2021-06",
                 "--source", "tass-1295507")  # fmt: skip
    assert result.exit_code == 0
    assert "already says so; nothing changed" in result.stderr
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "code", "expected_error"),
    [
        (["gas-market", "--unlink", "gas-price"], 0, ""),  # tax-manoeuvre still blocks it
        (["oil-market", "--unlink", "tax-manoeuvre-compensation"], 1, "is blocked, and only by"),
        (["customs", "--unlink", "gas-price"], 1, "is not linked to condition gas-price"),
        (["customs", "--link", "nope"], 1, "unknown condition 'nope'"),
        (["nope", "--title", "T"], 1, "unknown roadmap 'nope'"),
        (["gas-price", "--sphere", "energy"], 2, "has only a --title to edit here"),
        (["customs", "--succeeds", "taxation"], 2, "is not a program"),
        (["customs", "--title", ""], 2, "--title '': must not be empty"),
        (["customs"], 2, "say what to change"),
    ],
)
def test_edit_bad_input(data: Path, args: list[str], code: int, expected_error: str) -> None:
    before = data.read_bytes()
    result = run(data, "edit", *args, "--on", "2021-05-28", "--source", "tass-1295507")
    assert result.exit_code == code, result.stderr
    assert expected_error in result.stderr
    if code:
        assert data.read_bytes() == before


def test_edit_needs_a_source_and_a_date_that_has_come(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "edit", "customs", "--title", "T", "--on", "2021-06")
    assert result.exit_code == 2
    assert "an edit needs --source" in result.stderr
    future = run(
        data, "edit", "customs", "--title", "T", "--on", "2099", "--source", "tass-1295507"
    )
    assert future.exit_code == 1
    assert "is in the future" in future.stderr
    assert data.read_bytes() == before


# ------------------------------------------------------------------------ undo

EVERY_COMMAND = [
    ["source", "add", NEW, "--publisher", "BelTA", "--title", "T"],
    ["source", "edit", "tass-1295507", "--language", "en"],
    [*COUNT, "--unit", "roadmaps", "--open", "5", "--reported", "5 open"],
    GAS_PROGRAM,
    ["edit", "customs", "--title", "Customs", "--on", "2021-06", "--source", "tass-1295507"],
]


@pytest.mark.parametrize("args", EVERY_COMMAND, ids=lambda a: " ".join(a[:2]))
def test_every_change_is_undone_and_redone_byte_for_byte(data: Path, args: list[str]) -> None:
    before = data.read_bytes()
    assert run(data, *args).exit_code == 0
    after = data.read_bytes()
    assert after != before
    listed = run(data, "undo", "--list").stdout
    assert "added" in listed or "changed" in listed or "→" in listed or ": on " in listed, listed
    assert run(data, "undo", "--yes").exit_code == 0
    assert data.read_bytes() == before
    assert run(data, "redo", "--yes").exit_code == 0  # redo puts it back
    assert data.read_bytes() == after
