"""The message catalogue: every user-facing sentence, Chinese first, English available."""

import errno
import os
import socket
from dataclasses import dataclass
from contextlib import contextmanager
from contextvars import ContextVar

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
    "bad_option_value": ("{option} 的值「{value}」无效：{reason}", "{option} has a bad value '{value}': {reason}"),
    "period_out_of_range": ("年份 {year} 超出可用范围（{first}–{last}）", "the year {year} is outside the years kamxl handles ({first}–{last})"),
    "period_range_order": ("范围应从较早的期间到较晚的期间、两端类型相同（如 2025-11..2026-10），且不超过 {limit} 个期间",
                           "a range runs from the earlier period to the later, both of one kind (such as 2025-11..2026-10), "
                           "and holds at most {limit} periods"),
    # row rules
    "no_customer_id": ("缺少客户编号，此行无法使用", "no customer id: the row cannot be used"),
    "duplicate_customer_id": ("客户编号与第 {first_row} 行重复，此行未采用", "customer id already used on row {first_row}: this row is not used"),
    "unknown_customer_id": ("客户编号不在本文件的客户档案中", "customer id is not in this file's customer sheet"),
    "unreadable_required_date": ("必填日期无法识别，此行无法使用", "required date cannot be read: the row cannot be used"),
    "missing_column_row": ("缺少必填列「{label}」，此行无法使用", "required column '{label}' is missing: the row cannot be used"),
    "no_header": ("前 10 行内找不到表头（应含 {labels}）", "no header row found in the first 10 rows (it should hold {labels})"),
    "missing_sheet": ("缺少工作表「{sheet}」", "sheet '{sheet}' is missing"),
    "no_rep_name": ("说明页未填代表姓名，暂用「{name}」", "no rep name on the 说明 sheet: using '{name}'"),
    "no_rep": ("缺少代表姓名，此行无法使用", "no rep name: the row cannot be used"),
    "no_period": ("期间无法识别，此行无法使用", "period cannot be read: the row cannot be used"),
    "not_graded": ("评估因素未填全，未评级", "value factors incomplete: not graded"),
    "zero_plan": ("「{label}」为 0 或空，无法计算该项得分", "'{label}' is 0 or blank: this KPI cannot be scored"),
    # files
    "lock_file": ("Excel 临时锁定文件（~$ 开头），已跳过：「{workbook}」可能正在 Excel 中打开，未保存的修改不在本次结果中",
                  "Excel owner/lock file (~$...), skipped: '{workbook}' is probably open in Excel, and edits not yet "
                  "saved are not in this result"),
    "encrypted": ("文件有密码保护，无法读取：请去掉密码后重新提交", "file is password-protected: remove the password and submit again"),
    "legacy_xls": ("旧版 .xls 格式：请在 Excel 中另存为 .xlsx 或 .xlsm", "old .xls format: save it as .xlsx or .xlsm in Excel"),
    "corrupt": ("文件已损坏，无法作为工作簿打开", "file is damaged and cannot be opened as a workbook"),
    "text_file": ("这不是 Excel 工作簿，而是文本/CSV 文件（可能被改了扩展名）", "not an Excel workbook but a text/CSV file (perhaps renamed)"),
    "not_workbook": ("不是 Excel 工作簿", "not an Excel workbook"),
    "empty_file": ("文件为空", "file is empty"),
    "not_found": ("文件不存在", "file does not exist"),
    "not_rep_workbook": ("不是代表工作簿（没有客户档案、联系人、拜访计划或拜访日报表）",
                         "not a rep workbook (no 客户档案, 联系人, 拜访计划 or 拜访日报 sheet)"),
    "corrupt_detail": ("文件已损坏或格式异常，无法读取（{detail}）：请在 Excel 中打开后另存为 .xlsx",
                       "file is damaged or malformed and cannot be read ({detail}): open it in Excel and save it as .xlsx"),
    "corrupt_sheet": ("工作表「{sheet}」已损坏，无法读取（{detail}）：请在 Excel 中打开后另存为 .xlsx",
                      "sheet '{sheet}' is damaged and cannot be read ({detail}): open it in Excel and save it as .xlsx"),
    "ods": ("OpenDocument .ods 格式：请在 Excel 或 WPS 中另存为 .xlsx 或 .xlsm", "OpenDocument .ods format: save it as .xlsx or .xlsm in Excel or WPS"),
    "xlsb": ("二进制 .xlsb 格式：请在 Excel 中另存为 .xlsx 或 .xlsm", "binary .xlsb format: save it as .xlsx or .xlsm in Excel"),
    "xml_doctype": ("文件含 XML 实体声明（DOCTYPE/ENTITY），出于安全原因拒收：请在 Excel 中打开后另存为 .xlsx",
                    "file holds XML entity declarations (DOCTYPE/ENTITY), refused for safety: open it in Excel and save it as .xlsx"),
    "too_large_file": ("文件过大（上限 {limit} MB），未读取", "file too large (limit {limit} MB): not read"),
    "too_large_part": ("文件解压后过大（单个部件上限 {limit} MB），疑似压缩炸弹或异常文件，未读取",
                       "file too large once unpacked (limit {limit} MB a part): possibly a zip bomb; not read"),
    "too_large_total": ("文件解压后过大（全部部件合计上限 {limit} MB），疑似压缩炸弹或异常文件，未读取",
                        "file too large once unpacked (limit {limit} MB in all): possibly a zip bomb; not read"),
    "too_many_cells": ("工作表「{sheet}」范围过大（{rows} 行 × {cols} 列，上限 {limit} 个单元格）：请删除多余的行列或按年拆分",
                       "sheet '{sheet}' spans too much ({rows} rows × {cols} columns, limit {limit} cells): delete unused rows and columns or split it by year"),
    "not_regular_file": ("不是普通文件（文件夹、设备或管道），未读取", "not a regular file (a folder, device or pipe): not read"),
    "folder_unreadable": ("无法读取文件夹「{path}」：{detail}", "the folder '{path}' cannot be read: {detail}"),
    "no_permission": ("没有读取此文件的权限", "no permission to read this file"),
    "os_error": ("无法读取文件：{detail}", "the file cannot be read: {detail}"),
    "out_of_memory": ("读取此文件时内存不足，未读取：请关闭其他程序后再试，或删除多余的行列、按月拆分",
                      "ran out of memory reading this file, not read: close other programs and try again, or delete unused "
                      "rows and columns or split it by month"),
    "worker_died": ("读取此文件的进程意外退出（内存不足或文件损坏），已跳过此文件，其他文件照常汇总",
                    "the process reading this file died (out of memory or a damaged file): the file is left out, the others are consolidated"),
    "over_memory_budget": ("读取此文件的进程在单独读取、可用内存 {limit} MB 时仍意外退出（所需内存超出本次运行的内存预算，或文件损坏），"
                           "已跳过此文件，其他文件照常汇总：请删除多余的行列或按月拆分后再试",
                           "the process reading this file died even when reading it alone with {limit} MB (it needs more memory than "
                           "the run's budget, or the file is damaged): the file is left out, the others are consolidated; delete "
                           "unused rows and columns or split it by month and try again"),
    # what a library or the system said, in the user's words (the detail of corrupt_detail, os_error, write_failed…)
    "errno_ENOENT": ("文件不存在", "no such file"),
    "errno_ENOTDIR": ("路径中有一段不是文件夹", "a part of the path is not a folder"),
    "errno_EACCES": ("没有权限", "permission denied"),
    "errno_EISDIR": ("是文件夹，不是文件", "it is a folder, not a file"),
    "errno_ENOSPC": ("磁盘空间已满", "the disk is full"),
    "errno_EROFS": ("磁盘或共享为只读", "the disk or share is read-only"),
    "errno_ENAMETOOLONG": ("文件名或路径过长", "the file name or path is too long"),
    "errno_ELOOP": ("符号链接循环", "a loop of symbolic links"),
    "errno_EIO": ("磁盘读写出错", "the disk could not be read or written"),
    "errno_EBUSY": ("文件正被其他程序占用", "the file is in use by another program"),
    "errno_ECONNREFUSED": ("连接被拒绝（服务器未在该端口监听）", "connection refused (nothing listens on that port)"),
    "errno_ETIMEDOUT": ("连接超时", "the connection timed out"),
    "errno_EHOSTUNREACH": ("网络不通，无法到达该服务器", "no route to the server"),
    "errno_unknown_host": ("找不到该服务器（名称无法解析）", "the server's name cannot be resolved"),
    "errno_other": ("系统错误（错误号 {errno}）", "system error (errno {errno})"),
    "detail_format": ("无法识别文件格式", "the file format is not recognised"),
    "detail_inflate": ("压缩数据已损坏", "the compressed data is damaged"),
    "detail_truncated": ("文件不完整（可能未下载或复制完）", "the file is cut short (perhaps not fully downloaded or copied)"),
    "detail_zip": ("压缩包结构已损坏", "the zip structure is damaged"),
    "detail_xml": ("XML 内容格式错误", "the XML inside is malformed"),
    "detail_encoding": ("文字编码错误", "the text encoding is wrong"),
    "detail_missing_part": ("缺少工作表的数据部分", "the sheet's data part is missing"),
    "detail_shared_strings": ("单元格引用了不存在的共享文字", "a cell refers to a shared text that is not there"),
    "detail_cell": ("单元格的地址或数值无效", "a cell's reference or number is not valid"),
    "detail_panic": ("读取程序无法处理其中的内容", "the reader could not handle its content"),
    "detail_zip_entries": ("压缩包内条目过多（{count} 个）", "too many entries in the zip ({count})"),
    "detail_duplicate_members": ("压缩包内有同名条目", "the zip holds two entries of one name"),
    "detail_compression": ("压缩方式不受支持", "an unsupported compression method"),
    "detail_long_tag": ("含超过 1 MB 的 XML 标记", "an XML tag longer than 1 MB"),
    "detail_other": ("内容格式异常", "malformed content ({kind}: {text})"),
    "read_error": ("读取此文件时出错（{detail}），此文件未计入", "reading this file failed ({detail}): the file is left out"),
    "two_kpi": ("输入中有多个考核工作簿：{files}。请用 --kpi 指定要用的一个", "several KPI workbooks among the inputs: {files}. Name the one to use with --kpi"),
    "other_kpi": ("另一个考核工作簿：本次按 --kpi 使用「{other}」", "another KPI workbook: '{other}' is used as named with --kpi"),
    "output_is_input": ("{option} 指向输入文件「{path}」：输出不能覆盖任何输入（代表工作簿、考核工作簿、上期汇总、参数文件）",
                        "{option} names the input '{path}': an output may never overwrite an input (rep or KPI workbook, previous roll-up, settings)"),
    "output_not_file": ("{option}「{path}」不是普通文件（文件夹或设备），不能写入", "{option} '{path}' is not a regular file (a folder or a device): not written"),
    "output_not_rollup": ("{option}「{path}」已存在且不是 kamxl 汇总文件：请换一个文件名，避免覆盖",
                          "{option} '{path}' exists and is not a kamxl roll-up: choose another name rather than overwrite it"),
    "folder_not_writable": ("所在文件夹不存在或没有写入权限", "its folder does not exist or is not writable"),
    "extra_columns_bounded": ("汇总表「{rollup_sheet}」只保留代表自加的列中填写行数最多的 {kept} 列（列数 × 行数以 {cells:,} 个单元格为限）："
                              "本文件的自有列有 {count} 列未写入（{named}）；其余各列照常汇总",
                              "the roll-up's sheet '{rollup_sheet}' keeps the {kept} of the reps' own columns that most rows have "
                              "(columns × rows at most {cells:,} cells): {count} of this file's own columns were left out "
                              "({named}); every other column was consolidated as usual"),
    "extra_columns_dropped": ("汇总表「{rollup_sheet}」已到 Excel 一个工作表的上限 {limit} 列：本文件的自有列有 {count} 列放不下，"
                              "未写入（{named}）；其余各列照常汇总",
                              "the roll-up's sheet '{rollup_sheet}' reached the {limit} columns an Excel sheet holds: {count} "
                              "of this file's own columns did not fit and were left out ({named}); every other column was "
                              "consolidated as usual"),
    "rollup_too_long": ("汇总表「{sheet}」将有 {rows} 行，超过 Excel 一个工作表的上限 {limit} 行，未写出：请按区域或小组分别汇总"
                        "（每个文件夹一份汇总），或让代表把往年的记录另存归档",
                        "the roll-up's sheet '{sheet}' would have {rows} rows, more than the {limit} an Excel sheet holds, so "
                        "nothing was written: consolidate region by region or team by team (one folder, one roll-up), or "
                        "have the reps archive earlier years' rows"),
    "write_failed": ("无法写入「{path}」：{detail}", "cannot write '{path}': {detail}"),
    "output_unusable": ("{option}「{path}」无法使用：{detail}", "{option} '{path}' cannot be used: {detail}"),
    "read_timeout": ("读取超过 {seconds} 秒仍未完成，已停止读取此文件", "reading took more than {seconds} s: stopped, the file is left out"),
    "duplicate_file": ("与「{other}」内容完全相同，只计一次", "identical to '{other}': counted once"),
    "duplicate_rep": ("与「{kept}」同属代表「{rep}」：采用数据较新的「{kept}」（数据最新至 {kept_data}，修改于 {kept_time}），"
                      "此文件（数据最新至 {own_data}，修改于 {own_time}）未计入",
                      "'{kept}' belongs to the same rep '{rep}': '{kept}', whose data is newer (up to {kept_data}, "
                      "modified {kept_time}), is used; this file (data up to {own_data}, modified {own_time}) is not counted"),
    "illegal_chars": ("含 Excel 不允许的控制字符，已删除或替换为 �", "holds characters Excel does not allow: removed or replaced by �"),
    "illegal_char_refs": ("文件中含 XML 不允许的字符引用（如 &#0;），已替换为 � 后读取：请检查显示 � 的单元格",
                          "the file holds character references XML forbids (such as &#0;): read with � in their place; check the cells showing �"),
    "amount_range": ("金额超出合理范围（0 至 {limit}）", "amount outside the sane range (0 to {limit})"),
    "number_range": ("数值超出合理范围", "number outside the sane range"),
    "date_range": ("日期超出合理范围（{first} 至 {last}）", "date outside the sane range ({first} to {last})"),
    "rollup_file": ("kamxl 汇总文件，已跳过", "a kamxl roll-up workbook: skipped"),
    # reading that never empties data silently (issue 17, reader side): header aliases, unusable sheets and files,
    # a --kpi that is no KPI workbook, two workbooks of one rep, a visit before its customer was on file
    "column_alias": ("列「{alias}」按「{label}」读取", "column '{alias}' read as '{label}'"),
    "sheet_unusable": ("缺少必填列「{label}」：「{sheet}」的 {rows} 行均无法使用",
                       "required column '{label}' is missing: none of the {rows} rows of '{sheet}' can be used"),
    "unusable_no_customer_sheet": ("没有「客户档案」表：此文件没有可用的数据，未计入",
                                   "no 客户档案 sheet: nothing in this file can be used, it is not counted"),
    "unusable_no_header": ("「{sheet}」前 10 行内找不到表头（应含 {labels}）：此文件没有可用的数据，未计入",
                           "no header row in the first 10 rows of '{sheet}' (it should hold {labels}): nothing in this "
                           "file can be used, it is not counted"),
    "unusable_missing_column": ("「{sheet}」缺少必填列「{label}」，其他表也无法使用：此文件没有可用的数据，未计入",
                                "'{sheet}' lacks the required column '{label}' and no other sheet can be used either: "
                                "nothing in this file can be used, it is not counted"),
    "kpi_not_kpi_workbook": ("--kpi「{file}」不是考核工作簿（没有「考核指标」表）：请指定含「考核指标」表的工作簿",
                             "--kpi '{file}' is not a KPI workbook (no 考核指标 sheet): name the workbook holding the "
                             "考核指标 sheet"),
    "kpi_unreadable": ("--kpi「{file}」无法作为考核工作簿读取：{reason}", "--kpi '{file}' cannot be read as the KPI workbook: {reason}"),
    "rep_file_chosen": ("代表「{rep}」有 {count} 个工作簿：采用「{kept}」（数据最新至 {kept_data}），未计入「{skipped}」",
                        "rep '{rep}' has {count} workbooks: '{kept}' is used (data up to {kept_data}), not counted: '{skipped}'"),
    "copies_identical": ("{count} 个文件与另一文件内容完全相同，只计一次，见「来源」",
                         "{count} files identical to another file, counted once: see 来源"),
    "visit_before_created": ("拜访日期早于该客户的建档日期（{created_on}）", "visit dated before the customer's 建档日期 ({created_on})"),
    # settings
    "unknown_setting": ("未知参数「{key}」", "unknown setting '{key}'"),
    "settings_error": ("参数表有误：{detail}", "the settings sheet is wrong: {detail}"),
    "bad_setting": ("参数「{key}」的值「{value}」无效：{reason}", "setting '{key}' has a bad value '{value}': {reason}"),
    "settings_file_prefix": ("参数文件「{path}」：", "the settings file '{path}': "),
    "settings_file_unreadable": ("无法读取参数文件「{path}」：{detail}", "the settings file '{path}' cannot be read: {detail}"),
    "toml_error_at": ("参数文件「{path}」第 {line} 行第 {column} 列有 TOML 格式错误", "the settings file '{path}' has a TOML syntax error at line {line}, column {column}"),
    "toml_error": ("参数文件「{path}」有 TOML 格式错误", "the settings file '{path}' has a TOML syntax error"),
    "setting_at_most": ("应不大于 {value}", "must be at most {value}"),
    "setting_at_least": ("应不小于 {value}", "must be at least {value}"),
    "setting_below": ("应小于 {value}", "must be less than {value}"),
    "setting_above": ("应大于 {value}", "must be more than {value}"),
    "setting_whole_number": ("应为整数", "must be a whole number"),
    "setting_yes_no": ("应为 true 或 false", "must be true or false"),
    "setting_one_of": ("应为 {value} 之一", "must be one of {value}"),
    "setting_order": ("各档阈值应从高到低（{value}）", "the thresholds must run from high to low ({value})"),
    "setting_invalid": ("值无效", "not a valid value"),
    # the roll-up: command output, last period's roll-up, and why a figure is missing (issue 10)
    "demo_too_small": ("--reps、--customers 和 --visits 至少为 1", "--reps, --customers and --visits must be at least 1"),
    "lang_needs_value": ("--lang 需要一个值：zh 或 en", "--lang requires a value: zh or en"),
    "demo_written": ("已写入 {count} 个文件到 {directory}", "wrote {count} files to {directory}"),
    # demo, templates and excel build replace only their own untouched output (issue 20)
    "outputs_not_ours": ("以下文件已存在，且不是 kamxl 写出后未经改动的文件：{files}。未写入任何文件；确认要替换它们请加 --force",
                         "these files exist and are not kamxl's own untouched output: {files}. Nothing was written; "
                         "add --force to replace them"),
    "director_unreadable": ("无法读取已有的总监工作簿「{path}」（{detail}），其「设置」无法保留。未写入任何文件；确认要替换它请加 --force",
                            "the existing director's workbook '{path}' cannot be read ({detail}), so its 设置 cannot be "
                            "kept. Nothing was written; add --force to replace it"),
    "director_settings_kept": ("保留了原「设置」中的值：{values}", "kept the values of the old 设置 sheet: {values}"),
    "rollup_written": ("汇总已写入 {out}：{ok}/{files} 个文件，{customers} 个客户，{overdue} 个逾期，{problems} 个数据问题",
                       "roll-up written to {out}: {ok}/{files} files, {customers} customers, {overdue} overdue, "
                       "{problems} data problems"),
    "demo_previous_month": ("上月提交的团队在 {folder}：先汇总它（kamxl consolidate {folder} --period {previous} --out "
                            "rollups/rollup-{previous}.xlsx），再汇总 {directory}（--period {period} --out rollups/rollup-{period}.xlsx），"
                            "即可看到流失与新开发",
                            "the team as submitted a month earlier is in {folder}: consolidate it first (kamxl consolidate "
                            "{folder} --period {previous} --out rollups/rollup-{previous}.xlsx), then {directory} (--period "
                            "{period} --out rollups/rollup-{period}.xlsx) to see churn and new accounts"),
    "previous_used": ("上期汇总：{path}（{period}）", "last period's roll-up: {path} ({period})"),
    "history_used": ("趋势：{count} 个期间（{first} 至 {last}）", "trend: {count} periods ({first} to {last})"),
    "reading_workbooks": ("读取工作簿", "reading workbooks"),
    "no_workbooks": ("没有找到工作簿", "no workbooks found"),
    "nothing_usable": ("没有可用的工作簿，未生成汇总", "no usable workbook: nothing written"),
    "warning_label": ("提醒：", "Note: "),
    "not_a_rollup": ("{path}：不是 kamxl 汇总表（没有写明期间的汇总数据页），不能作为上期汇总",
                     "{path}: not a kamxl roll-up (no figures sheet naming its period): it cannot be last period's roll-up"),
    "previous_not_earlier": ("{path} 是 {found} 的汇总，不早于本期 {period}：上期汇总必须是更早的期间",
                             "{path} is the roll-up of {found}, not earlier than this period {period}: "
                             "last period's roll-up must be of an earlier period"),
    "previous_other_kind": ("{path} 是 {found} 的汇总，与本期 {period} 的期间类型不同（月/季/年）",
                            "{path} is the roll-up of {found}, a different kind of period (month/quarter/year) than {period}"),
    "warn_no_previous": ("未找到上期（{previous}）汇总：「大客户流失率」未计入总分，总分按其余指标折算为百分制。"
                         "请把上期汇总表放在输出文件夹，或用 --previous 指定",
                         "no roll-up of last period ({previous}) found: churn is left out of every total, which is "
                         "scaled to 100 over the other KPIs. Put last period's roll-up in the output folder or name it "
                         "with --previous"),
    "warn_no_kpi_workbook": ("没有考核工作簿（含「考核指标」表）：各代表的考核总分无法计算。请把考核工作簿放进输入，或用 --kpi 指定",
                             "no KPI workbook (with a 考核指标 sheet): no rep can be scored. Add it to the inputs or "
                             "name it with --kpi"),
    "warn_no_kpi_rows": ("考核工作簿中没有 {period} 的考核指标行：各代表的考核总分无法计算。请在「考核指标」填写该期间的行",
                         "the KPI workbook has no 考核指标 rows for {period}: no rep can be scored. Fill in that "
                         "period's rows"),
    "warn_period_after_data": ("期间 {period} 晚于数据中的所有日期（最晚 {latest}）：期间是否写错？逾期与拜访按 {end} 计算",
                               "period {period} is later than every date in the data (latest {latest}): is it a typo? "
                               "Overdue and visits are counted at {end}"),
    "warn_no_visits": ("{months} 没有任何拜访记录：拜访次数、有效信息登记率和出差天数为 0",
                       "no visits at all in {months}: visits, valid-information rate and trip days are 0"),
    # the month's commands: a range of periods, an existing roll-up of another period (issue 17)
    "output_other_period": ("--out「{path}」是 {found} 的汇总表，不能用 {period} 的汇总覆盖：请换一个文件名",
                            "--out '{path}' is the roll-up of {found}: it is not replaced by the roll-up of {period}; "
                            "choose another file name"),
    "range_needs_folder": ("期间为范围时 --out 应为文件夹：「{path}」是文件", "with a range of periods --out must be a folder: "
                           "'{path}' is a file"),
    "range_period": ("[{index}/{count}] {period}", "[{index}/{count}] {period}"),
    # incomplete is loud: who and what is missing from a roll-up (issue 17)
    "warn_no_workbook": ("{reps} 没有工作簿：其客户与拜访不在本汇总中，考核排名中标为「无工作簿」（不按 0 计）",
                         "{reps}: no workbook; their customers and visits are not in this roll-up, shown as "
                         "'no workbook' in the ranking (not as zero)"),
    "warn_unreadable_workbook": ("{rep} 的工作簿无法使用（{files}）：其客户与拜访不在本汇总中，考核排名中标为「无法读取」",
                                 "{rep}'s workbook cannot be used ({files}): their customers and visits are not in this "
                                 "roll-up, shown as 'unreadable' in the ranking"),
    "warn_kpi_months_missing": ("考核指标缺少 {months} 的行（{reps}）：本期考核只合计了已填写的月份",
                                "the KPI sheet has no rows for {months} ({reps}): this period's KPIs sum the months "
                                "that are there"),
    "warn_kpi_left_out": ("{rep}：{kpis} 未计入总分，总分按 {possible}/{full} 分折算为百分制",
                          "{rep}: {kpis} left out of the total, which is scaled to 100 over {possible} of {full} points"),
    "warn_kpi_left_out_all": ("各代表的 {kpis} 均未计入总分，总分按其余指标折算为百分制",
                              "{kpis} left out of every rep's total, which is scaled to 100 over the other KPIs"),
    "warn_sheet_unusable": ("{file}「{sheet}」缺少必填列「{label}」：该表 {rows} 行均未采用（见「数据问题」）",
                            "{file} '{sheet}' lacks the required column '{label}': none of its {rows} rows is used "
                            "(see 数据问题)"),
    "warn_sheet_no_header": ("{file}「{sheet}」前 10 行内找不到表头（应含 {labels}）：该表 {rows} 行均未采用（见「数据问题」）",
                             "{file} '{sheet}': no header row in the first 10 rows (it should hold {labels}): none of its "
                             "{rows} rows is used (see 数据问题)"),
    "warn_columns_renamed": ("{file}「{sheet}」：{mappings}（表头与模板不同，已按同义列读取）",
                             "{file} '{sheet}': {mappings} (headed unlike the template, read by its alias)"),
    "warn_failed_files": ("未计入的文件：{files}", "files not used: {files}"),
    "warn_rep_not_scored": ("{rep} 在考核指标中没有本期的行：未评分", "{rep} has no KPI row for this period: not scored"),
    "reason_no_previous": ("无上期汇总", "no roll-up of last period"),
    "reason_no_accounts_at_start": ("期初无客户", "no accounts at the start"),
    "reason_no_workbook": ("无可用工作簿", "no usable workbook"),
    "reason_no_customers": ("无客户档案", "no customers"),
    "reason_no_kpi_row": ("考核指标无 {period} 的行", "no KPI row for {period}"),
    "reason_not_a_number": ("「{label}」为「{value}」，不是数字", "'{label}' is '{value}', not a number"),
    "reason_blank": ("「{label}」未填写", "'{label}' is blank"),
    "reason_zero": ("「{label}」为 0", "'{label}' is 0"),
    # mail (kamxl mail, the director's 发送 button)
    "mail_not_rollup": ("{path} 不是 kamxl 汇总文件：缺少「{missing}」", "{path} is not a kamxl roll-up: '{missing}' is missing"),
    "mail_no_host": ("未设置邮件服务器：用 --smtp-host 或 KAMXL_SMTP_HOST", "no mail server: use --smtp-host or KAMXL_SMTP_HOST"),
    "mail_no_sender": ("未设置发件人：用 --smtp-from 或 KAMXL_SMTP_FROM", "no sender: use --smtp-from or KAMXL_SMTP_FROM"),
    "mail_bad_security": ("加密方式「{value}」无效：应为 starttls、ssl 或 none", "security '{value}' not valid: use starttls, ssl or none"),
    "mail_bad_address": ("邮箱地址无效：「{address}」", "e-mail address not valid: '{address}'"),
    "mail_no_password": ("SMTP 用户 {user} 需要密码：请设置环境变量 KAMXL_SMTP_PASSWORD，或存入系统凭据库（keyring set kamxl-smtp {user}）",
                         "SMTP user {user} needs a password: set KAMXL_SMTP_PASSWORD, or store it in the system credential store (keyring set kamxl-smtp {user})"),
    "mail_auth": ("邮件服务器 {server} 拒绝登录：用户名或密码不对（用户 {user}）", "the mail server {server} refused the login: wrong user name or password (user {user})"),
    "mail_refused": ("邮件服务器 {server} 拒收收件人：{addresses}", "the mail server {server} refused the recipients: {addresses}"),
    "mail_sender_refused": ("邮件服务器 {server} 拒绝发件人 {sender}：{reply}", "the mail server {server} refused the sender {sender}: {reply}"),
    "mail_unreachable": ("无法连接邮件服务器 {server}：{reason}", "cannot reach the mail server {server}: {reason}"),
    "mail_tls": ("与邮件服务器 {server} 建立加密连接失败：{reason}（公司自签证书可用 --smtp-ca-file 指定）",
                 "secure connection to the mail server {server} failed: {reason} (a company certificate: name its CA with --smtp-ca-file)"),
    "mail_no_starttls": ("邮件服务器 {server} 不支持 STARTTLS：改用 --smtp-security ssl，或内网中继用 none",
                         "the mail server {server} does not offer STARTTLS: use --smtp-security ssl, or none for a relay on the local network"),
    "mail_no_auth": ("邮件服务器 {server} 不提供登录（AUTH）：内网中继请不填 --smtp-user", "the mail server {server} offers no login (AUTH): for a relay on the local network leave --smtp-user out"),
    "mail_dropped": ("邮件服务器 {server} 断开了连接（已重试 {attempts} 次）", "the mail server {server} dropped the connection ({attempts} attempts)"),
    "mail_rejected": ("邮件服务器 {server} 拒收邮件：{reply}", "the mail server {server} rejected the message: {reply}"),
    "mail_subject": ("大客户部月度汇总 {period}", "Key-account department roll-up {period}"),
    "mail_rep_subject": ("{rep} 个人考核成绩单 {period}", "{rep}: personal scorecard {period}"),
    "mail_attachment": ("大客户部月度汇总-{period}.xlsx", "kam-rollup-{period}.xlsx"),
    "mail_rep_attachment": ("考核成绩单-{rep}-{period}.xlsx", "scorecard-{rep}-{period}.xlsx"),
    "mail_greeting": ("各位领导：", "Dear all,"),
    "mail_intro": ("附件为大客户部 {period} 月度汇总，本月要点如下：", "Attached is the key-account department's roll-up for {period}. The main points:"),
    "mail_sales": ("部门销售计划完成率", "Department sales-plan completion"),
    "mail_collection": ("部门合同回款率", "Department collection rate"),
    "mail_best": ("得分最高", "Best score"),
    "mail_weakest": ("得分最低", "Weakest score"),
    "mail_warned": ("低于警告线（口头警告）", "Under the warning line (verbal warning)"),
    "mail_overdue": ("逾期未拜访客户", "Customers overdue for a visit"),
    "mail_problems": ("数据问题", "Data problems"),
    "mail_missing": ("工作簿缺失或无法读取", "Workbook missing or unreadable"),
    "mail_none": ("无", "none"),
    "mail_personal_left_out": ("为保护个人信息，附件中联系人的手机、邮箱、生日、爱好已删除；完整汇总保存在总监电脑上。",
                               "To protect personal data, the contacts' mobile, e-mail, birthday and hobbies are left out of the attachment; the full roll-up stays with the director."),
    "mail_personal_included": ("附件含联系人个人信息（手机、邮箱、生日、爱好），请勿转发。", "The attachment holds the contacts' personal data (mobile, e-mail, birthday, hobbies): do not forward it."),
    "mail_signature": ("—— 由 kamxl 生成", "— sent by kamxl"),
    "mail_rep_greeting": ("{rep}：", "Dear {rep},"),
    "mail_rep_intro": ("附件为你 {period} 的个人考核成绩单（一页，可直接打印）。", "Attached is your personal scorecard for {period} (one page, ready to print)."),
    "mail_rep_total": ("总分", "Total"),
    "mail_rep_rank": ("排名", "Rank"),
    "mail_rep_rating": ("评级", "Rating"),
    "mail_rep_change": ("较上期", "Change from last period"),
    "mail_rep_warning": ("得分低于警告线，按考核办法将受到口头警告。", "The score is under the warning line: under the assessment rules this earns a verbal warning."),
    "mail_rep_overdue": ("逾期未拜访客户：{count} 个", "Customers overdue for a visit: {count}"),
    "mail_rep_problems": ("你的工作簿中的数据问题：{count} 个", "Data problems in your workbook: {count}"),
    "mail_rep_no_result": ("本期没有你的考核结果（考核指标表中无本期数据）。", "There is no assessment for you this period (no row on the KPI sheet)."),
    "mail_rep_no_workbook": ("本期未汇总到你的工作簿（未提交或无法读取），请尽快提交，逾期客户与数据问题因此未列出。",
                             "Your workbook was not in this period's roll-up (not submitted, or unreadable): please submit it; overdue customers and data problems are therefore not listed."),
    "mail_no_address": ("团队表中没有 {rep} 的邮箱，未发送", "no address for {rep} on the roster: not sent"),
    "mail_not_in_rollup": ("{rep} 不在汇总中，未发送", "{rep} is not in the roll-up: not sent"),
    "mail_unknown_rep": ("团队表中没有代表「{rep}」", "no rep '{rep}' on the roster"),
    "mail_sent": ("已发送：{who}", "sent: {who}"),
    "mail_written": ("已写入：{path}", "written: {path}"),
    "mail_failed": ("未发送：{who}（{reason}）", "not sent: {who} ({reason})"),
    "mail_rep_summary": ("成绩单：{sent} 位代表已发送，{not_sent} 位未发送", "scorecards: {sent} reps sent, {not_sent} not sent"),
    "mail_rep_summary_eml": ("成绩单：{sent} 位代表的邮件已写入，{not_sent} 位未写入", "scorecards: {sent} reps' messages written, {not_sent} not"),
    "mail_rerun": ("重新发送未发出的：{command}", "to send the rest again: {command}"),
    "mail_need_kpi": ("--per-rep 需要 --kpi（考核工作簿的团队表提供邮箱）", "--per-rep needs --kpi (the KPI workbook's 团队 sheet holds the addresses)"),
    "card_sheet": ("成绩单", "Scorecard"),
    "card_generated": ("大客户部 · 生成于 {day} · 仅含本人数据", "Key-account department · generated {day} · your own data only"),
    "card_no_previous": ("无上期汇总", "no previous roll-up"),
    "card_previous_rank": ("上期排名", "Last rank"),
    "card_warning": ("口头警告", "Verbal warning"),
    "card_yes": ("是", "yes"),
    "card_no": ("否", "no"),
    "card_kpi": ("考核指标", "KPI"),
    "card_value": ("本期数值", "Value"),
    "card_points": ("得分", "Points"),
    "card_max": ("满分", "Out of"),
    "card_previous_points": ("上期得分", "Last period"),
    "card_point_change": ("变化", "Change"),
    "card_not_scored": ("未评分", "not scored"),
    "card_missing": ("未评分项（不计入总分，总分按可评分项折算为百分制）：{kpis}", "Not scored (left out; the total is scaled to 100 over the rest): {kpis}"),
    "card_visits": ("本期拜访", "Visits"),
    "card_valid_info": ("有效信息登记率", "Valid-info rate"),
    "card_trip_days": ("出差天数", "Trip days"),
    "card_customer_id": ("客户编号", "Customer id"),
    "card_customer": ("客户名称", "Customer"),
    "card_grade": ("等级", "Grade"),
    "card_last_visit": ("最近拜访", "Last visit"),
    "card_due": ("应拜访日期", "Due"),
    "card_days_overdue": ("逾期天数", "Days overdue"),
    "card_never": ("从未拜访", "never"),
    "card_more": ("……另有 {count} 条，见你的工作簿", "… {count} more: see your workbook"),
    "card_sheet_name": ("工作表", "Sheet"),
    "card_problem": ("问题", "Problem"),
    "card_row": ("行", "Row"),
    "card_column": ("列", "Column"),
    "card_raw": ("原始值", "Value"),
    "mail_eml_target": ("--eml 不能指向汇总、考核工作簿或上期汇总本身", "--eml must not name the roll-up, the KPI workbook or the previous roll-up"),
    "mail_eml_folder": ("--per-rep 时 --eml 应为文件夹：「{path}」是文件", "with --per-rep, --eml is a folder: '{path}' is a file"),
    "mail_need_recipient": ("请给出 --to 收件人，或用 --per-rep 发给每位代表", "give recipients with --to, or --per-rep to send each rep their scorecard"),
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
    "button_mail_sent": ("汇总已发送给 {to}。", "roll-up sent to {to}."),
    "button_mail_failed": ("发送失败：{reason}", "sending failed: {reason}"),
    "templates_made": ("已在「{folder}」生成 {count} 个代表工作簿（{skipped} 个已存在，未覆盖）。", "Wrote {count} rep workbooks to '{folder}' ({skipped} already there, not overwritten)."),
    "no_roster": ("找不到考核工作簿的「团队」名单：请在「设置」中填写考核工作簿，或把它放进团队文件夹", "no roster found: name the KPI workbook in 设置 or put it in the team folder"),
    "empty_roster": ("考核工作簿「{path}」的「团队」表中没有代表姓名", "the roster of '{path}' holds no rep"),
    # kamxl excel setup: the hidden kamxl.conf sheet, and a workbook another program saved (kamxl/excel/setup.py, saved_by.py)
    "setup_no_config_sheet": ("{workbook}：没有「{sheet}」表，不是 kamxl 生成的带按钮工作簿，未修改",
                              "{workbook}: no '{sheet}' sheet: not a kamxl workbook with buttons (.xlsm), left unchanged"),
    "setup_unreadable": ("{workbook}：无法读取或已损坏（{detail}），未修改", "{workbook}: cannot be read or is damaged ({detail}), left unchanged"),
    "saved_by_other": ("警告：{workbook} 最近由 {application} 保存，工作簿中的宏（VBA 项目）已被改写，Excel 中的按钮和函数将无法使用。"
                       "请用 kamxl templates（代表工作簿）或 kamxl excel build（总监工作簿 kamxl.xlsm）重新生成，在 Excel 中打开并把数据复制过去；"
                       "带按钮的工作簿只用 Windows 版 Excel 保存",
                       "warning: {workbook} was last saved by {application}, which rewrote its macros (VBA project): the buttons "
                       "and functions will not work in Excel. Build it again with kamxl templates (rep workbooks) or kamxl excel "
                       "build (the director's kamxl.xlsm), open both in Excel and copy the data over; save workbooks with buttons "
                       "only in Excel for Windows"),
    "other_program": ("Excel 以外的程序", "a program other than Excel"),
    "unknown_action": ("未知的按钮操作「{action}」", "unknown button action '{action}'"),
    "unexpected_error": ("kamxl 出错：{error}。请把此消息发给维护人员。", "kamxl failed: {error}. Please send this message to whoever maintains kamxl."),
    # the roll-up's own schema: keyed figures for mail and scorecards, incomplete totals shown as such
    "mail_no_figures": ("{path} 没有 kamxl 的数值表（{sheet}）：它不是 kamxl 汇总文件，或由旧版本写成。请用本版本重新汇总后再发送",
                        "{path} has no kamxl figures sheet ({sheet}): it is not a kamxl roll-up, or an older version wrote it. Consolidate again with this version, then send it"),
    "scaled_total": ("按 {possible}/{full} 分折算", "scaled over {possible} of {full} points"),
    "mail_total_note": ("（{parts}）", " ({parts})"),
    "note_separator": ("，", ", "),
    "rep_no_workbook": ("无工作簿", "no workbook"),
    "rep_unreadable": ("无法读取", "workbook unreadable"),
}


# click's own words (usage errors, `Error:`, `Try … for help.`, headings, `Aborted!`), by click's msgid: the CLI
# hands click a gettext that looks them up here when the run's language is Chinese. A msgid not listed stays English.
CLICK_ZH: dict[str, str] = {
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行「{command} {option}」查看帮助。",
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Aborted!": "已中止。",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项「{name}」。",
    "No such command {name!r}.": "没有命令「{name}」。",
    "Did you mean {possibility}?": "是否想输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想输入其中之一：{possibilities}？）",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Option {name!r} does not take a value.": "选项「{name}」不带值。",
    "Option {name!r} requires an argument.": "选项「{name}」需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项「{name}」需要 {nargs} 个值。",
    "Argument {name!r} takes {nargs} values.": "参数「{name}」需要 {nargs} 个值。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "{len_type} values are required, but {len_value} was given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "{len_type} values are required, but {len_value} were given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "Value must be an iterable.": "值应为多个。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}「{filename}」不存在。",
    "{name} {filename!r} is a file.": "{name}「{filename}」是文件，不是文件夹。",
    "{name} {filename!r} is a directory.": "{name}「{filename}」是文件夹，不是文件。",
    "{name} {filename!r} is not readable.": "{name}「{filename}」没有读取权限。",
    "{name} {filename!r} is not writable.": "{name}「{filename}」没有写入权限。",
    "{name} {filename!r} is not executable.": "{name}「{filename}」不可执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件「{filename}」：{message}",
    "unknown error": "未知错误",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not {choice}.": "「{value}」不是可选值 {choice}。",
    "{value!r} is not one of {choices}.": "「{value}」不在可选值 {choices} 中。",
    "{value!r} does not match the format {format}.": "「{value}」不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "「{value}」不符合格式 {formats}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid {number_type}.": "「{value}」不是有效的数字。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "「{value}」不在可选值 {states} 中",
    "{value!r} is not a valid UUID.": "「{value}」不是有效的 UUID。",
    "Do you want to continue?": "是否继续？",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
}

# The language chosen for this run (the CLI's --lang), passed as a value: the process environment is
# never changed, so one run (or one test) cannot leak its language into the next.
_CHOSEN: ContextVar[str | None] = ContextVar("kamxl_language", default=None)


def normalise_language(value: str | None) -> str | None:
    """'en', 'en_US.UTF-8' → 'en'; 'zh…' → 'zh'; anything else → None."""
    text = (value or "").strip().lower()
    return "en" if text.startswith("en") else "zh" if text.startswith("zh") else None


def language() -> str:
    """The language of messages: the one chosen for this run, else KAMXL_LANG, else Chinese."""
    return _CHOSEN.get() or normalise_language(os.environ.get("KAMXL_LANG")) or "zh"


@contextmanager
def use_language(lang: str | None):
    """Messages rendered inside the block are in `lang` (None: keep the current choice)."""
    token = _CHOSEN.set(normalise_language(lang) or _CHOSEN.get())
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def render(code: str, lang: str | None = None, **params) -> str:
    """The message for a code in the chosen language, with its parameters filled in (a `Text` parameter is itself
    rendered in that language)."""
    zh, en = MESSAGES[code]
    lang = lang or language()
    text = en if lang == "en" else zh
    params = {k: v.render(lang) if isinstance(v, (Text, Joined)) else v for k, v in params.items()}
    return text.format(**params) if params else text


@dataclass(frozen=True)
class Text:
    """A message kept as its code and parameters, rendered when shown: the console in the user's language, the
    roll-up in Chinese, from the same value."""

    code: str
    params: tuple = ()

    @classmethod
    def of(cls, code: str, **params) -> "Text":
        return cls(code, tuple(params.items()))

    def render(self, lang: str | None = None) -> str:
        return render(self.code, lang, **dict(self.params))

    def __str__(self) -> str:
        return self.render()


_ERRNO_ALIASES = {"EPERM": "EACCES", "ENETUNREACH": "EHOSTUNREACH", "WSAECONNREFUSED": "ECONNREFUSED"}


def os_error_text(exc: OSError) -> "Text":
    """What the system said (an OSError), in the user's words by its error number: never the system's English."""
    if isinstance(exc, socket.gaierror):  # its numbers are the resolver's, not errno's
        return Text.of("errno_unknown_host")
    name = errno.errorcode.get(exc.errno or 0, "")
    code = f"errno_{_ERRNO_ALIASES.get(name, name)}"
    return Text.of(code) if code in MESSAGES else Text.of("errno_other", errno=exc.errno)


@dataclass(frozen=True)
class Joined:
    """Texts (or plain strings) shown joined by a separator, each rendered in the same language."""

    parts: tuple
    separator: str = "；"

    def render(self, lang: str | None = None) -> str:
        return self.separator.join(p.render(lang) if isinstance(p, (Text, Joined)) else str(p) for p in self.parts)
