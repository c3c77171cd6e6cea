import subprocess
import sys

import pandas as pd
import pytest

import pbcmodel
from pbcmodel.cli import main


def test_demo_on_real_england(tmp_path, capsys):
    assert main(["demo", "--icb", "QOC", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("Contains public sector information licensed under the Open Government "
                     "Licence v3.0") == 2 and "NHS England" in out
    assert "need indices relative to the ICB" in out and "Three-year path" in out
    assert "Policies compared" in out
    budgets = pd.read_csv(tmp_path / "budgets.csv", index_col=0)
    assert len(budgets) == 50          # NHS Shropshire, Telford and Wrekin ICB's practices
    resource = round(budgets["registered"].sum() * 1000, -5)
    assert round(budgets["total"].sum(), 2) == round(resource * 0.99, 2)   # exact in pence
    places = pd.read_csv(tmp_path / "places.csv", index_col=0)
    assert places["practices"].sum() == 50
    path = pd.read_csv(tmp_path / "three_year_path.csv", index_col=0)
    assert list(path.columns) == ["2026/27", "2027/28", "2028/29"]
    assert main(["demo", "--icb", "QOC", "--out", str(tmp_path)]) == 2     # no overwrite
    assert "already exist" in capsys.readouterr().err


def test_demo_writes_budgets_and_explanation(tmp_path, capsys):
    assert main(["demo", "--example", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Budgets by consortium" in out and "final budget" in out
    budgets = pd.read_csv(tmp_path / "budgets.csv", index_col=0)
    assert len(budgets) == 60
    # 510m less 3% top-slices = 494.7m, to the penny (rounded per practice and POD)
    assert budgets["total"].sum() == pytest.approx(494.7e6, abs=60 * 0.01)
    explain = pd.read_csv(tmp_path / "explain_P001.csv", index_col=0)
    assert explain.loc["final budget", "value"] == pytest.approx(budgets.loc["P001", "total"],
                                                                abs=0.01)


def test_demo_refuses_to_overwrite(tmp_path, capsys):
    assert main(["demo", "--example", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["demo", "--example", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "already exist" in captured.err and "--force" in captured.err
    assert captured.out == ""  # nothing printed or written on refusal
    assert main(["demo", "--example", "--out", str(tmp_path), "--force"]) == 0


def test_budgets_command(tmp_path, data_dir, capsys):
    out = tmp_path / "b.csv"
    code = main(["budgets", "--population", str(data_dir / "gp-reg-pat-prac-quin-age.csv"),
                 "--consortia", str(data_dir / "consortia.csv"), "--resource", "£2,000,000",
                 "--out", str(out)])
    assert code == 0
    assert pd.read_csv(out, index_col=0)["total"].sum() == pytest.approx(2e6, abs=0.05)
    assert "North" in capsys.readouterr().out


def test_budgets_command_bad_resource(data_dir, capsys):
    with pytest.raises(SystemExit):
        main(["budgets", "--population", "x.csv", "--resource", "-5", "--out", "y.csv"])
    assert "must be > 0" in capsys.readouterr().err


def test_budgets_command_missing_file(tmp_path, capsys):
    code = main(["budgets", "--population", str(tmp_path / "nope.csv"), "--resource", "1e6",
                 "--out", str(tmp_path / "o.csv")])
    assert code == 2
    assert "no such file" in capsys.readouterr().err


def test_version_and_module_help():
    result = subprocess.run([sys.executable, "-m", "pbcmodel", "--version"],
                            capture_output=True, text=True, check=True)
    assert pbcmodel.__version__ in result.stdout
    helped = subprocess.run([sys.executable, "-m", "pbcmodel", "--help"],
                            capture_output=True, text=True, check=True)
    assert "demo" in helped.stdout and "budgets" in helped.stdout
