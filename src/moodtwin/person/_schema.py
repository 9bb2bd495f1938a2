"""The documented layout of a person's record (see ``examples/person/README.md``).

A record is a folder::

    person.yaml        id, start_date (time 0 of the treatment history)
    treatments.yaml    a protocol file (same vocabulary as trials), time 0 = start_date
    scores.csv         date, scale, score            (required)
    labs.csv           date, analyte, value, unit    (optional)
    heart/             YYYY-MM-DD*.csv or .txt recordings (optional):
                       RR intervals: column rr_ms (or RR, rr, IBI, ...; optionally time_s),
                       or one value per line (Elite HRV); ',', ';' or tab separated
                       ECG trace: columns time_s, ecg (any amplitude unit)

scores.csv and labs.csv are separated by ',', or by ';' or tabs (then a decimal comma is a
decimal point, as spreadsheets in many countries write it); dates are ISO 8601 (YYYY-MM-DD).

Every quantity the model sees is an observation at hours since ``start_date``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from moodtwin.model import Model
from moodtwin.population import PopulationSpec
from moodtwin.protocols import Protocol

SCORE_COLUMNS = ("date", "scale", "score")
LAB_COLUMNS = ("date", "analyte", "value", "unit")
OPTIONAL_COLUMNS = ("note",)

#: analyte -> (model observable, unit, plausible low, plausible high, log-SD of one
#: measurement around the model value). Measurement SDs are assumed: within-person
#: (biological + assay) variation of a single draw.
ANALYTES: dict[str, tuple[str, str, float, float, float]] = {
    "bdnf": ("bdnf_serum_ngml", "ng/mL", 0.5, 100.0, 0.25),
    "crp": ("crp_mgl", "mg/L", 0.01, 300.0, 0.45),
    "il6": ("il6_pgml", "pg/mL", 0.05, 1000.0, 0.35),
    "cortisol": ("cortisol_ugdl", "ug/dL", 0.5, 80.0, 0.30),
    "plasma_bdnf": ("bdnf_plasma_pgml", "pg/mL", 1.0, 20000.0, 0.40),
    "ngf": ("ngf_serum_pgml", "pg/mL", 0.1, 2000.0, 0.40),
    "tnf": ("tnf_pgml", "pg/mL", 0.05, 500.0, 0.35),
    "alpha_amylase": ("salivary_amylase", "U/mL", 1.0, 2000.0, 0.50),
    # pupil diameter read during a titration visit; log-SD assumed: a pupillometer repeats to
    # better than 0.2 mm (~5 % at 4 mm; Schröder et al. 2018 Eur J Ophthalmol 28:150), and
    # clinic lighting and arousal differ between visits: ~8 % per reading
    "pupil": ("pupil_diameter", "mm", 1.5, 9.0, 0.08),
}
#: analyte -> (value in its unit above which the reading is not the chronic state the model
#: fits, why). CRP: chronic low-grade inflammation is assessed below 10 mg/L; higher values
#: suggest an acute infection or injury (Pearson et al. 2003 Circulation 107:499, AHA/CDC
#: statement).
ACUTE_ABOVE: dict[str, tuple[float, str]] = {
    "crp": (10.0, "chronic low-grade inflammation is assessed below 10 mg/L, higher values "
                  "suggest an acute infection (Pearson et al. 2003, AHA/CDC); the value is "
                  "kept, but it will dominate the inflammation fit (infl_base): leave the row "
                  "out if it was drawn during an acute illness"),
}
#: RMSSD from a short recording: log-SD of one recording around the model value (assumed:
#: day-to-day within-person CV of resting RMSSD ~20-25 %).
RMSSD_LOG_SD = 0.22
#: Physiological RR range, ms (heart rate 30-200 beats/min).
RR_RANGE_MS = (300.0, 2000.0)
#: The same range as heart rates, beats/min: a file of these is heart rates, not RR intervals.
HR_RANGE_BPM = (30.0, 200.0)
#: Shortest recording for time-domain HRV and HF power (Task Force 1996: 1 min for HF);
#: LF power needs 2 min.
MIN_HRV_S = 60.0
MIN_LF_S = 120.0


@dataclass(frozen=True)
class Issue:
    """One problem found in the record: where (file, row, column) and what."""

    file: str
    row: int | None
    message: str
    severity: str = "error"  # "error": the row is left out; "warning": kept

    def line(self) -> str:
        where = self.file + (f" row {self.row}" if self.row is not None else "")
        return f"{self.severity}: {where}: {self.message}"


@dataclass
class LoadReport:
    """Every issue found while reading a record, and how many rows were kept per file."""

    issues: list[Issue] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)

    def add(self, file: str, row: int | None, message: str, severity: str = "error") -> None:
        self.issues.append(Issue(file, row, message, severity))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def text(self) -> str:
        lines = [f"{f}: {n} used" if "(" in f else f"{f}: {n} valid row(s) used"
                 for f, n in self.kept.items()]
        lines += [i.line() for i in self.issues]
        return "\n".join(lines) if lines else "no problems found"


@dataclass(frozen=True)
class PersonRecord:
    """A validated record.

    Attributes
    ----------
    id : the person's identifier (pseudonym).
    start_date : calendar date of time 0.
    protocol : the treatment history (time 0 = ``start_date``).
    scores : columns ``time_h, date, scale, score`` (scale names canonical).
    biomarkers : columns ``time_h, date, observable, value, log_sd, source`` (labs in model
        units and RMSSD in ms from heart recordings).
    hrv : one row per heart recording: ``date, file, kind, duration_s, beats, corrected,
        rmssd_ms, sdnn_ms, hf_ms2, lf_ms2``.
    body_weight_kg : the person's weight if known (sets weight-based doses such as
        ketamine 0.5 mg/kg); ``None``: the model's typical weight.
    bdnf_met : 1 for a BDNF Val66Met Met carrier, 0 for Val/Val (rs6265, if known); ``None``:
        unknown, the default population carrier share (PopulationSpec) is used: the average release.
    """

    id: str
    start_date: dt.date
    protocol: Protocol
    scores: pd.DataFrame
    biomarkers: pd.DataFrame
    hrv: pd.DataFrame
    body_weight_kg: float | None = None
    bdnf_met: float | None = None

    def model_for(self, model: Model) -> Model:
        """``model`` with what is known of this person fixed (body weight, BDNF genotype;
        an unknown genotype counts as the population's Met-carrier share)."""
        met = PopulationSpec().bdnf_met_carriers if self.bdnf_met is None else self.bdnf_met
        values = {"bdnf_met": met}
        if self.body_weight_kg is not None:
            values["body_weight"] = self.body_weight_kg
        return model.with_values(values, f"person.yaml of {self.id}")

    @property
    def end_h(self) -> float:
        """End of the treatment history, h after ``start_date``."""
        return self.protocol.duration_h()
