"""Parameter sets: the calibrated model shares the compiled kernel, carries provenance, and
bad sets or population files give one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.model import default_model
from moodtwin.parameter_sets import ParameterSet, calibrated_model, load_parameter_set
from moodtwin.population import PopulationSpec, load_population_spec
from moodtwin.solver._codegen import compiled


def test_calibrated_model_has_the_set_values_and_shares_the_kernel() -> None:
    values = load_parameter_set()
    assert values, "a calibrated set is shipped"
    model, base = calibrated_model(), default_model()
    pop = ParameterSet.calibrated().population
    assert pop and set(pop) == {n for n in values if n.startswith("population.")}
    values = {n: v for n, v in values.items() if n not in pop}
    for name, value in values.items():
        assert model.parameter(name).value == value
        # calibrated, or conditioned on an external source by calibrate --condition-on-sources
        assert model.parameter(name).source.startswith(("calibrated to", "conditioned on"))
    changed = [n for n, v in values.items() if base.parameter(n).value != v]
    assert changed and model.fingerprint != base.fingerprint
    assert model.structure_key == base.structure_key
    assert compiled(model) is compiled(base)


def test_with_values_refuses_unknown_names_and_out_of_range_values() -> None:
    with pytest.raises(UnknownNameError, match="k_LCC"):
        default_model().with_values({"k_LCC": 1.0}, "test")
    with pytest.raises(ValidationError, match="k_LC"):
        default_model().with_values({"k_LC": 1e6}, "test")


def test_parameter_set_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "set.yaml"
    bad.write_text(yaml.safe_dump({"parameters": {"k_LC": {"value": 1e6}}}))
    with pytest.raises(ValidationError, match="k_LC"):
        calibrated_model(bad)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({"parameters": {"k_LC": {"value": 2.0}}}))
    m = calibrated_model(good)
    assert m.parameter("k_LC").value == 2.0
    assert "good.yaml" in m.parameter("k_LC").source


def test_population_file(tmp_path: Path) -> None:
    f = tmp_path / "pop.yaml"
    f.write_text("baseline: {mean: 25, sd: 4, min: 14, max: 40}\nfemale: 0.7\n")
    spec = load_population_spec(f)
    assert spec.baseline.mean == 25 and spec.female == 0.7
    assert spec.age == PopulationSpec().age  # omitted fields keep their defaults
    f.write_text("female: 1.5\n")
    with pytest.raises(ValidationError, match="female"):
        load_population_spec(f)
    f.write_text("baseline: [1, 2\n")
    with pytest.raises(ValidationError, match="not valid YAML.*line"):
        load_population_spec(f)
