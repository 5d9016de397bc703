"""Coverage of the seeds: every service item, flow, institution and cited policy is in the guides.

The lists below are read off the seed documents (../shared/seeds); when a seed names a thing,
the guide must contain it. A missing item fails with its name.
"""
from __future__ import annotations

import pytest

from site_builder.content import load_valid_project

from .conftest import ROOT


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
    svc = next((s for s in songjiang.services.values() if s.code == code), None)
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
