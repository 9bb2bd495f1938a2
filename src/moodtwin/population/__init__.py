"""Virtual patient populations: covariates, screening, between-patient variability."""

from moodtwin.population._generate import Population, generate_population, solve_baselines
from moodtwin.population._spec import PopulationSpec, load_population_spec, variability_table

__all__ = ["Population", "PopulationSpec", "generate_population", "load_population_spec",
           "solve_baselines", "variability_table"]
