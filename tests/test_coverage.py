"""The coverage map names only claims and tests that exist, lists each item once, and misses nothing."""

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from figures import coverage
from figures.coverage import COVERAGE, PAPERS, STATUSES, Item, render_coverage
from figures.report import CLAIMS

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"

_ITEM = re.compile(
    r"\b(Figure|Fig\.|Table|Theorem|Proposition|Definition|Algorithm|Lemma|Corollary|Assumption)\s?"
    r"((?:[A-Z]\.)?\d+(?:\.\d+)?)|\b(?:Eq\.|Equation|equation)\s?\(?(\d+)\)?"
)


def _normalise(label: str) -> str:
    m = _ITEM.fullmatch(label) or _ITEM.match(label)
    if m is None:
        return label
    if m.group(3):
        return f"Eq {m.group(3)}"
    kind = "Figure" if m.group(1) == "Fig." else m.group(1)
    return f"{kind} {m.group(2)}"


def test_every_claim_named_exists_and_every_claim_is_mapped():
    ids = {c.id for c in CLAIMS}
    named = {c for i in COVERAGE for c in i.claims}
    assert named - ids == set(), "claim ids in the map with no entry in the report"
    assert ids - named == set(), "claims of the report that no item of the map names"


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")}


def test_every_test_named_exists():
    missing = []
    for item in COVERAGE:
        for ref in item.tests:
            file, _, name = ref.partition("::")
            path = ROOT / file
            if not path.is_file() or (name and name not in _test_functions(path)):
                missing.append((item.label, ref))
    assert missing == []


def test_no_item_is_listed_twice_and_every_unchecked_item_says_why():
    keys = Counter((i.seed, _normalise(i.label)) for i in COVERAGE)
    assert [k for k, n in keys.items() if n > 1] == []
    for i in COVERAGE:
        assert i.seed in PAPERS
        if i.status == "checked":
            assert i.claims or i.tests, i.label
        else:
            assert i.reason, i.label
        if i.status in ("not checkable here", "not yet checked"):
            assert i.substitute, i.label


def test_a_duplicate_or_a_bad_status_is_caught():
    with pytest.raises(ValueError, match="^status must be one of"):
        Item(next(iter(PAPERS)), "Figure 1", "x", status="maybe")
    dup = COVERAGE + (COVERAGE[0],)
    keys = Counter((i.seed, _normalise(i.label)) for i in dup)
    assert max(keys.values()) == 2  # the check above would fail on it


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed texts (../shared/seeds) are not beside this checkout")
@pytest.mark.parametrize("seed", sorted(PAPERS))
def test_every_numbered_item_of_the_seeds_is_in_the_map(seed):
    text = (SEEDS / seed).read_text(errors="replace")
    found = {_normalise(m.group(0)) for m in _ITEM.finditer(text)}
    mapped = {_normalise(i.label) for i in COVERAGE if i.seed == seed}
    assert found - mapped == set()


def test_the_map_is_rendered_with_every_item_and_its_links():
    lines = render_coverage()
    text = "\n".join(lines)
    assert lines[0] == "## Coverage map"
    for i in COVERAGE:
        assert f"| {i.label} |" in text
        for c in i.claims:
            assert f"[{c}](#{c.lower()})" in text
    counts = Counter(i.status for i in COVERAGE)
    assert "Items: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES) + "." in text
    assert coverage.__all__ == ["Item", "PAPERS", "COVERAGE", "STATUSES", "render_coverage"]
