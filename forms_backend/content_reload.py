"""The guide's content inside the running backend: built into forms at start, loaded again
when the YAML changes (so a new or renamed service's form works without a restart), and
checked against the stored applications (an application whose service is gone is reported).
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


def install(guide, project, followup_days: int) -> None:
    """Make ``project`` the content the app serves: its forms, and the filter forms that list
    its services. Each attribute is replaced whole, so a request sees the old or the new."""
    from .forms.applicant import application_form
    from .forms.feedback import suggestion_form
    from .forms.staff import queue_filter_form, ratings_filter_form
    from .uploads import unknown_accepts

    services = list(project.services.values())
    forms = {}
    for service in services:
        if service.takes_applications:
            forms[service.id] = application_form(service)
            for spec in service.application.fields:
                bad = unknown_accepts(spec.accept) if spec.type == "file" else []
                if bad:
                    log.warning("service %s field %s: accept %s cannot be checked by content and is refused",
                                service.id, spec.id, ", ".join(bad))
    extra = {"suggestion": suggestion_form(services),
             "queue": queue_filter_form(services, followup_days),
             "ratings": ratings_filter_form(services)}
    guide.forms, guide.extra_forms, guide.project = forms, extra, project


def orphaned_applications(storage, project) -> dict[str, int]:
    """Stored applications per service id that the content no longer has (renamed or deleted)."""
    return {sid: n for sid, n in storage.applications_per_service().items() if sid not in project.services}


def orphan_messages(storage, project) -> list[str]:
    out = []
    for sid, n in sorted(orphaned_applications(storage, project).items()):
        target = project.redirect_target("service", sid)
        hint = (f"re-point them with `guide rename` (the content says '{sid}' is now '{target}')" if target
                else "restore the service, or re-point them with `guide rename`")
        out.append(f"{n} stored application(s) name service '{sid}', which the content no longer has: {hint}")
    return out


def warn_orphans(storage, project) -> list[str]:
    messages = orphan_messages(storage, project)
    for message in messages:
        log.warning("%s", message)
    return messages


class ContentReloader:
    """Looks at the content's files at most every ``interval`` seconds (from a request) and
    loads them again when one changed; content with errors is logged and the old one kept."""

    def __init__(self, guide, root: Path, followup_days: int, interval: float = 2.0):
        self.guide, self.root, self.followup_days, self.interval = guide, Path(root), followup_days, interval
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._seen = self._snapshot()

    def _snapshot(self) -> dict:
        files = [p for d in (self.root / "content", self.root / "flows") if d.exists()
                 for p in d.rglob("*.y*ml") if p.is_file()]
        return {str(p): p.stat().st_mtime_ns for p in files}

    def before_request(self) -> None:
        self.check()  # a Flask before_request hook must return None

    def check(self) -> bool:
        """Reload when the content changed; return whether it did."""
        if time.monotonic() - self._checked < self.interval or not self._lock.acquire(blocking=False):
            return False
        try:
            self._checked = time.monotonic()
            now = self._snapshot()
            if now == self._seen:
                return False
            self._seen = now
            from site_builder.content import ContentError, GuideError, load_valid_project

            try:
                project = load_valid_project(self.root)
            except ContentError as exc:
                log.warning("content changed but has %d error(s); still serving the previous content "
                            "(run `guide check`)", sum(d.is_error for d in exc.diagnostics))
                return False
            except GuideError as exc:
                log.warning("content changed but cannot be loaded (%s); still serving the previous content", exc)
                return False
            install(self.guide, project, self.followup_days)
            log.info("content reloaded: %d services", len(project.services))
            warn_orphans(self.guide.storage, project)
            return True
        finally:
            self._lock.release()
