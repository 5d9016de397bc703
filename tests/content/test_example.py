"""The annotated examples in content/_example are valid and render: the schema docs stay true."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from site_builder import render
from site_builder.content import model
from site_builder.content import Project
from site_builder.content.loader import parse
from site_builder.content.checks import check_project
from site_builder.content.yamlsrc import load_yaml

from ..conftest import ROOT

EXAMPLES = ROOT / "content" / "_example"
KINDS = {"site.yml": model.Site, "providers.yml": model.Providers, "service.yml": model.Service,
         "flow.yml": model.Flow, "policy.yml": model.Policy, "search.yml": model.SearchSettings}


@pytest.mark.parametrize("name, cls", KINDS.items())
def test_example_file_is_valid(name, cls):
    obj, diags = parse(load_yaml(EXAMPLES / name), cls)
    assert diags == [] and obj is not None


def test_example_service_uses_every_field_and_field_type():
    svc = parse(load_yaml(EXAMPLES / "service.yml"), model.Service)[0]
    assert set(model.Service.model_fields) <= set(svc.model_fields_set)
    used = {f.type for f in svc.application.fields}
    assert used == set(model.FieldType.__args__)


def test_examples_together_form_a_valid_guide_that_renders():
    loaded = {name: parse(load_yaml(EXAMPLES / name), cls)[0] for name, cls in KINDS.items()}
    project = Project(root=EXAMPLES, site=loaded["site.yml"])
    project.providers = {p.id: p for p in loaded["providers.yml"].providers}
    project.services = {loaded["service.yml"].id: loaded["service.yml"]}
    project.flows = {loaded["flow.yml"].id: loaded["flow.yml"]}
    project.policies = {loaded["policy.yml"].id: loaded["policy.yml"]}
    project.search = loaded["search.yml"]
    for (kind, key), name in [(("site", "site"), "site.yml"), (("providers", "providers"), "providers.yml"),
                              (("service", "example-service"), "service.yml"),
                              (("flow", "example-flow"), "flow.yml"), (("policy", "example-policy"), "policy.yml"),
                              (("search", "search"), "search.yml")]:
        project.sources[(kind, key)] = load_yaml(EXAMPLES / name)
    check_project(project, today=dt.date(2026, 11, 25))
    assert project.errors == []
    assert {d.message.split(":")[0] for d in project.warnings} == {"placeholder in 'url'", "placeholder in 'phone'"}
    # Unconfirmed: the flow, its assumed step, the supervision channel, the provider; and the placeholders.
    unconfirmed = {(i.kind, i.key) for i in project.unconfirmed_items() if not i.placeholder}
    assert unconfirmed == {("flow", "example-flow"), ("step", "example-flow#fix"), ("supervision", "site.supervision[0]"),
                           ("provider", "example-provider"), ("warning_level", "example-flow#level2")}
    assert project.edition_line(dt.date(2026, 11, 29)) == "征求意见稿（2026-11-29）"
    docs = render.render_docs(project, render.FlowArt(lambda f: "<svg></svg>"))
    assert "示例服务事项" in docs["services/example-service.md"]
    assert "建立服务专班" in docs["policies/example-policy.md"]


def test_examples_show_every_provenance_field():
    text = "\n".join((EXAMPLES / name).read_text(encoding="utf-8") for name in KINDS)
    for cls in (model.SourceRef, model.Provenance, model.Confirmation):
        for name in cls.model_fields:
            assert f"{name}:" in text, f"{cls.__name__}.{name} is not shown in content/_example"
    for owner in (model.Site, model.Policy, model.Flow, model.Step, model.Section, model.Contact, model.Provider,
                  model.InfoPage, model.Service):
        assert "provenance" in owner.model_fields
    for name in ("documents", "jurisdictions", "reference", "follow_up"):
        assert f"{name}:" in text, name
