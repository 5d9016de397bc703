"""Every message a visitor or a staff member can see on a form, keyed by name."""
from __future__ import annotations

from typing import Any

MESSAGES: dict[str, str] = {
    "required": "请填写{label}",
    "required_choice": "请选择{label}",
    "required_checkbox": "请勾选{label}",
    "required_file": "请上传{label}",
    "too_long": "{label}不能超过 {max} 个字，现在是 {n} 个字",
    "email": "请输入正确的电子邮箱地址，例如 name@example.com",
    "phone": "请输入正确的手机号码或带区号的固定电话，例如 13812345678 或 0518-85123456",
    "uscc_length": "统一社会信用代码应为 18 位，现在是 {n} 位",
    "uscc_chars": "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V），第 3 至 8 位为数字",
    "uscc_check": "统一社会信用代码的校验位（最后一位）与前 17 位不符，请对照营业执照逐位核对",
    "date": "请按“年-月-日”填写{label}，例如 2026-11-25",
    "date_range": "{label}的年份应在 {low} 至 {high} 之间",
    "invisible": "{label}不能包含换行、制表符或看不见的控制字符（常随复制粘贴带入），请删除后重新输入",
    "integer": "{label}应为整数，例如 3",
    "too_small": "{label}不能小于 {min}",
    "too_large": "{label}不能大于 {max}",
    "choice": "请从给出的选项中选择{label}",
    "file_empty": "所选文件是空的（0 字节），请重新选择",
    "file_too_large": "文件不能超过 {max_mb} MB，所选文件约 {size_mb} MB，请压缩或拆分后重新上传",
    "file_type": "文件格式不符合要求，请上传 {accept} 格式的文件",
    "file_unreadable": "文件未能完整接收，请重新选择",
    "too_many_files": "一次最多上传 {max} 个文件",
    "choose_files": "请选择要上传的文件",
    "date_past": "{label}不能早于今天（{today}）",
    "bad_rating_reason": "选择“不满意”或“非常不满意”时，请在“意见或建议”中写明原因，便于我们核实和改进",
    "upload_budget": "暂时无法接收这个文件：尚未提交的附件已达上限。请先提交已填好的申请，或稍后再试",
    # page feedback, ratings, 意见箱
    "ref_format": "申请编号的格式不正确，例如 ZY-2611-7K3Q9；没有可不填",
    # staff console
    "login_failed": "账户名或密码不正确",
    "account_name": "账户名只能包含小写字母、数字和 . _ -，以字母开头，2 至 32 个字符",
    "password_short": "密码至少需要 {min} 个字符",
    "password_long": "密码不能超过 {max} 个字符",
    "password_mismatch": "两次输入的新密码不一致",
    "password_is_name": "密码不能与账户名相同，也不能包含账户名",
    "password_common": "这个密码太常见或太容易猜到（如连续数字、键盘顺序、常用单词），请换一个更长、更不规则的密码",
    "password_wrong": "当前密码不正确",
    "note_required": "{action}时请填写{label}",
    "date_order": "结束日期不能早于开始日期",
    "contact_in_future": "联系时间不能晚于现在",
    "datetime": "请按“年-月-日 时:分”填写{label}，例如 2026-11-25 09:30",
    # offline service records and their import
    "record_in_future": "{label}不能晚于今天",
    "required_for_kind": "{kind}需要填写{label}",
    "next_date_order": "下次跟进日期不能早于服务日期",
    "next_date_needed": "填写了下一步安排时，请同时填写下次跟进日期",
    "next_step_needed": "填写了下次跟进日期时，请同时写明下一步安排",
    "needs_uscc": "填写{label}时请同时填写统一社会信用代码",
    "needs_org_name": "这家企业尚未登记，请填写企业名称",
    "import_file": "请上传 .xlsx 或 .csv 格式的表格文件",
    "import_unreadable": "表格文件无法读取：{reason}",
    "import_columns": "表头缺少必填列：{columns}",
    "import_unknown_columns": "表头有无法识别的列：{columns}",
    "import_empty": "表格中没有记录",
    "import_too_many": "一次最多导入 {max} 条记录，表格中超过了这个数，请拆分后分批导入",
    "import_too_big": "表格文件太大：{what}。请拆分后分批导入",
    "import_duplicate": "设备代码“{code}”在本表格中重复（另见{where}）",
    "import_other_enterprise": "设备代码“{code}”已登记在另一家企业名下，请核对设备代码或统一社会信用代码",
    "import_unknown_kind": "无法识别的设备类别“{value}”，应为：{kinds}",
    # the equipment register
    "due_date_needed": "请填写下次检验日期，或同时填写上次检验日期和检验周期",
    "due_date_order": "下次检验日期应晚于上次检验日期",
    "manager_contact": "请至少填写安全管理员的手机或邮箱之一，否则预警无法送达",
    "device_code_taken": "设备代码“{code}”已登记在另一条记录中",
}

ERROR_SUMMARY_TITLE = "提交前请修改以下问题"
LOGIN_ERROR_TITLE = "未能登录"  # the login form: nothing is submitted there


def message(key: str, **params: Any) -> str:
    return MESSAGES[key].format(**params)
