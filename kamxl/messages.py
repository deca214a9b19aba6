"""The message catalogue: every user-facing sentence, Chinese first, English available."""

import os

MESSAGES: dict[str, tuple[str, str]] = {
    # cell parsing
    "required": ("必填项为空", "required value is missing"),
    "bad_amount": ("金额无法识别：应为数字，如 12.5万、1,250,000元、￥300,000", "amount not understood: write a number such as 12.5万, 1,250,000元, ￥300,000"),
    "negative_amount": ("金额不能为负数", "amount must not be negative"),
    "bad_number": ("应为数字", "must be a number"),
    "bad_date": ("日期无法识别：请写成 2026-10-03、2026/10/3 或 2026年10月3日", "date not understood: write 2026-10-03, 2026/10/3 or 2026年10月3日"),
    "future_date": ("日期晚于今天（{today}）", "date is later than today ({today})"),
    "bad_phone": ("电话号码无效：手机为 11 位 1 开头，座机如 010-12345678", "phone number not valid: mobiles have 11 digits starting with 1, landlines look like 010-12345678"),
    "bad_mobile": ("手机号无效：应为 11 位、以 1 开头", "mobile number not valid: 11 digits starting with 1"),
    "bad_email": ("邮箱格式不对", "e-mail address not valid"),
    "bad_yes_no": ("应填 是 或 否", "must be 是 (yes) or 否 (no)"),
    "bad_choice": ("不在可选值内：{choices}", "not one of the allowed values: {choices}"),
    "bad_factor": ("评分应为 1 到 5 的整数", "rating must be a whole number from 1 to 5"),
    "bad_credit_length": ("统一社会信用代码应为 18 位（现为 {length} 位）", "unified social credit code must have 18 characters (has {length})"),
    "bad_credit_chars": ("统一社会信用代码含无效字符（不可用 I、O、Z、S、V）", "unified social credit code has characters not allowed (no I, O, Z, S, V)"),
    "bad_credit_check": ("统一社会信用代码校验位错误：末位应为 {expected}", "unified social credit code check digit is wrong: the last character should be {expected}"),
    "bad_period": ("期间无法识别：应为 2026-10、2026-Q4 或 2026", "period not understood: use 2026-10, 2026-Q4 or 2026"),
    # row rules
    "no_customer_id": ("缺少客户编号，此行无法使用", "no customer id: the row cannot be used"),
    "duplicate_customer_id": ("客户编号与第 {first_row} 行重复，此行未采用", "customer id already used on row {first_row}: this row is not used"),
    "unknown_customer_id": ("客户编号不在本文件的客户档案中", "customer id is not in this file's customer sheet"),
    "unreadable_required_date": ("必填日期无法识别，此行无法使用", "required date cannot be read: the row cannot be used"),
    "missing_column": ("缺少必填列「{label}」", "required column '{label}' is missing"),
    "missing_column_row": ("缺少必填列「{label}」，此行无法使用", "required column '{label}' is missing: the row cannot be used"),
    "no_header": ("前 10 行内找不到表头（应含 {labels}）", "no header row found in the first 10 rows (it should hold {labels})"),
    "missing_sheet": ("缺少工作表「{sheet}」", "sheet '{sheet}' is missing"),
    "no_rep_name": ("说明页未填代表姓名，暂用「{name}」", "no rep name on the 说明 sheet: using '{name}'"),
    "no_rep": ("缺少代表姓名，此行无法使用", "no rep name: the row cannot be used"),
    "no_period": ("期间无法识别，此行无法使用", "period cannot be read: the row cannot be used"),
    "not_graded": ("评估因素未填全，未评级", "value factors incomplete: not graded"),
    "zero_plan": ("「{label}」为 0 或空，无法计算该项得分", "'{label}' is 0 or blank: this KPI cannot be scored"),
    # files
    "lock_file": ("Excel 临时锁定文件（~$ 开头），已跳过", "Excel owner/lock file (~$...): skipped"),
    "encrypted": ("文件有密码保护，无法读取：请去掉密码后重新提交", "file is password-protected: remove the password and submit again"),
    "legacy_xls": ("旧版 .xls 格式：请在 Excel 中另存为 .xlsx 或 .xlsm", "old .xls format: save it as .xlsx or .xlsm in Excel"),
    "corrupt": ("文件已损坏，无法作为工作簿打开", "file is damaged and cannot be opened as a workbook"),
    "text_file": ("这不是 Excel 工作簿，而是文本/CSV 文件（可能被改了扩展名）", "not an Excel workbook but a text/CSV file (perhaps renamed)"),
    "not_workbook": ("不是 Excel 工作簿", "not an Excel workbook"),
    "empty_file": ("文件为空", "file is empty"),
    "not_found": ("文件不存在", "file does not exist"),
    "not_rep_workbook": ("不是代表工作簿（没有客户档案、联系人、拜访计划或拜访日报表）",
                         "not a rep workbook (no 客户档案, 联系人, 拜访计划 or 拜访日报 sheet)"),
    "rollup_file": ("kamxl 汇总文件，已跳过", "a kamxl roll-up workbook: skipped"),
    # settings
    "unknown_setting": ("未知参数「{key}」", "unknown setting '{key}'"),
    "settings_error": ("参数表有误：{detail}", "the settings sheet is wrong: {detail}"),
    "bad_setting": ("参数「{key}」的值「{value}」无效：{reason}", "setting '{key}' has a bad value '{value}': {reason}"),
    # Excel buttons: the director's 设置 sheet and the message boxes (kamxl/director.py, kamxl/excel/macros.py)
    "cell_blank": ("{cell}「{label}」为空：{hint}", "{cell} ({label}) is empty: {hint}"),
    "cell_no_folder": ("{cell}「{label}」找不到文件夹「{value}」：{hint}", "{cell} ({label}): folder '{value}' not found: {hint}"),
    "cell_no_file": ("{cell}「{label}」找不到文件「{value}」：{hint}", "{cell} ({label}): file '{value}' not found: {hint}"),
    "cell_bad_period": ("{cell}「{label}」无法识别「{value}」：{hint}", "{cell} ({label}): '{value}' not understood: {hint}"),
    "cell_bad_email": ("{cell}「{label}」中「{value}」不是邮箱地址：{hint}", "{cell} ({label}): '{value}' is not an e-mail address: {hint}"),
    "cell_bad_port": ("{cell}「{label}」应为 1–65535 的整数，现为「{value}」：{hint}", "{cell} ({label}) must be a whole number 1–65535, not '{value}': {hint}"),
    "cell_bad_choice": ("{cell}「{label}」应为 {choices}，现为「{value}」", "{cell} ({label}) must be one of {choices}, not '{value}'"),
    "no_settings_sheet": ("工作簿中没有「设置」表，请使用 kamxl 生成的总监工作簿", "the workbook has no 设置 sheet: use the director's workbook kamxl builds"),
    "check_done": ("校验完成：{rejected} 行被拒收，{warnings} 个警告。有问题的单元格已标为橙色，明细见「校验结果」表。",
                   "Checked: {rejected} rows rejected, {warnings} warnings. Problem cells are orange; see the 校验结果 sheet."),
    "check_clean": ("校验完成：没有发现问题。", "Checked: no problems found."),
    "check_failed": ("无法校验本工作簿：{reason}", "this workbook cannot be checked: {reason}"),
    "plan_added": ("已在「拜访计划」末尾添加 {count} 条 {month} 的建议拜访（{skipped} 个客户该月已有计划，已跳过）。",
                   "Added {count} proposed visits for {month} to 拜访计划 ({skipped} customers already planned that month were skipped)."),
    "plan_none": ("{month} 没有到期需要拜访的 A/B/C 类客户（或都已有计划），未添加。", "No A/B/C customer falls due in {month} (or all are planned): nothing added."),
    "validated_all": ("已校验 {files} 个文件：{failed} 个无法读取，{rejected} 行被拒收，{warnings} 个警告。结果见「操作」表。",
                      "Checked {files} files: {failed} unreadable, {rejected} rows rejected, {warnings} warnings. See the 操作 sheet."),
    "rollup_done": ("汇总已写入 {out}：{ok}/{files} 个文件，{customers} 个客户，{overdue} 个逾期，{problems} 个数据问题",
                    "Roll-up written to {out}: {ok}/{files} files, {customers} customers, {overdue} overdue, {problems} data problems"),
    "rollup_nothing": ("没有可用的工作簿，未生成汇总：请检查「团队文件夹」", "no usable workbook, nothing written: check the team folder"),
    "no_rollup_yet": ("还没有 {period} 的汇总文件「{path}」：请先按「汇总」", "there is no roll-up for {period} yet ({path}): press 汇总 first"),
    "mail_unavailable": ("邮件发送功能尚未安装（kamxl.mail 不可用）：请更新 kamxl，或先手动发送汇总文件「{path}」。",
                         "mail is not available yet (kamxl.mail is missing): update kamxl, or send the roll-up '{path}' by hand."),
    "mail_sent": ("汇总已发送给 {to}。", "roll-up sent to {to}."),
    "mail_failed": ("发送失败：{reason}", "sending failed: {reason}"),
    "templates_made": ("已在「{folder}」生成 {count} 个代表工作簿（{skipped} 个已存在，未覆盖）。", "Wrote {count} rep workbooks to '{folder}' ({skipped} already there, not overwritten)."),
    "no_roster": ("找不到考核工作簿的「团队」名单：请在「设置」中填写考核工作簿，或把它放进团队文件夹", "no roster found: name the KPI workbook in 设置 or put it in the team folder"),
    "empty_roster": ("考核工作簿「{path}」的「团队」表中没有代表姓名", "the roster of '{path}' holds no rep"),
    "unknown_action": ("未知的按钮操作「{action}」", "unknown button action '{action}'"),
    "unexpected_error": ("kamxl 出错：{error}。请把此消息发给维护人员。", "kamxl failed: {error}. Please send this message to whoever maintains kamxl."),
}


def language() -> str:
    """The language of messages: KAMXL_LANG=en switches to English."""
    return "en" if os.environ.get("KAMXL_LANG", "zh").lower().startswith("en") else "zh"


def render(code: str, lang: str | None = None, **params) -> str:
    """The message for a code in the chosen language, with its parameters filled in."""
    zh, en = MESSAGES[code]
    text = en if (lang or language()) == "en" else zh
    return text.format(**params) if params else text
