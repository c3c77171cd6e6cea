"""The command line's words for what to change, where a library message has Python's.

A library message tells a Python user what to pass (``mapping=``, ``conditions={...}``,
``schedule.evolve(...)``); a command-line user gives the same thing as an option or as a
key of the scenario file. :data:`CLI_WORDS` is the one table that says which, and
:func:`cli_words` applies it to every message :func:`pbcmodel.cli.main` shows. Python
users keep the Python wording: the library is unchanged.

Examples
--------
>>> cli_words("registered patients: no commissioner column; for the multi-level file give "
...           "the published mapping file gp-reg-pat-prac-map.csv as mapping=",
...           options={"--consortia"})
'registered patients: no commissioner column; for the multi-level file give the published \
mapping file gp-reg-pat-prac-map.csv as --consortia'
>>> cli_words("gate 'plan_approved': condition 'plan_approved' was not given (conditions "
...           "given: none); pass conditions={'plan_approved': ...}", options=())
"gate 'plan_approved': condition 'plan_approved' was not given (conditions given: none); \
add plan_approved = ... to the scenario file's [conditions] table"
"""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["CLI_WORDS", "cli_words"]

#: Python's words in library messages → the command line's: (pattern, replacement, the
#: option the replacement names, or None where it names the scenario file's keys). A row
#: naming an option applies only to a command that has it (``--resource`` of ``budgets``;
#: in ``run`` a resource comes from the scenario file, whose messages already say
#: ``$.resource``); the rows after it give the scenario file's words for the same thing.
CLI_WORDS: tuple[tuple[str, str, str | None], ...] = (
    # a parameter the command passes from its option: the message starts with its name
    (r"^resource: ", "--resource: ", "--resource"),
    (r"^max_evaluations: ", "--max-evaluations: ", "--max-evaluations"),
    (r"^replicates: ", "--replicates: ", "--replicates"),
    # the consortia or mapping file: an option of budgets, a key of a scenario's population
    (r"\bas mapping=", "as --consortia", "--consortia"),
    (r"\bas mapping=", "as population.consortia in the scenario file", None),
    # the number of simulations of a design
    (r"\buse n >= ([\d,]+) simulations \(got n=([\d,]+)\)", r"use --n \1 or more (got --n \2)",
     "--n"),
    # what a scenario file lacks or has too much of: its keys
    (r"\bpass conditions=\{'(\w+)': \.\.\.\}",
     r"add \1 = ... to the scenario file's [conditions] table", None),
    (r"\ban OverspendPolicy was given and the savings schedule also shares losses \(its "
     r"losses side\); choose one — drop overspend=, or give the schedule zero loss shares "
     r"\(e\.g\. schedule\.evolve\(losses=\[\(0\.0, 0\.0\)\]\)\)",
     "the scenario file has an [overspend] table and its [savings] schedule also shares "
     "losses; choose one — remove [overspend], or set losses = [[0.0, 0.0]] in [savings]",
     None),
    (r"\badd cost_model=\.\.\.( \(e\.g\. pbc\.datasets\.example_cost_model\(\)\))?",
     'add cost_model = {dataset = "example"} (or your own) to the scenario file', None),
    (r"\bevolve: the scenario has no ([\w.]+); set it whole, e\.g\. [\w.]+=\.\.\.",
     r"the scenario has no \1; add an [\1] table to the scenario file", None),
    # a scenario of compare, by its index in Python's list: by its name
    (r"^scenarios\[\d+\] \(('[^']*')\)", r"scenario \1", None),
)


def cli_words(message: str, options: Collection[str]) -> str:
    """``message`` in the command line's words: :data:`CLI_WORDS` applied in order, the
    rows that name an option only when ``options`` (the command's options) has it.

    Examples
    --------
    >>> cli_words("resource: must be > 0, got -5", options={"--resource", "--out"})
    '--resource: must be > 0, got -5'
    >>> cli_words("resource: must be > 0, got -5", options={"--n"})
    'resource: must be > 0, got -5'
    """
    for pattern, replacement, option in CLI_WORDS:
        if option is None or option in options:
            message = re.sub(pattern, replacement, message)
    return message
