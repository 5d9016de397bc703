"""The parts of the case and follow-up item pages that come with staff work (承办人, reopening,
result documents, linked items, 回访): what ``cases``, ``followup`` and ``work`` all draw."""
from __future__ import annotations

from flask import request

from ... import uploads
from ...forms.staff_work import (FOLLOWUP_OPTIONS, RESULT_ACCEPT, RESULT_MAX_MB, RESULT_TITLES, FollowupForm,
                                 MergeForm, ReasonForm, ResultForm, assign_form, upload_error)
from ...forms.messages import message
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


def receive_files(name: str, *, folder, accept: list[str], max_mb: float, limit: int = 20) -> tuple[list[dict], str | None]:
    """The files staff chose in the file input ``name`` of this request, each checked by content
    and stored under a generated name (``uploads.receive``, as applicants' uploads); or the error
    of the first refused one (then nothing of this request is kept)."""
    got: list[dict] = []
    chosen = [f for f in request.files.getlist(name) if f and f.filename]
    if len(chosen) > limit:
        return [], message("too_many_files", max=limit)
    for file in chosen:
        try:
            r = uploads.receive(file, field_id=name, accept=accept, max_mb=max_mb, folder=folder)
        except uploads.UploadRejected as exc:
            uploads.discard(folder, [g["stored_name"] for g in got])
            return [], (f"{uploads.safe_name(file.filename)}：" if len(chosen) > 1 else "") + upload_error(exc)
        got.append({"original_name": r.original_name, "stored_name": r.stored_name, "kind": r.kind,
                    "size": r.size, "sha256": r.sha256})
    return got, None


def receive_result(form_prefix: str = "d") -> tuple[dict | None, str | None]:
    """The uploaded result file of this request, stored and checked by content; or the error."""
    docs, error = receive_files(f"{form_prefix}-file", folder=results_dir(), accept=RESULT_ACCEPT,
                                max_mb=RESULT_MAX_MB, limit=1)
    return (docs[0] if docs else None), error


def discard_result(doc: dict | None) -> None:
    if doc:
        uploads.discard(results_dir(), [doc["stored_name"]])
