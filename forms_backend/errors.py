"""The edge where errors become pages: every HTTP error gets a page in Chinese, never a trace."""
from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .storage import StorageBusy, StorageFull, StorageUnavailable

log = logging.getLogger(__name__)

PAGES: dict[int, tuple[str, str]] = {
    400: ("无法处理该请求", "提交的内容无法处理。请返回上一页，检查后重试。"),
    403: ("无权访问", "您没有访问此页面的权限。"),
    404: ("页面不存在", "找不到您要访问的页面。请检查网址是否完整，或从指南首页重新进入。"),
    405: ("无法处理该请求", "此页面不接受这种访问方式。请从指南页面上的链接进入。"),
    413: ("提交的内容太大", "本次提交的文件总大小超过了 {mb} MB 的上限。请压缩或拆分文件后重新提交。"),
    429: ("操作太频繁", "您的操作太频繁，请稍等几分钟再试。"),
    500: ("系统暂时出错", "系统暂时出错，您的操作可能没有完成。请稍后重试；多次出现时，请通过指南中的咨询电话联系我们。"),
    503: ("系统繁忙，请稍后重试", "系统正忙，您这次提交的内容没有保存，也没有生成申请编号。请稍等片刻后重试；"
                         "多次出现时，请通过指南中的咨询电话联系我们。"),
}
# A storage problem that goes away by itself: the page to show and the seconds a browser or
# proxy is told to wait before trying again (Retry-After).
UNAVAILABLE: dict[type, tuple[str, str, int]] = {
    StorageBusy: (*PAGES[503], 5),
    StorageFull: ("暂时无法保存，请稍后重试", "系统暂时无法保存您提交的内容，这次提交没有保存，也没有生成申请编号。"
                  "请稍后重试；多次出现时，请通过指南中的咨询电话联系我们。", 60),
}
CSRF_PAGE = ("页面已过期", "页面已过期，或请求不是从本站的表单发出的。请返回表单页面，刷新后重新提交。")


def _render(code: int, title: str, text: str):
    return render_template("errors/error.html", code=code, title=title, text=text), code


def handle_http(exc: HTTPException):
    code = exc.code or 500
    if isinstance(exc, CSRFError):
        log.info("CSRF check failed on %s", request.path)
        return _render(400, *CSRF_PAGE)
    title, text = PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400])
    if code == 413:
        text = text.format(mb=_limit_mb())
    return _render(code, title, text)


def handle_unexpected(exc: InternalServerError):
    # Flask has already logged the exception with its traceback; the user sees a plain page.
    return _render(500, *PAGES[500])


def handle_unavailable(exc: StorageUnavailable):
    """A full disk or a database locked too long: a 503 page saying to try again later, never a 500."""
    from .context import current_guide
    from .uploads import discard_unrecorded

    try:
        gone = discard_unrecorded(current_guide().storage.upload_known)
    except StorageUnavailable:  # cannot tell which are recorded: housekeeping deletes orphans later
        gone = []
    if gone:
        log.info("deleted %d uploaded file(s) the failed request had written", len(gone))
    if isinstance(exc, StorageFull):
        log.error("storage full, %s %s refused: %s", request.method, request.path, exc)
    else:
        log.warning("storage busy, %s %s refused: %s", request.method, request.path, exc)
    title, text, retry = next((v for kind, v in UNAVAILABLE.items() if isinstance(exc, kind)), (*PAGES[503], 30))
    body, code = _render(503, title, text)
    return body, code, {"Retry-After": str(retry)}


def _limit_mb() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / 1024 / 1024:.0f}"


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(StorageUnavailable, handle_unavailable)
