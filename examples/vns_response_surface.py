"""Response surface of implanted VNS over output current x duty cycle (research use only).

Simulates one virtual population of treatment-resistant patients (on antidepressants, as in
the VNS trials) for 12 months of VNS at each setting on a grid, with the shipped calibrated
parameter set, and draws the mean MADRS change at month 12 and the voice-alteration burden.

    python examples/vns_response_surface.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from moodtwin.parameter_sets import ParameterSet  # noqa: E402
from moodtwin.population import PopulationSpec, generate_population  # noqa: E402
from moodtwin.protocols import compile_protocol, parse_protocol  # noqa: E402
from moodtwin.simulation import SolverOptions, run_engine  # noqa: E402

CURRENTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # mA at 250 us, 20 Hz
OFF_MIN = (60.0, 10.0, 5.0, 3.0, 1.8, 0.5)  # min off after 30 s on


def main(out: Path, n: int = 60) -> Path:
    ps = ParameterSet.calibrated()
    model = ps.model
    spec = PopulationSpec.model_validate({
        "baseline": {"scale": "MADRS", "mean": 30.0, "sd": 5.0, "min": 20, "max": 50},
        "failed_treatments": {"mean": 5.0, "min": 2, "max": 12},
        "antidepressant_continued": 1.0})
    pop = generate_population(spec, n, seed=11, parameters=ps)
    madrs = [o.name for o in model.observables].index("madrs")
    voice = [o.name for o in model.observables].index("voice_alteration")
    change = np.zeros((len(OFF_MIN), len(CURRENTS)))
    burden = np.zeros_like(change)
    for i, off in enumerate(OFF_MIN):
        for j, mA in enumerate(CURRENTS):
            proto = parse_protocol({
                "name": "grid", "duration": "52 week",
                "background": {"oral_antidepressant": "continued"},
                "therapies": [{"type": "vns", "start": "2 week", "current": f"{mA} mA",
                               "pulse_width": "250 us", "frequency": "20 Hz",
                               "on_time": "30 s", "off_time": f"{off} min"}]})
            tl = compile_protocol(proto, model, model.defaults())
            _, status, obs = run_engine(model, pop.table, tl, np.array([0.0, 52 * 168.0]),
                                        SolverOptions(), y0=pop.y0)
            ok = status == 0
            change[i, j] = np.mean(obs[ok, 1, madrs] - obs[ok, 0, madrs])
            burden[i, j] = np.mean(obs[ok, 1, voice])
    duty = [30.0 / (30.0 + 60.0 * off) for off in OFF_MIN]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, z, title, cmap in ((axes[0], change, "Mean MADRS change at month 12", "viridis"),
                               (axes[1], burden, "Voice-alteration burden", "magma")):
        im = ax.imshow(z, origin="lower", aspect="auto", cmap=cmap)
        ax.set_xticks(range(len(CURRENTS)), [f"{c:g}" for c in CURRENTS])
        ax.set_yticks(range(len(duty)), [f"{100 * d:.0f} %" for d in duty])
        ax.set_xlabel("output current (mA, 250 us, 20 Hz)")
        ax.set_ylabel("duty cycle (30 s on)")
        ax.set_title(title)
        for (a, b), v in np.ndenumerate(z):
            ax.text(b, a, f"{v:.1f}" if z is change else f"{v:.2f}", ha="center",
                    va="center", color="w", fontsize=8)
        fig.colorbar(im, ax=ax)
    fig.suptitle(f"VNS response surface, {n} virtual TRD patients on antidepressants "
                 "(research use only, not medical advice)", fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1] if len(sys.argv) > 1 else "vns_response_surface.png")))
