"""A realistic example team to try everything on: reps, customers, contacts, visits, KPIs — and mistakes.

Seeded, so the same options always give the same files. The mistakes are the ones real workbooks
carry (domain.md, "Realities of the data"): amounts as 12.5万, full-width digits, text dates,
bad check digits, a customer kept by two reps, a visit to a customer not on file, a lock file.

Beside the team, in PREVIOUS_MONTH_FOLDER, the same team as it submitted a month earlier: consolidated
for that month first, it gives the month's roll-up a last period to measure churn (大客户流失率) and
new accounts (大客户新开发率) against — a few customers active then are 流失 now, a few are created
within the month.
"""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from .parsing import CREDIT_CHARS, credit_code_check_char, parse_date
from .rules.grading import grade_by_score, value_score
from .rules.periods import Period, parse_period, period_containing
from .schema import ATTITUDES, FACTORS, INDUSTRIES, LOST_STAGE, MODES, PURPOSES, ROLES, STAGES, STYLES
from .settings import DEFAULTS
from .io.outputs.ownership import stamp
from .kpi_workbook import build_kpi_workbook
from .templates import build_rep_workbook

SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高郑梁谢宋唐韩冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = ["伟", "娜", "芳", "洋", "静", "磊", "敏", "强", "军", "丽", "涛", "艳", "杰", "勇", "霞", "明", "超", "秀英", "建华", "志强",
         "海燕", "晓东", "文博", "雪梅", "国庆", "子豪", "思远", "佳怡", "俊杰", "婷婷"]
CITIES = ["苏州", "无锡", "宁波", "杭州", "南京", "合肥", "武汉", "长沙", "成都", "重庆", "西安", "郑州", "青岛", "厦门", "东莞", "佛山",
          "天津", "济南", "福州", "昆明"]
WORDS = ["恒瑞", "华信", "中联", "东方", "金泰", "宏达", "鼎盛", "瑞丰", "天成", "永安", "新元", "博远", "合众", "嘉禾", "同创", "远航",
         "正大", "光明", "华晟", "联泰", "凯旋", "盛世", "海纳", "卓越"]
TRADES = {"制造": "精密机械", "能源": "能源", "化工": "化工", "建筑": "建设工程", "交通物流": "物流", "政府": "政务服务中心",
          "军工": "装备", "公安": "公安局后勤处", "教育": "教育科技", "医疗": "医疗器械", "媒体": "传媒", "金融": "金融服务",
          "零售": "商贸", "互联网": "网络科技", "其他": "实业"}
REGIONS = ["华东", "华南", "华北", "华中", "西南"]
TITLES = {"决策者": "总经理", "技术把关者": "技术总监", "使用者": "生产部经理", "采购": "采购经理", "财务": "财务经理", "教练": "项目主管"}
RESULTS = ["了解到明年扩产计划，需求约 200 万", "客户对样品质量满意，准备小批量试用", "竞品报价低 8%，客户在比较", "技术部提出接口改造要求",
           "付款流程已走到财务，月底前回款", "决策人出差，改约下周", "客户反馈交期偏长，需要协调", "签订年度框架协议", "了解行业新政策影响"]
FEEDBACK = ["产品质量稳定", "对售后响应满意", "竞品在推低价方案", "希望提供培训", "行业淡季，采购放缓", ""]
STEPS = ["发送报价", "安排技术交流", "邀请参观工厂", "跟进合同", "催收回款", "节日问候"]

# the team as submitted a month earlier; consolidate reads no subfolder, so it never mixes into this month's
PREVIOUS_MONTH_FOLDER = "上月"
ACTIVE_STAGES = STAGES[-3:-1]  # 合作, 稳定发展: the stages after signing (domain.md), whose loss is churn
LOST_ACCOUNTS = (1, 3)  # per team, drawn from the seed: active last month, 流失 now
NEW_ACCOUNTS = 4  # per team at least: created within the month, so new accounts in it
KPI_FILE = "kpi.xlsx"


@dataclass(frozen=True)
class DemoOptions:
    reps: int = 6
    customers: int = 80  # per rep
    visits: int = 400  # daily-report rows per rep, spread over the months before the period end
    month: str = "2026-10"  # the period the demo team's KPI rows and visits lead up to
    months: int = 6
    seed: int = 7
    mistakes: bool = True
    previous_month: bool = True  # also write the team as submitted a month earlier (PREVIOUS_MONTH_FOLDER)


def credit_code(rng: random.Random) -> str:
    body = rng.choice(["91", "92", "93", "12", "11"]) + "".join(rng.choice("0123456789") for _ in range(6)) + \
        "".join(rng.choice(CREDIT_CHARS) for _ in range(9))
    return body + credit_code_check_char(body)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _customers(rng, rep_no: int, opts: DemoOptions, period_end: date, shared: list[dict]) -> list[dict]:
    rows = []
    for n in range(1, opts.customers + 1):
        industry = rng.choice(INDUSTRIES)
        name = f"{rng.choice(CITIES)}{rng.choice(WORDS)}{TRADES[industry]}有限公司"
        factors = {key: rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 3, 2] if not inverse else [2, 3, 3, 2, 1])[0]
                   for key, _, inverse in FACTORS}
        if rng.random() < 0.06:
            factors[rng.choice(FACTORS)[0]] = None  # assessment not finished: 未评级
        stage = rng.choices(STAGES, weights=[6, 6, 5, 5, 4, 10, 8, 2])[0]
        row = {
            "customer_id": f"KA-{rep_no:02d}{n:04d}", "name": name, "credit_code": credit_code(rng),
            "industry": industry, "account_type": rng.choice(["经济大客户", "重要客户", "集团客户", "战略客户"]),
            "scale": rng.choice(["大型", "中型", "小型"]), "region": REGIONS[rep_no % len(REGIONS)],
            "phone": f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.7
            else f"0{rng.choice(['10', '21', '755', '571', '25'])}-{rng.randrange(2 * 10**7, 9 * 10**7)}",
            "email": f"purchase{n}@{rng.choice(['126.com', 'qq.com', 'corp.cn'])}" if rng.random() < 0.6 else None,
            "stage": stage, "created_on": period_end - timedelta(days=rng.randrange(20, 900)),
            "annual_purchase": round(rng.lognormvariate(4.5, 1.1), 1),
            "credit_level": rng.choices(["绿", "黄", "红"], weights=[7, 2, 1])[0],
            "man_money": rng.choice(["是", "是", "否"]), "man_authority": rng.choice(["是", "否"]), "man_need": rng.choice(["是", "是", "否"]),
            **factors,
        }
        rows.append(row)
    if opts.mistakes and len(rows) >= 10:
        a, b, c, d, e, f, g, h, i = rng.sample(range(len(rows)), 9)
        rows[a]["annual_purchase"] = f"{rows[a]['annual_purchase']}万"  # amount typed as text
        rows[b]["annual_purchase"] = f"￥{int(rows[b]['annual_purchase'] * 10000):,}元"
        rows[c]["phone"] = "138 0013 8000"  # spaces: still a good number
        code = rows[d]["credit_code"]
        rows[d]["credit_code"] = code[:17] + ("0" if code[17] != "0" else "1")  # wrong check digit
        rows[e]["phone"] = "1380013800"  # a digit short
        rows[f]["created_on"] = "2026/13/45"  # not a date: the row is rejected
        rows[g]["industry"] = "汽车"  # not on the list
        rows.append(dict(rows[h], name=rows[h]["name"] + "（分厂）"))  # the id typed twice: rejected
        rows[i]["annual_purchase"] = "３５"  # full-width digits
    # a few companies every rep hears of: kept by several reps, spelt differently
    for i, company in enumerate(shared):
        if rng.random() < 0.5 and len(rows) > i + 10:
            spelling = company["name"] if rng.random() < 0.5 else company["name"].replace("有限公司", "").replace("(", "（")
            rows[10 + i].update(name=spelling, credit_code=company["credit_code"] if rng.random() < 0.7 else None)
    return rows


def _contacts(rng, customers: list[dict], opts: DemoOptions) -> list[dict]:
    rows = []
    for c in customers:
        for role in rng.sample(ROLES, rng.randint(1, 4)):
            rows.append({"customer_id": c["customer_id"], "name": _person(rng), "title": TITLES[role], "role": role,
                         "style": rng.choice(STYLES), "attitude": rng.choice(ATTITUDES),
                         "mobile": f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}",
                         "birthday": date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.6 else None,
                         "hobbies": rng.choice(["高尔夫", "钓鱼", "茶", "羽毛球", "摄影", None])})
    return rows


def _visits(rng, customers: list[dict], opts: DemoOptions, start: date, end: date) -> list[dict]:
    ids = [c["customer_id"] for c in customers]
    # A accounts are seen most often (seed 003's cadence): weight the draw by each customer's grade
    weights = [{"A": 6, "B": 3, "C": 1}.get(grade_by_score(value_score(c, DEFAULTS), DEFAULTS), 1) for c in customers]
    rows = []
    for _ in range(opts.visits):
        i = rng.choices(range(len(ids)), weights)[0]
        created = customers[i]["created_on"]
        first = max(start, created) if isinstance(created, date) else start  # never before the customer was on file
        day = first + timedelta(days=rng.randrange(max((end - first).days, 0) + 1))
        rows.append({"date": day, "customer_id": ids[i], "contact": _person(rng),
                     "mode": rng.choices(MODES, weights=[6, 4, 1, 2, 1, 1])[0], "purpose": rng.choice(PURPOSES),
                     "result": rng.choice(RESULTS), "feedback": rng.choice(FEEDBACK) or None, "next_step": rng.choice(STEPS),
                     "next_date": day + timedelta(days=rng.randint(7, 40)), "expense": rng.choice([0, 120, 260, 380, 800, 1500]),
                     "on_trip": rng.choice(["是", "否"]), "valid_info": rng.choices(["是", "否"], weights=[3, 1])[0]})
    rows.sort(key=lambda r: r["date"])
    if opts.mistakes and len(rows) > 6:
        a, b, c, d, e = rng.sample(range(len(rows)), 5)
        rows[a]["date"] = rows[a]["date"].strftime("%Y年%-m月%-d日")  # a text date: still read
        rows[b]["date"] = rows[b]["date"].strftime("%Y/%-m/%-d")
        rows[c]["customer_id"] = "KA-9999"  # a customer not on file: rejected
        rows[d]["result"] = None  # required text missing: a warning
        rows[e]["expense"] = "1.2千元"
    return rows


def _plans(rng, customers: list[dict], end: date) -> list[dict]:
    rows = []
    for c in rng.sample(customers, min(len(customers), max(3, len(customers) // 3))):
        rows.append({"planned_on": end + timedelta(days=rng.randint(1, 30)), "customer_id": c["customer_id"],
                     "contact": _person(rng), "purpose": rng.choice(PURPOSES), "mode": rng.choice(MODES), "status": "计划"})
    return sorted(rows, key=lambda r: r["planned_on"])


def _kpi_rows(rng, rep: str, opts: DemoOptions, period_end: date, struggling: bool = False) -> list[dict]:
    rows = []
    form = 0.55 if struggling else rng.choice([0.8, 0.9, 0.95, 1.0, 1.05])  # a bad quarter earns a 口头警告
    month_start = date(period_end.year, period_end.month, 1)
    for back in range(min(opts.months, 3)):
        first = (month_start - timedelta(days=1)).replace(day=1) if back else month_start
        month_start = first
        plan = rng.choice([80, 100, 120, 150])

        def achieved(target):
            return round(target * form * rng.uniform(0.85, 1.12), 1)
        rows.append({"period": f"{first.year}-{first.month:02d}", "rep": rep, "sales_plan": plan,
                     "sales_actual": achieved(plan), "development_plan": 3,
                     "development_actual": max(0, round(3 * form * rng.uniform(0.6, 1.3))),
                     "settlement_plan": plan * 0.8, "settlement_actual": achieved(plan * 0.8),
                     "collection_due": plan * 0.9, "collection_actual": achieved(plan * 0.9),
                     "expense_budget": 20000, "expense_actual": round(20000 * rng.uniform(0.8, 1.1) / form, -2),
                     "complaints": rng.choices([0, 1, 2, 3], weights=[6, 2, 1, 1 if form < 0.7 else 0])[0]})
    return rows


def write_demo_team(out_dir: str | Path, opts: DemoOptions = DemoOptions()) -> list[Path]:
    """Write `opts.reps` rep workbooks, a KPI workbook (kpi.xlsx) and an Excel lock file into `out_dir`.

    Unless `opts.previous_month` is False, the team as it stood at the end of the month before is written
    too, into `out_dir / PREVIOUS_MONTH_FOLDER`. Returns the files written in `out_dir` itself.
    """
    rng = random.Random(opts.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    period = parse_period(opts.month)
    end = period.end
    start = date(end.year, end.month, 1) - timedelta(days=30 * (opts.months - 1))
    names = _rep_names(rng, opts)
    shared = [{"name": f"{rng.choice(CITIES)}{rng.choice(WORDS)}{TRADES['制造']}(集团)有限公司", "credit_code": credit_code(rng)}
              for _ in range(max(2, opts.customers // 20))]
    books, team, kpi = [], [], []
    for i, rep in enumerate(names, start=1):
        customers = _customers(rng, i, opts, end, shared)
        data = {"customers": customers, "contacts": _contacts(rng, customers, opts),
                "visit_plan": _plans(rng, customers, end), "daily_report": _visits(rng, customers, opts, start, end)}
        anonymous = _anonymous(i, opts)
        filename = _rep_file_name(rep, i, opts)
        books.append(RepBook(filename, None if anonymous else rep, data))
        team.append({"rep": rep, "email": f"rep{i:02d}@example.com", "region": REGIONS[i % len(REGIONS)],
                     "file": filename if anonymous else None})
        kpi.extend(_kpi_rows(rng, rep, opts, end, struggling=opts.reps >= 3 and i == opts.reps))
    month = period_containing(end, "month")
    # its own generator: the team above stays what this seed always gave
    lost = _month_events(books, month, random.Random(f"{opts.seed}/{PREVIOUS_MONTH_FOLDER}")) \
        if opts.previous_month else None
    if lost is not None:  # written first: where both copies of a rep meet (`consolidate team/*`), the newer file wins
        earlier = out / PREVIOUS_MONTH_FOLDER
        earlier.mkdir(exist_ok=True)
        for book in books:
            stamp(build_rep_workbook(earlier / book.filename, book.rep, _as_submitted_before(book, month, end, lost)))
        stamp(build_kpi_workbook(earlier / KPI_FILE, team, kpi))  # the same KPI workbook: it has rows for several months
    written = [stamp(build_rep_workbook(out / book.filename, book.rep, book.data)) for book in books]
    written.append(stamp(build_kpi_workbook(out / KPI_FILE, team, kpi)))
    if opts.mistakes:
        lock, owner = _lock_file(out, names[0])
        lock.write_bytes(owner)
        written.append(lock)
    return written


def demo_files(out_dir: str | Path, opts: DemoOptions = DemoOptions()) -> tuple[list[Path], dict[Path, bytes]]:
    """Every file `write_demo_team` writes (without writing any), and the lock file's bytes if it writes one."""
    out = Path(out_dir)
    names = _rep_names(random.Random(opts.seed), opts)
    books = [_rep_file_name(rep, i, opts) for i, rep in enumerate(names, start=1)] + [KPI_FILE]
    files = [out / name for name in books]
    if opts.previous_month:
        files += [out / PREVIOUS_MONTH_FOLDER / name for name in books]
    lock = dict([_lock_file(out, names[0])]) if opts.mistakes else {}
    return files + list(lock), lock


def _rep_names(rng: random.Random, opts: DemoOptions) -> list[str]:
    """The team's names: the seed's first draws, so they are known before anything is written."""
    names: list[str] = []
    while len(names) < opts.reps:
        name = _person(rng)
        if name not in names:
            names.append(name)
    return names


def _anonymous(rep_no: int, opts: DemoOptions) -> bool:
    """One rep forgot their name on 说明 and named the file after the sheet."""
    return opts.mistakes and rep_no == 2


def _rep_file_name(rep: str, rep_no: int, opts: DemoOptions) -> str:
    return f"{rep}_客户档案.xlsx" if _anonymous(rep_no, opts) else f"{rep}.xlsx"


def _lock_file(out: Path, rep: str) -> tuple[Path, bytes]:
    """The owner file Excel leaves beside a workbook while it is open."""
    return out / f"~${rep}.xlsx", b"\x0cowner" + rep.encode("utf-16-le")


# ---------------------------------------------------------------- the month before: lost and new accounts


@dataclass(frozen=True)
class RepBook:
    filename: str
    rep: str | None  # None: 说明 left without a name (a deliberate mistake)
    data: dict


def _day(raw) -> date | None:
    return parse_date(raw).value


def _created(customer: dict) -> date:
    """建档日期 of a usable customer (`_usable`: never blank)."""
    day = _day(customer["created_on"])
    assert day is not None
    return day


def _usable(customers: list[dict]) -> list[dict]:
    """The rows a reader accepts either month: a readable 建档日期 and an id used once in the file."""
    ids = Counter(c["customer_id"] for c in customers)
    return [c for c in customers if _day(c["created_on"]) is not None and ids[c["customer_id"]] == 1]


def _month_events(books: list[RepBook], month: Period, rng: random.Random) -> dict[tuple[str, str], str]:
    """Who was lost in `month` — (file, customer id) → the active stage they had before — making sure a few
    accounts are new in it.

    Picked from what the seed already wrote (customers 流失 today, customers created within the month);
    only a team too small to have enough is changed: active customers become 流失, older ones are
    re-dated into the month.
    """
    before = month.start - timedelta(days=1)
    usable = [(book.filename, c) for book in books for c in _usable(book.data["customers"])]
    existing = [(f, c) for f, c in usable if _created(c) <= before]
    wanted = rng.randint(*LOST_ACCOUNTS)
    lost = _draw(rng, [(f, c) for f, c in existing if c["stage"] == LOST_STAGE], wanted)
    planted = _draw(rng, [(f, c) for f, c in existing if c["stage"] in ACTIVE_STAGES], wanted - len(lost))
    for _, c in planted:
        c["stage"] = LOST_STAGE
    lost += planted
    new = [c for _, c in usable if _created(c) in month and c["stage"] != LOST_STAGE]
    # re-dated only where no visit comes before the month, as for a customer that really is new, and on or before
    # its first visit in the month (a visit before its customer was on file is a warning)
    first_visit: dict[tuple[str, str], date] = {}
    for book in books:
        for v in book.data["daily_report"]:
            key, day = (book.filename, v["customer_id"]), _day(v["date"]) or month.end
            first_visit[key] = min(first_visit.get(key, day), day)
    older = [(f, c) for f, c in existing if c["stage"] != LOST_STAGE]
    unvisited = [(f, c) for f, c in older if first_visit.get((f, c["customer_id"]), month.end) >= month.start]
    for f, c in _draw(rng, unvisited, NEW_ACCOUNTS - len(new)):
        latest = min(month.end, first_visit.get((f, c["customer_id"]), month.end))
        c["created_on"] = month.start + timedelta(days=rng.randrange((latest - month.start).days + 1))
    return {(f, c["customer_id"]): rng.choice(ACTIVE_STAGES) for f, c in lost}


def _draw(rng: random.Random, pool: list, count: int) -> list:
    return rng.sample(pool, max(0, min(count, len(pool))))


def _as_submitted_before(book: RepBook, month: Period, end: date, lost: dict[tuple[str, str], str]) -> dict:
    """A rep's workbook as it stood at the end of the month before `month`: nothing created or dated after it."""
    before = month.start - timedelta(days=1)
    data = book.data
    customers = [dict(c, stage=lost.get((book.filename, c["customer_id"]), c["stage"])) for c in data["customers"]
                 if (_day(c["created_on"]) or before) <= before]  # an unreadable date stays: rejected either month
    known = {c["customer_id"] for c in customers}
    later = {c["customer_id"] for c in data["customers"]} - known  # created after `before`
    visits = [v for v in data["daily_report"] if (_day(v["date"]) or before) <= before and v["customer_id"] not in later]
    # this month's plan is for the days after `end`; a month earlier the plan was for that month's own days
    plans = [dict(p, planned_on=min(before, month.previous().start + (p["planned_on"] - end - timedelta(days=1))))
             for p in data["visit_plan"] if p["customer_id"] in known]
    return {"customers": customers, "contacts": [c for c in data["contacts"] if c["customer_id"] in known],
            "visit_plan": plans, "daily_report": visits}
