"""Personal twin: a person's record, a Bayesian fit of their parameters, forecasts.

Research software, not medical advice.
"""

from moodtwin.person._fit import PersonFit, fit_person, fitted_parameters, load_fit
from moodtwin.person._forecast import Forecast, ForecastSet, forecast
from moodtwin.person._hrv import HRV, hrv_from_ecg, hrv_from_rr
from moodtwin.person._load import load_person
from moodtwin.person._prior import Prior, person_prior
from moodtwin.person._schema import LoadReport, PersonRecord
from moodtwin.person._synthetic import synthetic_record, write_record

__all__ = [
    "HRV", "Forecast", "ForecastSet", "LoadReport", "PersonFit", "PersonRecord", "Prior",
    "fit_person", "fitted_parameters", "forecast", "hrv_from_ecg", "hrv_from_rr", "load_fit",
    "load_person", "person_prior", "synthetic_record", "write_record",
]
