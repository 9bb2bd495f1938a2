"""Synthetic people from known parameters: records for tests, validation and examples.

Scores come from the model's own observation process (latent score + day-to-day fluctuation
averaged over each rating's recall period + rating error, clipped to the scale and rounded to
whole points), labs and RMSSD are the model's observables with log-normal measurement error,
and heart recordings are RR series (and optionally a simple ECG) built to have that RMSSD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from moodtwin import scales
from moodtwin.parameter_sets import ParametersLike
from moodtwin.person._schema import ANALYTES, RMSSD_LOG_SD, PersonRecord
from moodtwin.protocols import parse_protocol
from moodtwin.simulation import simulate


def synthetic_record(
    protocol_data: Mapping[str, Any], truth: Mapping[str, float], *,
    scores: Sequence[tuple[float, str]], labs: Sequence[tuple[float, str]] = (),
    rmssd_h: Sequence[float] = (), seed: int = 0, start_date: dt.date = dt.date(2024, 1, 8),
    parameters: ParametersLike = None, person_id: str = "synthetic",
) -> tuple[PersonRecord, pd.DataFrame]:
    """A record observed at the given times (h) from a person with parameters ``truth``.

    ``scores``: (time_h, scale) pairs; ``labs``: (time_h, analyte) pairs; ``rmssd_h``: times
    of heart recordings. Returns the record and the noise-free truth at every observation
    time (columns ``time_h``, ``madrs``, ``hama`` and every biomarker observable).
    ``parameters``: the :class:`~moodtwin.ParameterSet` ``truth`` overrides (default: the
    calibrated set).
    """
    protocol = parse_protocol(dict(protocol_data), "synthetic protocol")
    rng = np.random.default_rng(seed)
    times = np.unique(np.concatenate([[t for t, _ in scores], [t for t, _ in labs],
                                      list(rmssd_h)]).astype(float))
    # no spontaneous remission or relapse unless ``truth`` sets remit_time/relapse_time
    # (the person likelihood models day-to-day fluctuation only)
    result = simulate(protocol, dict(truth), parameters=parameters,
                      save_times_h=times,
                      seed=seed)
    date = [_date(start_date, t) for t in times]
    rows = []
    for t, name in scores:
        k = int(np.searchsorted(times, t))
        value = float(np.round(result.score(name)[0, k]))
        rows.append({"time_h": float(t), "date": date[k], "scale": scales.get_scale(name).name,
                     "score": value})
    bio = []
    for t, analyte in labs:
        observable, _, _, _, log_sd = ANALYTES[analyte]
        k = int(np.searchsorted(times, t))
        value = float(result[observable][0, k] * np.exp(log_sd * rng.standard_normal()))
        bio.append({"time_h": float(t), "date": date[k], "observable": observable,
                    "value": value, "log_sd": log_sd, "source": f"labs.csv:{analyte}"})
    for t in rmssd_h:
        k = int(np.searchsorted(times, t))
        value = float(result["rmssd"][0, k] * np.exp(RMSSD_LOG_SD * rng.standard_normal()))
        bio.append({"time_h": float(t), "date": date[k], "observable": "rmssd",
                    "value": value, "log_sd": RMSSD_LOG_SD, "source": "synthetic"})
    truth_frame = pd.DataFrame({"time_h": times, "madrs": result["madrs"][0],
                                "hama": result["hama"][0], **{
                                    o: result[o][0] for o in ("rmssd", "heart_rate", *(
                                        a[0] for a in ANALYTES.values()))}})
    bio_frame = pd.DataFrame(bio, columns=["time_h", "date", "observable", "value", "log_sd",
                                           "source"]).sort_values("time_h", kind="stable")
    record = PersonRecord(person_id, start_date, protocol,
                          pd.DataFrame(rows).sort_values("time_h", kind="stable")
                          .reset_index(drop=True), bio_frame.reset_index(drop=True),
                          pd.DataFrame())
    return record, truth_frame


def _date(start: dt.date, t_h: float) -> str:
    when = dt.datetime.combine(start, dt.time()) + dt.timedelta(hours=float(t_h))
    return when.date().isoformat() if when.time() == dt.time() else when.isoformat(" ")


def synthetic_rr(rmssd_ms: float, heart_rate: float, seconds: float,
                 rng: np.random.Generator) -> np.ndarray:
    """RR intervals (ms) of a resting recording with the given RMSSD and mean heart rate:
    respiratory sinus arrhythmia at 0.25 Hz, a 0.1 Hz (baroreflex) wave and AR(1) noise,
    scaled to the RMSSD."""
    mean = 60_000.0 / heart_rate
    n = int(seconds * 1000.0 / mean) + 1
    t = np.arange(n) * mean / 1000.0
    noise = np.zeros(n)
    for k in range(1, n):
        noise[k] = 0.5 * noise[k - 1] + rng.standard_normal()
    wave = (1.5 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 6.3))
            + 1.2 * np.sin(2 * np.pi * 0.1 * t + rng.uniform(0, 6.3)) + noise)
    wave *= rmssd_ms / np.sqrt(np.mean(np.diff(wave) ** 2))
    return mean + wave


def synthetic_ecg(rr_ms: np.ndarray, sampling_rate: float,
                  rng: np.random.Generator) -> np.ndarray:
    """A simple ECG (mV): Gaussian P, QRS and T waves at the beats of ``rr_ms``, with
    baseline wander and noise."""
    beats = np.concatenate([[0.3], 0.3 + np.cumsum(rr_ms) / 1000.0])
    t = np.arange(0.0, beats[-1] + 0.5, 1.0 / sampling_rate)
    x = 0.05 * np.sin(2 * np.pi * 0.2 * t) + 0.02 * rng.standard_normal(len(t))
    for b in beats:  # (offset s, width s, amplitude mV): P, Q, R, S, T
        for off, width, amp in ((-0.2, 0.025, 0.15), (-0.03, 0.008, -0.1), (0.0, 0.01, 1.2),
                                (0.03, 0.008, -0.25), (0.25, 0.04, 0.3)):
            lo, hi = np.searchsorted(t, [b + off - 5 * width, b + off + 5 * width])
            x[lo:hi] += amp * np.exp(-0.5 * ((t[lo:hi] - b - off) / width) ** 2)
    return x


def write_record(folder: str | Path, record: PersonRecord, protocol_data: Mapping[str, Any],
                 truth: pd.DataFrame, *, seed: int = 0, ecg_at: Sequence[int] = (),
                 description: str = "") -> None:
    """Write ``record`` as a record folder; RMSSD observations become RR files (5 min) in
    ``heart/`` (ECG traces, 75 s at 125 Hz, for the recordings numbered in ``ecg_at``)."""
    folder = Path(folder)
    (folder / "heart").mkdir(parents=True, exist_ok=True)
    person = {"id": record.id, "start_date": record.start_date, "description": description}
    (folder / "person.yaml").write_text(yaml.safe_dump(person, sort_keys=False))
    (folder / "treatments.yaml").write_text(yaml.safe_dump(dict(protocol_data),
                                                           sort_keys=False))
    record.scores[["date", "scale", "score"]].astype({"score": int}).to_csv(
        folder / "scores.csv", index=False)
    bio = record.biomarkers
    labs = bio[bio["source"].str.startswith("labs")]
    units = {a: u for a, (_, u, *_) in ANALYTES.items()}
    analyte = labs["source"].str.split(":").str[1]
    pd.DataFrame({"date": labs["date"], "analyte": analyte, "value": labs["value"].round(2),
                  "unit": analyte.map(units)}).to_csv(folder / "labs.csv", index=False)
    rng = np.random.default_rng(seed)
    heart = bio[bio["observable"] == "rmssd"].reset_index(drop=True)
    for i, row in heart.iterrows():
        k = int(np.searchsorted(truth["time_h"], row["time_h"]))
        hr = float(truth["heart_rate"].iloc[k])
        if i in ecg_at:
            rr = synthetic_rr(row["value"], hr, 75.0, rng)
            ecg = synthetic_ecg(rr, 125.0, rng)
            pd.DataFrame({"time_s": np.round(np.arange(len(ecg)) / 125.0, 3),
                          "ecg": np.round(ecg, 2)}).to_csv(
                folder / "heart" / f"{row['date'][:10]}_ecg.csv", index=False)
            continue
        rr = synthetic_rr(row["value"], hr, 300.0, rng)
        pd.DataFrame({"rr_ms": np.round(rr).astype(int)}).to_csv(
            folder / "heart" / f"{row['date'][:10]}_rr.csv", index=False)
