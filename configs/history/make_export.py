"""Write the shipped CRM example: a year of a Salesforce org, simulated from a documented
truth (truth.yaml) and exported the way Salesforce gives it, mess included.

    python configs/history/make_export.py [FOLDER]

writes `opportunity_history.csv` (OpportunityHistory from Data Loader: a row per stage
change) and `opportunities.csv` (the Opportunities report: a row per opportunity) into
FOLDER (default: beside this script). The same seed writes the same bytes; a test fails
when the shipped files differ from what this script writes.

The mess, seeded and counted so that calibration's warnings can be checked against it:
about 1% of history rows exported twice, about 5% of opportunities with an extra row
repeating their stage (an amount changed), about 3% without an amount, and two won deals
reopened ten days after closing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

import orgsim

HERE = Path(__file__).resolve().parent
LABELS = {
    "prospecting": "Prospecting",
    "qualification": "Qualification",
    "discovery": "Needs Analysis",
    "proposal": "Proposal/Price Quote",
    "negotiation": "Negotiation/Review",
    "won": "Closed Won",
    "lost": "Closed Lost",
}
SOURCES = {"inbound": "Web", "outbound": "Outbound"}


def simulated_log() -> pd.DataFrame:
    results = orgsim.simulate(orgsim.load(HERE / "truth.yaml"), records=True)
    log = results.events()
    ids = log["case:concept:name"].str.split("-").str[1].astype(int)
    return log.assign(id=ids.map(lambda i: f"006{i:07d}"))


def history(log: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "OPPORTUNITYID": log["id"],
            "STAGENAME": log["concept:name"].map(LABELS),
            "CREATEDDATE": log["start_timestamp"],
            "AMOUNT": log["amount"].round(0).astype("Int64"),
            "OPPORTUNITY.OWNER.NAME": log["org:resource"].where(log["org:resource"] != ""),
            "OPPORTUNITY.LEADSOURCE": log["source"].map(SOURCES),
        }
    )
    owners = rows.groupby("OPPORTUNITYID")["OPPORTUNITY.OWNER.NAME"].transform("last")
    rows["OPPORTUNITY.OWNER.NAME"] = owners  # today's owner on every row, as the join gives
    ids = rows["OPPORTUNITYID"].unique()
    changed = rng.choice(ids, size=len(ids) // 20, replace=False)  # an amount changed
    firsts = rows[rows["OPPORTUNITYID"].isin(changed)].groupby("OPPORTUNITYID").head(1)
    again = firsts.assign(CREATEDDATE=firsts["CREATEDDATE"] + pd.Timedelta(hours=3))
    won = rows[rows["STAGENAME"] == "Closed Won"].iloc[[3, 40]]  # reopened ten days later
    reopened = won.assign(
        STAGENAME="Negotiation/Review", CREATEDDATE=won["CREATEDDATE"] + pd.Timedelta(days=10)
    )
    rows = pd.concat([rows, again, reopened]).sort_values(
        ["OPPORTUNITYID", "CREATEDDATE"], kind="stable"
    )
    no_amount = rng.choice(ids, size=len(ids) * 3 // 100, replace=False)
    rows.loc[rows["OPPORTUNITYID"].isin(no_amount), "AMOUNT"] = np.nan
    twice = rows.sample(frac=0.01, random_state=rng.integers(2**31))
    rows = pd.concat([rows, twice]).sort_values(["OPPORTUNITYID", "CREATEDDATE"], kind="stable")
    rows["CREATEDDATE"] = rows["CREATEDDATE"].dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return rows.reset_index(drop=True)


def report(rows: pd.DataFrame) -> pd.DataFrame:
    """The Opportunities report: each opportunity's first and last row of the history."""
    rows = rows.drop_duplicates()
    by = rows.groupby("OPPORTUNITYID", sort=True)
    first, last = by.head(1).set_index("OPPORTUNITYID"), by.tail(1).set_index("OPPORTUNITYID")
    closed = last["STAGENAME"].str.startswith("Closed")
    us = lambda text: pd.to_datetime(text).dt.strftime("%m/%d/%Y")  # noqa: E731
    return pd.DataFrame(
        {
            "Opportunity ID": first.index,
            "Created Date": us(first["CREATEDDATE"]).to_numpy(),
            "Close Date": us(last["CREATEDDATE"]).where(closed, "").to_numpy(),
            "Stage": last["STAGENAME"].to_numpy(),
            "Opportunity Owner": last["OPPORTUNITY.OWNER.NAME"].to_numpy(),
            "Amount": first["AMOUNT"].to_numpy(),
            "Lead Source": first["OPPORTUNITY.LEADSOURCE"].to_numpy(),
        }
    )


def main(folder: Path = HERE) -> list[Path]:
    rng = np.random.default_rng(2026)
    rows = history(simulated_log(), rng)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "opportunity_history.csv", folder / "opportunities.csv"]
    rows.to_csv(paths[0], index=False, lineterminator="\n")
    report(rows).to_csv(paths[1], index=False, lineterminator="\n")
    return paths


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"wrote {path}")
