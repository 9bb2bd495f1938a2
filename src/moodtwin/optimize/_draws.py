"""Parameter draws to optimize for: a person's posterior draws (file) or a virtual population.

A *twin* file holds one column per model parameter and one row per posterior draw (CSV,
NPZ or Parquet; a folder means its ``posterior_draws.csv`` (as written by ``moodtwin fit``)
or ``posterior.csv``/``.npz``/``.parquet``). Columns
``chain``, ``draw`` and ``sample`` (bookkeeping written by samplers) are ignored; any other
unknown column is an error. Parameters without a column keep their default value.

``population_draws`` gives virtual patients of the population model (the same generator
as virtual trials).

Research software, not medical advice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moodtwin.errors import ValidationError
from moodtwin.model import Model
from moodtwin.parameter_sets import ParametersLike, ensemble_of, resolve
from moodtwin.population import PopulationSpec, generate_population
from moodtwin.simulation import parameter_table

TWIN_FILES = ("posterior_draws.csv", "posterior.csv", "posterior.npz", "posterior.parquet")
#: What a twin's draws stand for: a fresh course, not one from the person's current state.
TWIN_NOTE = ("a twin's posterior draws are simulated from a fresh, untreated baseline at time "
             "0, not from the person's current state after their treatment history, so the "
             "outcomes are those of a new course for someone with the fitted parameters; "
             "'moodtwin forecast' starts candidate protocols from the person's current state")
BOOKKEEPING = {"chain", "draw", "sample"}


def population_draws(n: int, parameters: ParametersLike = None, seed: int = 0,
                     spec: PopulationSpec | None = None, ensemble: bool = False
                     ) -> dict[str, np.ndarray]:
    """``n`` virtual patients of the population model (every parameter, by name).

    Drawn by :func:`moodtwin.population.generate_population` around the typical values of
    ``parameters`` (a :class:`~moodtwin.ParameterSet`; default: the calibrated set), with
    ``spec``'s covariates and inclusion criteria (default:
    :class:`~moodtwin.population.PopulationSpec`), so optimizing for a population uses the
    same virtual patients as a virtual trial. ``ensemble``: patient ``i`` is drawn around
    posterior ensemble member ``i mod N`` of the set (its typical values and population
    overrides), the convention of ``optimize(..., ensemble=True)``.
    """
    if not 1 <= n <= 100_000:
        raise ValidationError(f"population size {n} is outside 1-100000.")
    if not ensemble:
        pop = generate_population(spec or PopulationSpec(), n, seed, parameters=parameters)
        return {p.name: pop.table[:, i] for i, p in enumerate(pop.model.parameters)}
    members = ensemble_of(resolve(parameters))
    out: dict[str, np.ndarray] = {}
    for k, member in enumerate(members):
        rows = np.arange(k, n, len(members))
        if rows.size == 0:
            continue
        sub = int(np.random.SeedSequence([seed, k]).generate_state(1)[0])
        pop = generate_population(spec or PopulationSpec(), rows.size, sub, parameters=member)
        for i, p in enumerate(pop.model.parameters):
            out.setdefault(p.name, np.empty(n))[rows] = pop.table[:, i]
    return out


def _twin_file(path: Path) -> Path:
    if path.is_dir():
        for name in TWIN_FILES:
            if (path / name).is_file():
                return path / name
        raise ValidationError(f"Twin folder {str(path)!r} has none of {', '.join(TWIN_FILES)}.")
    if not path.is_file():
        raise ValidationError(f"Twin file {str(path)!r} does not exist.")
    return path


def _columns(path: Path) -> dict[str, np.ndarray]:
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                return {k: np.asarray(npz[k], dtype=float).ravel() for k in npz.files}
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".csv":
            frame = pd.read_csv(path)
        else:
            raise ValidationError(f"Twin file {str(path)!r}: unsupported type {suffix!r}; use "
                                  ".csv, .npz or .parquet.")
        return {str(k): frame[k].to_numpy(dtype=float) for k in frame.columns}
    except ImportError as exc:  # Parquet needs pyarrow or fastparquet
        raise ValidationError(
            f"Cannot read {str(path)!r}: {exc}; write the draws as CSV.") from None
    except (ValueError, OSError) as exc:
        why = " ".join(str(exc).split())
        raise ValidationError(f"Cannot read twin file {str(path)!r}: {why}.") from None


def split_draws(cols: dict[str, np.ndarray], n: int,
                seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``n`` draws chosen without replacement (seeded) and the remaining ones."""
    size = len(next(iter(cols.values())))
    pick = np.zeros(size, dtype=bool)
    pick[np.random.default_rng(seed).choice(size, min(n, size), replace=False)] = True
    return {k: v[pick] for k, v in cols.items()}, {k: v[~pick] for k, v in cols.items()}


def read_draws(path: str | Path, model: Model, n: int | None = None,
               seed: int = 0) -> dict[str, np.ndarray]:
    """Posterior draws by parameter name; ``n`` draws are subsampled without replacement
    (seeded) when the file holds more. Values are range-checked."""
    path = _twin_file(Path(path))
    cols = {k: v for k, v in _columns(path).items() if k not in BOOKKEEPING}
    if not cols:
        raise ValidationError(f"Twin file {str(path)!r} has no parameter columns.")
    for name in cols:
        model.parameter(name)  # unknown names: UnknownNameError with close matches
    sizes = {v.size for v in cols.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ValidationError(f"Twin file {str(path)!r}: columns have different or zero "
                              f"lengths ({sorted(sizes)}).")
    if n is not None:
        cols = split_draws(cols, n, seed)[0]
    try:
        parameter_table(cols, model)
    except ValidationError as exc:
        raise ValidationError(f"Twin file {str(path)!r}: {exc}") from None
    return cols


def search_draws(n: int, holdout: int = 0, seed: int = 0, *, twin: str | Path | None = None,
                 parameters: ParametersLike = None, spec: PopulationSpec | None = None,
                 ensemble: bool = False
                 ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None, str]:
    """The draws an optimization searches over, the held-out draws that check its result
    (None if ``holdout`` is 0 or no draw is left) and where they come from.

    With ``twin`` (a person's posterior draws): ``n`` of them (seeded) and up to ``holdout``
    of the rest (see :data:`TWIN_NOTE`). Without: ``n`` virtual patients of the population
    model around ``parameters`` (default: the calibrated set) and ``holdout`` fresh ones
    (seed + 1); ``ensemble``: virtual patient ``i`` around ensemble member ``i mod N`` (see
    :func:`population_draws`; a twin's draws get the members' values in ``optimize``).
    """
    if not 1 <= n <= 100_000 or not 0 <= holdout <= 100_000:
        raise ValidationError(f"draws {n} / holdout {holdout} are outside 1-100000 / "
                              "0-100000.")
    if twin is not None:
        table, rest = split_draws(read_draws(twin, resolve(parameters).model), n, seed)
        held = split_draws(rest, holdout, seed)[0] if rest and holdout else None
        return table, held, f"posterior draws from {twin}"
    table = population_draws(n, parameters, seed, spec, ensemble)
    held = population_draws(holdout, parameters, seed + 1, spec, ensemble) if holdout else None
    return table, held, ("virtual population of the population model (data/population.yaml) "
                         "around the parameter set's typical values"
                         + (" (patient i around posterior ensemble member i mod N)"
                            if ensemble else ""))
