"""Result documents of closed cases (结果文书): where they are kept and how they are sent, to
staff (``views/staff/work``) and to the applicant who tracked the case (``views/track``)."""
from __future__ import annotations

from flask import abort, current_app

from . import uploads
from .context import current_guide


def results_dir():
    return current_app.config["RESULT_DIR"]


def download_name(ref: str, doc) -> str:
    """A result file's download name: never the uploader's, always the detected type's extension."""
    return f"{ref}-{doc.title}.{doc.kind}"


def send_result(ref: str, token: str):
    """The case's result document ``token`` as a download (staff and the applicant share this)."""
    case = current_guide().storage.get_application(ref)
    if case is None:
        abort(404)
    for doc in current_guide().storage.results_of(case.id):
        if doc.token == token:
            return uploads.send_upload(results_dir(), doc.stored_name, download_name(ref, doc), doc.kind)
    abort(404)
