"""Coverage of the seeds: every service item, flow, institution and cited policy is in the guides.

The lists below are read off the seed documents (../shared/seeds); when a seed names a thing,
the guide must contain it. A missing item fails with its name.
"""
from __future__ import annotations

import re

import pytest

from site_builder.content import load_valid_project

from ..conftest import ROOT


@pytest.fixture(scope="module")
def default():
    return load_valid_project(ROOT)


@pytest.fixture(scope="module")
def songjiang():
    return load_valid_project(ROOT / "examples" / "songjiang")


# Seed 000 (连云港 地方标准编制说明): families, service areas, appendices A–F, the 3-level warning.
FAMILIES = ["医药业务提升", "质量品牌提升", "人员质量管理能力提升"]
AREAS = ["药品", "医疗器械", "检验检测", "品牌培育", "标准化", "认证", "计量", "特种设备"]
FLOWS_000 = ["医药企业质量提升基本服务流程", "药品检验检测申请流程", "网上申报计量器具检定流程",
             "计量标准器具核准流程", "特种设备使用登记流程", "企业人员质量管理能力提升培训流程", "3级"]
INSTITUTIONS = ["中华药港药品公共技术服务平台", "食品药品检验检测中心", "知识产权维权援助中心",
                "药品认证审评服务中心", "计量中心", "特种设备安全监督检验研究院", "认证机构", "市场监督管理局"]
PLATFORMS = ["质慧e站", "质慧港"]
# Laws and standards seed 000 cites; national documents seeds 002 and 004 cite; seeds 003/004.
POLICIES = ["中华人民共和国产品质量法", "中华人民共和国药品管理法", "中华人民共和国行政许可法", "医疗器械监督管理条例",
            "中华人民共和国标准化法", "中华人民共和国计量法", "中华人民共和国认证认可条例", "中华人民共和国特种设备安全法",
            "GB 17167", "GB/T 19038", "GB/T 19039", "JJF 1356", "DB3207/T 2003.1", "DB3207/T 2003.2",
            "DB3207/T 2003.3", "DB3207/T 2008", "中发〔2017〕24号", "长江三角洲区域一体化发展规划纲要",
            "关于深化审评审批制度改革鼓励药品医疗器械创新的意见", "药品生产质量管理规范", "药品经营质量管理规范",
            "豫发〔2018〕22号", "郑发〔2018〕23号", "新发〔2019〕2号", "长三角质量提升示范试点建设工作方案",
            "质量基础设施一站式服务规范", "济政办字〔2024〕23号", "新政办〔2019〕17号"]
PAGES_000 = ["服务原则", "服务支持要素", "服务监督"]

# Seed 001 (松江 DB 31117/Z 020—2023): every sub-item of 7.2 and both services of 7.3.
SONGJIANG_ITEMS = {
    "7.2.1.1": "产品引进路线", "7.2.1.2": "产业政策", "7.2.1.3": "厂房", "7.2.1.4": "证照",
    "7.2.2.1": "分类界定", "7.2.2.2": "项目分析", "7.2.3": "设计指导", "7.2.4": "质量管理体系",
    "7.2.5.1": "产品技术要求", "7.2.5.2": "检测", "7.2.6.1": "临床评价", "7.2.6.2": "临床试验",
    "7.2.7.1": "预审", "7.2.7.2": "模拟检查", "7.2.8.1": "周期性评估", "7.2.8.2": "医保",
    "7.2.8.3": "培训", "7.2.8.4": "人才", "7.2.8.5": "产学研", "7.3.1": "创新", "7.3.2": "优先审评",
}
SONGJIANG_FLOWS = ["全生命周期", "创新", "优先审评"]
SONGJIANG_POLICIES = ["DB 31117/Z 020", "医疗器械监督管理条例", "医疗器械注册与备案管理办法", "医疗器械生产质量管理规范",
                      "GB/T 19012", "GB/T 19013", "免于临床评价医疗器械目录"]


def policy_texts(project):
    return [f"{p.title} {p.number or ''}" for p in project.policies.values()]


@pytest.mark.parametrize("name", FAMILIES + AREAS)
def test_family_and_area_present(default, name):
    assert any(c.name == name for c in default.site.categories), name
    cat = next(c for c in default.site.categories if c.name == name)
    services = [s for s in default.services.values()
                if s.category == cat.id or default.category(s.category).parent == cat.id]
    assert services, f"no service under {name}"


@pytest.mark.parametrize("title", FLOWS_000)
def test_seed_000_flow_present(default, title):
    assert any(title in f.title for f in default.flows.values()), title


@pytest.mark.parametrize("name", INSTITUTIONS)
def test_institution_present(default, name):
    assert any(name in p.name for p in default.providers.values()), name


@pytest.mark.parametrize("name", PLATFORMS)
def test_platform_present(default, name):
    assert any(p.name == name for p in default.site.platforms), name


@pytest.mark.parametrize("name", POLICIES)
def test_cited_policy_present(default, name):
    assert any(name in text for text in policy_texts(default)), name


@pytest.mark.parametrize("number, count", [("济政办字〔2024〕23号", 17), ("新政办〔2019〕17号", 6)])
def test_policy_documents_carry_their_measures(default, number, count):
    policy = next(p for p in default.policies.values() if p.number == number)
    assert len(policy.measures) == count
    assert all(m.lead for m in policy.measures)


@pytest.mark.parametrize("title", PAGES_000)
def test_info_page_present(default, title):
    assert any(title in p.title for p in default.site.pages), title


def test_every_service_has_aliases_and_most_take_applications(default):
    assert 25 <= len(default.services) <= 45
    assert all(s.aliases for s in default.services.values())
    assert sum(s.takes_applications for s in default.services.values()) >= len(default.services) // 2


@pytest.mark.parametrize("code, word", SONGJIANG_ITEMS.items())
def test_songjiang_service_item_present(songjiang, code, word):
    # The clause number is where the item comes from (依据条款), not a 事项编码.
    svc = next((s for s in songjiang.services.values()
                if any(r.policy == "db31117-z-020-2023" and r.article == code for r in s.provenance.sources)), None)
    assert svc is not None, f"seed 001 {code} missing"
    assert word in svc.name + svc.description + " ".join(svc.aliases), (code, svc.name)


@pytest.mark.parametrize("word", SONGJIANG_FLOWS)
def test_songjiang_flow_present(songjiang, word):
    assert any(word in f.title for f in songjiang.flows.values()), word


@pytest.mark.parametrize("name", SONGJIANG_POLICIES)
def test_songjiang_policy_present(songjiang, name):
    assert any(name in text for text in policy_texts(songjiang)), name


def test_songjiang_rules_of_section_8(songjiang):
    assert all(s.fee.free for s in songjiang.services.values())  # 8.2.1 all services free
    text = songjiang.site.intro + " ".join(sec.text for p in songjiang.site.pages for sec in p.sections)
    for rule in ("免费", "档案", "2周", "申请"):
        assert rule in text, rule


# ---------------------------------------------------------------- issue 9 corrections

def yaml_text(root) -> str:
    files = sorted((root / "content").rglob("*.yml")) + sorted((root / "flows").glob("*.yml"))
    return "\n".join(p.read_text(encoding="utf-8") for p in files if "_example" not in p.parts)


def flat(text: str) -> str:
    return "".join(text.split())


def test_commitments_are_the_bureaus_only_when_confirmed(default):
    text = yaml_text(ROOT)
    assert "这是本指南中监管局的服务承诺" not in text and "监管局承诺" not in text
    assert "作出以下承诺" not in text
    bureau_voice = "\n".join((ROOT / f).read_text(encoding="utf-8")
                              for f in ("content/site.yml", "flows/basic-service-flow.yml"))
    for number in ("1个工作日", "15个工作日"):
        for chunk in bureau_voice.split(number)[:-1]:
            line = chunk.splitlines()[-1]
            assert "拟" in line[-12:] or "“" in line[-3:], f"{number} stated as the bureau's word: {line[-40:]}"
    flow = default.flows["basic-service-flow"]
    for step in ("follow-up", "rectify", "rate"):
        prov = next(s for s in flow.steps if s.id == step).provenance
        assert prov is not None and prov.assumed and not prov.is_confirmed, step
    section = next(s for p in default.site.pages for s in p.sections if "处理安排" in s.title)
    assert section.provenance.assumed and not section.provenance.is_confirmed


def test_three_level_warning_mechanics_are_assumptions(default):
    svc = default.services["special-equipment-inspection-warning"]
    assert svc.provenance.assumed and not svc.provenance.is_confirmed
    assert "短信" not in svc.description and "上门" not in svc.description
    steps = {s.id: s for s in default.flows["special-equipment-inspection-warning"].steps}
    assert all(steps[s].provenance and steps[s].provenance.assumed for s in ("level1", "level2", "level3"))
    assert "上门" not in steps["level3"].label


def test_no_invented_service_codes(default, songjiang):
    assert [s.id for s in default.services.values() if s.code] == []
    assert [s.id for s in songjiang.services.values() if s.code] == []


def test_other_jurisdictions_are_apart_from_the_library(default):
    own = set(default.site.jurisdictions)
    assert {"全国", "江苏省", "连云港市", "长三角"} <= own
    foreign = [p for p in default.policies.values() if p.jurisdiction not in own]
    assert {p.number for p in foreign} >= {"济政办字〔2024〕23号", "新政办〔2019〕17号"}
    assert all(p.reference for p in foreign)
    cited = {r.id for s in default.services.values() for r in s.policies} | {b for f in default.flows.values() for b in f.basis}
    assert not cited & {p.id for p in foreign}
    assert not any("收录它" in p.summary or "参考样例" in p.summary for p in default.policies.values())


def test_seed_002_names_and_jurisdictions(default):
    text = flat(default.site.intro + " ".join(s.text for p in default.site.pages for s in p.sections))
    assert "泰检易" in text and "NQI园区工作站" in text
    everything = flat(yaml_text(ROOT))
    assert "苏浙皖赣沪四省一市" in everything and "苏浙皖沪" not in everything
    for pid in ("yangtze-delta-integration-plan", "yangtze-delta-quality-pilot-plan"):
        assert default.policies[pid].jurisdiction == "长三角"
    nqi = default.policies["jiangsu-nqi-one-stop-service"]
    assert "牵头制定" in nqi.summary and "待核实" in nqi.summary
    assert "规定计量" not in nqi.summary and "依据" not in nqi.summary


def test_standard_roles_follow_seed_000(default):
    summary = flat(default.providers["bureau"].summary)
    assert "提出单位" in summary and "归口" in summary and "批准立项" in summary
    assert "发布" not in summary


@pytest.mark.parametrize("pid", ["measurement-standard-assessment", "drug-gsp", "tsg-08"])
def test_uncertain_citations_are_marked(default, pid):
    prov = default.policies[pid].provenance
    assert prov.assumed and "核实" in prov.assumed and not prov.is_confirmed


def test_citation_corrections(default):
    assert "2020" in default.policies["measurement-standard-assessment"].number
    assert default.policies["tsg-08"].issued is not None
    reg = default.services["special-equipment-registration"]
    assert reg.time_limit.days is None and "待核实" in reg.time_limit.text and "15个工作日" in reg.provenance.assumed
    line = next(c for c in default.site.supervision if "12315" in (c.phone or ""))
    assert "投诉" in line.note and line.provenance.assumed and not line.provenance.is_confirmed


def test_drug_testing_scope(default):
    svc = default.services["drug-testing-application"]
    options = [o.label for f in svc.application.fields for o in f.options]
    assert "注册检验" not in options and "出厂检验委托" not in options
    assert "注册检验" not in svc.aliases and "中国食品药品检定研究院" in svc.description
    flow = default.flows["drug-testing-application"]
    assert not any("不予受理" in s.label for s in flow.steps) and "注册检验送检" not in flow.summary


def test_standardization_law_article_27_wording(default):
    assert "强制性标准、推荐性标准、团体标准或者企业标准" in flat(default.services["enterprise-standard-disclosure"].description)


def test_songjiang_follow_up_is_not_a_time_limit(songjiang):
    for svc in songjiang.services.values():
        assert "2周" not in svc.time_limit.text, svc.id
    assert sum("2周" in (s.time_limit.follow_up or "") for s in songjiang.services.values()) >= 20


def test_registration_refusal_does_not_loop_to_reinspection(default):
    steps = {s.id: s for s in default.flows["special-equipment-registration"].steps}
    refuse = steps["refuse"]
    assert refuse.next != "fix"
    assert steps[refuse.next].next == "prepare"


def test_writing_style():
    text = yaml_text(ROOT) + yaml_text(ROOT / "examples" / "songjiang")
    for bad in ("您留下的", "企业有新需求吗", "对接服务免费"):
        assert bad not in text, bad
    assert text.count("服务团队") == 0
    assert "通过申请时填写的联系电话" in text and "是否有新的服务需求" in text and "联络协调服务不收费" in text
    site = (ROOT / "content" / "site.yml").read_text(encoding="utf-8")
    title = next(line for line in site.splitlines() if line.startswith("title:"))
    assert '"' not in title and "“中华药港”" in title
    songjiang_intro = (ROOT / "examples" / "songjiang" / "content" / "site.yml").read_text(encoding="utf-8")
    assert "。**" not in songjiang_intro
    assert re.search("“[^”]*“", text) is None, "quotation marks inside quotation marks are ‘’"


def test_bureau_full_name_at_first_use():
    full = "连云港经济技术开发区市场监督管理局"
    for path in sorted((ROOT / "content" / "services").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        first = text.find("开发区市场监督管理局")
        if first >= 0:
            assert text.find(full) == first - len("连云港经济技术"), path.name
