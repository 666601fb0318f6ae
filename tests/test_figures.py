"""``python -m figures``: the manifest is complete, the report is deterministic, bad results are refused.

The simulations run once, at the quick scale, into one session-scoped folder
(``quick_run`` in ``conftest.py``); every other test reuses (copies of) those results.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from figures import report
from figures.__main__ import main
from figures.manifest import MANIFEST, SCALES, all_outputs, expected_config, render_markdown, result_status, results_dir
from sims._common import config_hash

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _copy_result(quick_run, name: str, dest: Path) -> Path:
    res, _ = quick_run
    e = next(e for e in MANIFEST if e.name == name)
    src = results_dir(e, "quick", res)
    dst = results_dir(e, "quick", dest)
    shutil.copytree(src, dst)
    return dst


def _stderr_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# ------------------------------------------------------------- completeness


def test_every_registered_output_is_produced(quick_run):
    res, figs = quick_run
    for e, o in all_outputs():
        for f in o.files(figs):
            assert f.is_file() and f.stat().st_size > 0, f
            if f.suffix == ".png":
                assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f
            if f.suffix == ".pdf":
                assert f.read_bytes()[:5] == b"%PDF-", f
    for e in MANIFEST:
        meta = json.loads((results_dir(e, "quick", res) / f"{e.name}.json").read_text())
        assert isinstance(meta["config"], dict) and meta["config"], e.name
        assert isinstance(meta["seed"], int), e.name
        assert meta["config_hash"] == config_hash(expected_config(e, "quick", results_dir(e, "quick", res)))


def test_no_unregistered_figure_is_written(quick_run):
    _, figs = quick_run
    registered = {f.name for _, o in all_outputs() for f in o.files(figs)} | {"reproduction.md"}
    assert {p.name for p in figs.iterdir()} == registered


def test_manifest_stems_unique_and_scales_valid():
    stems = [o.stem for _, o in all_outputs()]
    assert len(stems) == len(set(stems))
    for e in MANIFEST:  # every scale's arguments parse and validate (nothing runs)
        for s in SCALES:
            cfg = expected_config(e, s, Path("unused"))
            assert isinstance(cfg, dict) and cfg


def test_second_run_uses_the_saved_results(quick_run, capsys):
    res, figs = quick_run
    before = {e.name: (results_dir(e, "quick", res) / f"{e.name}.json").stat().st_mtime_ns for e in MANIFEST}
    # a subset (plotting everything again would double the test time); freshness is checked for all
    assert main(["maxmargin_separability", "--quick", "--results-dir", str(res), "--out", str(figs), "--no-run",
                 "--no-progress", "--no-report"]) == 0
    after = {e.name: (results_dir(e, "quick", res) / f"{e.name}.json").stat().st_mtime_ns for e in MANIFEST}
    assert before == after
    assert all(result_status(e, "quick", res).fresh for e in MANIFEST)


def test_list_names_every_output(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for _, o in all_outputs():
        assert o.stem in out


def test_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0


# -------------------------------------------------------------------- report


def test_report_is_deterministic_and_matches_the_cli(quick_run, tmp_path):
    res, figs = quick_run
    a = report.render_report("quick", res, figs, report_path=figs / "reproduction.md")
    b = report.render_report("quick", res, figs, report_path=figs / "reproduction.md")
    assert a == b
    assert (figs / "reproduction.md").read_text() == a
    assert report.main(["--scale", "quick", "--results-dir", str(res), "--figures-dir", str(figs),
                        "--out", str(figs / "again.md")]) == 0
    again = figs / "again.md"
    assert again.read_text() == a
    again.unlink()
    for c in report.CLAIMS:
        assert f"## {c.id}" in a
    assert "no fresh results" not in a.lower()
    verdicts = [ln for ln in a.splitlines() if ln.startswith("*Verdict:*")]
    assert len(verdicts) == len(report.CLAIMS)
    assert all(any(f"**{v}**" in ln for v in report.VERDICTS) for ln in verdicts)


def test_report_marks_missing_results(tmp_path):
    text = report.render_report("quick", tmp_path / "nothing", tmp_path)
    assert text.count(f"**{report.NO_RESULTS}**") == len(report.CLAIMS)


def test_verdict_rules_follow_the_numbers(quick_run):
    """Each rule, fed doctored numbers, flips the way its text says (the rules are not constants)."""
    from sims._common import load_results

    res, _ = quick_run
    meta, a = load_results(results_dir(next(e for e in MANIFEST if e.name == "phase_diagram"), "quick", res),
                           "phase_diagram")
    claim = {c.id: c for c in report.CLAIMS}
    m2 = json.loads(json.dumps(meta))
    m2["results"]["first_order_vs_tau_star_mismatches"] = 1
    assert claim["GMZ-T1"].check(m2, a).verdict == report.CONTRADICTED
    b = dict(a)
    b["tau_c"] = a["tau_star"] * 0.5  # exact rank one below tau*
    assert claim["GMZ-T1-exact"].check(meta, b).verdict == report.CONTRADICTED
    b["tau_c"] = a["tau_star"] * 1.05
    assert claim["GMZ-T1-exact"].check(meta, b).verdict == report.CONFIRMED


# ----------------------------------------------------------------- bad input


def test_unknown_name_exits_2_with_one_line(capsys, tmp_path):
    assert main(["no_such_figure", "--results-dir", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    line = _stderr_line(capsys)
    assert "no_such_figure" in line and "--list" in line
    assert not (tmp_path / "o").exists()


def _run_folder(dst: Path, name: str) -> Path:
    """The folder of the quick config's result under a copied ``--out``."""
    e = next(e for e in MANIFEST if e.name == name)
    return result_status(e, "quick", dst.parent.parent).folder


def _damage(folder: Path, name: str, damage: str) -> Path:
    js, npz = folder / f"{name}.json", folder / f"{name}.npz"
    if damage == "truncated_json":
        js.write_text(js.read_text()[:200])
        return js
    if damage == "no_seed":
        meta = json.loads(js.read_text())
        del meta["seed"]
        js.write_text(json.dumps(meta))
        return js
    if damage == "truncated_npz":
        npz.write_bytes(npz.read_bytes()[:100])
        return npz
    if damage == "missing_array":
        with np.load(npz) as d:
            arrays = {k: d[k] for k in d.files if k != "sim_err"}
        np.savez(npz, **arrays)
        return npz
    if damage == "altered_array":
        with np.load(npz) as d:
            arrays = {k: d[k] for k in d.files}
        arrays["sim_err"] = np.nan_to_num(arrays["sim_err"]) * 0.5
        np.savez(npz, **arrays)
        return npz
    meta = json.loads(js.read_text())  # a hand-edited config, hash kept
    meta["config"]["reps"] = 999
    js.write_text(json.dumps(meta))
    return js


DAMAGES = ["truncated_json", "no_seed", "truncated_npz", "missing_array", "altered_array", "edited_config"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_results_are_refused_with_no_run(quick_run, tmp_path, capsys, damage):
    dst = _copy_result(quick_run, "maxmargin", tmp_path / "res")
    folder = _run_folder(dst, "maxmargin")
    bad = _damage(folder, "maxmargin", damage)
    before = {f: f.read_bytes() for f in folder.glob("maxmargin.*")}
    out = tmp_path / "figs"
    assert main(["maxmargin", "--quick", "--results-dir", str(tmp_path / "res"), "--out", str(out),
                 "--no-progress", "--no-run"]) == 2
    line = _stderr_line(capsys)
    assert str(bad) in line and "python -m figures maxmargin --scale quick" in line
    assert {f: f.read_bytes() for f in folder.glob("maxmargin.*")} == before  # --no-run writes nothing
    assert not out.exists() or not any(out.iterdir())  # nothing plotted


@pytest.mark.parametrize("damage", ["truncated_json", "altered_array", "edited_config"])
def test_damaged_results_are_named_in_one_line_and_recomputed(quick_run, tmp_path, capsys, damage):
    """The same treatment as the simulations give them: one line naming the file, then recompute."""
    dst = _copy_result(quick_run, "maxmargin", tmp_path / "res")
    folder = _run_folder(dst, "maxmargin")
    bad = _damage(folder, "maxmargin", damage)
    out = tmp_path / "figs"
    assert main(["maxmargin", "--quick", "--results-dir", str(tmp_path / "res"), "--out", str(out),
                 "--no-progress", "--no-report"]) == 0
    line = _stderr_line(capsys)
    assert line.startswith("figures: rerunning sims.maxmargin:") and str(bad) in line
    e = next(e for e in MANIFEST if e.name == "maxmargin")
    assert result_status(e, "quick", tmp_path / "res").fresh
    log = (dst / "maxmargin.log").read_text()
    assert "recomputing: " in log and "resumed" in log  # its saved units were intact
    assert (out / "maxmargin_error.png").stat().st_size > 0


def _make_stale(dst: Path, name: str) -> None:
    """A complete, correctly checksummed result made by other code (another source fingerprint)."""
    from sims._store import meta_checksum

    js = _run_folder(dst, name) / f"{name}.json"
    meta = json.loads(js.read_text())
    meta["provenance"]["code_fingerprint"] = "0" * 16
    meta["checksum"]["meta"] = meta_checksum(meta)
    js.write_text(json.dumps(meta))


def test_stale_results_are_not_plotted_with_no_run(quick_run, tmp_path, capsys):
    dst = _copy_result(quick_run, "maxmargin", tmp_path / "res")
    _make_stale(dst, "maxmargin")
    out = tmp_path / "figs"
    assert main(["maxmargin", "--quick", "--results-dir", str(tmp_path / "res"), "--out", str(out), "--no-run"]) == 2
    line = _stderr_line(capsys)
    assert "stale" in line and "made by other code" in line and "python -m figures maxmargin" in line
    assert str(_run_folder(dst, "maxmargin") / "maxmargin.json") in line
    assert not out.exists() or not any(out.iterdir())


def test_missing_results_with_no_run_exit_2(tmp_path, capsys):
    assert main(["phase_diagram", "--quick", "--results-dir", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--no-run"]) == 2
    line = _stderr_line(capsys)
    assert "no result of this config" in line and "phase_diagram" in line


def test_stale_results_are_regenerated(quick_run, tmp_path):
    dst = _copy_result(quick_run, "phase_diagram", tmp_path / "res")
    _make_stale(dst, "phase_diagram")
    e = next(e for e in MANIFEST if e.name == "phase_diagram")
    assert result_status(e, "quick", tmp_path / "res").state == "stale"
    assert main(["phase_diagram_fig3", "--quick", "--results-dir", str(tmp_path / "res"),
                 "--out", str(tmp_path / "figs"), "--no-progress", "--no-report"]) == 0
    assert result_status(e, "quick", tmp_path / "res").fresh
    assert "made by other code" in (dst / "phase_diagram.log").read_text()
    assert (tmp_path / "figs" / "phase_diagram_fig3.pdf").stat().st_size > 0
    assert (dst / "phase_diagram.log").read_text().startswith("$ python -m sims.phase_diagram")


# ---------------------------------------------------------------------- docs


def test_generated_docs_are_in_sync():
    """figures.md is the rendered manifest; api.md and the user guide name every public function and flag."""
    import importlib

    hint = "run: python -m figures.report --docs"
    assert (DOCS / "figures.md").read_text() == render_markdown(), hint
    api = (DOCS / "api.md").read_text()
    for path in sorted((DOCS.parent / "theory").glob("*.py")):
        if path.stem.startswith("_"):
            continue
        mod = importlib.import_module(f"theory.{path.stem}")
        for name in getattr(mod, "__all__", []):
            assert f"`{name}`" in api, f"theory.{path.stem}.{name} missing from docs/api.md; {hint}"
    guide = (DOCS / "user_guide.md").read_text()
    from figures.__main__ import build_parser

    parsers = {"figures": build_parser(), "figures.report": report._report_parser()}
    parsers.update({f"sims.{e.name}": e.load_sim().build_parser() for e in MANIFEST})
    for prog, parser in parsers.items():
        assert f"### `python -m {prog}`" in guide, hint
        for option, action in parser._option_string_actions.items():
            if action.dest == "help":
                continue
            assert f"`{option}" in guide, f"{prog} {option} missing from docs/user_guide.md; {hint}"
