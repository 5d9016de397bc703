"""Mail composition: the messages of a new application, a status change and a closed follow-up
item, as ``mail_queue`` rows (without ids). Pure functions; the views queue them with storage.

Mail to applicants goes to an address nobody has verified (whoever fills in the form chooses
it), so it carries no text the sender typed — no name, no 单位名称, no answer: only our own
words, the editors' texts, the reference number and links on GUIDE_BASE_URL. Otherwise the
official system could be made to send anyone a letter of the sender's writing. Staff mail
(notices, alerts) goes to our own addresses and may carry the answers.
"""
from __future__ import annotations

from ..addresses import is_address


def staff_address(project, service, duty: str | None = None) -> str | None:
    """Who hears about a new application: the form's notify, the provider, else the duty address.

    The first candidate that is an address wins; when none is, the first one is returned so that
    the queue records the notice as refused (and the console shows it) instead of losing it.
    """
    candidates = []
    if service.application and service.application.notify:
        candidates.append(service.application.notify)
    for pid in service.providers:
        provider = project.providers.get(pid)
        if provider and provider.email:
            candidates.append(provider.email)
    candidates.append(duty if duty is not None else (project.site.staff_email if project.site else None))
    candidates = [c for c in candidates if c]
    return next((c for c in candidates if is_address(c)), candidates[0] if candidates else None)


def compose_application(*, site_title: str, service, ref: str, submitted: str, record: dict, summary: list[dict],
            staff_to: str | None, track_url: str, contact: str) -> list[dict]:
    """The two messages of a new application (as mail_queue rows, without ids)."""
    next_steps = (service.application.next_steps or "").strip() if service.application else ""
    ack = "\n".join([
        "您好：",
        "",
        f"贵单位提交的“{service.name}”在线申请已收到。",
        f"申请编号：{ref}",
        f"提交时间：{submitted}",
        "",
        *(["接下来：", next_steps, ""] if next_steps else []),
        f"查询办理进度：打开 {track_url} ，输入申请编号和申请时填写的联系电话。",
        "",
        *([f"如有疑问，请联系：{contact}", ""] if contact else []),
        f"本邮件由{site_title}在线申请系统自动发送，请勿直接回复。",
    ])
    messages = [{"kind": "applicant_ack", "to": record["email"],
                 "subject": f"申请已收到：{service.name}（申请编号 {ref}）", "body": ack}]
    if staff_to:
        lines = ["收到一份新的在线申请。", "", f"申请编号：{ref}", f"服务事项：{service.name}（{service.id}）",
                 f"提交时间：{submitted}", ""]
        for row in summary:
            lines.append(f"{row['label']}：{row['display']}")
        lines += ["", "附件保存在服务器的上传目录中，不随邮件发送。"]
        messages.append({"kind": "staff_notice", "to": staff_to,
                         "subject": f"新的在线申请：{service.name} {ref}", "body": "\n".join(lines)})
    return messages


def per_recipient_limit(messages: list[dict], limit: int, kinds: tuple[str, ...]) -> list[dict]:
    """Mark the messages of ``kinds`` (those an anonymous request makes us send) so that the
    queue sends at most ``limit`` messages to one recipient in 24 hours (see mail_queue)."""
    return [{**m, "per_recipient_day": limit} if m["kind"] in kinds else m for m in messages]


def compose_status(*, site_title: str, application, status_label: str, status_help: str, note: str | None,
                   link_url: str, track_url: str, contact: str, rate: bool,
                   correction: dict | None = None) -> list[dict]:
    """The applicant's notice of a status change; on completion it invites a rating.

    ``correction`` ({items, due_on}) lists every item to 补正 with its reason and the deadline.
    """
    a = application
    lines = [
        "您好：",
        "",
        f"贵单位提交的“{a.service_name}”在线申请（申请编号 {a.ref}）状态已更新为：{status_label}。",
        status_help,
        *(["", f"说明：{note}"] if note else []),
        "",
    ]
    if correction:
        y, m, d = (int(x) for x in correction["due_on"].split("-"))
        lines += ["请补正以下材料或问题（一次性告知）：",
                  *(f"{n}. {item['name']}：{item['reason']}" for n, item in enumerate(correction["items"], 1)),
                  "", f"补正期限：{y}年{m}月{d}日前。",
                  "请打开下面的链接，在办理进度页面逐项上传文件或填写说明后提交，无需重新申请。", ""]
    lines += [
        f"查看办理进度和办理记录：{link_url}",
        f"（也可以打开 {track_url} ，输入申请编号和申请时填写的联系电话查询。）",
    ]
    if rate:
        lines += ["", "欢迎对本次服务进行评价（非常满意、满意、基本满意、不满意、非常不满意），打开上面的链接即可评价。",
                  "您的评价将帮助我们改进服务。"]
    lines += ["", *([f"如有疑问，请联系：{contact}", ""] if contact else []),
              f"本邮件由{site_title}在线申请系统自动发送，请勿直接回复。"]
    return [{"kind": "status_notice", "to": a.email, "subject": f"办理进度更新：{a.service_name}（申请编号 {a.ref}）{status_label}",
             "body": "\n".join(lines)}]


def compose_withdrawn(*, site_title: str, application, reason: str, staff_to: str | None) -> list[dict]:
    """撤回: the applicant's confirmation and the staff's notice."""
    a = application
    mails = [{"kind": "withdrawn_ack", "to": a.email, "subject": f"申请已撤回：{a.service_name}（申请编号 {a.ref}）",
              "body": "\n".join(["您好：", "",
                                  f"贵单位提交的“{a.service_name}”在线申请（申请编号 {a.ref}）已按您的要求撤回，不再办理。",
                                  "", "如需办理，请重新提交在线申请。", "",
                                  f"本邮件由{site_title}在线申请系统自动发送，请勿直接回复。"])}]
    if staff_to:
        mails.append({"kind": "withdrawn_notice", "to": staff_to, "subject": f"申请已撤回：{a.service_name} {a.ref}",
                      "body": "\n".join(["申请人在受理前撤回了在线申请。", "", f"申请编号：{a.ref}",
                                          f"服务事项：{a.service_name}", f"申请单位：{a.org_name}",
                                          f"撤回原因：{reason}"])})
    return mails


def compose_draft_link(*, site_title: str, service, to: str, link: str, code: str, until: str,
                       has_phone: bool) -> list[dict]:
    """The link that reopens a saved draft (保存草稿，稍后继续)."""
    lines = ["您好：", "", f"您在{site_title}填写的“{service.name}”在线申请已保存为草稿，尚未提交。", "",
             f"继续填写：{link}", "",
             *([f"也可以打开在线申请页面的“继续填写草稿”，输入草稿编号 {code} 和草稿中填写的联系电话。", ""]
               if has_phone else []),
             f"草稿保存到 {until}（每次修改后重新计算）。已上传的文件随草稿保存。",
             "此链接可打开草稿中的全部内容，请勿转发给他人。", "",
             f"本邮件由{site_title}在线申请系统自动发送，请勿直接回复。"]
    return [{"kind": "draft_link", "to": to, "subject": f"继续填写：{service.name}（草稿 {code}）",
             "body": "\n".join(lines)}]


def compose_correction_answered(*, application, items: list[dict], answers: list[dict], files: list,
                                staff_to: str | None, case_url: str) -> list[dict]:
    """The staff's notice that an applicant answered a 补正 request online."""
    if not staff_to:
        return []
    a = application
    names = {f.field_id.rsplit("-", 1)[1]: f.original_name for f in files}
    lines = ["申请人已在线提交补正材料，申请已回到办理队列。", "", f"申请编号：{a.ref}",
             f"服务事项：{a.service_name}", f"申请单位：{a.org_name}", ""]
    for n, (item, answer) in enumerate(zip(items, answers)):
        got = [x for x in (names.get(str(n)) and f"文件 {names[str(n)]}", answer.get("text")) if x]
        lines.append(f"{n + 1}. {item['name']}：{'；'.join(got)}")
    lines += ["", f"查看并继续办理：{case_url}", "附件保存在服务器的上传目录中，不随邮件发送。"]
    return [{"kind": "correction_answered", "to": staff_to, "subject": f"补正材料已提交：{a.service_name} {a.ref}",
             "body": "\n".join(lines)}]


def compose_outcome(*, site_title: str, to: str, ref: str | None, what: str, outcome: str, contact: str,
                    followup_url: str | None = None) -> list[dict]:
    """The outcome of a follow-up item (a bad rating, a complaint, a suggestion), told by email.

    ``contact`` is where to turn with doubts (for a complaint: the bureau's supervision line,
    never the institution complained about); ``followup_url`` asks how satisfied the sender is
    with the handling (回访满意度).
    """
    lines = [
        "您好：",
        "",
        f"您反映的{what}" + (f"（编号 {ref}）" if ref else "") + "已处理完毕。处理结果如下：",
        "",
        outcome,
        "",
        *([f"您对本次处理是否满意？请打开以下链接告诉我们（满意、基本满意或不满意）：{followup_url}", ""]
          if followup_url else []),
        *([f"如对处理结果有疑问，请联系：{contact}", ""] if contact else []),
        f"感谢您对{site_title}工作的监督。本邮件由系统自动发送，请勿直接回复。",
    ]
    return [{"kind": "issue_outcome", "to": to, "subject": f"处理结果：您反映的{what}" + (f"（{ref}）" if ref else ""),
             "body": "\n".join(lines)}]


# Alerts and the daily digest (staff hear about complaints, bad ratings and what is due).
KIND_WORDS = {"complaint": "投诉", "rating": "差评", "suggestion": "意见建议", "equipment": "设备三级预警"}


def compose_alert(*, site_title: str, kind: str, issue_id: int, ref: str | None, case_ref: str | None,
                  service_name: str | None, text: str, deadlines: dict, owner: str | None, to: str | None,
                  url: str) -> list[dict]:
    """The staff alert of a new complaint or bad rating (a mail_queue row, without id)."""
    if not to:
        return []
    word = KIND_WORDS[kind]
    first = deadlines.get("first_contact_due")
    lines = [
        f"收到一条{word}，请按时联系企业并跟进处理。",
        "",
        f"跟进事项：第 {issue_id} 号" + (f"（编号 {ref}）" if ref else ""),
        f"服务事项：{service_name or '未指定'}",
        *([f"相关申请：{case_ref}"] if case_ref and case_ref != ref else []),
        f"内容：{text}",
        "",
        f"首次联系期限：{first}" if first else "对方未留联系方式，无首次联系期限。",
        f"整改期限：{deadlines['rectify_due']}",
        f"负责人：{owner}" if owner else "尚未指定负责人，请在工作台指定。",
        "",
        f"处理：{url}",
        "",
        f"本邮件由{site_title}工作台自动发送。",
    ]
    subject = f"【{word}】第 {issue_id} 号跟进事项：{service_name or '未指定事项'}" + (
        f"，首次联系期限 {first}" if first else "")
    return [{"kind": "staff_alert", "to": to, "subject": subject, "body": "\n".join(lines)}]


def compose_digest(*, site_title: str, today: str, rows: dict, to: str, console_url: str | None) -> list[dict]:
    """The daily digest: new applications (last 24 hours), cases and items due today or overdue."""
    def due_word(day: str) -> str:
        return "今日到期" if day == today else f"已逾期（{day}）"

    new, cases, issues = rows["new"], rows["cases"], rows["issues"]
    lines = [f"{today} 工作提示", "", f"一、新的在线申请（过去 24 小时）：{len(new)} 件"]
    lines += [f"  {a['ref']} {a['service_name']} {a['org_name']}" for a in new[:50]]
    lines += ["", f"二、今日到期或已逾期的申请：{len(cases)} 件"]
    lines += [f"  {c['ref']} {c['service_name']} {c['org_name']} {due_word(c['due_at'])}"
              f" 承办人：{c['assignee'] or '未指定'}" for c in cases[:50]]
    lines += ["", f"三、今日到期或已逾期的跟进事项（差评、投诉、意见建议）：{len(issues)} 件"]
    lines += [f"  第 {i['id']} 号 {KIND_WORDS[i['kind']]} {i['service_name'] or '未指定事项'} {due_word(i['due'])}"
              f" 负责人：{i['owner'] or '未指定'}" for i in issues[:50]]
    lines += ["", f"工作台：{console_url}" if console_url else "请登录工作台查看和处理。", "",
              f"本邮件由{site_title}工作台每日自动发送。"]
    subject = f"工作提示 {today}：新申请 {len(new)} 件，到期或逾期申请 {len(cases)} 件、跟进事项 {len(issues)} 件"
    return [{"kind": "staff_digest", "to": to, "subject": subject, "body": "\n".join(lines)}]


def compose_equipment_warning(*, site_title: str, level_name: str, level_note: str | None, equipment: dict,
                              kind_label: str, to: list[str], overdue: bool, apply_url: str | None,
                              basis: str | None, contact: str) -> list[dict]:
    """One warning of the equipment register to the enterprise's contacts for its level (one
    message per address). The register is kept by staff; the message names the equipment."""
    e = equipment
    when = f"已于 {e['due_date']} 届满，已超期" if overdue else f"将于 {e['due_date']} 届满"
    lines = [
        "您好：",
        "",
        f"【{level_name}】贵单位（{e['org_name']}）的以下设备检验（检定）合格有效期{when}：",
        "",
        f"  设备代码：{e['device_code']}",
        f"  设备类别：{kind_label}",
        f"  设备名称：{e['name']}",
        f"  下次检验日期：{e['due_date']}",
        "",
    ]
    if level_note:
        lines += [level_note + "。", ""]
    if basis:
        lines += [basis, ""]
    if overdue:
        lines += ["未经定期检验的设备不得继续使用，请立即停止使用并尽快申报检验。", ""]
    if apply_url:
        lines += ["在线申报（已预填贵单位和这台设备的信息）：", apply_url, ""]
    if contact:
        lines += [f"如有疑问请联系：{contact}", ""]
    lines += ["按时申报定期检验是使用单位的责任，本提醒不替代该责任。", "", f"本邮件由{site_title}自动发送，请勿直接回复。"]
    subject = f"【{level_name}】设备 {e['device_code']} 检验有效期{when}"
    return [{"kind": "equipment_warning", "to": addr, "subject": subject, "body": "\n".join(lines)} for addr in to]


def compose_warning_summary(*, site_title: str, today: str, rows: list[dict], to: str, console_url: str | None) -> list[dict]:
    """The staff's notice of the warnings a run sent at levels that tell staff (level 3: follow-up items)."""
    lines = [f"{today} 设备预警（{len(rows)} 台）", ""]
    lines += [f"  {r['level_name']} {r['device_code']} {r['org_name']} 到期 {r['due_date']}"
              + (f" 跟进事项第 {r['issue_id']} 号" if r.get("issue_id") else "") for r in rows[:200]]
    if len(rows) > 200:
        lines.append(f"  …… 另有 {len(rows) - 200} 台，请在工作台查看")
    lines += ["", f"设备台账：{console_url}" if console_url else "请登录工作台查看设备台账。", "",
              f"本邮件由{site_title}工作台自动发送。"]
    return [{"kind": "equipment_warning_staff", "to": to, "subject": f"设备预警 {today}：{len(rows)} 台需要跟进",
             "body": "\n".join(lines)}]
