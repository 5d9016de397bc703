"""回访满意度: after a follow-up item is closed, the sender says whether the handling satisfied them.

The outcome email carries a signed link (``/feedback/followup/<token>``, itsdangerous with the
app's secret and its own salt, valid ``GUIDE_TRACK_LINK_DAYS``) to a one-question form; the
answer is recorded on the item and the items closed with it. Staff record an answer given on the
phone on the item's page instead.
"""
from __future__ import annotations

import logging

from flask import abort, current_app, render_template
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..context import current_guide
from ..forms.feedback import QuestionsMixin
from ..forms.fields import ChoiceQuestion, MaxLength, Optional, Question, Required, TextareaQuestion
from ..forms.messages import ERROR_SUMMARY_TITLE
from ..links import external_url
from ..storage import NotClosed
from ..vocabulary import FOLLOWUP_SCORES
from .feedback import bp

log = logging.getLogger(__name__)

SALT = "issue-followup"
OPTIONS = tuple((str(v), label) for v, label in FOLLOWUP_SCORES.items())


class SurveyForm(QuestionsMixin, FlaskForm):
    score = ChoiceQuestion("您对处理结果是否满意", validators=[Required("required_choice")], options=OPTIONS)
    comment = TextareaQuestion("意见", validators=[Optional(), MaxLength(500)])
    questions = (
        Question("score", "您对处理结果是否满意", "radio", True, options=OPTIONS),
        Question("comment", "意见", "textarea", False, "如仍不满意，请写明原因，我们会再次核实。"),
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def followup_link(issue_id: int) -> str:
    """The signed link of the outcome email (on GUIDE_BASE_URL, see links.py)."""
    return external_url("feedback.followup", token=_serializer().dumps(issue_id))


def _issue_of(token: str):
    try:
        issue_id = _serializer().loads(token, max_age=int(current_app.config["GUIDE_TRACK_LINK_DAYS"]) * 86400)
    except BadSignature:
        abort(404)
    issue = current_guide().storage.get_issue(issue_id) if isinstance(issue_id, int) else None
    if issue is None:
        abort(404)
    return issue


@bp.route("/followup/<token>", methods=["GET", "POST"])
def followup(token: str):
    issue = _issue_of(token)
    form = SurveyForm()
    done = False
    if form.is_submitted():
        if form.validate():
            try:
                current_guide().storage.record_followup(
                    issue.id, score=int(form.score.data), comment=form.comment.data or None, actor="applicant")
            except NotClosed:
                abort(409)
            log.info("follow-up satisfaction recorded for item %s", issue.id)
            done = True
            issue = current_guide().storage.get_issue(issue.id)
    elif issue.followup_score:
        form = SurveyForm(data={"score": str(issue.followup_score), "comment": issue.followup_comment or ""})
    if issue.status != "closed":
        abort(404)
    return render_template("feedback/followup.html", form=form, issue=issue, done=done,
                           errors=form.error_list(), summary_title=ERROR_SUMMARY_TITLE, labels=FOLLOWUP_SCORES)
