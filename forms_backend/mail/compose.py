"""Mail composition: the messages of a new application, a status change and a closed follow-up
item, as ``mail_queue`` rows (without ids). Pure functions; the views queue them with storage."""
from __future__ import annotations


def staff_address(project, service) -> str | None:
    """Who hears about a new application: the form's notify, the provider, else the guide's staff."""
    if service.application and service.application.notify:
        return service.application.notify
    for pid in service.providers:
        provider = project.providers.get(pid)
        if provider and provider.email:
            return provider.email
    return project.site.staff_email if project.site else None


def compose_application(*, site_title: str, service, ref: str, submitted: str, record: dict, summary: list[dict],
            staff_to: str | None, track_url: str, contact: str) -> list[dict]:
    """The two messages of a new application (as mail_queue rows, without ids)."""
    next_steps = (service.application.next_steps or "").strip() if service.application else ""
    ack = "\n".join([
        f"{record['contact_name']}，您好：",
        "",
        f"{record['org_name']}提交的“{service.name}”在线申请已收到。",
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


def compose_status(*, site_title: str, application, status_label: str, status_help: str, note: str | None,
                   link_url: str, track_url: str, contact: str, rate: bool) -> list[dict]:
    """The applicant's notice of a status change; on completion it invites a rating."""
    a = application
    lines = [
        f"{a.contact_name}，您好：",
        "",
        f"{a.org_name}提交的“{a.service_name}”在线申请（申请编号 {a.ref}）状态已更新为：{status_label}。",
        status_help,
        *(["", f"说明：{note}"] if note else []),
        "",
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


def compose_outcome(*, site_title: str, to: str, ref: str | None, what: str, outcome: str, contact: str) -> list[dict]:
    """The outcome of a follow-up item (a bad rating, a complaint, a suggestion), told by email."""
    lines = [
        "您好：",
        "",
        f"您反映的{what}" + (f"（编号 {ref}）" if ref else "") + "已处理完毕。处理结果如下：",
        "",
        outcome,
        "",
        *([f"如对处理结果有疑问，请联系：{contact}", ""] if contact else []),
        f"感谢您对{site_title}工作的监督。本邮件由系统自动发送，请勿直接回复。",
    ]
    return [{"kind": "issue_outcome", "to": to, "subject": f"处理结果：您反映的{what}" + (f"（{ref}）" if ref else ""),
             "body": "\n".join(lines)}]
