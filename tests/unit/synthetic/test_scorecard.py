"""The scorecard's synthetic samples: seeded, in the publishers' formats with their traps, and
the same bytes as the committed samples in data/raw/."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import support
from helpers.synthetic import scorecard as synthetic

ROOT = support.ROOT


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("raw")
    return {p.relative_to(out).as_posix(): p for p in synthetic.generate(out)}


def test_committed_samples_are_the_generators_output(generated):
    for name, path in generated.items():
        assert "SYNTHETIC" in path.name
        assert (ROOT / "data" / "raw" / name).read_bytes() == path.read_bytes(), f"run make sample: {name} is stale"


def test_formats_keep_the_publishers_traps(generated):
    ae = next(p for n, p in generated.items() if "93930" in n).read_bytes()
    assert b'"Phoenix PCN\r\n"' in ae
    payments = next(p for n, p in generated.items() if "22-23" in n).read_bytes()
    assert payments.startswith(b"\xef\xbb\xbf") and b"\r\n" in payments and not payments.endswith(b"\n")
    epraccur = next(p for n, p in generated.items() if "epraccur" in n)
    first = next(csv.reader(epraccur.open()))
    assert len(first) == 27 and first[0].startswith(("H82", "G81", "A82"))  # no header row
    imms = next(p for n, p in generated.items() if "immunisations" in n).read_text()
    assert '"  ' in imms  # left-padded Yet_to_receive


def test_readers_read_the_samples(generated):
    from helpers.sources import (
        child_immunisations,
        fingertips_practice,
        gp_payments,
        gp_practice_reference,
        qof_2020_21,
    )

    root = next(iter(generated.values())).parents[1]
    ae = generated["fingertips_practice/SYNTHETIC_fingertips_93930_AE_attendances_0to4_GP_2021-22.csv"]
    assert len(fingertips_practice.practices(fingertips_practice.read(ae))) == \
        (_plain(ae)["Area Type"] == "GPs").sum()
    geography = generated["qof_2020_21/SYNTHETIC_MAPPING_NHS_GEOGRAPHIES_2021.csv"]
    assert len(qof_2020_21.read_geography(root / "qof_2020_21")) == len(_plain(geography))
    assert child_immunisations.read(child_immunisations.files(root / "child_immunisations")[0])["numerator"].isna().sum() == 1
    assert {gp_payments.read(p)["period"].iloc[0] for p in gp_payments.files(root / "gp_payments")} == {"2021/22", "2022/23"}
    assert gp_practice_reference.read_epraccur(root / "gp_practice_reference")["is_gp_practice"].all()


# --- the samples describe NHS Sussex ICB and a peer, consistently across the sources ---------------------

SUB_ICBS = {"70F", "09D", "97R"}


def _plain(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", **kw)


@pytest.fixture(scope="module")
def sources(generated) -> dict[str, pd.DataFrame]:
    """Every sample read with plain pandas (epraccur by the ODS column numbers, 1-based)."""
    by_name = {name.split("/")[-1]: path for name, path in generated.items()}
    epraccur = _plain(by_name["SYNTHETIC_epraccur.csv"], header=None)
    epraccur.columns = range(1, 28)
    return {
        "geography": _plain(by_name["SYNTHETIC_MAPPING_NHS_GEOGRAPHIES_2021.csv"]),
        "epraccur": epraccur,
        "immunisations": _plain(by_name["SYNTHETIC_GP_immunisations_2019-20_to_2021-22.csv"]),
        "ae": _plain(by_name["SYNTHETIC_fingertips_93930_AE_attendances_0to4_GP_2021-22.csv"]),
        "imd": _plain(by_name["SYNTHETIC_fingertips_93553_IMD2019_GP.csv"]),
        "pay21": _plain(by_name["SYNTHETIC_nhs_payments_to_general_practice_21-22.csv"]),
        "pay22": _plain(by_name["SYNTHETIC_nhs_payments_to_general_practice_22-23.csv"]),
        "lists": _plain(by_name["SYNTHETIC_gp-reg-pat-prac-all_Jan2021.csv"]),
    }


def test_sussex_practices_in_every_sub_icb_with_pcns(sources):
    geo = sources["geography"]
    sussex = geo[geo["STP_ODS_CODE"] == "QNX"]
    assert set(sussex["CCG_ODS_CODE"]) == SUB_ICBS
    assert set(sussex["STP_NAME"]) == {"Sussex and East Surrey Health and Care Partnership"}  # the 2020-21 name
    assert (sussex["PCN_ODS_CODE"].str.match(r"^U\d{5}$")).all()
    for ccg, names in (("70F", "NHS West Sussex CCG"), ("09D", "NHS Brighton and Hove CCG"), ("97R", "NHS East Sussex CCG")):
        rows = sussex[sussex["CCG_ODS_CODE"] == ccg]
        assert set(rows["CCG_NAME"]) == {names} and rows["PCN_ODS_CODE"].nunique() >= 2
    peers = geo[geo["STP_ODS_CODE"] == "QE1"]
    assert len(peers) >= 5 and len(set(geo["STP_ODS_CODE"])) == 2  # national comparisons have a peer ICB


def test_ods_places_each_practice_in_its_icb_and_sub_icb(sources):
    ods = sources["epraccur"].set_index(1)
    geo = sources["geography"].set_index("PRACTICE_CODE")
    assert set(geo.index) <= set(ods.index)
    assert (ods.loc[geo.index, 4] == geo["STP_ODS_CODE"]).all()  # column 4: the ICB
    assert (ods.loc[geo.index, 15] == geo["CCG_ODS_CODE"]).all()  # column 15: the commissioner (sub-ICB)
    assert (ods[26] == "4").all()  # all GP practices


def test_closed_and_dormant_practices(sources):
    ods = sources["epraccur"]
    closed, dormant = ods[ods[13] == "C"], ods[ods[13] == "D"]
    assert len(closed) >= 2 and (closed[12] != "").all() and (closed[12] <= "20230331").all()
    assert len(dormant) >= 1 and (dormant[12] == "").all()
    assert set(ods.loc[ods[4] == "QNX", 15]) == SUB_ICBS
    # a dormant practice has no patients: it is in no source but ODS
    elsewhere = set().union(*(set(frame[column]) for frame, column in (
        (sources["geography"], "PRACTICE_CODE"), (sources["immunisations"], "ODS_Code"), (sources["ae"], "Area Code"),
        (sources["imd"], "Area Code"), (sources["pay21"], "Practice Code"), (sources["pay22"], "Practice Code"),
        (sources["lists"], "CODE"))))
    assert not set(dormant[1]) & elsewhere


def test_practices_closed_during_the_period_leave_the_later_sources(sources):
    ods, geo = sources["epraccur"], sources["geography"]
    during = ods[(ods[13] == "C") & ods[1].isin(geo["PRACTICE_CODE"])]  # open in 2020-21, closed since
    assert len(during) >= 2
    for code, closed in zip(during[1], during[12]):
        assert code in set(sources["pay21"]["Practice Code"])  # open on 1 April 2021
        assert code not in set(sources["pay22"]["Practice Code"])
        assert code not in set(sources["imd"]["Area Code"])  # exported in 2022 for current practices
        pay = sources["pay21"].set_index("Practice Code").loc[code, "Practice Close Date"]
        assert pay == f"{closed[6:]}/{closed[4:6]}/{closed[:4]}"
        late = sources["immunisations"][(sources["immunisations"]["ODS_Code"] == code)]
        assert ("2021/22" in set(late["Year"])) == (closed >= "20220331")


def test_an_open_practice_has_no_immunisation_data(sources):
    ods, geo = sources["epraccur"], sources["geography"]
    open_sussex = set(ods.loc[(ods[13] == "A") & (ods[4] == "QNX"), 1]) & set(geo["PRACTICE_CODE"])
    without = open_sussex - set(sources["immunisations"]["ODS_Code"])
    assert len(without) == 1
    assert without <= set(sources["pay22"]["Practice Code"])  # it has other data


def test_payments_name_the_sub_icb_as_the_publisher_does(sources):
    pay = sources["pay22"][sources["pay22"]["Practice Code"] != "H82999"]
    sussex = pay[pay["CCG Code"].isin(SUB_ICBS)]
    assert (sussex["Sub ICB NAME"] == "NHS SUSSEX ICB - " + sussex["CCG Code"]).all()
    assert set(pay.loc[pay["CCG Code"] == "01K", "Sub ICB NAME"]) == {"NHS LANCASHIRE AND SOUTH CUMBRIA ICB - 01K"}


def test_same_seed_same_bytes(generated, tmp_path):
    again = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in synthetic.generate(tmp_path)}
    assert again == {n: p.read_bytes() for n, p in generated.items()}
