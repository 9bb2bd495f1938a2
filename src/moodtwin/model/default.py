"""The default moodtwin model: all mechanisms joined."""

from __future__ import annotations

from functools import cache

from moodtwin.model._model import Model, build_model
from moodtwin.model.mechanisms import (
    anxiety,
    autonomic,
    background,
    biomarkers,
    botulinum,
    brainstem,
    esketamine_pk,
    fear,
    habenula,
    hpa,
    inflammation,
    ketamine_pk,
    mood,
    neurotrophic,
    nmda,
    sleep,
    stimulation,
)

MECHANISMS = (
    stimulation, brainstem, background, autonomic, hpa, inflammation, ketamine_pk,
    esketamine_pk, nmda, habenula, neurotrophic, botulinum, sleep, mood, anxiety, fear, biomarkers,
)


@cache
def default_model() -> Model:
    """The full vagus–brain–mood model (built once per process)."""
    return build_model("moodtwin", [m.MECHANISM for m in MECHANISMS])
