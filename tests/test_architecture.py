"""The architecture contracts of pyproject.toml ([tool.importlinter]) hold: content imports no
Flask/MkDocs, site_builder never imports the backend, the layers, and no import cycles.

import-linter runs in its own process: in-process it reconfigures logging (disabling the
loggers that exist), which made later tests that read log records fail depending on order."""
from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_import_contracts_are_kept():
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; from importlinter.cli import lint_imports;"
         " sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kept" in done.stdout and "broken" in done.stdout, done.stdout


def test_logging_survives_the_architecture_check(caplog):
    """The order-dependence this file once caused: loggers must still deliver records."""
    import logging

    log = logging.getLogger("forms_backend.app")  # exists before the check, as in a full run
    test_import_contracts_are_kept()
    log.warning("still delivered")
    assert "still delivered" in caplog.text
