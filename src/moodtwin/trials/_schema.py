"""Validated virtual-trial files (YAML): arms, population, visits, noise, dropout, endpoints."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from moodtwin import scales
from moodtwin.catalogue import catalogue_file, catalogue_names, protocol_catalogue
from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.population import PopulationSpec
from moodtwin.protocols import Protocol, load_protocol, parse_protocol
from moodtwin.units import hours
from moodtwin.yaml_files import Count, Number, first_problem, read_yaml

ARM_ENDPOINTS = (
    "mean_score", "mean_change", "percent_change", "response_rate", "remission_rate",
    "cumulative_response_rate", "cumulative_remission_rate", "time_in_response",
    "time_in_remission", "biomarker_change", "median_time_to_relapse", "proportion_relapsed",
    "correlation", "mean_cgi_i", "cgi_i_response_rate", "stressor_rise", "recovered_rate",
    "slope",
)
#: ``slope`` endpoints: score change per unit of time, in days.
SLOPE_UNITS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0}
RATE_TYPES = ("response_rate", "remission_rate", "cumulative_response_rate",
              "cumulative_remission_rate", "time_in_response", "time_in_remission",
              "cgi_i_response_rate", "recovered_rate")
#: Endpoints that are 0 by definition at the baseline visit (change from it).
CHANGE_TYPES = ("mean_change", "percent_change", "response_rate", "biomarker_change")
#: Resilience endpoints: read from the visit just before a stressor (``since``) to ``at``.
STRESSOR_TYPES = ("stressor_rise", "recovered_rate")
COMPARISONS = ("difference", "cohen_d", "hedges_g", "risk_ratio", "hazard_ratio")
#: Ratio endpoints: compared on the log scale, where their confidence intervals are
#: symmetric (Katz log interval for risk ratios, Wald interval of the Cox coefficient).
RATIO_TYPES = ("risk_ratio", "hazard_ratio")
BIOMARKERS = ("rmssd", "hf_power", "heart_rate", "bdnf_serum_ngml", "cortisol_ugdl", "il6_pgml",
              "tnf_pgml", "crp_mgl", "norepinephrine", "serotonin", "dissociation",
              "voice_alteration", "ptosis_risk", "paralysis", "tnf_lps_pgml", "bdnf_plasma_pgml",
              "ngf_serum_pgml", "psqi", "pcl5", "pupil_diameter", "salivary_amylase",
              "heart_rate_vns_on", "vns_charge_rate", "fear_expression", *scales.MEASURES)
#: Rating visits: at least 1 h apart (as protocol visits) and at most this many per trial.
MIN_VISIT_INTERVAL_H = 1.0
MAX_VISITS = 2000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              allow_inf_nan=False)


def _h(v: str, field: str) -> float:
    return hours(str(v), field)


def _not_a_fraction(value: float | None, field: str, what: str) -> None:
    """Refuse a percentage written as a fraction (0.5 for 50 %): it would be read as 0.5 %."""
    if value is not None and 0.0 < value < 1.0:
        raise ValueError(f"{field}: {value:g} is {what} in percent (write {100 * value:g} for "
                         f"{100 * value:g} %), not a fraction.")


def _response_percent(value: float | None, field: str) -> None:
    """Refuse a response-improvement threshold that is not a percentage of 1-100."""
    _not_a_fraction(value, field, "a response improvement")
    if value is not None and value > 100:
        raise ValueError(f"{field}: {value:g} is a response improvement in percent; allowed "
                         "1-100.")


def _on_scale(value: float | None, field: str, scale: str) -> None:
    """Refuse a score cut-off outside the scale (never met, or met by everyone)."""
    if value is None:
        return
    sc = scales.get_scale(scale)
    if not 0.0 <= value <= sc.max_score:
        raise ValueError(f"{field} {value:g} is outside 0-{sc.max_score:g} ({sc.name} "
                         "points).")


def first_exposure_h(protocol: Protocol) -> float | None:
    """Time (h, protocol time) of the protocol's first dose, session, stimulation start or
    drug start; None when it gives no therapy."""
    from moodtwin.protocols import _schema as ps

    times: list[float] = []
    end = protocol.duration_h()
    for th in protocol.therapies:
        if isinstance(th, ps.TaVNS | ps.TcVNS):
            times += th.session_starts_h(end)[:1]
        elif isinstance(th, ps.VNS):
            times.append(_h(th.start, "vns.start"))
        elif isinstance(th, ps.TreatmentAsUsual | ps.OralComparator):
            times.append(_h(th.start, f"{th.type}.start"))
        elif isinstance(th, ps.OralAntidepressant):
            if th.action == "start":
                times.append(min(_h(t, "oral_antidepressant.at") for t in th.at))
        elif hasattr(th, "times_h"):
            times.append(min(th.times_h(th.type)))
    return min(times) if times else None


class Tolerance(_Strict):
    """VNS titration to tolerance: from the protocol's stimulation start, every ``every``
    the current rises by ``step`` up to ``max`` while the patient's side-effect ``measure``
    (a model observable, 0-1) at the end of the step stays below ``below``; once it does
    not, the current stays where it is."""

    step: str = "0.25 mA"
    every: str = "2 week"
    max: str = "2.0 mA"
    measure: Literal["voice_alteration"] = "voice_alteration"
    below: Number = Field(default=0.5, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _units(self) -> Tolerance:
        from moodtwin.protocols._schema import LIMITS
        from moodtwin.units import quantity

        _, low, high = LIMITS["vns.current"]
        if quantity(self.step, "mA", "titrate_to_tolerance.step", low, high) <= 0:
            raise ValueError(f"titrate_to_tolerance.step: {self.step!r} must be above 0 mA.")
        quantity(self.max, "mA", "titrate_to_tolerance.max", low, high)
        _h(self.every, "titrate_to_tolerance.every")
        if _h(self.every, "titrate_to_tolerance.every") < 24.0:
            raise ValueError(f"titrate_to_tolerance.every: {self.every!r}; at least 1 d.")
        return self


CHOICES = {"sex": ("female", "male"), "response": ("responder", "non_responder"),
           "remission": ("remitter", "non_remitter")}


class Period(_Strict):
    """One protocol from the end of the previous period (or baseline) ``until`` a time.

    Patient-dependent dosing: ``choose_by`` picks each patient's protocol from ``protocols``
    by ``sex`` (keys ``female``/``male``: e.g. toxin units by sex), or by ``response`` /
    ``remission`` on the primary scale at the period's start (keys ``responder``/
    ``non_responder``, ``remitter``/``non_remitter``; ``threshold``: remission score at or
    below it, or response improvement in percent), e.g. esketamine weekly vs every other
    week. The decision reads the rated score at that visit (the one the results show).

    ``open_label``: from this period on the blind is broken, as in the open-label extension of
    a blinded trial: patients know what they receive (belief 1 for an active treatment, 0 for
    a sham), a switch from sham to active stimulation starts a new treatment course, and the
    clinicians who rate patients on active treatment know it (observer bias), unless the trial
    sets ``raters: blinded``.
    """

    protocol: Protocol  # the protocol, or the first of ``protocols``
    until: str | None = None  # trial time; None = the end of the trial
    label: str | None = None  # condition name for within-subject contrasts (active, sham)
    choose_by: Literal["sex", "response", "remission"] | None = None
    protocols: dict[str, Protocol] | None = None
    threshold: Number | None = Field(default=None, ge=0.0)
    titrate_to_tolerance: Tolerance | None = None
    open_label: bool = False  # the blind is broken from this period on (open-label extension)

    @model_validator(mode="after")
    def _titration(self) -> Period:
        if self.titrate_to_tolerance is None:
            return self
        kinds = [th.type for th in self.protocol.therapies]
        if self.choose_by is not None or kinds != ["vns"]:
            raise ValueError("titrate_to_tolerance: needs one protocol whose only therapy is "
                             f"'vns' (got {', '.join(kinds) or 'none'}; no choose_by).")
        vns = self.protocol.therapies[0]
        if vns.sham or vns.titration is not None:  # type: ignore[union-attr]
            raise ValueError("titrate_to_tolerance: give the starting 'current' of an active "
                             "(not sham) vns, not a titration schedule.")
        return self

    @model_validator(mode="after")
    def _choice(self) -> Period:
        if (self.choose_by is None) != (self.protocols is None):
            raise ValueError("give 'choose_by' together with 'protocols' (one per group).")
        if self.choose_by is not None:
            keys = CHOICES[self.choose_by]
            if set(self.protocols or {}) != set(keys):
                raise ValueError(f"protocols: choose_by {self.choose_by!r} needs exactly the "
                                 f"keys {', '.join(keys)}; got {', '.join(self.protocols or {})}.")
        if self.threshold is not None and self.choose_by not in ("response", "remission"):
            raise ValueError("threshold: applies to choose_by 'response' or 'remission'.")
        if self.choose_by == "response":
            _response_percent(self.threshold, "threshold")
        return self

    def all_protocols(self) -> list[Protocol]:
        return list(self.protocols.values()) if self.protocols else [self.protocol]


class Arm(_Strict):
    """A treatment arm: one protocol, or a sequence of periods (crossover, follow-up)."""

    name: str
    periods: list[Period]
    allocation: Number = Field(default=1.0, gt=0.0)
    n: Count | None = Field(default=None, ge=1)  # fixed size: a non-randomized cohort
    population: dict[str, Any] | None = None  # cohort-specific population overrides
    visits: list[str] | None = None  # own rating schedule (default: the trial's visits)
    anaesthesia: bool | None = None  # overrides the protocols' context of care
    setting: Literal["outpatient", "inpatient"] | None = None

    def in_context(self, protocol: Protocol) -> Protocol:
        """``protocol`` with this arm's context-of-care overrides."""
        over = {k: v for k, v in (("anaesthesia", self.anaesthesia),
                                  ("setting", self.setting)) if v is not None}
        return protocol.model_copy(update=over) if over else protocol


class Persistence(_Strict):
    """The entry criterion must hold at ``k`` of the patient's last ``of_last`` visits up to
    and including the withdrawal visit (a missed visit counts as not meeting it)."""

    k: Count = Field(ge=1, le=52)
    of_last: Count = Field(ge=1, le=52)

    @model_validator(mode="after")
    def _k(self) -> Persistence:
        if self.k > self.of_last:
            raise ValueError(f"persistence: k = {self.k} exceeds of_last = {self.of_last}.")
        return self


class Withdrawal(_Strict):
    """Randomized withdrawal (relapse prevention): at ``at``, patients meeting ``criterion``
    on the primary scale are re-randomized to ``arms`` within each first arm (so arm and
    cohort identity stay balanced); the others leave the trial.

    ``threshold``: remission is a score at or below it (default: the scale's remission
    threshold), response an improvement of at least this percentage (default: the scale's
    response criterion). ``persistence``: the criterion must hold at k of the last m visits
    ("stable remission"); default: at the withdrawal visit only.
    """

    at: str
    criterion: Literal["response", "remission", "all"] = "response"
    threshold: Number | None = Field(default=None, ge=0.0)
    persistence: Persistence | None = None
    from_arms: list[str] | None = None
    arms: list[Arm]

    @model_validator(mode="after")
    def _threshold(self) -> Withdrawal:
        if self.threshold is not None and self.criterion == "all":
            raise ValueError("withdrawal.threshold: criterion 'all' takes no threshold.")
        if self.criterion == "response":
            _response_percent(self.threshold, "withdrawal.threshold")
        return self


RELAPSE_TYPES = ("median_time_to_relapse", "hazard_ratio", "proportion_relapsed")
#: Named origins of relapse timing; any other origin is a visit time.
RELAPSE_ORIGINS = ("arm_start", "first_response")
#: Endpoint fields read only by some endpoints (own type, or ``of`` of a comparison): on any
#: other they would be ignored without a word (``measure`` on a mean_change reported the
#: score's change under the biomarker's name).
FIELD_USERS: dict[str, tuple[str, ...]] = {
    "measure": ("biomarker_change", "correlation"),
    "remission_threshold": ("remission_rate", "cumulative_remission_rate", "time_in_remission"),
    "response_fraction": ("response_rate", "cumulative_response_rate", "time_in_response"),
    "relapse": RELAPSE_TYPES,
    "relapse_score": RELAPSE_TYPES,
}
MISSING = ("locf", "observed", "non_responder", "mmrm")
SUBGROUP_COVARIATES = ("sex", "age", "failed_treatments", "baseline", "body_weight",
                       "response", "remission", "arm", "bdnf_genotype")
SUBGROUP_EQUALS = {"sex": ("female", "male"), "response": ("responder", "non_responder"),
                   "remission": ("remitter", "non_remitter"),
                   "bdnf_genotype": ("val_val", "met_carrier")}


class Relapse(_Strict):
    """A relapse / loss-of-response definition on the endpoint's scale.

    A visit meets the criterion when the score is at or above ``score`` and/or the
    improvement falls below ``improvement_below`` percent of the patient's ``reference``
    (``baseline``: percent improvement from baseline; ``best``: percent of the best
    improvement reached so far); ``combine`` says whether ``any`` or ``all`` criteria must
    hold. A relapse is ``confirm`` consecutive visits meeting it, or one visit at or above
    ``severe_score`` (a hospitalisation-like event). Time runs from ``origin``: the arm's
    start (``arm_start``), each patient's first response (``first_response``: patients who
    never respond are not at risk), or a visit (a time such as ``12 d``, e.g. the day of the
    last infusion: with a subgroup of responders at that visit it reads "among responders,
    time to relapse after the last infusion").
    """

    score: Number | None = Field(default=None, ge=0.0)
    improvement_below: Number | None = Field(default=None, gt=0.0, le=100.0)
    reference: Literal["baseline", "best"] = "baseline"
    combine: Literal["any", "all"] = "any"
    confirm: Count = Field(default=1, ge=1, le=6)
    severe_score: Number | None = Field(default=None, ge=0.0)
    origin: str = "arm_start"

    @field_validator("origin")
    @classmethod
    def _origin_is_a_start_or_a_time(cls, v: str) -> str:
        if v in RELAPSE_ORIGINS:
            return v
        try:
            _h(v, "relapse.origin")
        except ValidationError:
            close = difflib.get_close_matches(v, RELAPSE_ORIGINS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{v!r} is not 'arm_start' or 'first_response' or a visit time "
                             f"such as '12 d' (relapse is then timed from that visit){hint}."
                             ) from None
        return v

    def origin_h(self) -> float | None:
        """The origin visit's time (h) when ``origin`` is a time, else None."""
        return None if self.origin in RELAPSE_ORIGINS else _h(self.origin, "relapse.origin")

    @model_validator(mode="after")
    def _some(self) -> Relapse:
        if self.score is None and self.improvement_below is None:
            raise ValueError("relapse: give 'score' (e.g. 22) and/or 'improvement_below' "
                             "(percent, e.g. 40).")
        _not_a_fraction(self.improvement_below, "improvement_below", "an improvement share")
        return self


class Subgroup(_Strict):
    """Restrict an endpoint to patients by a covariate: ``sex`` (``equals: female|male``),
    ``age``, ``failed_treatments``, ``baseline`` (primary-scale score), ``body_weight``
    (``min``/``max``, inclusive), or ``response``/``remission`` on the primary scale at
    ``at`` (``equals: responder|non_responder``, ``remitter|non_remitter``), or ``arm``
    (``equals``: the first, randomized arm or cohort -- e.g. within a withdrawal arm), or
    ``bdnf_genotype`` (``equals: val_val|met_carrier``, BDNF Val66Met)."""

    covariate: Literal[SUBGROUP_COVARIATES]  # type: ignore[valid-type]
    equals: str | None = None
    min: Number | None = None
    max: Number | None = None
    at: str | None = None

    @field_validator("equals", mode="before")
    @classmethod
    def _equals_is_a_name(cls, v: object, info: ValidationInfo) -> object:
        """``equals: true`` (YAML's yes/no/true) reads as a boolean, not a group's name."""
        if v is None or isinstance(v, str):
            return v
        covariate = info.data.get("covariate")
        names = SUBGROUP_EQUALS.get(covariate, ("the first arm's name",) if covariate == "arm"
                                    else ())
        allowed = f"allowed: {', '.join(names)}" if names else "give 'min' and/or 'max'"
        raise ValueError(f"{v!r} for {covariate!r} is not a group's name; "
                         f"{allowed}.")

    @model_validator(mode="after")
    def _form(self) -> Subgroup:
        allowed = SUBGROUP_EQUALS.get(self.covariate)
        if self.covariate == "arm":
            if not self.equals or self.min is not None or self.max is not None:
                raise ValueError("subgroup: 'arm' takes 'equals: <first arm's name>'.")
        elif allowed is not None:
            if self.equals not in allowed:
                raise ValueError(f"subgroup.equals: {self.equals!r} for {self.covariate!r}; "
                                 f"allowed: {', '.join(allowed)}.")
            if self.min is not None or self.max is not None:
                raise ValueError(f"subgroup: {self.covariate!r} takes 'equals', not min/max.")
        elif self.equals is not None or (self.min is None and self.max is None):
            raise ValueError(f"subgroup: {self.covariate!r} is numeric; give 'min' and/or "
                             "'max' (inclusive).")
        if self.covariate in ("response", "remission") and self.at is None:
            raise ValueError(f"subgroup.at: give the visit at which {self.covariate} "
                             "defines the subgroup (e.g. '4 week').")
        if self.at is not None:
            _h(self.at, "subgroup.at")
        return self


CLAIMS = ("superior", "inferior", "no_difference", "improves")
TESTS = ("welch_t", "newcombe", "log_ratio", "cox_wald", "normal_smd", "paired_t", "mmrm")


class Published(_Strict):
    """A published value with its uncertainty: ``ci`` (95%), ``se``, or ``sd`` with ``n``;
    for rates, ``n`` alone gives the binomial standard error.

    Or a published significance statement, ``claim``: ``superior`` / ``inferior``
    (``arms[0]`` better / worse than ``arms[1]`` at two-sided ``alpha`` 0.05),
    ``no_difference`` (not significant), or ``improves`` (an arm's ``mean_change`` --
    e.g. with ``since`` -- is significantly below 0), with the ``test`` the paper used
    (it must be the endpoint's own test; see :func:`endpoint_test`).
    """

    value: Number | None = None
    ci: tuple[Number, Number] | None = None
    se: Number | None = Field(default=None, gt=0.0)
    sd: Number | None = Field(default=None, gt=0.0)
    n: Count | None = Field(default=None, ge=1)
    source: str = ""
    claim: Literal[CLAIMS] | None = None  # type: ignore[valid-type]
    test: Literal[TESTS] | None = None  # type: ignore[valid-type]
    alpha: Number = 0.05

    @model_validator(mode="after")
    def _form(self) -> Published:
        if (self.value is None) == (self.claim is None):
            raise ValueError("published: give a 'value' (with ci/se/sd/n) or a 'claim' "
                             f"({', '.join(CLAIMS)}), not both.")
        if self.claim is not None:
            if self.ci or self.se or self.sd or self.n:
                raise ValueError("published: a 'claim' takes 'test', 'alpha' and 'source', "
                                 "not ci/se/sd/n.")
            if self.alpha != 0.05:
                raise ValueError(f"published.alpha: {self.alpha:g}; only 0.05 (two-sided, "
                                 "the 95% CIs of the endpoints) is supported.")
        return self


class Endpoint(_Strict):
    """One endpoint. Arm endpoints give a value per arm in ``arms`` (default: all arms);
    comparisons (``difference``, ``cohen_d``, ``hedges_g``, ``risk_ratio``,
    ``hazard_ratio``) contrast ``arms[0]`` with ``arms[1]``."""

    id: str | None = None
    type: Literal[ARM_ENDPOINTS + COMPARISONS + ("within_difference",)]  # type: ignore[valid-type]
    scale: str | None = None
    at: str | None = None
    arms: list[str] | None = None
    of: Literal["mean_change", "percent_change", "response_rate", "remission_rate",
                "cumulative_response_rate", "cumulative_remission_rate",
                "mean_score", "biomarker_change", "time_in_response",
                "time_in_remission", "mean_cgi_i", "cgi_i_response_rate", "stressor_rise",
                "recovered_rate", "slope"] | None = None
    measure: str | None = None  # biomarker observable for biomarker_change
    relapse_score: Number | None = None  # relapse when the score reaches this (trial scale)
    relapse: Relapse | None = None
    by: str | None = None  # proportion_relapsed: time from the relapse origin
    remission_threshold: Number | None = None  # overrides the scale's remission definition
    response_fraction: Number | None = Field(default=None, gt=0.0, lt=1.0)  # response reduction
    # response_rate/remission_rate: durable, the criterion met at k of the patient's last
    # of_last rated visits up to 'at' (a missed visit does not meet it)
    persistence: Persistence | None = None
    # recovered_rate: recovered when the score at 'at' is at most this many points above 'since'
    recovered_within: Number | None = Field(default=None, ge=0.0)
    missing: Literal[MISSING] | None = None  # type: ignore[valid-type]  # default: analysis
    subgroup: Subgroup | None = None
    window_start: str | None = None  # time_in_response/remission, slope: window from here to at
    per: Literal["day", "week", "month"] | None = None  # slope: points per (default month)
    method: Literal["pearson", "spearman"] = "pearson"  # correlation
    baseline: Literal["trial", "period"] = "trial"  # change from trial or period baseline
    # mean_change/percent_change from this visit instead of baseline; stressor_rise and
    # recovered_rate: the visit just before the stressor (their window ends at 'at')
    since: str | None = None
    periods: list[str] | None = None  # within_difference: two period labels [A, B]
    after: str | None = None  # within_difference: reading this long into each period
    published: Published | dict[str, Published] | None = None
    # this endpoint's published values: fitted ("calibration") or only reported
    # ("validation"); default: the trial file's role
    role: Literal["calibration", "validation"] | None = None

    def relapse_rule(self) -> Relapse:
        """The relapse definition (``relapse``, or ``relapse_score`` as a one-visit rule)."""
        return self.relapse or Relapse(score=self.relapse_score)

    def quantity(self) -> str:
        """What is computed per patient (``of`` for comparisons, else ``type``)."""
        if self.type in COMPARISONS or self.type == "within_difference":
            return self.of or self.type
        return self.type

    @model_validator(mode="after")
    def _v2(self) -> Endpoint:
        kind = self.quantity()
        if self.type == "risk_ratio" and self.of is None:
            kind = "response_rate"
        if self.missing == "non_responder" and kind not in RATE_TYPES:
            raise ValueError(f"missing: 'non_responder' imputes rates ({', '.join(RATE_TYPES)})"
                             f", not {kind!r}.")
        if self.missing == "mmrm" and kind != "mean_change":
            raise ValueError(f"missing: 'mmrm' estimates mean changes (mean_change, or a "
                             f"difference of mean_change), not {kind!r}.")
        if self.relapse is not None and self.relapse_score is not None:
            raise ValueError("give 'relapse' or 'relapse_score', not both.")
        if self.type in RELAPSE_TYPES and self.relapse is None and self.relapse_score is None:
            raise ValueError(f"endpoint {self.type!r} needs 'relapse' (e.g. {{score: 22, "
                             "confirm: 2}) or 'relapse_score'.")
        if (self.type == "proportion_relapsed") != (self.by is not None):
            raise ValueError("'by' (time from the relapse origin) belongs to, and is needed "
                             "by, endpoint 'proportion_relapsed'.")
        if self.by is not None:
            _h(self.by, "by")
        if self.type == "correlation" and self.of not in ("mean_change", "percent_change"):
            raise ValueError("endpoint 'correlation' needs 'of: mean_change' or 'of: "
                             f"percent_change' (the score change), got {self.of!r}.")
        if self.type == "within_difference":
            if self.periods is None or len(self.periods) != 2 or len(set(self.periods)) != 2:
                raise ValueError("endpoint 'within_difference' needs 'periods: [A, B]' (two "
                                 "period labels).")
            if self.of not in ("mean_change", "percent_change", "biomarker_change"):
                raise ValueError("endpoint 'within_difference' needs 'of: mean_change', "
                                 f"'percent_change' or 'biomarker_change', got {self.of!r}.")
            if self.at is not None:
                raise ValueError(f"at: {self.at!r} is not read by 'within_difference', which "
                                 "reads each period at its end, or 'after' its start (e.g. "
                                 "'after: 6 week').")
        elif self.periods is not None or self.after is not None:
            raise ValueError("'periods' and 'after' belong to endpoint 'within_difference'.")
        if self.after is not None:
            _h(self.after, "after")
        for field, kinds in FIELD_USERS.items():
            value = getattr(self, field)
            if value is not None and not {self.type, kind} & set(kinds):
                given = ("" if isinstance(value, Relapse)
                         else f" {value:g}" if isinstance(value, float) else f" {value!r}")
                raise ValueError(f"{field}:{given} is read only by {', '.join(kinds)}; on "
                                 f"{kind!r} it would be ignored.")
        if self.baseline == "period" and kind not in (
                "mean_change", "percent_change", "biomarker_change", "response_rate"):
            raise ValueError(f"baseline: 'period' applies to changes and response_rate, not "
                             f"{kind!r}.")
        if kind in STRESSOR_TYPES and self.since is None:
            raise ValueError(f"endpoint {kind!r} needs 'since' (the visit just before the "
                             "stressor) and 'at' (the end of the window).")
        if self.persistence is not None and kind not in ("response_rate", "remission_rate"):
            raise ValueError(f"persistence: applies to response_rate and remission_rate "
                             f"(durable response or remission), not {kind!r}.")
        if (kind == "recovered_rate") != (self.recovered_within is not None):
            raise ValueError("'recovered_within' (points above the score at 'since') belongs "
                             "to, and is needed by, endpoint 'recovered_rate'.")
        if self.since is not None:
            if kind not in ("mean_change", "percent_change", *STRESSOR_TYPES) \
                    or self.baseline != "trial":
                raise ValueError("since: applies to mean_change/percent_change from the trial "
                                 "baseline, and to stressor_rise/recovered_rate.")
            if self.at is None or _h(self.since, "since") >= _h(self.at, "at"):
                raise ValueError(f"since: {self.since!r} must be before 'at' ({self.at!r}).")
        self._check_claims()
        if self.per is not None and kind != "slope":
            raise ValueError(f"per: applies to slope (points per day, week or month), not "
                             f"{kind!r}.")
        if kind == "slope" and self.missing == "locf":
            raise ValueError("missing: 'locf' does not apply to slope, which is fitted to each "
                             "patient's observed visits (leave 'missing' out).")
        if self.window_start is not None:
            if kind not in ("time_in_response", "time_in_remission", "slope"):
                raise ValueError(f"window_start: applies to time_in_response/"
                                 f"time_in_remission and slope, not {kind!r}.")
            start = _h(self.window_start, "window_start")
            if self.at is not None and start >= _h(self.at, "at"):
                raise ValueError(f"window_start: {self.window_start!r} must be before 'at' "
                                 f"({self.at!r}).")
        return self

    def _check_claims(self) -> None:
        pubs = (list(self.published.values()) if isinstance(self.published, dict)
                else [self.published] if self.published else [])
        for pub in pubs:
            if pub.claim is None:
                continue
            compares = self.type in COMPARISONS or self.type == "within_difference"
            if pub.claim == "improves" and self.type != "mean_change":
                raise ValueError("published.claim: 'improves' applies to a mean_change "
                                 f"endpoint (e.g. with 'since'), not {self.type!r}.")
            if pub.claim != "improves" and not compares:
                raise ValueError(f"published.claim: {pub.claim!r} compares arms; use it on "
                                 f"a comparison endpoint, not {self.type!r}.")
            own = endpoint_test(self)
            if pub.test is not None and pub.test != own:
                raise ValueError(f"published.test: {pub.test!r}; this endpoint is tested with "
                                 f"{own!r} (choose the endpoint that the paper's test "
                                 "matches, e.g. missing: mmrm for an MMRM).")

    @model_validator(mode="after")
    def _consistent(self) -> Endpoint:
        if self.type in COMPARISONS and (self.arms is None or len(self.arms) != 2):
            raise ValueError(f"endpoint {self.type!r} compares two arms: give 'arms: [A, B]'.")
        if self.type == "difference" and self.of is None:
            raise ValueError("endpoint 'difference' needs 'of' (e.g. mean_change).")
        if "biomarker_change" in (self.type, self.of) or self.type == "correlation":
            if self.measure not in BIOMARKERS:
                raise ValueError(f"measure {self.measure!r} is not a biomarker; choose from "
                                 f"{', '.join(BIOMARKERS)}.")
        if self.scale is not None:
            _known_scale(self.scale)
        if self.at is not None:
            _h(self.at, "endpoint.at")
        return self


def endpoint_test(e: Endpoint) -> str:
    """The test behind the endpoint's 95% CI (what a published claim is scored with)."""
    kind = e.quantity()
    if e.type == "hazard_ratio":
        return "cox_wald"
    if e.type in ("cohen_d", "hedges_g"):
        return "normal_smd"
    if e.type == "risk_ratio":
        return "log_ratio"
    if e.type == "within_difference":
        return "paired_t"
    if kind == "mean_change" and e.missing == "mmrm":
        return "mmrm"
    if e.type == "difference":
        return ("newcombe" if kind in RATE_TYPES and not kind.startswith("time_in")
                else "welch_t")
    return "paired_t"


def _on_visit(t: float, visits: list[float]) -> bool:
    return any(abs(t - v) < 1e-6 for v in visits)


def _known_scale(name: str) -> str:
    """The canonical name of scale ``name``; an unknown one is a ValueError, so the error
    names the field it came from."""
    try:
        return scales.get_scale(name).name
    except UnknownNameError as exc:
        raise ValueError(str(exc)) from None


def endpoint_name(e: Endpoint) -> str:
    return e.id or e.type


def is_rate_endpoint(e: Endpoint) -> bool:
    """Whether ``e`` reports a rate (a fraction 0-1) or a difference of rates."""
    return e.type in RATE_TYPES or (e.type == "difference" and e.of in RATE_TYPES)


def within_label(e: Endpoint) -> str:
    """The arm label of a ``within_difference`` endpoint's pooled contrast."""
    a, b = e.periods or ["", ""]
    return f"{a} vs {b} (within)"


class Trial(_Strict):
    """A virtual clinical trial."""

    name: str
    description: str = ""
    source: str = ""
    population: PopulationSpec = Field(default_factory=PopulationSpec)
    n: Count | None = Field(default=None, ge=1)  # randomized patients (randomized arms)
    duration: str
    visits: list[str]
    scale: str = "MADRS"  # primary scale (inclusion, response, withdrawal criterion)
    rater_noise: Number = Field(default=0.0, ge=0.0)  # SD in points of each scale
    dropout: Number = Field(default=0.0, ge=0.0, lt=1.0)  # fraction lost by the end of the trial
    # dropout hazard ratio of an unimproved patient vs a responder (50 % better); 1: dropout
    # is random, > 1: patients who do not improve leave more often (lack of efficacy)
    dropout_informative: Number = Field(default=1.0, ge=0.1, le=20.0)
    biomarker_noise: dict[str, Number] = Field(default_factory=dict)  # relative SD per measurement
    analysis: Literal["locf", "observed"] = "locf"
    # what patients know of their treatment; auto: blinded when randomized arms include a
    # placebo/sham arm (the expectancy model then uses the probability of active treatment)
    blinding: Literal["auto", "open", "blinded"] = "auto"
    # whether the clinicians who rate know each arm's treatment; auto: as the patients (an open
    # trial's raters know; ESCAPE-TRD, open label, had blinded raters: set "blinded")
    raters: Literal["auto", "blinded", "unblinded"] = "auto"
    # other trial files whose pooled patients include this trial's (calibration weights
    # shared evidence once)
    overlaps: list[str] = Field(default_factory=list)
    # calibration: fit its published values (the calibration set, shared evidence), or only
    # validate them (secondary outcomes and external results the fit must not see)
    role: Literal["calibration", "validation"] = "calibration"
    arms: list[Arm] = Field(min_length=1)
    withdrawal: Withdrawal | None = None
    endpoints: list[Endpoint] = Field(default_factory=list)
    pools: dict[str, list[str]] = Field(default_factory=dict)  # name -> arms analysed as one

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: str) -> str:
        return _known_scale(v)

    @field_validator("analysis", mode="before")
    @classmethod
    def _analysis(cls, v: Any) -> Any:
        if v in ("mmrm", "non_responder"):
            kinds = "a mean change or difference" if v == "mmrm" else "a rate"
            raise ValueError(f"analysis: {v!r} is set per endpoint (missing: {v} on {kinds}); "
                             "the trial-wide analysis is 'locf' or 'observed'.")
        return v

    def p_active(self) -> float | None:
        """Probability of active treatment a blinded patient is told (allocation share of the
        randomized arms with an active study treatment); ``None`` when the trial is open."""
        rand = [a for a in self.arms if a.n is None]
        kinds = [a.periods[0].protocol.study_treatment() for a in rand]
        blinded = self.blinding == "blinded" or (
            self.blinding == "auto" and len(rand) > 1 and "placebo" in kinds)
        if not blinded:
            return None
        total = sum(a.allocation for a in rand)
        return sum(a.allocation for a, k in zip(rand, kinds, strict=True)
                   if k == "active") / total if total else None

    def rater_knows_active(self, arm: Arm) -> bool:
        """Whether the clinicians who rate ``arm`` know that it receives the experimental
        (active) study treatment, so observer bias lowers its post-baseline ratings."""
        blind = self.raters == "blinded" or (self.raters == "auto" and self.p_active() is not None)
        return not blind and arm.periods[0].protocol.study_treatment() == "active"

    def _check_pills(self) -> None:
        """Against a placebo pill every randomized arm's newly started oral antidepressant is
        the blinded study pill: one the patients know is an antidepressant would break the
        blind that the placebo arm keeps, silently."""
        rand = [a for a in self.arms if a.n is None]
        pills = [(a, th) for a in rand for p in a.periods for proto in p.all_protocols()
                 for th in proto.therapies
                 if th.type == "oral_antidepressant" and th.action == "start"]
        placebo = [a.name for a, th in pills if th.placebo]
        known = [a.name for a, th in pills if not th.masked]
        if placebo and known:
            raise ValueError(f"arm {known[0]!r}: oral_antidepressant is known active while arm "
                             f"{placebo[0]!r} takes a placebo pill; set 'blinded: true' on "
                             "it (a double-blind trial against the placebo pill).")

    def p_active_for(self, protocol: Protocol) -> float | None:
        """:meth:`p_active` for an arm running ``protocol``: a blinded trial blinds the arms
        with a blindable study treatment, not usual care (``None``: open)."""
        return self.p_active() if protocol.study_treatment() != "none" else None

    @model_validator(mode="after")
    def _check(self) -> Trial:
        end = self.duration_h()
        vt = self.visit_times_h()
        if vt[-1] > end + 1e-9:
            raise ValueError(f"visit at {vt[-1] / 24:g} d is after the trial's end "
                             f"({self.duration}).")
        names = [a.name for a in self.all_arms()]
        dup = {x for x in names if names.count(x) > 1}
        if dup:
            raise ValueError(f"arm names must be unique; repeated: {', '.join(sorted(dup))}.")
        if any(a.n is None for a in self.arms) and self.n is None:
            raise ValueError("give the trial's 'n' (randomized patients) or an 'n' per arm.")
        at = _h(self.withdrawal.at, "withdrawal.at") if self.withdrawal else end
        spans = [(a, 0.0, at) for a in self.arms]
        spans += [(a, at, end) for a in (self.withdrawal.arms if self.withdrawal else [])]
        for arm, start, stop_arm in spans:
            opened = [i for i, p in enumerate(arm.periods) if p.open_label]
            if opened and not all(p.open_label for p in arm.periods[opened[0]:]):
                raise ValueError(f"arm {arm.name!r}: period {opened[0]} is open_label, so every "
                                 "later period must be too (a broken blind stays broken).")
            for i, p in enumerate(arm.periods):
                stop = stop_arm if p.until is None else _h(p.until, f"{arm.name}.until")
                if stop <= start or stop > stop_arm + 1e-9:
                    raise ValueError(f"arm {arm.name!r} period {i}: 'until' must increase and "
                                     f"lie within the arm's part of the trial.")
                for proto in p.all_protocols():
                    if proto.duration_h() + 1e-9 < stop - start:
                        raise ValueError(
                            f"arm {arm.name!r} period {i}: protocol {proto.name!r} lasts "
                            f"{proto.duration}, shorter than its period "
                            f"({(stop - start) / 24:g} d); use a copy of it with 'duration: "
                            f"{(stop - start) / 24:g} d' (not stretched automatically: "
                            "therapies without their own end would run on), or end the "
                            "period earlier with 'until'.")
                if p.choose_by in ("response", "remission") and not _on_visit(
                        start, self.arm_visit_times_h(arm)) or p.choose_by in (
                        "response", "remission") and start <= 0.0:
                    raise ValueError(f"arm {arm.name!r} period {i}: choose_by "
                                     f"{p.choose_by!r} decides at the period start "
                                     f"({start / 24:g} d), which must be a later visit.")
                if p.choose_by == "remission":
                    _on_scale(p.threshold, f"arm {arm.name!r} period {i}: threshold:",
                              self.scale)
                start = stop
            if abs(start - stop_arm) > 1e-6:
                raise ValueError(f"arm {arm.name!r}: the last period must run to the end of "
                                 "the arm's part of the trial (leave out its 'until').")
        self._check_pills()
        for arm in self.all_arms():
            try:  # cohort overrides checked now, not when the trial runs
                self.population.merged(arm.population)
            except pydantic.ValidationError as exc:
                raise ValueError(f"arm {arm.name!r}: {first_problem(exc, 'population')}") from None
        for name, cv in self.biomarker_noise.items():
            if name not in BIOMARKERS or not 0.0 <= cv <= 2.0:
                raise ValueError(f"biomarker_noise: {name!r}: {cv!r} must be a biomarker "
                                 f"({', '.join(BIOMARKERS)}) with a relative SD in 0-2.")
        for pool, members in self.pools.items():
            if pool in names:
                raise ValueError(f"pools: {pool!r} is already an arm's name.")
            bad = [m for m in members if m not in names]
            if bad or len(members) < 2:
                raise ValueError(f"pools.{pool}: give two or more arms from "
                                 f"{', '.join(names)}; got {members}.")
        if self.withdrawal is not None and self.withdrawal.criterion == "remission":
            _on_scale(self.withdrawal.threshold, "withdrawal.threshold:", self.scale)
        screening = scales.get_scale(self.population.baseline.scale)  # screened on it
        for bound in ("min_score", "max_score"):
            v = getattr(self.population.inclusion, bound)
            if v is not None and not 0 <= v <= screening.max_score:
                raise ValueError(f"population.inclusion.{bound}: {v:g} is outside "
                                 f"0-{screening.max_score:g} ({screening.name}, the scale of "
                                 "population.baseline, on which patients are screened).")
        rated = [("", self.scale)] + [(f"endpoint {endpoint_name(e)!r}: ", e.scale)
                                      for e in self.endpoints if e.scale]
        ptsd = [(where, sc) for where, sc in rated if scales.get_scale(sc).construct == "ptsd"]
        if ptsd and self.population.ptsd_baseline is None and not any(
                "ptsd_baseline" in (a.population or {}) for a in self.all_arms()):
            raise ValueError(f"{ptsd[0][0]}scale {ptsd[0][1]!r} rates PTSD, but nobody has a "
                             "trauma memory "
                             "(PCL-5 0 throughout: every patient would count as a responder); "
                             "give population.ptsd_baseline, e.g. {scale: PCL5, mean: 45, "
                             "sd: 10, min: 33, max: 80}.")
        base, low = self.population.baseline, self.population.inclusion.min_score
        if low is not None and "max" in base.model_fields_set and low > base.max:
            raise ValueError(f"population.inclusion.min_score: {low:g} is above "
                             f"population.baseline.max {base.max:g}: nobody could enrol.")
        from moodtwin.trials._endpoints import endpoint_label  # results are keyed by it

        ids = [endpoint_label(e) for e in self.endpoints]
        twice = sorted({x for x in ids if ids.count(x) > 1})
        if twice:
            raise ValueError(f"endpoints: id {twice[0]!r} is given {ids.count(twice[0])} times "
                             "(the same id, or the same type, scale and time without one); "
                             "give each endpoint its own id.")
        for e in self.endpoints:
            top = scales.get_scale(e.scale or self.scale)
            if e.type in COMPARISONS and e.arms and len(set(e.arms)) < len(e.arms):
                raise ValueError(f"endpoint {endpoint_name(e)!r}: arms {e.arms} compares an "
                                 "arm with itself; name two different arms.")
            if (e.type in CHANGE_TYPES or e.of in CHANGE_TYPES) and e.at is not None \
                    and _h(e.at, "at") <= 1e-9:
                raise ValueError(f"endpoint {endpoint_name(e)!r}: a {e.of or e.type} at "
                                 f"{e.at!r} is the baseline itself (0 by definition); read "
                                 "it at a later visit.")
            where = f"endpoint {endpoint_name(e)!r}:"
            _on_scale(e.remission_threshold, f"{where} remission_threshold", top.name)
            _on_scale(e.relapse_score, f"{where} relapse_score", top.name)
            if e.relapse is not None:
                _on_scale(e.relapse.score, f"{where} relapse.score", top.name)
                _on_scale(e.relapse.severe_score, f"{where} relapse.severe_score", top.name)
            if e.recovered_within is not None and e.recovered_within > top.max_score:
                raise ValueError(f"endpoint {endpoint_name(e)!r}: recovered_within "
                                 f"{e.recovered_within:g} is outside 0-{top.max_score:g} "
                                 f"({top.name} points).")
            if e.persistence is not None:
                upto = [t for t in vt if 0.0 < t <= (_h(e.at, "at") if e.at else end) + 1e-6]
                if e.persistence.of_last > len(upto):
                    raise ValueError(f"endpoint {endpoint_name(e)!r}: persistence.of_last "
                                     f"{e.persistence.of_last} is more than the {len(upto)} "
                                     "rating visit(s) up to 'at'.")
            for a in e.arms or []:
                if a not in names and a not in self.pools:
                    raise ValueError(f"endpoint {endpoint_name(e)!r}: unknown arm {a!r}; "
                                     f"arms are {', '.join([*names, *self.pools])}.")
            origin = e.relapse.origin if e.relapse else None
            for field, when in (("at", e.at), ("window_start", e.window_start),
                                ("since", e.since),
                                ("subgroup.at", e.subgroup.at if e.subgroup else None),
                                ("relapse.origin", None if origin in RELAPSE_ORIGINS
                                 else origin)):
                if when is not None and not any(abs(_h(when, field) - t) < 1e-6 for t in vt):
                    raise ValueError(
                        f"endpoint {endpoint_name(e)!r} {field} {when!r} is not a visit; "
                        "visits are "
                        f"at {', '.join(f'{t / 24:g} d' for t in vt)}.")
            for a in e.arms or []:
                for arm in self.all_arms():
                    if arm.name not in self.pools.get(a, [a]) or arm.visits is None:
                        continue
                    own = self.arm_visit_times_h(arm)
                    if e.at is not None and not any(abs(_h(e.at, "at") - t) < 1e-6
                                                    for t in own):
                        raise ValueError(
                            f"endpoint {endpoint_name(e)!r} at {e.at!r} is not on arm "
                            f"{arm.name!r}'s own visits ({', '.join(arm.visits)}).")
        for arm in self.all_arms():
            late = [t for t in self.arm_visit_times_h(arm) if t > end + 1e-9]
            if late:
                raise ValueError(f"arm {arm.name!r}: visit at {late[0] / 24:g} d is after the "
                                 f"trial's end ({self.duration}).")
        for e in self.endpoints:
            if e.subgroup and e.subgroup.covariate == "arm" and e.subgroup.equals not in names:
                raise ValueError(f"endpoint {endpoint_name(e)!r}: subgroup.equals: unknown arm "
                                 f"{e.subgroup.equals!r}; arms are {', '.join(names)}.")
        if self.withdrawal is not None:
            bad = [a for a in self.withdrawal.from_arms or [] if a not in names]
            if bad:
                raise ValueError(f"withdrawal.from_arms: unknown arm {bad[0]!r}; arms are "
                                 f"{', '.join(names)}.")
        self._check_exposure()
        self._check_periods()
        self._check_published(names)
        if self.withdrawal is not None:
            at = _h(self.withdrawal.at, "withdrawal.at")
            if not any(abs(at - t) < 1e-6 for t in vt) or at >= end:
                raise ValueError("withdrawal.at must be a visit before the trial's end.")
        return self

    def _check_published(self, names: list[str]) -> None:
        """Published values: per-arm values name an arm or a pool, rates are fractions (0-1;
        a difference of rates -1 to 1), and every number carries its uncertainty (``ci``,
        ``se``, ``sd`` with ``n``, or for a rate ``n``) -- checked when the file loads, not
        after a run."""
        for e in self.endpoints:
            if e.published is None:
                continue
            where = f"endpoint {endpoint_name(e)!r}"
            per_arm = e.published if isinstance(e.published, dict) else {"": e.published}
            rate = is_rate_endpoint(e)
            low = -1.0 if e.type == "difference" else 0.0
            for arm, pub in per_arm.items():
                at = f"{where}, published for arm {arm!r}" if arm else f"{where}, published"
                if arm and arm not in names and arm not in self.pools:
                    raise ValueError(f"{where}: published value for unknown arm {arm!r}; arms "
                                     f"are {', '.join([*names, *self.pools])}.")
                if pub.value is None:
                    continue
                if rate:
                    for what, v in (("value", pub.value), *(
                            (f"ci[{i}]", b) for i, b in enumerate(pub.ci or ()))):
                        if not low <= v <= 1.0:
                            raise ValueError(
                                f"{at}: {what} {v:g} is outside {low:g}-1; give rates as "
                                "fractions (0.45 for 45 %).")
                if pub.ci and not pub.ci[0] <= pub.value <= pub.ci[1]:
                    raise ValueError(f"{at}: value {pub.value:g} lies outside its ci "
                                     f"[{pub.ci[0]:g}, {pub.ci[1]:g}]; give the 95 % "
                                     "interval as [lower, upper] around the value.")
                if not (pub.ci or pub.se or (pub.sd and pub.n) or (rate and pub.n)):
                    raise ValueError(f"{at}: value {pub.value:g} needs its uncertainty: give "
                                     "'ci' (95 %), 'se', 'sd' with 'n', or (rates) 'n'.")

    def _check_exposure(self) -> None:
        """An endpoint measured after baseline must come after each arm's first exposure
        (a reading taken before the first dose or session measures nothing of it)."""
        for e in self.endpoints:
            if e.at is None or _h(e.at, "at") <= 1e-9:
                continue
            when = _h(e.at, "at")
            named = {a for x in e.arms or [] for a in self.pools.get(x, [x])}
            for arm in self.all_arms():
                if e.arms and arm.name not in named:
                    continue
                start = self.arm_start_h(arm)
                for proto in arm.periods[0].all_protocols():  # each choose_by alternative
                    first = first_exposure_h(proto)
                    if first is not None and start + 1e-9 < when <= start + first + 1e-9:
                        raise ValueError(
                            f"endpoints: {endpoint_name(e)!r} at {e.at!r} comes before arm "
                            f"{arm.name!r}'s first exposure (protocol {proto.name!r} starts "
                            f"it {first / 24:g} d into the arm); measure after it or move "
                            "the first dose/session (e.g. tavns 'first_session_at').")

    def period_spans(self, arm: Arm) -> list[tuple[float, float, Period]]:
        """(start h, stop h, period) of each of ``arm``'s periods, in trial time."""
        start = self.arm_start_h(arm)
        stop_arm = (_h(self.withdrawal.at, "withdrawal.at")
                    if self.withdrawal is not None and arm in self.arms else self.duration_h())
        out = []
        for p in arm.periods:
            stop = stop_arm if p.until is None else _h(p.until, "until")
            out.append((start, stop, p))
            start = stop
        return out

    def _check_periods(self) -> None:
        """Period baselines and within-subject contrasts need visits where they read."""
        for e in self.endpoints:
            arms = [a for a in self.all_arms() if not e.arms or any(
                a.name in self.pools.get(x, [x]) for x in e.arms)]
            if e.baseline == "period" and e.at is not None:
                t = _h(e.at, "at")
                for arm in arms:
                    own = self.arm_visit_times_h(arm)
                    for start, stop, _ in self.period_spans(arm):
                        if start < t <= stop + 1e-9 and not _on_visit(start, own):
                            raise ValueError(
                                f"endpoint {endpoint_name(e)!r}: baseline 'period' needs a "
                                f"visit at arm {arm.name!r}'s period start ({start / 24:g} d).")
            if e.type != "within_difference":
                continue
            both = [a for a in arms if set(e.periods or []) <= {p.label for p in a.periods}]
            if not both:
                raise ValueError(f"endpoint {endpoint_name(e)!r}: no arm has periods labelled "
                                 f"{' and '.join(e.periods or [])}; set 'label' on periods.")
            for arm in both:
                own = self.arm_visit_times_h(arm)
                for start, stop, p in self.period_spans(arm):
                    if p.label not in (e.periods or []):
                        continue
                    read = start + _h(e.after, "after") if e.after else stop
                    if not _on_visit(start, own) or not _on_visit(read, own) or read > stop:
                        raise ValueError(
                            f"endpoint {endpoint_name(e)!r}: arm {arm.name!r} period "
                            f"{p.label!r} needs visits at its start ({start / 24:g} d) and at "
                            f"{read / 24:g} d (within the period).")

    def arm_start_h(self, arm: Arm) -> float:
        """Trial time (h) at which ``arm`` starts (0, or the withdrawal time)."""
        if self.withdrawal is not None and arm in self.withdrawal.arms:
            return _h(self.withdrawal.at, "withdrawal.at")
        return 0.0

    def duration_h(self) -> float:
        return _h(self.duration, "duration")

    def visit_times_h(self) -> list[float]:
        """Visit times (h) of every arm's schedule, including baseline (0), sorted."""
        times = {0.0, *(_h(v, "visits") for v in self.visits)}
        for arm in self.all_arms():
            times |= set(self.arm_visit_times_h(arm))
        return sorted(times)

    def arm_visit_times_h(self, arm: Arm) -> list[float]:
        """Rating visits (h) of ``arm``: its own ``visits`` or the trial's, with baseline."""
        own = arm.visits if arm.visits is not None else self.visits
        return sorted({0.0, *(_h(v, f"{arm.name}.visits") for v in own)})

    def all_arms(self) -> list[Arm]:
        return [*self.arms, *(self.withdrawal.arms if self.withdrawal else [])]


def _expand_visits(v: Any, duration: str, field: str = "visits") -> list[str]:
    """``visits`` as a list of times, ``{every: 1 week, start: 1 week, until: 12 week,
    also: [...]}``, or a list mixing times and such blocks."""
    if isinstance(v, dict):
        extra = set(v) - {"every", "start", "until", "also"}
        if extra:
            raise ValidationError(f"{field}: unknown key(s) {', '.join(sorted(extra))}; use "
                                  "'every', 'start', 'until' and 'also'.")
        every = hours(v.get("every", ""), f"{field}.every", MIN_VISIT_INTERVAL_H)
        start = _h(v.get("start", v.get("every")), f"{field}.start")
        end = _h(v.get("until", duration), f"{field}.until")
        count = int((end - start) / every + 1e-9) + 1 if end >= start else 0
        also = v.get("also") or []
        if not isinstance(also, list):
            raise ValidationError(f"{field}.also: give a list of times, got {also!r}.")
        if count + len(also) > MAX_VISITS:
            raise ValidationError(f"{field}: every {v['every']} from {v.get('start', v['every'])}"
                                  f" to {v.get('until', duration)} gives {count} visits; at most "
                                  f"{MAX_VISITS} are allowed (visit less often).")
        times = [f"{t:g} h" for t in _arange(start, end, every)]
        return times + [str(x) for x in also]
    if v is None:
        raise ValidationError(f"{field}: missing; give the rating visits as a list of times "
                              "(e.g. ['1 d', '1 week']) or {every: 1 week}.")
    if not isinstance(v, list) or not v:
        raise ValidationError(f"{field}: give a list of times (e.g. ['1 d', '1 week']) or "
                              f"{{every: 1 week}}, got {v!r}.")
    if len(v) > MAX_VISITS:
        raise ValidationError(f"{field}: {len(v)} visits; at most {MAX_VISITS} are allowed.")
    out: list[str] = []
    for x in v:
        out += _expand_visits(x, duration, field) if isinstance(x, dict) else [str(x)]
    if len(out) > MAX_VISITS:
        raise ValidationError(f"{field}: {len(out)} visits; at most {MAX_VISITS} are allowed.")
    return out


def _arange(start: float, end: float, step: float) -> list[float]:
    out, t = [], start
    while t <= end + 1e-9:
        out.append(t)
        t += step
    return out


def _protocol(ref: Any, base: Path, where: str) -> Protocol:
    if isinstance(ref, dict):
        return parse_protocol(ref, where)
    if not isinstance(ref, str):
        raise ValidationError(f"{where}: give a protocol file path or an inline protocol.")
    path = (base / ref) if not Path(ref).is_absolute() else Path(ref)
    if path.exists():
        return load_protocol(path)
    # only a bare name (e.g. ketamine_single_iv) means the catalogue: a path that is missing
    # must not be replaced by the shipped file of the same name without a word
    shipped = catalogue_file(Path(ref).name, protocol_catalogue())
    if shipped is not None and Path(ref).name == ref:
        return load_protocol(shipped)
    names = catalogue_names(protocol_catalogue())
    close = difflib.get_close_matches(Path(ref).stem, names.split(", "), n=1)
    hint = (f"; the catalogue has a protocol of that name: write 'protocol: {shipped.stem}' "
            "to use it" if shipped is not None else
            (f"; did you mean {close[0]!r}?" if close else "") + f" In the catalogue: {names}")
    raise ValidationError(f"{where}: protocol file {ref!r} not found (looked in {path}){hint}.")


def _period(p: Any, base: Path, where: str) -> Any:
    if not isinstance(p, dict):
        return p
    p = dict(p)
    if isinstance(p.get("protocols"), dict) and p["protocols"]:
        if "protocol" in p:
            raise ValidationError(f"{where}: give 'protocol' or 'protocols', not both.")
        p["protocols"] = {k: _protocol(v, base, f"{where}.protocols.{k}")
                          for k, v in p["protocols"].items()}
        p["protocol"] = next(iter(p["protocols"].values()))
        return p
    return {**p, "protocol": _protocol(p.get("protocol"), base, where)}


def _arm(data: Any, base: Path, where: str, duration: str) -> dict[str, Any]:
    if not isinstance(data, dict) or "name" not in data:
        raise ValidationError(f"{where}: each arm needs a 'name' and a 'protocol' (or "
                              "'periods').")
    data = dict(data)
    written = "periods" in data  # else one period, reported at the arm as the user wrote it
    if "protocols" in data and "periods" not in data:  # patient-dependent, one period
        data["periods"] = [{k: data.pop(k) for k in ("protocols", "choose_by", "threshold")
                            if k in data}]
    if "protocol" in data and "periods" in data:
        raise ValidationError(f"{where} ({data['name']}): give 'protocol' or 'periods', not both.")
    if "protocol" in data:
        data["periods"] = [{"protocol": data.pop("protocol")}]
    if not data.get("periods"):
        raise ValidationError(f"{where} ({data['name']}): missing 'protocol'.")
    if data.get("visits") is not None:
        data["visits"] = _expand_visits(data["visits"], duration, f"{where}.visits")
    _list_of(data["periods"], f"{where}.periods")
    data["periods"] = [_period(p, base, f"{where}.periods[{i}]" if written else where)
                       for i, p in enumerate(data["periods"])]
    return data


def _list_of(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(f"{where}: expected a list, got {value!r}.")
    return value


def parse_trial(data: Any, base: Path = Path("."), source: str = "trial") -> Trial:
    """Validate a trial given as a mapping; protocol paths are relative to ``base``."""
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: expected a mapping with 'name', 'arms', 'duration', "
                              "'visits' at the top level.")
    data = dict(data)
    try:
        data["visits"] = _expand_visits(data.get("visits"), str(data.get("duration", "")))
        dur = str(data.get("duration", ""))
        data["arms"] = [_arm(a, base, f"arms[{i}]", dur)
                        for i, a in enumerate(_list_of(data.get("arms") or [], "arms"))]
        if isinstance(data.get("withdrawal"), dict):
            w = dict(data["withdrawal"])
            w["arms"] = [_arm(a, base, f"withdrawal.arms[{i}]", dur)
                         for i, a in enumerate(_list_of(w.get("arms") or [], "withdrawal.arms"))]
            data["withdrawal"] = w
        return Trial.model_validate(data)
    except pydantic.ValidationError as exc:
        raise first_problem(exc, source, Trial) from None
    except ValidationError as exc:  # from the helpers above: name the trial file
        if str(exc).startswith(source):
            raise
        raise ValidationError(f"{source}: {exc}") from None


def load_trial(path: str | Path) -> Trial:
    """Read and validate a trial YAML file: a path, or the name of a packaged catalogue trial
    (``ketamine_murrough2013``, ``designs/vns_d04_one_year_vs_tau.yaml``)."""
    from moodtwin.catalogue import find_shipped, trial_catalogue

    path = find_shipped(path, trial_catalogue(), "trial file")
    return parse_trial(read_yaml(path, "trial file"), path.parent, str(path))


def resolve_trial(trial: Trial | str | Path) -> Trial:
    """The :class:`Trial` meant by ``trial`` (a trial file is read and validated); anything
    else is refused in one line."""
    if isinstance(trial, Trial):
        return trial
    if isinstance(trial, str | Path):
        return load_trial(trial)
    raise ValidationError(f"trial must be a Trial or a trial file path (str or Path), got "
                          f"{type(trial).__name__}.")
