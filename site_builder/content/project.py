"""The loaded guide: every model object by id, their sources, the diagnostics, and the queries
the site and the backend ask of it (families, services citing a policy, ...)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import model, provenance
from .diagnostics import Diagnostic
from .yamlsrc import Source


@dataclass
class Project:
    root: Path
    site: model.Site | None = None
    providers: dict[str, model.Provider] = field(default_factory=dict)
    policies: dict[str, model.Policy] = field(default_factory=dict)
    flows: dict[str, model.Flow] = field(default_factory=dict)
    services: dict[str, model.Service] = field(default_factory=dict)
    search: model.SearchSettings = field(default_factory=model.SearchSettings)
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Files that could not be read into the model, as (kind, id): references to what they
    # define are not checked, so one broken file gives one error, not one per reference.
    failed: set[tuple[str, str]] = field(default_factory=set)
    root_causes: set[Diagnostic] = field(default_factory=set)
    redirects: list[model.Redirect] = field(default_factory=list)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def flows_dir(self) -> Path:
        return self.root / "flows"

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def redirect_target(self, kind: str, old: str) -> str | None:
        """The current id of a renamed service, flow or policy, or None."""
        return next((r.new for r in self.redirects if r.kind == kind and r.old == old), None)

    def source(self, kind: str, key: str) -> Source | None:
        return self.sources.get((kind, key))

    def category(self, cid: str) -> model.Category | None:
        return next((c for c in self.site.categories if c.id == cid), None) if self.site else None

    def families(self) -> list[model.Category]:
        return [c for c in self.site.categories if not c.parent] if self.site else []

    def family_of(self, cid: str) -> model.Category | None:
        cat = self.category(cid)
        while cat is not None and cat.parent:
            cat = self.category(cat.parent)
        return cat

    def services_in_family(self, family_id: str) -> list[model.Service]:
        return [s for s in self.services.values() if (f := self.family_of(s.category)) and f.id == family_id]

    def services_citing(self, policy_id: str) -> list[model.Service]:
        return [s for s in self.services.values() if any(p.id == policy_id for p in s.policies)]

    def services_using_flow(self, flow_id: str) -> list[model.Service]:
        return [s for s in self.services.values() if s.flow == flow_id]

    # ---- provenance (see provenance.py)

    def warning_flow(self) -> model.Flow | None:
        """The flow that carries the guide's due-date warning levels (``warnings``), if any."""
        return next((f for _, f in sorted(self.flows.items()) if f.warnings), None)

    def unconfirmed_items(self):
        """Unconfirmed items and 【待补充】 placeholders, each with file, line, statement and source."""
        return provenance.unconfirmed(self)

    @property
    def is_draft_edition(self) -> bool:
        """True while anything is unconfirmed: the guide is then a 征求意见稿."""
        return bool(self.unconfirmed_items())

    def edition_line(self, date=None) -> str | None:
        """``征求意见稿（YYYY-MM-DD）`` for a draft edition (date defaults to today), else None."""
        return provenance.edition_line(self, date)
