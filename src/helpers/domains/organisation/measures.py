"""Who belongs to whom: practices to sub-ICB locations and PCNs, sub-ICB locations to ICBs.

ODS ``epraccur`` is the current record (ICB and sub-ICB location of every practice, status and
dates); the QOF geography adds PCNs and the 2020-21 names. A sub-ICB location keeps its old CCG
code (West Sussex is ``70F`` in both), so sources keyed by CCG resolve to the sub-ICB location and
so to its ICB. Names: NHS England's RTT extract writes every ICB's and sub-ICB location's name
("NHS SUSSEX INTEGRATED CARE BOARD"); they are shortened and title-cased for pages ("NHS Sussex
ICB"). An ICB with no name in any source is named by its code.
"""

from __future__ import annotations

import re

import pandas as pd

OPEN, CLOSED, DORMANT = "Active", "Closed", "Dormant"
SMALL_WORDS = {"AND", "OF", "THE", "FOR", "ON", "IN"}
KEEP_UPPER = {"NHS", "ICB", "UK", "PCN", "CCG", "GP"}


def short_name(name: str | None) -> str | None:
    """'NHS SUSSEX INTEGRATED CARE BOARD' -> 'NHS Sussex ICB'; 'NHS WEST SUSSEX (SUB ICB LOCATION)' ->
    'NHS West Sussex'. Words with digits (codes) stay as written."""
    if name is None or pd.isna(name) or not str(name).strip():
        return None
    text = re.sub(r"\s*\(SUB ICB LOCATION\)\s*$", "", str(name).strip(), flags=re.I)
    text = re.sub(r"INTEGRATED CARE BOARD", "ICB", text, flags=re.I)
    words = []
    for word in text.split():
        upper = word.upper()
        if upper in KEEP_UPPER or any(ch.isdigit() for ch in word):
            words.append(upper)
        elif upper in SMALL_WORDS and words:
            words.append(word.lower())
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(words)


def practices(epraccur: pd.DataFrame, geography: pd.DataFrame) -> pd.DataFrame:
    """One row per GP practice (prescribing setting 4, or in the QOF geography): its ICB, sub-ICB
    location, PCN, status and dates. ODS wins for the current ICB and sub-ICB; QOF fills the PCN and
    the parents of practices ODS does not list."""
    ods = epraccur[epraccur["is_gp_practice"]].rename(columns={"practice_name": "ods_name",
                                                               "commissioner_code": "sub_icb_code"})
    ods = ods[["practice_code", "ods_name", "icb_code", "sub_icb_code", "status", "open_date", "close_date",
               "postcode"]]
    qof = geography.rename(columns={"icb_code": "qof_icb_code", "ccg_code": "qof_sub_icb_code",
                                    "practice_name": "qof_name"})
    qof = qof[["practice_code", "qof_name", "qof_icb_code", "qof_sub_icb_code", "pcn_code", "pcn_name"]]
    out = ods.merge(qof, on="practice_code", how="outer")
    out["practice_name"] = out["ods_name"].map(short_name).fillna(out["qof_name"])
    out["icb_code"] = out["icb_code"].replace("", None).fillna(out["qof_icb_code"])
    out["sub_icb_code"] = out["sub_icb_code"].replace("", None).fillna(out["qof_sub_icb_code"])
    out["status"] = out["status"].fillna("Unknown")
    columns = ["practice_code", "practice_name", "icb_code", "sub_icb_code", "pcn_code", "pcn_name", "status",
               "open_date", "close_date", "postcode"]
    return out[columns].sort_values("practice_code", ignore_index=True)


def is_open(practices: pd.DataFrame, month_end: pd.Timestamp) -> pd.Series:
    """Open in the month: active (or proposed) in ODS, or closed only after the month ended."""
    closed_after = practices["close_date"].notna() & (practices["close_date"] > month_end)
    return practices["status"].isin([OPEN, "Proposed"]) | closed_after


def icbs(practices: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Every ICB with practices or patients waiting: code, name as printed, and its page name."""
    codes = sorted(set(practices["icb_code"].dropna()) | set(names["icb_code"].dropna()))
    known = names.drop_duplicates("icb_code").set_index("icb_code")["icb_name"]
    counts = practices[practices["status"] == OPEN].groupby("icb_code").size()
    frame = pd.DataFrame({"icb_code": codes})
    frame["icb_name"] = frame["icb_code"].map(known)
    frame["name"] = frame["icb_name"].map(short_name).fillna(frame["icb_code"])
    frame["open_practices"] = frame["icb_code"].map(counts).fillna(0).astype("int64")
    return frame[frame["icb_code"].str.match(r"^Q[A-Z0-9]{2}$")].reset_index(drop=True)


def sub_icbs(practices: pd.DataFrame, names: pd.DataFrame, geography: pd.DataFrame) -> pd.DataFrame:
    """Sub-ICB locations: code (the old CCG code), their ICB, and a name."""
    pairs = practices[practices["status"] == OPEN][["sub_icb_code", "icb_code"]].dropna().drop_duplicates()
    from_rtt = names.dropna(subset=["sub_icb_code"]).drop_duplicates("sub_icb_code").set_index("sub_icb_code")
    from_qof = geography.drop_duplicates("ccg_code").set_index("ccg_code")["ccg_name"]
    pairs = pairs.drop_duplicates("sub_icb_code").copy()
    pairs["sub_icb_name"] = pairs["sub_icb_code"].map(from_rtt["sub_icb_name"]).fillna(
        pairs["sub_icb_code"].map(from_qof))
    pairs["name"] = pairs["sub_icb_name"].map(short_name).fillna(pairs["sub_icb_code"])
    return pairs.sort_values(["icb_code", "sub_icb_code"], ignore_index=True)


def providers(waiting: pd.DataFrame, minimum: int) -> pd.DataFrame:
    """Providers each ICB's patients wait at (incomplete pathways, latest month), largest first."""
    kept = waiting[waiting["waiting"] >= minimum]
    kept = kept.assign(provider=kept["provider_name"].map(short_name))
    return kept.sort_values(["icb_code", "waiting"], ascending=[True, False], ignore_index=True)
