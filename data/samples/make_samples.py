"""Make the synthetic sample inputs: data/samples/enterprises.csv and data/samples/consortia.csv.

    .venv/bin/python data/samples/make_samples.py

Seeded (numpy default_rng, SEED below), no network, deterministic: two runs write byte-identical
files.  The assumptions behind every distribution are in data/samples/README.md.  At the end the
script loads both files with the calculator and fails if any row is rejected, or if the deliberate
consortium rows no longer cover every overall status in Xiamen and Hainan.

Headers are the canonical English column names of calc/inputs.py.  An empty cell means *unknown*
(the calculator then says needs_input), never zero.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20260630
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
N_ENTERPRISES = 260  # regular rows; the E-EDGE-* rows come on top
N_POPULATION = 2400  # the city-scale portfolio for budget modelling (population.csv): Xiamen applicants only
N_RANDOM_CONSORTIA = {"xiamen": 8, "hainan": 3, "qingdao": 2, "liaoyang": 2}  # on top of the hand-made rows
CHECK_AS_OF = "2026-03-31"  # a date on which all four consortium policies are in force

WAN = 10_000
YI = 100_000_000

rng = np.random.default_rng(SEED)


# =============================================================================== cell formats


def money_text(yuan: int, style: str) -> str:
    """An amount in one of the formats people type.  The text *is* the value (it is rounded first)."""
    yuan = int(yuan)
    if style == "yi" and yuan >= 10 * 1_000_000:  # 0.01亿 = 100万: round to it, write "0.58亿"
        units = (yuan + 500_000) // 1_000_000
        whole, frac = divmod(units, 100)
        return f"{whole}亿" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "亿"
    if style in ("wan", "yi"):  # 0.01万 = 100 yuan: round to it, write "1,234.56万"
        units = (yuan + 50) // 100
        whole, frac = divmod(units, 100)
        return f"{whole:,}万" if frac == 0 else f"{whole:,}.{frac:02d}万"
    if style == "yen":
        return f"¥{yuan:,}"
    return str(yuan)


MONEY_STYLES = ("plain", "wan", "yen", "yi")
MONEY_STYLE_P = (0.85, 0.06, 0.05, 0.04)


def money_cells(values: np.ndarray, present: np.ndarray) -> list[str]:
    """Format a money column: mostly plain yuan, some 万 / ¥ / 亿 texts; '' where not present."""
    styles = rng.choice(len(MONEY_STYLES), size=len(values), p=MONEY_STYLE_P)
    return [money_text(v, MONEY_STYLES[s]) if p else "" for v, s, p in zip(values, styles, present)]


BOOL_WORDS = (("是", "否"), ("yes", "no"), ("Y", "N"))
BOOL_WORD_P = (0.80, 0.15, 0.05)


def bool_cells(values: np.ndarray, present: np.ndarray) -> list[str]:
    words = rng.choice(len(BOOL_WORDS), size=len(values), p=BOOL_WORD_P)
    return [BOOL_WORDS[w][0 if v else 1] if p else "" for v, w, p in zip(values, words, present)]


def count_cells(values: np.ndarray, present: np.ndarray) -> list[str]:
    return [str(int(v)) if p else "" for v, p in zip(values, present)]


RATING_SPELLING = {  # canonical -> spellings seen in practice
    "excellent": ("优秀", "excellent", "优"),
    "good": ("良好", "good"),
    "pass": ("合格", "pass"),
    "fail": ("不合格", "fail"),
    "none": ("无", "none"),
}


def rating_cells(values: list[str], present: np.ndarray) -> list[str]:
    out = []
    for v, p in zip(values, present):
        if not p:
            out.append("")
            continue
        spellings = RATING_SPELLING[v]
        out.append(spellings[int(rng.integers(len(spellings)))])
    return out


def present(n: int, p: float) -> np.ndarray:
    return rng.random(n) < p


def lognormal(n: int, median: float, sigma: float) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, size=n)


# =============================================================================== enterprises

CITIES = ("xiamen", "other", "qingdao", "hainan", "liaoyang")
CITY_P = (0.85, 0.06, 0.04, 0.03, 0.02)
CITY_SPELLING = {"xiamen": ("xiamen",) * 18 + ("厦门市", "厦门"), "qingdao": ("qingdao", "青岛市"),
                 "hainan": ("hainan", "海南省"), "liaoyang": ("liaoyang", "辽阳市"), "other": ("other", "其他")}
XIAMEN_DISTRICTS = ("思明区", "湖里区", "集美区", "海沧区", "同安区", "翔安区")
XIAMEN_DISTRICT_P = (0.20, 0.25, 0.15, 0.13, 0.10, 0.17)
OTHER_DISTRICTS = {
    "qingdao": ("崂山区", "黄岛区", "市南区", "李沧区", "城阳区"),
    "hainan": ("海口市美兰区", "海口市龙华区", "三亚市吉阳区", "儋州市"),
    "liaoyang": ("白塔区", "文圣区", "宏伟区", "太子河区"),
    "other": ("福州市鼓楼区", "泉州市丰泽区", "漳州市龙文区", "深圳市南山区", "上海市浦东新区"),
}
CITY_ZH = {"xiamen": "厦门", "qingdao": "青岛", "hainan": "海南", "liaoyang": "辽阳"}
INDUSTRIES = ("软件和信息服务", "集成电路", "生物医药", "医疗器械", "新能源", "新材料", "高端装备制造",
              "光电显示", "数字创意", "海洋高新", "现代种业", "节能环保")
INDUSTRY_P = (0.16, 0.08, 0.10, 0.07, 0.10, 0.10, 0.11, 0.07, 0.07, 0.05, 0.03, 0.06)
INDUSTRY_NAME = {"软件和信息服务": "信息技术", "集成电路": "微电子", "生物医药": "生物科技", "医疗器械": "医疗科技",
                 "新能源": "新能源科技", "新材料": "新材料科技", "高端装备制造": "智能装备", "光电显示": "光电科技",
                 "数字创意": "数字科技", "海洋高新": "海洋生物", "现代种业": "种业科技", "节能环保": "环境科技"}
BRAND_CHARS = "鹭嘉禾星云瑞鑫联创智源恒达华芯光远航泰宏润信微博安明峰卓越海川禾盛"
SIZE_BANDS = ("微型", "小型", "中型", "大型")


def company_name(city: str, district: str, industry: str) -> str:
    place = CITY_ZH.get(city) or (district[:2] if district else "福建")
    brand = "".join(BRAND_CHARS[i] for i in rng.integers(len(BRAND_CHARS), size=2))
    suffix = ("有限公司", "股份有限公司")[int(rng.random() < 0.2)]
    return f"{place}{brand}{INDUSTRY_NAME[industry]}{suffix}"


def size_band(rd_yuan: float) -> str:
    base = 0 if rd_yuan < 100 * WAN else 1 if rd_yuan < 500 * WAN else 2 if rd_yuan < 3000 * WAN else 3
    shift = rng.choice((-1, 0, 1), p=(0.08, 0.84, 0.08))
    return SIZE_BANDS[int(np.clip(base + shift, 0, 3))]


def make_enterprises(n: int = N_ENTERPRISES, prefix: str = "E", width: int = 4,
                     city_p: list[float] | None = None, edge_cases: bool = True) -> pd.DataFrame:
    ids = [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]
    city = rng.choice(CITIES, size=n, p=CITY_P if city_p is None else city_p)
    city_text = [CITY_SPELLING[c][int(rng.integers(len(CITY_SPELLING[c])))] for c in city]
    district = []
    for c in city:
        if c == "xiamen":
            district.append(str(rng.choice(XIAMEN_DISTRICTS, p=XIAMEN_DISTRICT_P)))
        else:
            district.append(str(rng.choice(OTHER_DISTRICTS[c])))
    district = [d if p else "" for d, p in zip(district, present(n, 0.95))]
    industry = rng.choice(INDUSTRIES, size=n, p=INDUSTRY_P)

    # consortium membership: ~22% in Xiamen, ~10% elsewhere; members are larger R&D spenders
    member = rng.random(n) < np.where(city == "xiamen", 0.22, 0.10)
    lead = member & (rng.random(n) < 0.18)
    talent_lead = lead & (rng.random(n) < 0.35)

    # R&D this year: log-normal, median 250万, sigma 1.1; members x2.5; clipped to [5万, 5亿]
    rd = lognormal(n, 250 * WAN, 1.1) * np.where(member, 2.5, 1.0)
    rd = np.clip(np.round(rd), 5 * WAN, 5 * YI).astype(np.int64)
    # growth on last year: 18% decline, 2% flat, 50% growth up to 20%, 30% growth above 20%
    kind = rng.choice(4, size=n, p=(0.18, 0.02, 0.50, 0.30))
    growth = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.uniform(-0.35, -0.01, n), np.zeros(n), rng.uniform(0.0, 0.20, n)],
        default=rng.uniform(0.20, 0.90, n),
    )
    prev = np.round(rd / (1 + growth)).astype(np.int64)
    prev = np.where(rng.random(n) < 0.02, 0, prev)  # R&D started this year

    # national project matching (members): national funding present for 85% of members, > 0 for 40% of those
    has_project = member & (rng.random(n) < 0.40)
    national = np.where(has_project, np.round(lognormal(n, 600 * WAN, 0.8), -4), 0).astype(np.int64)
    national_present = np.where(member, present(n, 0.85), present(n, 0.25))
    provincial = np.where(has_project, np.round(national * rng.uniform(0, 0.4, n), -4), 0).astype(np.int64)
    municipal = np.where(has_project, np.round(national * rng.uniform(0, 0.3, n), -4), 0).astype(np.int64)
    # total investment: usually ample (1.5–4x the public money), sometimes tight so that it binds
    public = national + provincial + municipal
    total_inv = np.round(public * np.where(rng.random(n) < 0.15, rng.uniform(1.0, 1.3, n),
                                           rng.uniform(1.5, 4.0, n)), -4).astype(np.int64)
    funding_p = np.where(has_project, 0.9, 0.3) * national_present
    prov_present = rng.random(n) < funding_p
    muni_present = rng.random(n) < funding_p
    total_present = rng.random(n) < funding_p

    lab_present = present(n, 0.60)
    lab = np.where(rng.random(n) < 0.12, np.round(lognormal(n, 800 * WAN, 1.0), -3), 0).astype(np.int64)
    tech_present = present(n, 0.60)
    tech = np.where(rng.random(n) < 0.25, np.round(lognormal(n, 60 * WAN, 0.9), -2), 0).astype(np.int64)

    def rare_count(p_present: float, p_positive: float, values=(1, 2), weights=(0.8, 0.2)):
        pos = rng.random(n) < p_positive
        v = np.where(pos, rng.choice(values, size=n, p=weights), 0)
        return v, present(n, p_present)

    platforms, platforms_p = rare_count(0.70, 0.02)
    bases, bases_p = rare_count(0.65, 0.02)
    postdocs, postdocs_p = rare_count(0.70, 0.06, (1, 2, 3, 4), (0.5, 0.3, 0.15, 0.05))
    incubators, incubators_p = rare_count(0.65, 0.05)
    brics, brics_p = rare_count(0.60, 0.02)
    intergov, intergov_p = rare_count(0.60, 0.01, (1,), (1.0,))
    pilot, pilot_p = rare_count(0.60, 0.01, (1,), (1.0,))
    sme, sme_p = rare_count(0.65, 0.08, (1, 2), (0.85, 0.15))
    scenario, scenario_p = rare_count(0.60, 0.03, (1,), (1.0,))
    major, major_p = rare_count(0.70, 0.0)
    major = np.where(member & (rng.random(n) < 0.25), rng.choice((1, 2), size=n, p=(0.8, 0.2)), major)
    pub_new, pub_new_p = rare_count(0.60, 0.0)
    pub_new = np.where(member & (rng.random(n) < 0.10), 1, pub_new)
    hires = np.where(talent_lead, rng.choice((1, 2, 3), size=n, p=(0.5, 0.3, 0.2)), 0)
    hires_p = np.where(talent_lead, True, present(n, 0.5))

    base_rating = rng.choice(("excellent", "good", "pass", "none"), size=n, p=(0.03, 0.04, 0.03, 0.90))
    base_rating = np.where(bases > 0, rng.choice(("excellent", "good", "pass"), size=n), base_rating)
    pub_rating = rng.choice(("excellent", "good", "pass", "fail", "none"), size=n, p=(0.04, 0.05, 0.04, 0.01, 0.86))
    pub_rating = np.where(member & (rng.random(n) < 0.3), rng.choice(("excellent", "good", "pass"), size=n), pub_rating)
    upgrade = rng.random(n) < 0.5
    evaluation = np.where(lead, rng.choice(("excellent", "pass", "none"), size=n, p=(0.3, 0.5, 0.2)), "none")

    hightech = rng.random(n) < 0.10
    mechanism = member & (rng.random(n) < 0.15)

    frame = pd.DataFrame({
        "enterprise_id": ids,
        "name": [company_name(c, d, i) if p else "" for c, d, i, p in zip(city, district, industry, present(n, 0.97))],
        "city": city_text,
        "district": district,
        "industry": [i if p else "" for i, p in zip(industry, present(n, 0.92))],
        "size_band": [size_band(r) if p else "" for r, p in zip(rd, present(n, 0.90))],
        "consortium_member": bool_cells(member, np.ones(n, bool)),
        "rd_expense": money_cells(rd, np.ones(n, bool)),
        "rd_expense_prev": money_cells(prev, np.ones(n, bool)),
        "national_funding": money_cells(national, national_present),
        "provincial_funding": money_cells(provincial, prov_present),
        "municipal_funding": money_cells(municipal, muni_present),
        "project_total_investment": money_cells(total_inv, total_present),
        "joint_lab_investment": money_cells(lab, lab_present),
        "tech_transaction_paid": money_cells(tech, tech_present),
        "new_national_platforms": count_cells(platforms, platforms_p),
        "new_intl_coop_bases": count_cells(bases, bases_p),
        "postdocs_in_station": count_cells(postdocs, postdocs_p),
        "incubators": count_cells(incubators, incubators_p),
        "intl_coop_base_rating": rating_cells(list(base_rating), present(n, 0.50) | (bases > 0)),
        "brics_projects": count_cells(brics, brics_p),
        "intergov_projects": count_cells(intergov, intergov_p),
        "national_pilot_platforms": count_cells(pilot, pilot_p),
        "sme_innovation_projects": count_cells(sme, sme_p),
        "scenario_projects": count_cells(scenario, scenario_p),
        "hightech_transformation_project": bool_cells(hightech, present(n, 0.70)),
        "consortium_lead": bool_cells(lead, np.where(member, True, present(n, 0.70))),
        "talent_consortium_lead": bool_cells(talent_lead, np.where(lead, True, present(n, 0.60))),
        "major_projects": count_cells(major, np.where(member, True, major_p)),
        "public_platforms_new": count_cells(pub_new, np.where(member, True, pub_new_p)),
        "public_platform_rating": rating_cells(list(pub_rating), present(n, 0.55)),
        "public_platform_upgrade_need": bool_cells(upgrade, present(n, 0.45)),
        "double_hundred_hires": count_cells(hires, hires_p),
        "new_mechanism_recognised": bool_cells(mechanism, np.where(member, True, present(n, 0.40))),
        "consortium_evaluation": rating_cells(list(evaluation), np.where(lead, True, present(n, 0.40))),
        "claim_year": count_cells(np.full(n, 2026), present(n, 0.95)),
    })
    if not edge_cases:  # a population for budget modelling: drawn rows only, no test fixtures
        return frame
    return pd.concat([frame, enterprise_edge_cases(frame.columns)], ignore_index=True)


def enterprise_edge_cases(columns) -> pd.DataFrame:
    """Hand-made rows at the boundaries of the rules; each id says what it tests (see README.md)."""
    base = {"city": "xiamen", "district": "湖里区", "industry": "软件和信息服务", "size_band": "中型",
            "consortium_member": "否", "claim_year": "2026"}
    rows = [
        # 措施7 step subsidy: 高于200万元 is strict -> exactly 200万 gets nothing
        dict(enterprise_id="E-EDGE-RD-200W", rd_expense="2000000", rd_expense_prev="1500000"),
        # one yuan above 200万 -> one full step, 10万
        dict(enterprise_id="E-EDGE-RD-200W-PLUS-1", rd_expense="2000001", rd_expense_prev="1500000"),
        # growth exactly 20% (600万 on 500万): step subsidy 3 x 10万, but no growth bonus (超过20% is strict)
        dict(enterprise_id="E-EDGE-GROWTH-20", rd_expense="6000000", rd_expense_prev="5000000"),
        # one yuan more: growth just above 20% -> the 50万 bonus stacks (叠加) on the 30万 step subsidy
        dict(enterprise_id="E-EDGE-GROWTH-20-PLUS-1", rd_expense="6000001", rd_expense_prev="5000000"),
        # R&D exactly 500万 with 67% growth: bonus needs 高于500万 -> none; step subsidy 2 x 10万
        dict(enterprise_id="E-EDGE-RD-500W", rd_expense="5000000", rd_expense_prev="3000000"),
        # 1.02亿 -> 51 steps = 510万, capped at 500万
        dict(enterprise_id="E-EDGE-CAP", rd_expense="102000000", rd_expense_prev="90000000"),
        # the same amount written as text in 亿: 0.58亿 = 5800万 -> 29 steps = 290万
        dict(enterprise_id="E-EDGE-0.58YI", rd_expense="0.58亿", rd_expense_prev="50,000,000"),
        # full-width digits and 万 with thousands separator: 1,234.56万 -> 6 steps = 60万
        dict(enterprise_id="E-EDGE-FULLWIDTH-WAN", rd_expense="１,２３４.５６万", rd_expense_prev="¥10,000,000"),
        # no growth (equal to last year) -> no step subsidy
        dict(enterprise_id="E-EDGE-NO-GROWTH", rd_expense="8000000", rd_expense_prev="8000000"),
        # R&D started this year (last year 0): growth from a zero base counts; 600万 > 500万 -> bonus too
        dict(enterprise_id="E-EDGE-PREV-ZERO", rd_expense="6000000", rd_expense_prev="0"),
        # joint lab: 2亿 non-fiscal investment -> 10% = 2000万, capped at 1000万
        dict(enterprise_id="E-EDGE-JOINTLAB-CAP", rd_expense="30000000", rd_expense_prev="28000000",
             joint_lab_investment="2亿"),
        # tech transaction: 300万 paid -> 50% = 150万, capped at 100万 per project
        dict(enterprise_id="E-EDGE-TECH-CAP", rd_expense="4000000", rd_expense_prev="4200000",
             tech_transaction_paid="3000000"),
        # national project matching: national 1000万, provincial 300万, municipal 200万, total 1800万
        # -> 50% = 500万, but national+provincial+municipal+matching ≤ total leaves room for 300万 only
        dict(enterprise_id="E-EDGE-MATCHING-ROOM", consortium_member="是", rd_expense="25000000",
             rd_expense_prev="20000000", national_funding="10000000", provincial_funding="3000000",
             municipal_funding="2000000", project_total_investment="18000000"),
        # national 3000万 -> 50% = 1500万, capped at 1000万 (total investment ample)
        dict(enterprise_id="E-EDGE-MATCHING-CAP", consortium_member="是", rd_expense="80000000",
             rd_expense_prev="70000000", national_funding="3000万", provincial_funding="0",
             municipal_funding="0", project_total_investment="1.2亿"),
        # a consortium member with a new national platform: 措施2 and 第十条（四） both offer 3000万,
        # 就高不重复 counts one of them
        dict(enterprise_id="E-EDGE-PLATFORM-DUP", consortium_member="是", rd_expense="60000000",
             rd_expense_prev="50000000", new_national_platforms="1"),
        # large R&D outside Xiamen: every Xiamen item is not_eligible (requires xiamen)
        dict(enterprise_id="E-EDGE-NOT-XIAMEN", city="qingdao", district="崂山区", rd_expense="50000000",
             rd_expense_prev="30000000"),
        # talent consortium lead with Double-Hundred hires, and an 优秀 consortium evaluation
        dict(enterprise_id="E-EDGE-TALENT-LEAD", consortium_member="是", consortium_lead="是",
             talent_consortium_lead="是", double_hundred_hires="2", consortium_evaluation="优秀",
             rd_expense="45000000", rd_expense_prev="36000000"),
        # only the required cells: every other item says needs_input
        dict(enterprise_id="E-EDGE-REQUIRED-ONLY", district="", industry="", size_band="", claim_year="",
             rd_expense="3000000", rd_expense_prev="2500000"),
    ]
    rows = [{"name": f"边界样例 {r['enterprise_id'].removeprefix('E-EDGE-')}", **r} for r in rows]
    return pd.DataFrame([{c: {**base, **r}.get(c, "") for c in columns} for r in rows])


# =============================================================================== consortia

CONSORTIUM_FIELDS_TEXT = ("新材料", "集成电路", "高端装备", "新能源", "软件信息", "海洋高新", "other")


def consortium_base(j: str) -> dict:
    """A consortium that meets every condition of its own jurisdiction (overridden per scenario)."""
    common = dict(lead_type="enterprise", lead_region=j, lead_high_tech="是", chief_scientist="是",
                  agreement_signed="是", lead_other_consortia="0", lead_is_provincial_mfg_center="否")
    if j == "xiamen":
        return {**common, "enterprises": 6, "universities": 2, "research_institutes": 1, "other_units": 1,
                "local_units": 8, "scale_or_hightech_enterprises": 4, "field": "新材料",
                "lead_revenue": "1200000000", "lead_revenue_prev": "1100000000", "lead_revenue_prev2": "1000000000",
                "lead_rd": "60000000", "lead_rd_prev": "55000000", "lead_rd_prev2": "50000000",
                "lead_years_operating": 15, "lead_platform_level": "provincial", "lead_rd_staff": 180}
    if j == "hainan":
        return {**common, "enterprises": 7, "universities": 2, "research_institutes": 2, "other_units": 1,
                "local_units": 8, "scale_or_hightech_enterprises": 3, "field": "海洋高新",
                "lead_revenue": "600000000", "lead_revenue_prev": "560000000", "lead_revenue_prev2": "500000000",
                "lead_rd": "9000000", "lead_rd_prev": "8000000", "lead_rd_prev2": "7000000",
                "lead_years_operating": 12, "lead_platform_level": "省级", "lead_rd_staff": 45}
    if j == "qingdao":
        return {**common, "enterprises": 5, "universities": 1, "research_institutes": 1, "other_units": 1,
                "local_units": 6, "scale_or_hightech_enterprises": 3, "field": "高端装备",
                "lead_revenue": "2500000000", "lead_revenue_prev": "2300000000", "lead_revenue_prev2": "2100000000",
                "lead_rd": "120000000", "lead_rd_prev": "110000000", "lead_rd_prev2": "95000000",
                "lead_years_operating": 20, "lead_platform_level": "national", "lead_rd_staff": 400}
    if j == "liaoyang":
        return {**common, "enterprises": 6, "universities": 1, "research_institutes": 1, "other_units": 1,
                "local_units": 7, "scale_or_hightech_enterprises": 3, "field": "新材料",
                "lead_revenue": "800000000", "lead_revenue_prev": "760000000", "lead_revenue_prev2": "700000000",
                "lead_rd": "28000000", "lead_rd_prev": "25000000", "lead_rd_prev2": "22000000",
                "lead_years_operating": 25, "lead_platform_level": "provincial", "lead_rd_staff": 90}
    raise ValueError(j)


# (id, jurisdiction, overrides, status expected in the own jurisdiction on CHECK_AS_OF or None)
DELIBERATE_CONSORTIA = [
    # ---------------------------------------------------------------- Xiamen
    ("C-XM-ELIGIBLE", "xiamen", {"name": "厦门新材料产业创新联合体"}, "eligible"),
    ("C-XM-HOSPITAL-3A-LIFE-HEALTH", "xiamen",
     {"name": "厦门生命健康创新联合体（三甲医院牵头）", "lead_type": "hospital_3a", "field": "life_health",
      "enterprises": 5, "universities": 2, "research_institutes": 1, "other_units": 1, "local_units": 9,
      "scale_or_hightech_enterprises": 3, "lead_platform_level": "国家级", "lead_high_tech": "",
      "lead_revenue": "", "lead_revenue_prev": "", "lead_revenue_prev2": "", "lead_rd": "", "lead_rd_prev": "",
      "lead_rd_prev2": "", "lead_rd_staff": 260, "core_team_members": 14, "national_level_talents": 2,
      "city_b_talents": 5}, "eligible"),
    ("C-XM-HOSPITAL-OTHER", "xiamen",
     {"name": "厦门医疗器械创新联合体（非三甲医院牵头）", "lead_type": "医院", "field": "生命健康",
      "lead_revenue": "", "lead_revenue_prev": "", "lead_revenue_prev2": "", "lead_rd": "", "lead_rd_prev": "",
      "lead_rd_prev2": ""}, "ineligible"),
    ("C-XM-NEW-RD-INSTITUTION", "xiamen",
     {"name": "厦门集成电路创新联合体（新型研发机构牵头）", "lead_type": "新型研发机构", "field": "集成电路",
      "lead_revenue": "", "lead_revenue_prev": "", "lead_revenue_prev2": "", "lead_rd": "", "lead_rd_prev": "",
      "lead_rd_prev2": "", "lead_platform_level": "市级"}, "eligible"),
    ("C-XM-MFG-CENTER", "xiamen",
     {"name": "厦门高端装备创新联合体（省级制造业创新中心牵头）", "lead_type": "provincial_mfg_innovation_center",
      "lead_is_provincial_mfg_center": "是", "field": "高端装备"}, "eligible"),
    ("C-XM-SOFT-REVENUE-3.2YI", "xiamen",
     {"name": "厦门光电显示创新联合体", "lead_revenue": "3.2亿", "lead_revenue_prev": "3亿",
      "lead_revenue_prev2": "2.8亿", "lead_rd": "1,500万", "lead_rd_prev": "1,400万", "lead_rd_prev2": "1,200万"},
     "eligible_with_exceptions"),  # revenue below 5亿 is 原则上 (soft); R&D 4.6% of revenue passes
    ("C-XM-SOFT-SECOND-LEAD", "xiamen",
     {"name": "厦门新能源创新联合体", "lead_other_consortia": "1", "field": "新能源"}, "eligible_with_exceptions"),
    ("C-XM-EDGE-7-MEMBERS", "xiamen",
     {"name": "厦门软件信息创新联合体（7家成员）", "enterprises": 5, "universities": 1, "research_institutes": 1,
      "other_units": 0, "local_units": 7, "scale_or_hightech_enterprises": 2}, "eligible"),  # 7个(含)以上
    ("C-XM-EDGE-6-MEMBERS", "xiamen",
     {"name": "厦门数字创意创新联合体（6家成员）", "enterprises": 4, "universities": 1, "research_institutes": 1,
      "other_units": 0, "local_units": 6, "scale_or_hightech_enterprises": 2}, "ineligible"),
    ("C-XM-EDGE-RD-AVG-2000W", "xiamen",
     {"name": "厦门节能环保创新联合体（研发年均恰为2000万）", "lead_revenue": "1000000000",
      "lead_revenue_prev": "1000000000", "lead_revenue_prev2": "1000000000", "lead_rd": "21000000",
      "lead_rd_prev": "20000000", "lead_rd_prev2": "19000000"}, "eligible"),  # average exactly 2000万; ratio 2%
    ("C-XM-EDGE-RD-RATIO-3PCT", "xiamen",
     {"name": "厦门海洋高新创新联合体（研发占比恰为3%）", "lead_revenue": "500000000",
      "lead_revenue_prev": "500000000", "lead_revenue_prev2": "500000000", "lead_rd": "15000000",
      "lead_rd_prev": "15000000", "lead_rd_prev2": "15000000"}, "eligible"),  # average 1500万 but exactly 3%
    ("C-XM-RD-SHORT", "xiamen",
     {"name": "厦门智能制造创新联合体（研发不足）", "lead_rd": "12000000", "lead_rd_prev": "11000000",
      "lead_rd_prev2": "10000000"}, "ineligible"),  # average 1100万 and 1.0% of revenue: both fail
    ("C-XM-YOUNG-LEAD-2-YEARS", "xiamen",
     {"name": "厦门人工智能创新联合体（牵头单位成立2年）", "lead_years_operating": 2, "lead_rd_prev2": "",
      "lead_revenue_prev2": "", "lead_rd": "26000000", "lead_rd_prev": "18000000"}, "eligible"),
    ("C-XM-NO-AGREEMENT", "xiamen", {"name": "厦门生物制造创新联合体", "agreement_signed": "否"}, "ineligible"),
    ("C-XM-LEAD-OUTSIDE-XIAMEN", "xiamen", {"name": "厦门半导体创新联合体（牵头单位在外地）",
                                            "lead_region": "other"}, "ineligible"),
    ("C-XM-NO-PLATFORM", "xiamen", {"name": "厦门现代物流创新联合体", "lead_platform_level": "无"}, "ineligible"),
    ("C-XM-INCOMPLETE-CHIEF", "xiamen", {"name": "厦门柔性电子创新联合体", "chief_scientist": ""}, "incomplete"),
    ("C-XM-INCOMPLETE-RD", "xiamen",
     {"name": "厦门氢能创新联合体（研发数据不全）", "lead_years_operating": "", "lead_rd_prev2": ""}, "incomplete"),
    ("C-XM-TALENT-SHORT", "xiamen",
     {"name": "厦门第三代半导体人才攻关联合体（核心团队9人）", "core_team_members": 9, "national_level_talents": 1,
      "city_b_talents": 4}, "eligible"),  # recognised; talent consortium 第十一条 fails (9 < 10)
    ("C-XM-TALENT-OK", "xiamen",
     {"name": "厦门储能人才攻关联合体", "core_team_members": 10, "national_level_talents": 1, "city_b_talents": 3},
     "eligible"),  # talent thresholds met exactly
    # ---------------------------------------------------------------- Hainan
    ("C-HN-ELIGIBLE", "hainan", {"name": "海南深海科技创新联合体"}, "eligible"),
    ("C-HN-DIGITAL-ECONOMY", "hainan",
     {"name": "海南数字经济创新联合体", "field": "digital_economy", "lead_platform_level": "municipal",
      "lead_revenue": "2.6亿", "lead_revenue_prev": "2.2亿", "lead_revenue_prev2": "1.9亿", "lead_rd": "1,800万",
      "lead_rd_prev": "1,500万", "lead_rd_prev2": "1,100万", "lead_rd_staff": 38},
     "eligible_with_exceptions"),  # 四(三) relaxed for 数字经济: the platform failure becomes soft
    ("C-HN-SEED-INDUSTRY", "hainan",
     {"name": "海南南繁种业创新联合体", "field": "现代种业", "lead_platform_level": "none", "lead_rd_staff": 15},
     "eligible_with_exceptions"),
    ("C-HN-SOFT-8-MEMBERS", "hainan",
     {"name": "海南热带农业创新联合体（8家成员）", "enterprises": 5, "universities": 2, "research_institutes": 1,
      "other_units": 0, "local_units": 5, "scale_or_hightech_enterprises": 2}, "eligible_with_exceptions"),
    ("C-HN-EDGE-LOCAL-50PCT", "hainan",
     {"name": "海南航天科技创新联合体（本地单位恰为50%）", "local_units": 6}, "eligible"),  # 6 of 12: 不低于50%
    ("C-HN-LOCAL-SHORT", "hainan",
     {"name": "海南新能源汽车创新联合体（本地单位不足）", "local_units": 5}, "ineligible"),  # 5 of 12
    ("C-HN-LEAD-OUTSIDE", "hainan", {"name": "海南生物医药创新联合体（牵头单位在省外）", "lead_region": "other"},
     "ineligible"),
    ("C-HN-INCOMPLETE-LOCAL", "hainan", {"name": "海南油气化工创新联合体", "local_units": ""}, "incomplete"),
    # ---------------------------------------------------------------- Qingdao
    ("C-QD-ELIGIBLE", "qingdao", {"name": "青岛海洋装备创新联合体"}, "eligible"),
    ("C-QD-SOFT-ONE-ACADEMIC", "qingdao",
     {"name": "青岛智能家电创新联合体", "universities": 1, "research_institutes": 0, "local_units": 5},
     "eligible_with_exceptions"),
    ("C-QD-LEAD-OUTSIDE", "qingdao", {"name": "青岛轨道交通创新联合体", "lead_region": "other"}, "ineligible"),
    ("C-QD-INCOMPLETE", "qingdao", {"name": "青岛虚拟现实创新联合体", "agreement_signed": ""}, "incomplete"),
    # ---------------------------------------------------------------- Liaoyang (in force until 2026-05-22)
    ("C-LY-ELIGIBLE", "liaoyang", {"name": "辽阳芳烃及精细化工创新联合体"}, "eligible"),
    ("C-LY-SOFT-7-MEMBERS", "liaoyang",
     {"name": "辽阳工业铝材创新联合体（7家成员）", "enterprises": 5, "other_units": 0, "local_units": 6},
     "eligible_with_exceptions"),
    ("C-LY-NO-PLATFORM", "liaoyang", {"name": "辽阳装备制造创新联合体", "lead_platform_level": "municipal"},
     "ineligible"),
    ("C-LY-INCOMPLETE", "liaoyang", {"name": "辽阳新材料创新联合体", "chief_scientist": ""}, "incomplete"),
]


def random_consortium(j: str, k: int) -> dict:
    """A consortium drawn at random for jurisdiction ``j`` (see README.md for the distributions)."""
    row = consortium_base(j)
    ent = int(rng.integers(4, 13))
    uni = int(rng.choice((0, 1, 2, 3), p=(0.1, 0.4, 0.35, 0.15)))
    ins = int(rng.choice((0, 1, 2), p=(0.3, 0.5, 0.2)))
    oth = int(rng.choice((0, 1, 2), p=(0.5, 0.35, 0.15)))
    total = ent + uni + ins + oth
    local = int(rng.binomial(total, rng.uniform(0.4, 0.95)))
    scale = int(rng.binomial(ent, 0.5))
    revenue = lognormal(1, 8 * YI, 0.9)[0]
    years = int(rng.choice((2, 3, 5, 8, 12, 20, 30), p=(0.05, 0.05, 0.15, 0.2, 0.25, 0.2, 0.1)))
    growth = rng.uniform(0.0, 0.25, 2)
    revs = [revenue, revenue / (1 + growth[0]), revenue / (1 + growth[0]) / (1 + growth[1])]
    ratio = lognormal(1, 0.04, 0.5)[0]
    rds = [r * ratio * rng.uniform(0.85, 1.15) for r in revs]
    revenue_cells = money_cells(np.round(np.array(revs)).astype(np.int64), np.array([True, True, years >= 3]))
    rd_cells = money_cells(np.round(np.array(rds)).astype(np.int64), np.array([True, True, years >= 3]))
    lead_type = str(rng.choice(("enterprise", "new_rd_institution", "hospital_3a"), p=(0.85, 0.10, 0.05)))
    field = "life_health" if lead_type == "hospital_3a" else str(
        rng.choice(("life_health", "digital_economy", "seed_industry", *CONSORTIUM_FIELDS_TEXT),
                   p=(0.12, 0.12, 0.06, 0.14, 0.14, 0.12, 0.12, 0.06, 0.06, 0.06)))
    talent = j == "xiamen" and rng.random() < 0.4
    row.update({
        "name": f"{CITY_ZH[j]}{BRAND_CHARS[int(rng.integers(len(BRAND_CHARS)))]}{k:02d}产业创新联合体",
        "enterprises": ent, "universities": uni, "research_institutes": ins, "other_units": oth,
        "local_units": local if rng.random() < 0.9 else "", "scale_or_hightech_enterprises": scale,
        "lead_type": lead_type, "field": field,
        "lead_region": j if rng.random() < 0.9 else "other",
        "lead_revenue": revenue_cells[0], "lead_revenue_prev": revenue_cells[1], "lead_revenue_prev2": revenue_cells[2],
        "lead_rd": rd_cells[0], "lead_rd_prev": rd_cells[1], "lead_rd_prev2": rd_cells[2],
        "lead_years_operating": years,
        "lead_platform_level": str(rng.choice(("none", "municipal", "provincial", "national"), p=(0.1, 0.3, 0.45, 0.15))),
        "lead_rd_staff": int(lognormal(1, 60, 0.8)[0]),
        "lead_other_consortia": str(rng.choice((0, 1), p=(0.9, 0.1))),
        "lead_high_tech": "是" if rng.random() < 0.9 else "否",
        "chief_scientist": "是" if rng.random() < 0.9 else ("否" if rng.random() < 0.5 else ""),
        "agreement_signed": "是" if rng.random() < 0.92 else ("否" if rng.random() < 0.5 else ""),
        "core_team_members": int(rng.integers(6, 25)) if talent else "",
        "national_level_talents": int(rng.choice((0, 1, 2, 3), p=(0.2, 0.4, 0.3, 0.1))) if talent else "",
        "city_b_talents": int(rng.integers(1, 9)) if talent else "",
    })
    if lead_type != "enterprise":  # revenue and R&D conditions are for enterprise leads
        for c in ("lead_revenue", "lead_revenue_prev", "lead_revenue_prev2", "lead_high_tech"):
            row[c] = ""
    return row


def make_consortia(columns: list[str]) -> pd.DataFrame:
    rows = []
    for cid, j, overrides, _ in DELIBERATE_CONSORTIA:
        rows.append({"consortium_id": cid, "jurisdiction": j, **consortium_base(j), **overrides})
    prefix = {"xiamen": "XM", "hainan": "HN", "qingdao": "QD", "liaoyang": "LY"}
    for j, count in N_RANDOM_CONSORTIA.items():
        for k in range(1, count + 1):
            rows.append({"consortium_id": f"C-{prefix[j]}-{k:03d}", "jurisdiction": j, **random_consortium(j, k)})
    return pd.DataFrame([{c: str(r.get(c, "")) for c in columns} for r in rows])


# =============================================================================== write and check


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import calc
    from calc.inputs import CONSORTIUM_COLUMNS, ENTERPRISE_COLUMNS

    enterprises = make_enterprises()
    assert list(enterprises.columns) == [c.name for c in ENTERPRISE_COLUMNS], "enterprise columns drifted"
    consortia = make_consortia([c.name for c in CONSORTIUM_COLUMNS])
    assert len(enterprises) >= 240 and len(consortia) >= 24
    write_csv(enterprises, HERE / "enterprises.csv")
    write_csv(consortia, HERE / "consortia.csv")

    # ---- checks: every row loads, the required cells are there, the statuses are covered
    loaded_e = calc.load_enterprises(HERE / "enterprises.csv")
    loaded_c = calc.load_consortia(HERE / "consortia.csv")
    assert loaded_e.errors.empty, f"enterprise rows rejected:\n{loaded_e.errors.to_string()}"
    assert loaded_c.errors.empty, f"consortium rows rejected:\n{loaded_c.errors.to_string()}"
    assert not loaded_e.unknown_columns and not loaded_c.unknown_columns
    assert len(loaded_e.frame) == len(enterprises) and len(loaded_c.frame) == len(consortia)
    for col in ("enterprise_id", "city", "rd_expense", "rd_expense_prev", "consortium_member"):
        assert loaded_e.frame[col].notna().all(), f"{col} has a blank cell"

    result = calc.entitlements(loaded_e, as_of=CHECK_AS_OF)
    never = [n.id for n in result.nodes if n.kind != "info" and not result.counted(n.id).any()]
    assert not never, f"items no sample enterprise is granted: {never}"

    check = calc.assess_consortia(loaded_c, as_of=CHECK_AS_OF)  # each consortium in its own jurisdiction
    status = check.summary().set_index("consortium_id")["status"]
    wrong = {cid: (want, status[cid]) for cid, _, _, want in DELIBERATE_CONSORTIA if status[cid] != want}
    assert not wrong, f"deliberate consortia with another status than intended: {wrong}"
    summary = check.summary()
    for j in ("xiamen", "hainan"):
        seen = set(summary.loc[summary["jurisdiction"] == j, "status"])
        missing = {"eligible", "eligible_with_exceptions", "ineligible", "incomplete"} - seen
        assert not missing, f"{j}: no consortium is {missing}"

    # ---- the city-scale population: its own random stream, so the files above do not move
    global rng
    rng = np.random.default_rng(SEED + 1)
    xiamen_only = [1.0 if c == "xiamen" else 0.0 for c in CITIES]
    population = make_enterprises(N_POPULATION, prefix="XM", width=5, city_p=xiamen_only, edge_cases=False)
    write_csv(population, HERE / "population.csv")
    loaded_p = calc.load_enterprises(HERE / "population.csv")
    assert loaded_p.errors.empty and len(loaded_p.frame) == N_POPULATION
    assert not loaded_p.frame["enterprise_id"].str.startswith("E-EDGE").any(), "population: a test fixture"
    for col in ("rd_expense", "rd_expense_prev"):
        assert loaded_p.frame[col].notna().all(), f"population: {col} has a blank cell"
    for col in ("district", "industry", "size_band"):  # as in the sample, about one in ten left blank
        assert loaded_p.frame[col].notna().mean() > 0.85, f"population: {col} mostly blank"

    print(f"wrote {HERE / 'enterprises.csv'} ({len(enterprises)} rows), {HERE / 'consortia.csv'} "
          f"({len(consortia)} rows) and {HERE / 'population.csv'} ({len(population)} rows); all load without errors")
    print(pd.crosstab(summary["jurisdiction"], summary["status"]).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
