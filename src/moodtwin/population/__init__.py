"""Virtual patient populations: covariates, screening, between-patient variability."""

from moodtwin.population._generate import Population, generate_population, solve_baselines
from moodtwin.population._spec import PopulationSpec, variability_table

__all__ = ["Population", "PopulationSpec", "generate_population", "solve_baselines",
           "variability_table"]
