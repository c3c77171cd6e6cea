"""The README's examples run: its Python blocks, its shell commands, and its command synopsis
matches the parser."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pbcmodel.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXTRAS = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
             ["optional-dependencies"])


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def shell_commands() -> list[str]:
    return [part.strip() for block in blocks("bash") for line in block.splitlines()
            if line.strip() and not line.startswith("#") for part in line.split("&&")]


def test_readme_has_examples():
    assert len(blocks("python")) >= 1 and len(shell_commands()) >= 4
    # the top two commands stay exactly as they are
    assert shell_commands()[:4] == ['pip install ".[all]"', "pbcmodel demo",
                                    'pip install -e ".[test]"', "pytest"]


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks("python")[index], f"README.md python block {index + 1}", "exec"),
             {"__name__": "__readme__"})
    assert printed.getvalue().strip()


@pytest.mark.parametrize("command", shell_commands())
def test_shell_example_runs(command, tmp_path):
    words = shlex.split(command)
    if words[:2] == ["pip", "install"]:
        # the package is installed already; the extras named must exist
        extras = re.findall(r"\[([\w,-]+)\]", words[-1])
        assert extras and set(",".join(extras).split(",")) <= EXTRAS, command
        return
    if words == ["pytest"]:
        return          # the suite itself, which is running now
    assert words[0] == "pbcmodel", f"README runs an unknown program: {command}"
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    done = subprocess.run([sys.executable, "-m", "pbcmodel", *words[1:]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and done.stdout.strip()


def synopsis() -> list[str]:
    section = README.split("## Command line", 1)[1]
    text = blocks("text")
    lines = [line for block in text if block in section for line in block.splitlines()]
    return [line for line in lines if line.startswith("pbcmodel ")]


@pytest.mark.parametrize("line", synopsis())
def test_command_synopsis_matches_the_parser(line):
    words = line.split()
    parser = build_parser()
    if words[1].startswith("--"):
        assert words[1] in parser._option_string_actions
        return
    sub = next(a for a in parser._actions if a.dest == "command").choices[words[1]]
    usage = line.split("  ")[0]        # the description after two spaces is prose
    for flag in re.findall(r"--[a-z][a-z-]*", usage):
        assert flag in sub._option_string_actions, f"{words[1]} has no {flag}"


def shown_output(index: int) -> str | None:
    """The ``text`` block the README shows right after python block ``index`` as what it
    prints ("prints ...:" between them), or None when it shows none."""
    python = blocks("python")[index]
    after = README.split(f"```python\n{python}```", 1)[1]
    found = re.match(r"\s*\n(?:[^`\n][^\n]*\n)+\s*```text\n(.*?)^```", after, flags=re.S | re.M)
    return found.group(1) if found else None


def test_readme_shows_what_its_example_prints(monkeypatch, tmp_path):
    # The README shows the output of its Python example; it must be what the example prints
    # (lines compared without trailing spaces), so the README cannot drift from the library.
    index = next(i for i in range(len(blocks("python"))) if shown_output(i) is not None)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks("python")[index], "README.md python block", "exec"),
             {"__name__": "__readme__"})

    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines()]

    assert lines(printed.getvalue()) == lines(shown_output(index) or "")
