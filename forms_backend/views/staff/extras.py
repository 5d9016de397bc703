"""The parts of the case and follow-up item pages that come with staff work (承办人, reopening,
result documents, linked items, 回访): what ``cases``, ``followup`` and ``work`` all draw."""
from __future__ import annotations

from flask import request

from ... import uploads
from ...forms.staff_work import (FOLLOWUP_OPTIONS, RESULT_ACCEPT, RESULT_MAX_MB, RESULT_TITLES, FollowupForm,
                                 MergeForm, ReasonForm, ResultForm, assign_form, upload_error)
from ...results import results_dir
from ...vocabulary import FINAL_STATUSES, FOLLOWUP_SCORES
from .base import store, user_names


def _errors(*forms) -> list[tuple[str, str]]:
    return [(f.name, f.errors[0]) for form in forms if form for f in form if f.errors]


def case_extras(case, *, assign=None, reopen=None, result=None, file_error: str | None = None) -> dict:
    names = user_names()
    return {
        "errors": _errors(assign, reopen, result) + ([("d-file", file_error)] if file_error else []),
        "result_file_error": file_error,
        "results": store().results_of(case.id), "result_title_options": [(t, t) for t in RESULT_TITLES],
        "result_accept": RESULT_ACCEPT, "result_max_mb": RESULT_MAX_MB,
        "assign_form": assign or assign_form(names)(prefix="a", data={"assignee": case.assignee}),
        "assignee_options": [(n, n) for n in names],
        "reopen_form": reopen or ReasonForm(prefix="r"), "result_form": result or ResultForm(prefix="d"),
        "closed": case.status in FINAL_STATUSES,
    }


def issue_extras(issue, *, merge=None, reopen=None, followup=None) -> dict:
    group = [i for i in store().issue_group(issue.id) if i.id != issue.id]
    return {"errors": _errors(merge, reopen, followup), "linked": group, "merge_form": merge or MergeForm(prefix="m"),
            "reopen_form": reopen or ReasonForm(prefix="r"), "followup_form": followup or FollowupForm(prefix="f"),
            "followup_options": FOLLOWUP_OPTIONS, "FOLLOWUP_SCORES": FOLLOWUP_SCORES}


def receive_result(form_prefix: str = "d") -> tuple[dict | None, str | None]:
    """The uploaded result file of this request, stored and checked by content; or the error."""
    file = request.files.get(f"{form_prefix}-file")
    if file is None or not file.filename:
        return None, None
    try:
        got = uploads.receive(file, field_id="result", accept=RESULT_ACCEPT, max_mb=RESULT_MAX_MB,
                              folder=results_dir())
    except uploads.UploadRejected as exc:
        return None, upload_error(exc)
    return {"original_name": got.original_name, "stored_name": got.stored_name, "kind": got.kind,
            "size": got.size, "sha256": got.sha256}, None


def discard_result(doc: dict | None) -> None:
    if doc:
        uploads.discard(results_dir(), [doc["stored_name"]])
