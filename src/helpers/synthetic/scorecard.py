"""Seeded synthetic samples of the scorecard's sources, in the publishers' exact formats.

Practices of NHS Sussex ICB (QNX) in its three sub-ICB locations (70F West Sussex, 09D Brighton
and Hove, 97R East Sussex), with their PCNs, and eight of a peer ICB (QE1) so that national
comparisons have more than one ICB. Each source holds the practices it would hold: two practices
closed during the period (in the 2020-21 files, gone from later ones), one closed before it and
one dormant (in ODS only), and a university practice with no childhood immunisations. Names are
invented (``Synthetic ...``); codes are shaped as ODS codes; the 2020-21 CCG and STP names and
codes are the real ones. Figures are drawn around plausible levels, with a few rows the cleanse
stage must quarantine (a repeat, more vaccinated than eligible, an unknown practice) or suppress
(a small count).

Each file keeps its publisher's traps: Fingertips CRLF with a newline inside a quoted name and a
suppressed value; QOF geography names with commas, quoted; headerless, fully quoted epraccur;
payments with a byte-order mark, CRLF, no final newline and a different column set per year;
immunisations with left-padded ``Yet_to_receive`` and a percentage-only row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20210401
ENGLAND = "E92000001"


@dataclass(frozen=True)
class Icb:
    stp_name: str  # 2020-21 STP name, as the QOF geography has it
    stp_ons: str
    region: str  # ODS region code, also ODS's national grouping
    region_ons: str
    region_name: str
    payments_name: str  # "NHS SUSSEX ICB", as payments' "Sub ICB NAME" begins


ICBS = {
    "QNX": Icb("Sussex and East Surrey Health and Care Partnership", "E54000053", "Y59", "E40000005", "South East",
               "NHS SUSSEX ICB"),
    "QE1": Icb("Healthier Lancashire and South Cumbria", "E54000048", "Y62", "E40000010", "North West",
               "NHS LANCASHIRE AND SOUTH CUMBRIA ICB"),
}
CCGS = {  # code: (2020-21 name, ONS code, ICB)
    "70F": ("NHS West Sussex CCG", "E38000248", "QNX"),
    "09D": ("NHS Brighton and Hove CCG", "E38000021", "QNX"),
    "97R": ("NHS East Sussex CCG", "E38000235", "QNX"),
    "01K": ("NHS Morecambe Bay CCG", "E38000228", "QE1"),
}


@dataclass(frozen=True)
class Practice:
    code: str
    name: str
    pcn: str
    pcn_name: str
    ccg: str
    postcode: str
    closed: dt.date | None = None  # status C from this date
    dormant: bool = False  # status D: in ODS, no patients, no data
    children: bool = True  # has a childhood immunisation cohort

    @property
    def icb(self) -> str:
        return CCGS[self.ccg][2]

    @property
    def status(self) -> str:
        return "C" if self.closed else "D" if self.dormant else "A"

    def open_on(self, day: dt.date) -> bool:
        return not self.dormant and (self.closed is None or self.closed >= day)


def _west_sussex() -> list[Practice]:
    return [Practice(f"H82{n:03d}", f"Synthetic Surgery {n}", *(("U33593", "Rural North Chichester PCN") if n <= 8
                                                                 else ("U55544", "Phoenix PCN")), "70F", "RH10 1AA")
            for n in range(1, 17)]


PRESTON, WEST_HOVE = ("U09072", "Preston Park Community PCN"), ("U14062", "West Hove PCN")
EASTBOURNE, HASTINGS = ("U48056", "Eastbourne East PCN"), ("U99438", "Hastings & St Leonards PCN")
SUSSEX = _west_sussex() + [
    Practice("G81101", "Synthetic Preston Park Surgery", *PRESTON, "09D", "BN1 6AA"),
    Practice("G81102", "Synthetic Surgery, Withdean", *PRESTON, "09D", "BN1 5AA"),
    Practice("G81103", "Synthetic University Health Centre", *PRESTON, "09D", "BN1 9AA", children=False),
    Practice("G81104", "Synthetic West Hove Medical Centre", *WEST_HOVE, "09D", "BN3 5AA"),
    Practice("G81105", "Synthetic Portland Road Surgery", *WEST_HOVE, "09D", "BN3 5AB", closed=dt.date(2022, 3, 31)),
    Practice("G81106", "Synthetic Goldstone Surgery", *WEST_HOVE, "09D", "BN3 7AA"),
    Practice("G81201", "Synthetic Eastbourne Park Practice", *EASTBOURNE, "97R", "BN21 4AA"),
    Practice("G81202", "Synthetic Langney Surgery", *EASTBOURNE, "97R", "BN23 7AA"),
    Practice("G81203", "Synthetic Seaside Medical Centre", *EASTBOURNE, "97R", "BN22 7AA", closed=dt.date(2021, 8, 31)),
    Practice("G81204", "Synthetic Silverhill Surgery", *HASTINGS, "97R", "TN37 7AA"),
    Practice("G81205", "Synthetic Old Town Surgery, Hastings", *HASTINGS, "97R", "TN34 3AA"),
    Practice("G81206", "Synthetic Ore Valley Practice", *HASTINGS, "97R", "TN35 5AA"),
    Practice("G81207", "Synthetic Bexhill Road Surgery", *HASTINGS, "97R", "TN38 0AA"),
]
CUMBRIA = [Practice(f"A82{n:03d}", f"Synthetic Medical Centre {n}", "U25520", "Furness PCN", "01K", "LA14 1AA")
           for n in range(1, 9)]
PRACTICES = SUSSEX + CUMBRIA  # every practice of the 2020-21 files
ODS_ONLY = [  # in epraccur and nothing else: closed before the period, and dormant
    Practice("H82099", "Closed Surgery", "", "", "70F", "RH10 1AB", closed=dt.date(2019, 3, 31)),
    Practice("G81190", "Synthetic Hangleton Surgery", "", "", "09D", "BN3 8AA", dormant=True),
]
REGISTERS = {"HYP": ("TOTAL", 0.14), "DM": ("17OV", 0.07), "DEP": ("18OV", 0.12), "AST": ("06OV", 0.065)}

# When each source was drawn: a practice closed before then is not in it.
IMD_EXPORTED = dt.date(2022, 6, 1)  # the 2019 scores are exported for current practices
AE_YEAR_END = dt.date(2022, 3, 31)  # 2021/22
PAYMENTS_YEARS = {"21-22": dt.date(2021, 4, 1), "22-23": dt.date(2022, 4, 1)}  # a practice open on the first day
IMMUNISATION_YEARS = {"2019/20": dt.date(2020, 3, 31), "2020/21": dt.date(2021, 3, 31),
                      "2021/22": dt.date(2022, 3, 31)}  # a practice open at the year's end


def _csv(rows, *, crlf=False, quote_all=False, final_newline=True, bom=False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    text = buf.getvalue()
    if not final_newline:
        text = text.rstrip("\r\n")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _list_sizes(rng) -> dict[str, int]:
    return {p.code: int(rng.integers(2500, 16000)) for p in PRACTICES}


FT_HEADER = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
             "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
             "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
             "Value note", "Recent Trend", "Compared to England value or percentiles", "{parent}",
             "Time period Sortable", "New data", "Compared to goal", "Time period range"]


def _ae_attendances(out: Path, rng, sizes) -> Path:
    from helpers.methods import stats

    header = [h.replace("{parent}", "Compared to PCNs (v. 27/10/23) value or percentiles") for h in FT_HEADER]
    practices = [p for p in PRACTICES if p.open_on(AE_YEAR_END)]
    dens = [max(40, int(sizes[p.code] * 0.05)) for p in practices]
    counts = [int(rng.poisson(den * rng.uniform(0.45, 1.1))) for den in dens]
    eng_count, eng_den = sum(counts) * 40, sum(dens) * 40
    eng_value = eng_count / eng_den * 1000
    lo, hi = stats.rate_limits(eng_count, eng_den, 1000)
    rows = [["93930", "A&E attendances (0 to 4 years)", "", "", ENGLAND, "England", "England", "Persons",
             "0-4 yrs", "", "", "2021/22", f"{eng_value:.7f}", f"{lo:.7f}", f"{hi:.7f}", "", "", eng_count,
             eng_den, "", "", "Not compared", "Not compared", "20210000", "", "", "1y"]]
    for p, count, den in zip(practices, counts, dens):
        value = count / den * 1000
        lo, hi = stats.rate_limits(count, den, 1000)
        label = stats.compare(value, lo, hi, eng_value, stats.LOW_IS_GOOD)[0]
        parent_name = p.pcn_name + ("\r\n" if p.pcn_name == "Phoenix PCN" else "")  # the publisher's embedded CRLF
        rows.append(["93930", "A&E attendances (0 to 4 years)", p.pcn, parent_name, p.code, p.name.upper(), "GPs",
                     "Persons", "0-4 yrs", "", "", "2021/22", f"{value:.5f}", f"{lo:.5f}", f"{hi:.5f}", "", "",
                     count, den, "", "", label, "Similar", "20210000", "", "", "1y"])
    rows[-1][12:15] = ["", "", ""]
    rows[-1][19] = "Value suppressed for disclosure control reasons"
    rows[-1][21] = rows[-1][22] = "Not compared"
    return _write(out / "SYNTHETIC_fingertips_93930_AE_attendances_0to4_GP_2021-22.csv", _csv([header, *rows], crlf=True))


def _deprivation(out: Path, rng) -> Path:
    header = [h.replace("{parent}", "Compared to percentiles") for h in FT_HEADER]
    rows = [["93553", "Deprivation score (IMD 2019)", "", "", ENGLAND, "England", "England", "Persons", "All ages",
             "", "", "2019", "21.7220870988933", "", "", "", "", "", "", "", "Cannot be calculated", "Not compared",
             "Not compared", "20190000", "", "", "1y"]]
    for p in (p for p in PRACTICES if p.open_on(IMD_EXPORTED)):
        rows.append(["93553", "Deprivation score (IMD 2019)", p.pcn, p.pcn_name, p.code, p.name.upper(), "GP", "Persons",
                     "All ages", "", "", "2019", f"{rng.uniform(6, 45):.10f}", "", "", "", "", "", "", "",
                     "Cannot be calculated", "Not compared", "Not compared", "20190000", "", "", "1y"])
    return _write(out / "SYNTHETIC_fingertips_93553_IMD2019_GP.csv", _csv([header, *rows], crlf=True, final_newline=False))


def _fingertips(out: Path, rng, sizes) -> list[Path]:
    return [_ae_attendances(out, rng, sizes), _deprivation(out, rng)]


def _geography_row(p: Practice) -> list:
    icb, (ccg_name, ccg_ons, _) = ICBS[p.icb], CCGS[p.ccg]
    return [ENGLAND, "ENG", "England", icb.region, icb.region_ons, icb.region_name, p.icb, icb.stp_ons, icb.stp_name,
            p.ccg, ccg_ons, ccg_name, p.pcn, p.pcn_name, p.code, p.name]


def _qof(out: Path, rng, sizes) -> list[Path]:
    geo = [["NAT_ONS_CODE", "NAT_CODE", "COUNTRY", "REGION_ODS_CODE", "REGION_ONS_CODE", "REGION_NAME", "STP_ODS_CODE",
            "STP_ONS_CODE", "STP_NAME", "CCG_ODS_CODE", "CCG_ONS_CODE", "CCG_NAME", "PCN_ODS_CODE", "PCN_NAME",
            "PRACTICE_CODE", "PRACTICE_NAME"]]
    prev = [["PRACTICE_CODE", "GROUP_CODE", "REGISTER", "PATIENT_LIST_TYPE", "PRACTICE_LIST_SIZE"]]
    for p in PRACTICES:  # all open in 2020-21
        geo.append(_geography_row(p))
        for register, (list_type, share) in REGISTERS.items():
            size = sizes[p.code] if list_type == "TOTAL" else int(sizes[p.code] * 0.8)
            prev.append([p.code, register, int(rng.binomial(size, share * rng.uniform(0.7, 1.3))), list_type, size])
    return [_write(out / "SYNTHETIC_MAPPING_NHS_GEOGRAPHIES_2021.csv", _csv(geo)),
            _write(out / "SYNTHETIC_PREVALENCE_2021_v2.csv", _csv(prev))]


IMMUNISATION_ITEMS = [("12 months", "DTaPIPVHibHepB", "6-in-1 vaccine (Diptheria, tetanus, ...)"),
                      ("24 months", "MMR1", "Measles, mumps and rubella vaccine dose 1"),
                      ("5 years", "MMR2", "Measles, mumps and rubella vaccine dose 2"),
                      ("5 years", "DTaPIPV", "Pre-school booster")]


def _immunisations(out: Path, rng) -> list[Path]:
    """COVER by practice for Sussex (the extract covers one area), as a public-health team reshapes it."""
    header = ["Year", "ODS_Code", "Age", "Item", "Term", "Numerator", "Denominator", "Proportion", "Benchmark",
              "ODS_Name", "Postcode", "longitude", "latitude", "PCN_Code", "PCN_Name", "Yet_to_receive"]
    rows = []
    for year, year_end in IMMUNISATION_YEARS.items():
        for p in (p for p in SUSSEX if p.children and p.open_on(year_end)):
            for age, item, term in IMMUNISATION_ITEMS:
                den = int(rng.integers(15, 160))
                num = int(min(den, rng.binomial(den, rng.uniform(0.82, 0.995))))
                share = num / den
                bench = "High (95%+)" if share >= 0.95 else "Medium (90-95%)" if share >= 0.9 else "Low (<90%)"
                rows.append([year, p.code, age, item, term, num, den, share, bench, p.name, p.postcode,
                             -0.6, 50.9, p.pcn, p.pcn_name, f"{den - num:>3}"])
    rows[5][5:7] = ["", ""]  # a row published as a percentage only
    rows[9][5:9] = [rows[9][6] + 2, rows[9][6], 1.0, "High (95%+)"]  # more vaccinated than eligible: quarantined
    rows[10][5:9] = [5, 6, 5 / 6, "Low (<90%)"]  # a small count: suppressed before publication
    rows.append(list(rows[7]))  # the publisher's file repeats some rows: the repeat is quarantined
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows([header, *rows])
    path = out / "SYNTHETIC_GP_immunisations_2019-20_to_2021-22.csv"
    return [_write(path, buf.getvalue().replace('""', "").encode("utf-8"))]


PAY_ID = ["NHS England (Region) code", "NHS England (Region) Name", "CCG Code", "Sub ICB NAME", "Code", "CCG NAME",
          "Practice Code", "Practice Name", "Practice Address", "Practice Postcode", "Practice Open Date",
          "Practice Close Date", "Contract Type", "Dispensing Practice", "Practice type", "Practice Rurality",
          "Atypical characteristics", "Number of Registered Patients (Last Known Figure)",
          "Number of Weighted Patients (Last Known Figure)", "Average payments per registered patient",
          "Average payments per weighted patient", "Global Sum", "Total QOF Payments", "Appraisal Costs ",
          "Total NHS Payments to General Practice"]


def _payment_row(p: Practice, rng, size: int) -> list:
    icb = ICBS[p.icb]
    reg = size + rng.integers(-200, 200) + 0.25
    weighted = round(reg * rng.uniform(0.85, 1.2), 2)
    total = round(weighted * rng.uniform(120, 190), 2)
    closed = f"{p.closed:%d/%m/%Y}" if p.closed else ""
    return [icb.region, icb.region_name.upper(), p.ccg, f"{icb.payments_name} - {p.ccg}", p.pcn, p.pcn_name.upper(),
            p.code, p.name.upper(), "HEALTH CENTRE, HIGH STREET  TOWN ", p.postcode, "01/04/1974", closed, "GMS", "No",
            "Standard", "Urban", "", f"{reg:.2f}", f"{weighted:.2f}", f"{total / reg:.2f}", f"{total / weighted:.2f}",
            f"{total * 0.6:.2f}", f"{total * 0.1:.2f}", "0", f"{total:.2f}", "0"]


def _payments(out: Path, rng, sizes) -> list[Path]:
    paths = []
    for (year, first_day), extra in zip(PAYMENTS_YEARS.items(), ("winter Access Fund", "PCN Participation")):
        rows = [PAY_ID + [extra]]
        rows += [_payment_row(p, rng, sizes[p.code]) for p in PRACTICES if p.open_on(first_day)]
        if year == "22-23":  # a practice code ODS does not know: quarantined
            rows.append([*rows[-1][:6], "H82999", "UNKNOWN SURGERY", *rows[-1][8:]])
        paths.append(_write(out / f"SYNTHETIC_nhs_payments_to_general_practice_{year}.csv",
                            _csv(rows, crlf=True, final_newline=False, bom=True)))
    return paths


def _epraccur_row(p: Practice) -> list:
    closed = f"{p.closed:%Y%m%d}" if p.closed else ""
    return [p.code, p.name.upper(), ICBS[p.icb].region, p.icb, "HEALTH CENTRE", "HIGH STREET", "TOWN", "COUNTY", "",
            p.postcode, "19740401", closed, p.status, "B", p.ccg, "20200401", closed, "01234 567890", "", "", "", "0",
            "", p.ccg, "", "4", ""]


def _reference(out: Path, sizes) -> list[Path]:
    epraccur = [_epraccur_row(p) for p in PRACTICES + ODS_ONLY]
    lists = [["PUBLICATION", "EXTRACT_DATE", "TYPE", "CCG_CODE", "ONS_CCG_CODE", "CODE", "POSTCODE", "SEX", "AGE",
              "NUMBER_OF_PATIENTS"]]
    for p in PRACTICES:  # all open in January 2021
        lists.append(["GP_PRAC_PAT_LIST", "01JAN2021", "GP", p.ccg, CCGS[p.ccg][1], p.code, p.postcode, "ALL", "ALL",
                      sizes[p.code]])
    return [_write(out / "SYNTHETIC_epraccur.csv", _csv(epraccur, quote_all=True)),
            _write(out / "SYNTHETIC_gp-reg-pat-prac-all_Jan2021.csv", _csv(lists, crlf=True))]


def generate(out_root: Path) -> list[Path]:
    """Write every scorecard source's subfolder under ``out_root``; returns the files written."""
    out_root = Path(out_root)
    rng = np.random.default_rng(SEED)
    sizes = _list_sizes(rng)
    return [*_fingertips(out_root / "fingertips_practice", rng, sizes),
            *_qof(out_root / "qof_2020_21", rng, sizes),
            *_immunisations(out_root / "child_immunisations", rng),
            *_payments(out_root / "gp_payments", rng, sizes),
            *_reference(out_root / "gp_practice_reference", sizes)]
