"""Start population of round 26's calibration: an earlier population with every second particle
moved along the ridge of the restorable synapse loss (``syn_gap`` x 0.46, ``k_syn`` x 3: one
dose restores about half the loss instead of a sixth), so that one ABC run weighs both modes.

Usage: python start_two_modes.py abc_s25.npz abc_s26_start.npz
"""

import sys

import numpy as np

MOVES = {"syn_gap": 0.46, "k_syn": 3.0}  # multiplicative (particles are stored as log values)


def main(source: str, target: str) -> None:
    saved = dict(np.load(source, allow_pickle=True))
    names = [str(n) for n in saved["names"]]
    x = saved["x"].copy()
    moved = np.arange(len(x)) % 2 == 1
    for name, factor in MOVES.items():
        x[moved, names.index(name)] += np.log(factor)
    saved["x"] = x
    np.savez(target, **saved)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
