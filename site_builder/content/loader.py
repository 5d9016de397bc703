"""Load a guide project (site.yml, providers, policies, flows, services) into the model.

``load_project`` reads every file, collects every problem it finds (it does not stop at the
first), runs the cross-file checks in ``checks.py``, and returns a ``Project`` together with
its diagnostics. ``load_valid_project`` raises ``ContentError`` when any diagnostic is an error.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path
from typing import Any, Type

from pydantic import BaseModel, ValidationError

from . import model
from .checks import check_project
from .diagnostics import ContentError, Diagnostic, ProjectNotFound, closest, rel
from .project import Project
from .yamlsrc import Source, YamlProblem, load_yaml


FIELD_TYPES = {"string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
               "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
               "dict_type": "a block of fields", "model_type": "a block of fields",
               "model_attributes_type": "a block of fields", "float_type": "a number",
               "float_parsing": "a number", "date_type": "a date", "greater_than": None}


# The annotated example of each kind of file (every field shown and explained).
EXAMPLES = {model.Site: "site.yml", model.Providers: "providers.yml", model.Policy: "policy.yml",
            model.Flow: "flow.yml", model.Service: "service.yml"}


def example_for(cls: Type[BaseModel]) -> str:
    """Where an editor finds a correct, annotated file of this kind."""
    return "content/_example/" + EXAMPLES.get(cls, "")


def _model_fields(cls: Type[BaseModel], loc: tuple) -> list[str]:
    """The allowed field names at ``loc`` inside ``cls`` (for 'did you mean')."""
    current: Any = cls
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        current = _inner_model(info.annotation)
    return list(getattr(current, "model_fields", {}))


def _inner_model(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def explain(err: dict, cls: Type[BaseModel], src: Source, base: tuple = ()) -> Diagnostic:
    """Turn one pydantic error into an editor-facing diagnostic."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    full = base + loc
    name = str(loc[-1]) if loc else "(file)"
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return src.diag(full[:-1], f"missing required field '{name}'", f"add '{name}:' to this block")
    if kind == "extra_forbidden":
        allowed = _model_fields(cls, loc[:-1])
        guess = closest(name, allowed)
        hint = f"did you mean '{guess}'?" if guess else "allowed fields: " + ", ".join(allowed)
        return src.diag(full, f"unknown field '{name}'", hint)
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"):
        why = impossible_date(value)
        if why:
            return src.diag(full, f"bad date {value!r} in '{name}': {why}", "write a day that exists, as YYYY-MM-DD")
        return src.diag(full, f"bad date {value!r} in '{name}'", "write dates as YYYY-MM-DD, e.g. 2026-11-25")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return src.diag(full, f"'{value}' is not allowed in '{name}'", f"use one of {expected}")
    if kind == "string_pattern_mismatch":
        return src.diag(full, f"'{value}' is not a valid id in '{name}'",
                        "use lowercase letters a-z, digits and hyphens, e.g. drug-testing")
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        return src.diag(full, f"'{name}' is {len(str(value))} characters long, more than {limit}",
                        f"shorten it to {limit} characters or fewer")
    if kind == "too_short":
        return src.diag(full, f"'{name}' needs at least {err.get('ctx', {}).get('min_length', 1)} item(s)",
                        "add the missing entries")
    if kind in ("greater_than_equal", "greater_than"):
        return src.diag(full, f"'{name}' is {value}, which is too small", err["msg"].lower())
    if kind in FIELD_TYPES:
        expected = FIELD_TYPES[kind] or kind
        got = ("nothing" if value is None else "true/false" if isinstance(value, bool)
               else "a number" if isinstance(value, (int, float)) else type(value).__name__)
        got = {"str": "text", "list": "a list", "dict": "a block of fields"}.get(got, got)
        return src.diag(full, f"wrong type for '{name}': expected {expected}, got {got}",
                        f"write '{name}' as {expected}")
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return src.diag(full, msg, f"see {example_for(cls)} for this block's rules")
    return src.diag(full, f"invalid value for '{name}': {err['msg']}", f"see {example_for(cls)} for a correct file")


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def impossible_date(value) -> str | None:
    """Why a YYYY-MM-DD text is not a real day ('February 2026 has no 30th'), or None."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", str(value).strip())
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{MONTHS[month - 1]} {year} has no {_ordinal(day)} (it has {last} days)"
    return None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def parse(src: Source, cls: Type[BaseModel], base: tuple = ()) -> tuple[BaseModel | None, list[Diagnostic]]:
    data = src.data
    for part in base:
        data = data[part]
    if not isinstance(data, dict):
        return None, [src.diag(base, "expected a block of 'field: value' lines",
                               "start the file with fields such as 'id: ...'")]
    try:
        return cls.model_validate(data), []
    except ValidationError as exc:
        return None, [explain(e, cls, src, base) for e in exc.errors()]


def _read(path: Path, diags: list[Diagnostic]) -> Source | None:
    try:
        src = load_yaml(path)
    except YamlProblem as exc:
        diags.append(exc.diagnostic)
        return None
    if src.data is None:
        diags.append(Diagnostic(rel(path), 1, 1, "error", "file is empty", "fill it in or delete it"))
        return None
    return src


def _load_folder(project: Project, folder: Path, kind: str, cls, target: dict) -> None:
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        src = _read(path, project.diagnostics)
        if src is None:
            project.failed.add((kind, path.stem))
            project.root_causes.add(project.diagnostics[-1])
            continue
        obj, diags = parse(src, cls)
        project.diagnostics.extend(diags)
        if obj is None:
            project.failed.add((kind, path.stem))
        raw_id = src.data.get("id") if isinstance(src.data, dict) else None
        if raw_id is not None and str(raw_id) != path.stem:
            project.diagnostics.append(src.diag(("id",), f"id '{raw_id}' differs from the file name '{path.name}'",
                                                f"rename the file to '{raw_id}.yml' or set 'id: {path.stem}'"))
            continue
        if obj is None:
            continue
        if obj.id in target:
            project.diagnostics.append(src.diag(("id",), f"duplicate id '{obj.id}'",
                                                "ids must be unique; rename one of the files"))
            continue
        target[obj.id] = obj
        project.sources[(kind, obj.id)] = src


def load_project(root: Path | str, today: dt.date | None = None) -> Project:
    """Read and check every file of the project at ``root``; never raises on content errors.

    ``today`` is the day dates are checked against (review dates; default: the real today).
    """
    root = Path(root)
    project = Project(root=root)
    site_path = project.content_dir / "site.yml"
    if not site_path.exists():
        raise ProjectNotFound(f"{rel(site_path)} not found: run the command from the project folder "
                              f"or pass --project PATH")
    src = _read(site_path, project.diagnostics)
    if src is not None:
        site, diags = parse(src, model.Site)
        project.diagnostics.extend(diags)
        project.site = site
        project.sources[("site", "site")] = src
    else:
        project.root_causes.add(project.diagnostics[-1])
    if project.site is None:
        project.failed.add(("site", "site"))
    prov_path = project.content_dir / "providers.yml"
    if prov_path.exists():
        src = _read(prov_path, project.diagnostics)
        if src is None:
            project.root_causes.add(project.diagnostics[-1])
            project.failed.add(("providers", "providers"))
        else:
            providers, diags = parse(src, model.Providers)
            project.diagnostics.extend(diags)
            if not providers:
                project.failed.add(("providers", "providers"))
            if providers:
                project.sources[("providers", "providers")] = src
                for i, p in enumerate(providers.providers):
                    if p.id in project.providers:
                        project.diagnostics.append(src.diag(("providers", i, "id"), f"duplicate id '{p.id}'",
                                                            "provider ids must be unique"))
                    project.providers[p.id] = p
    else:
        project.diagnostics.append(Diagnostic(rel(prov_path), 1, 1, "error", "providers.yml is missing",
                                              "create it with a 'providers:' list"))
    redirects_path = project.content_dir / "redirects.yml"
    if redirects_path.exists():
        src = _read(redirects_path, project.diagnostics)
        if src is not None:
            redirects, diags = parse(src, model.Redirects)
            project.diagnostics.extend(diags)
            if redirects:
                project.redirects = redirects.redirects
                project.sources[("redirects", "redirects")] = src
    search_path = project.content_dir / "search.yml"
    if search_path.exists():
        src = _read(search_path, project.diagnostics)
        if src is not None:
            settings, diags = parse(src, model.SearchSettings)
            project.diagnostics.extend(diags)
            if settings:
                project.search = settings
                project.sources[("search", "search")] = src
    _load_folder(project, project.content_dir / "policies", "policy", model.Policy, project.policies)
    _load_folder(project, project.flows_dir, "flow", model.Flow, project.flows)
    _load_folder(project, project.content_dir / "services", "service", model.Service, project.services)
    check_project(project, today=today)
    project.diagnostics = sorted(set(project.diagnostics))
    return project


def load_valid_project(root: Path | str, strict: bool = False, today: dt.date | None = None) -> Project:
    project = load_project(root, today=today)
    bad = project.diagnostics if strict else project.errors
    if bad:
        raise ContentError(project.diagnostics, project.root_causes)
    return project
