"""The architecture contracts of pyproject.toml ([tool.importlinter]) hold: content imports no
Flask/MkDocs, site_builder never imports the backend, the layers, and no import cycles."""
from __future__ import annotations

import os

from importlinter.cli import lint_imports

from .conftest import ROOT


def test_import_contracts_are_kept(capsys):
    here = os.getcwd()
    os.chdir(ROOT)  # the contracts are read from pyproject.toml
    try:
        code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    finally:
        os.chdir(here)
    assert code == 0, capsys.readouterr().out
