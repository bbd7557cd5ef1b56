"""Seeded synthetic samples of the scorecard's sources, in the publishers' exact formats.

Twenty-four practices in two ICBs (one CCG of each), three PCNs, figures drawn around plausible
levels, with a few rows the cleanse stage must quarantine (a repeat, more vaccinated than
eligible, an unknown practice) or suppress (a small count). Each file keeps its publisher's traps: Fingertips CRLF with a newline inside a quoted
name and a suppressed value; headerless, fully quoted epraccur; payments with a byte-order mark,
CRLF, no final newline and a different column set per year; immunisations with left-padded
``Yet_to_receive`` and a percentage-only row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

SEED = 20210401
ENGLAND = "E92000001"
# (practice code, name, pcn, pcn name, ccg, ccg name, icb, icb name, region)
SUSSEX = [(f"H82{n:03d}", f"Synthetic Surgery {n}", "U33593" if n <= 8 else "U55544",
           "Rural North Chichester PCN" if n <= 8 else "Phoenix PCN", "70F", "NHS West Sussex CCG",
           "QNX", "Sussex Health and Care Partnership", "Y59") for n in range(1, 17)]
CUMBRIA = [(f"A82{n:03d}", f"Synthetic Medical Centre {n}", "U25520", "Furness PCN", "01K",
            "NHS Morecambe Bay CCG", "QE1", "Healthier Lancashire and South Cumbria", "Y62") for n in range(1, 9)]
PRACTICES = SUSSEX + CUMBRIA
REGISTERS = {"HYP": ("TOTAL", 0.14), "DM": ("17OV", 0.07), "DEP": ("18OV", 0.12), "AST": ("06OV", 0.065)}


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
    return {p[0]: int(rng.integers(2500, 16000)) for p in PRACTICES}


FT_HEADER = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
             "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
             "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
             "Value note", "Recent Trend", "Compared to England value or percentiles", "{parent}",
             "Time period Sortable", "New data", "Compared to goal", "Time period range"]


def _fingertips(out: Path, rng, sizes) -> list[Path]:
    from helpers.methods import stats

    header = [h.replace("{parent}", "Compared to PCNs (v. 27/10/23) value or percentiles") for h in FT_HEADER]
    rows, counts, dens = [], [], []
    for code, name, pcn, pcn_name, *_ in PRACTICES:
        den = max(40, int(sizes[code] * 0.05))
        count = int(rng.poisson(den * rng.uniform(0.45, 1.1)))
        counts.append(count)
        dens.append(den)
    eng_count, eng_den = sum(counts) * 40, sum(dens) * 40
    eng_value = eng_count / eng_den * 1000
    lo, hi = stats.rate_limits(eng_count, eng_den, 1000)
    rows.append(["93930", "A&E attendances (0 to 4 years)", "", "", ENGLAND, "England", "England", "Persons",
                 "0-4 yrs", "", "", "2021/22", f"{eng_value:.7f}", f"{lo:.7f}", f"{hi:.7f}", "", "", eng_count,
                 eng_den, "", "", "Not compared", "Not compared", "20210000", "", "", "1y"])
    for (code, name, pcn, pcn_name, *_), count, den in zip(PRACTICES, counts, dens):
        value = count / den * 1000
        lo, hi = stats.rate_limits(count, den, 1000)
        label = stats.compare(value, lo, hi, eng_value, stats.LOW_IS_GOOD)[0]
        parent_name = pcn_name + ("\r\n" if pcn_name == "Phoenix PCN" else "")  # the publisher's embedded CRLF
        rows.append(["93930", "A&E attendances (0 to 4 years)", pcn, parent_name, code, name.upper(), "GPs",
                     "Persons", "0-4 yrs", "", "", "2021/22", f"{value:.5f}", f"{lo:.5f}", f"{hi:.5f}", "", "",
                     count, den, "", "", label, "Similar", "20210000", "", "", "1y"])
    rows[-1][12:15] = ["", "", ""]
    rows[-1][19] = "Value suppressed for disclosure control reasons"
    rows[-1][21] = rows[-1][22] = "Not compared"
    ae = _write(out / "SYNTHETIC_fingertips_93930_AE_attendances_0to4_GP_2021-22.csv", _csv([header, *rows], crlf=True))

    header = [h.replace("{parent}", "Compared to percentiles") for h in FT_HEADER]
    imd = [["93553", "Deprivation score (IMD 2019)", "", "", ENGLAND, "England", "England", "Persons", "All ages",
            "", "", "2019", "21.7220870988933", "", "", "", "", "", "", "", "Cannot be calculated", "Not compared",
            "Not compared", "20190000", "", "", "1y"]]
    for code, name, pcn, pcn_name, *_ in PRACTICES:
        imd.append(["93553", "Deprivation score (IMD 2019)", pcn, pcn_name, code, name.upper(), "GP", "Persons",
                    "All ages", "", "", "2019", f"{rng.uniform(6, 45):.10f}", "", "", "", "", "", "", "",
                    "Cannot be calculated", "Not compared", "Not compared", "20190000", "", "", "1y"])
    deprivation = _write(out / "SYNTHETIC_fingertips_93553_IMD2019_GP.csv",
                         _csv([header, *imd], crlf=True, final_newline=False))
    return [ae, deprivation]


def _qof(out: Path, rng, sizes) -> list[Path]:
    geo = [["NAT_ONS_CODE", "NAT_CODE", "COUNTRY", "REGION_ODS_CODE", "REGION_ONS_CODE", "REGION_NAME", "STP_ODS_CODE",
            "STP_ONS_CODE", "STP_NAME", "CCG_ODS_CODE", "CCG_ONS_CODE", "CCG_NAME", "PCN_ODS_CODE", "PCN_NAME",
            "PRACTICE_CODE", "PRACTICE_NAME"]]
    prev = [["PRACTICE_CODE", "GROUP_CODE", "REGISTER", "PATIENT_LIST_TYPE", "PRACTICE_LIST_SIZE"]]
    for code, name, pcn, pcn_name, ccg, ccg_name, icb, icb_name, region in PRACTICES:
        geo.append([ENGLAND, "ENG", "England", region, "E40000005", "South East, Midlands, and North",
                    icb, "E54000053", icb_name + ", and partners", ccg, "E38000213", ccg_name, pcn, pcn_name,
                    code, name])
        for register, (list_type, share) in REGISTERS.items():
            size = sizes[code] if list_type == "TOTAL" else int(sizes[code] * 0.8)
            prev.append([code, register, int(rng.binomial(size, share * rng.uniform(0.7, 1.3))), list_type, size])
    return [_write(out / "SYNTHETIC_MAPPING_NHS_GEOGRAPHIES_2021.csv", _csv(geo)),
            _write(out / "SYNTHETIC_PREVALENCE_2021_v2.csv", _csv(prev))]


def _immunisations(out: Path, rng) -> list[Path]:
    header = ["Year", "ODS_Code", "Age", "Item", "Term", "Numerator", "Denominator", "Proportion", "Benchmark",
              "ODS_Name", "Postcode", "longitude", "latitude", "PCN_Code", "PCN_Name", "Yet_to_receive"]
    items = [("12 months", "DTaPIPVHibHepB", "6-in-1 vaccine (Diptheria, tetanus, ...)"),
             ("24 months", "MMR1", "Measles, mumps and rubella vaccine dose 1"),
             ("5 years", "MMR2", "Measles, mumps and rubella vaccine dose 2"),
             ("5 years", "DTaPIPV", "Pre-school booster")]
    rows = []
    for year in ("2019/20", "2020/21", "2021/22"):
        for code, name, pcn, pcn_name, *_ in SUSSEX:
            for age, item, term in items:
                den = int(rng.integers(15, 160))
                num = int(min(den, rng.binomial(den, rng.uniform(0.82, 0.995))))
                share = num / den
                bench = "High (95%+)" if share >= 0.95 else "Medium (90-95%)" if share >= 0.9 else "Low (<90%)"
                rows.append([year, code, age, item, term, num, den, share, bench, name, "RH10 1AA",
                             -0.6, 50.9, pcn, pcn_name, f"{den - num:>3}"])
    rows[5][5:7] = ["", ""]  # a row published as a percentage only
    rows[9][5:9] = [rows[9][6] + 2, rows[9][6], 1.0, "High (95%+)"]  # more vaccinated than eligible: quarantined
    rows[10][5:9] = [5, 6, 5 / 6, "Low (<90%)"]  # a small count: suppressed before publication
    rows.append(list(rows[7]))  # the publisher's file repeats some rows: the repeat is quarantined
    csv_rows = [header, *rows]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerows(csv_rows)
    path = out / "SYNTHETIC_GP_immunisations_2019-20_to_2021-22.csv"
    return [_write(path, buf.getvalue().replace('""', "").encode("utf-8"))]


PAY_ID = ["NHS England (Region) code", "NHS England (Region) Name", "CCG Code", "Sub ICB NAME", "Code", "CCG NAME",
          "Practice Code", "Practice Name", "Practice Address", "Practice Postcode", "Practice Open Date",
          "Practice Close Date", "Contract Type", "Dispensing Practice", "Practice type", "Practice Rurality",
          "Atypical characteristics", "Number of Registered Patients (Last Known Figure)",
          "Number of Weighted Patients (Last Known Figure)", "Average payments per registered patient",
          "Average payments per weighted patient", "Global Sum", "Total QOF Payments", "Appraisal Costs ",
          "Total NHS Payments to General Practice"]


def _payments(out: Path, rng, sizes) -> list[Path]:
    paths = []
    for year, extra in (("21-22", "winter Access Fund"), ("22-23", "PCN Participation")):
        header = PAY_ID + [extra]
        rows = [header]
        for code, name, pcn, pcn_name, ccg, *_ in PRACTICES:
            reg = sizes[code] + rng.integers(-200, 200) + 0.25
            weighted = round(reg * rng.uniform(0.85, 1.2), 2)
            total = round(weighted * rng.uniform(120, 190), 2)
            rows.append(["Y59", "SOUTH EAST", ccg, f"NHS SUSSEX ICB - {ccg}", pcn, pcn_name.upper(), code, name.upper(),
                         "HEALTH CENTRE, HIGH STREET  TOWN ", "RH10 1AA", "01/04/1974", "", "GMS", "No", "Standard",
                         "Urban", "", f"{reg:.2f}", f"{weighted:.2f}", f"{total / reg:.2f}", f"{total / weighted:.2f}",
                         f"{total * 0.6:.2f}", f"{total * 0.1:.2f}", "0", f"{total:.2f}", "0"])
        if year == "22-23":  # a practice code ODS does not know: quarantined
            rows.append([*rows[-1][:6], "H82999", "UNKNOWN SURGERY", *rows[-1][8:]])
        paths.append(_write(out / f"SYNTHETIC_nhs_payments_to_general_practice_{year}.csv",
                            _csv(rows, crlf=True, final_newline=False, bom=True)))
    return paths


def _reference(out: Path, rng, sizes) -> list[Path]:
    epraccur = []
    for code, name, pcn, pcn_name, ccg, ccg_name, icb, icb_name, region in PRACTICES:
        row = [code, name.upper(), region, icb, "HEALTH CENTRE", "HIGH STREET", "TOWN", "COUNTY", "", "RH10 1AA",
               "19740401", "", "A", "B", ccg, "20200401", "", "01234 567890", "", "", "", "0", "", ccg, "", "4", ""]
        epraccur.append(row)
    epraccur.append(["H82099", "CLOSED SURGERY", "Y59", "QNX", "", "", "", "", "", "RH10 1AB", "19800401", "20190331",
                     "C", "B", "70F", "19800401", "20190331", "", "", "", "", "0", "", "70F", "", "4", ""])
    lists = [["PUBLICATION", "EXTRACT_DATE", "TYPE", "CCG_CODE", "ONS_CCG_CODE", "CODE", "POSTCODE", "SEX", "AGE",
              "NUMBER_OF_PATIENTS"]]
    for code, *_rest in PRACTICES:
        lists.append(["GP_PRAC_PAT_LIST", "01JAN2021", "GP", _rest[3], "E38000213", code, "RH10 1AA", "ALL", "ALL",
                      sizes[code]])
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
            *_reference(out_root / "gp_practice_reference", rng, sizes)]
