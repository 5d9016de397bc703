"""The backend's words, in one place: every status, kind, channel and score, with its label.

Storage checks values against these tuples, forms offer them as choices, templates and exports
show the labels. The database migrations do NOT read them: a shipped migration keeps the literal
CHECK lists it was written with (``storage/migrations.py``); a new value needs a new migration.
"""
from __future__ import annotations

from site_builder.content.model import RECORD_KIND_LABELS  # noqa: F401 - re-exported: one list of kinds

# ---------------------------------------------------------------- applications

STATUS_LABELS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_progress": "办理中",
    "completed": "已办结",
    "needs_info": "需补正材料",
    "rejected": "不予受理",
    "withdrawn": "已撤回",
}
STATUSES = tuple(STATUS_LABELS)
FINAL_STATUSES = ("completed", "rejected", "withdrawn")
TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"accepted", "needs_info", "rejected"}),
    "accepted": frozenset({"in_progress", "completed", "needs_info", "rejected"}),
    "in_progress": frozenset({"completed", "needs_info", "rejected"}),
    "needs_info": frozenset({"accepted", "in_progress", "rejected"}),
    "completed": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),  # only the applicant withdraws, before acceptance (storage.withdraw)
}
STATUS_HELP = {
    "submitted": "申请已提交，等待工作人员受理。",
    "accepted": "申请已受理，将按办事指南的时限办理。",
    "in_progress": "正在办理。",
    "completed": "已办结。",
    "needs_info": "需要补充或更正材料：请按一次性告知的清单，在补正期限前在线补正。",
    "rejected": "不予受理，工作人员会告知原因。",
    "withdrawn": "申请人已撤回申请，本申请不再办理。如需办理，请重新提交申请。",
}
# What the staff button that moves a case to a status says.
ACTION_LABELS = {"accepted": "受理", "in_progress": "开始办理", "completed": "办结",
                 "needs_info": "要求补正材料", "rejected": "不予受理"}
# The note a status change must carry, and what it is called on the form.
# (需补正材料 carries its list of items and a deadline instead: forms/corrections.py.)
NOTE_REQUIRED = {"rejected": "不予受理的理由"}
ACTOR_LABELS = {"applicant": "申请人", "system": "系统"}
NO_ASSIGNEE = "-"   # the queue filter value for cases without a 承办人


# ---------------------------------------------------------------- staff accounts and contacts

ROLE_LABELS = {"staff": "工作人员", "admin": "管理员"}
ROLES = tuple(ROLE_LABELS)
CHANNEL_LABELS = {"phone": "电话", "visit": "走访", "email": "电子邮件", "other": "其他"}
CONTACT_CHANNELS = tuple(CHANNEL_LABELS)

# ---------------------------------------------------------------- ratings, 意见箱, follow-up items

# 五级好差评, best first as people read them; stored as 5 ... 1.
SCORES = ((5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意"))
SCORE_LABELS = dict(SCORES)
BAD_SCORE = 2  # 不满意 and worse open a follow-up item
RATING_QUESTIONS = (("q_guide", "服务指引是否清晰"), ("q_process", "办事程序是否便利"),
                    ("q_materials", "材料手续是否精简"), ("q_interface", "操作界面是否友好"))
SUGGESTION_KIND_LABELS = {"complaint": "投诉", "suggestion": "意见建议"}
SUGGESTION_KINDS = tuple(SUGGESTION_KIND_LABELS)
KIND_LABELS = {**SUGGESTION_KIND_LABELS, "rating": "差评", "equipment": "设备三级预警"}
ISSUE_KINDS = ("rating", "complaint", "suggestion", "equipment")
TOLD_VIA_LABELS = {"email": "电子邮件", "phone": "电话", "visit": "上门告知", "letter": "书面函件",
                   "track": "仅在查询页公布"}
TOLD_VIA = tuple(TOLD_VIA_LABELS)
NOTE_KINDS = ("opened", "note", "contact", "owner", "updated", "closed", "reopened", "linked", "merged", "followup")
# 回访满意度: asked after a follow-up item is closed.
FOLLOWUP_SCORES = {3: "满意", 2: "基本满意", 1: "不满意"}

# ---------------------------------------------------------------- offline service records and products

# What the workstation records (seed 001, 8.2 and 10): the fixed kinds live with the content
# model, because site.yml `record_kinds` adds a workstation's own, each counted as a fixed one.
RECORD_KINDS = tuple(RECORD_KIND_LABELS)
SESSION_KINDS = ("training", "staff_training")   # kinds with topic, speakers, attendees, headcount
RECORD_CHANNEL_LABELS = {"phone": "电话", "walk_in": "来访", "online": "线上"}
RECORD_CHANNELS = tuple(RECORD_CHANNEL_LABELS)
RECORD_SOURCES = ("console", "import")
RECORD_FILE_ROLE_LABELS = {"attachment": "附件", "material": "培训材料"}   # materials: of a session
RECORD_FILE_ROLES = tuple(RECORD_FILE_ROLE_LABELS)
PRODUCT_FLAG_LABELS = {"none": "一般", "innovation": "创新产品", "priority": "优先审批产品"}
PRODUCT_FLAGS = tuple(PRODUCT_FLAG_LABELS)
ARCHIVE_VIEW_KINDS = ("enterprise", "product", "catalogue", "export")
# 定期服务追踪 (seed 001, 8.2.3): 一般周期为每 2 周联系 1 次.
FOLLOWUP_PERIOD_DAYS = 14


# ---------------------------------------------------------------- the equipment register (特种设备定检预警)

# The special-equipment categories named by 特种设备安全法 and 强制检定计量器具 (measuring instruments).
EQUIPMENT_KIND_LABELS = {
    "boiler": "锅炉",
    "pressure_vessel": "压力容器",
    "pressure_piping": "压力管道",
    "elevator": "电梯",
    "lifting": "起重机械",
    "ropeway": "客运索道",
    "amusement": "大型游乐设施",
    "vehicle": "场（厂）内专用机动车辆",
    "measuring": "强制检定计量器具",
}
EQUIPMENT_KINDS = tuple(EQUIPMENT_KIND_LABELS)
SPECIAL_EQUIPMENT_KINDS = tuple(k for k in EQUIPMENT_KINDS if k != "measuring")
EQUIPMENT_STATE_LABELS = {"in_use": "在用", "stopped": "停用", "scrapped": "报废"}
EQUIPMENT_STATES = tuple(EQUIPMENT_STATE_LABELS)
EQUIPMENT_EVENT_LABELS = {"created": "登记", "updated": "修改", "imported": "导入更新", "inspected": "完成检验，进入下一周期",
                          "warned": "发出预警", "escalated": "升级为跟进事项"}


def options(labels: dict) -> tuple[tuple[str, str], ...]:
    """(value, label) pairs for a choice question."""
    return tuple((str(k), v) for k, v in labels.items())


def record_kind_label(record: dict) -> str:
    """What a record's kind is called: a kind from site.yml or "其他" by the name it was given."""
    if (record.get("kind_key") or record["kind"] == "other") and record.get("kind_label"):
        return record["kind_label"]
    return RECORD_KIND_LABELS[record["kind"]]
