"""forms_backend: the Flask app that takes applications into SQLite, and tracks them.

``create_app`` (in ``app.py``) is the factory for ``guide serve``, gunicorn
(``gunicorn 'forms_backend:create_app()'``) and the tests. Where things are: ``views/`` (pages by
family), ``forms/`` (every check of input), ``storage/`` (every SQL statement), ``reports/``,
``mail/``, ``jobs.py``, ``vocabulary.py``, ``context.py`` (the runtime context); see the README.
"""
from .app import create_app

__all__ = ["create_app"]
