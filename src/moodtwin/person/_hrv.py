"""Heart-rate variability from RR intervals or a raw ECG trace, with NeuroKit2.

Beats are corrected with the Kubios artifact algorithm (Lipponen & Tarvainen 2019,
``nk.signal_fixpeaks``); RMSSD and SDNN come from ``nk.hrv_time`` and HF/LF power (ms^2,
Welch PSD of the 4 Hz-resampled tachogram) from ``nk.hrv_frequency``. RMSSD becomes the
observation of vagal tone (model observable ``rmssd``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from moodtwin.errors import ValidationError
from moodtwin.extras import require
from moodtwin.person._schema import MIN_HRV_S, MIN_LF_S

_FS = 1000  # Hz: RR intervals become peak samples at 1 ms resolution


@dataclass(frozen=True)
class HRV:
    """HRV of one recording (ms, ms^2); ``lf_ms2`` is NaN when shorter than 2 min."""

    duration_s: float
    beats: int
    corrected: int
    rmssd_ms: float
    sdnn_ms: float
    hf_ms2: float
    lf_ms2: float


def hrv_from_rr(rr_ms: np.ndarray, time_s: np.ndarray | None = None) -> HRV:
    """HRV from RR intervals (ms), optionally timestamped (s, time of each interval's end).

    Intervals left out upstream (out of range) leave gaps in ``time_s``; the artifact
    correction treats them as missed beats. Raises :class:`ValidationError` if the recording
    is shorter than 60 s.
    """
    rr = np.asarray(rr_ms, dtype=float)
    ends = np.cumsum(rr) / 1000.0 if time_s is None else np.asarray(time_s, dtype=float)
    starts = ends - rr / 1000.0
    beats_s = np.concatenate([[starts[0]], ends]) - starts[0]
    return _hrv_from_peaks(np.round(beats_s * _FS).astype(np.int64), _FS)


def hrv_from_ecg(ecg: np.ndarray, sampling_rate: float) -> HRV:
    """HRV from a raw ECG trace sampled at ``sampling_rate`` Hz (R peaks by NeuroKit2)."""
    require("person")
    import neurokit2 as nk

    ecg = np.asarray(ecg, dtype=float)
    duration = len(ecg) / sampling_rate
    if duration < MIN_HRV_S:
        raise ValidationError(f"ECG of {duration:.0f} s is too short for HRV (at least "
                              f"{MIN_HRV_S:.0f} s).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NeuroKit2 warns about signal quality heuristics
        signals, info = nk.ecg_process(ecg, sampling_rate=int(round(sampling_rate)))
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
    if len(peaks) < 0.3 * duration:  # below 18 beats/min: no usable R peaks
        raise ValidationError(f"ECG: only {len(peaks)} R peaks found in {duration:.0f} s; "
                              "the trace is not a usable ECG.")
    return _hrv_from_peaks(peaks, int(round(sampling_rate)))


def _hrv_from_peaks(peaks: np.ndarray, fs: int) -> HRV:
    require("person")
    import neurokit2 as nk

    duration = (peaks[-1] - peaks[0]) / fs
    if duration < MIN_HRV_S or len(peaks) < 30:
        raise ValidationError(f"recording of {duration:.0f} s ({len(peaks)} beats) is too "
                              f"short for HRV (at least {MIN_HRV_S:.0f} s).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NeuroKit2 notes on short windows are expected
        info, clean = nk.signal_fixpeaks(peaks, sampling_rate=fs, iterative=True,
                                         method="Kubios")
        clean = np.unique(np.asarray(clean, dtype=np.int64))
        time = nk.hrv_time(clean, sampling_rate=fs)
        freq = nk.hrv_frequency(clean, sampling_rate=fs, normalize=False,
                                interpolation_rate=4)
    corrected = sum(len(info.get(k, [])) for k in ("ectopic", "missed", "extra", "longshort"))
    lf = float(freq["HRV_LF"].iloc[0]) if duration >= MIN_LF_S else float("nan")
    return HRV(duration_s=float(duration), beats=len(clean), corrected=int(corrected),
               rmssd_ms=float(time["HRV_RMSSD"].iloc[0]), sdnn_ms=float(time["HRV_SDNN"].iloc[0]),
               hf_ms2=float(freq["HRV_HF"].iloc[0]), lf_ms2=lf)
