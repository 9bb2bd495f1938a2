"""Peer benchmark: moodtwin vs SciPy solve_ivp vs libRoadRunner (same as ``moodtwin bench``).

    python benchmarks/bench_peers.py --json bench.json          # 1, 100, 10,000 patients
    python benchmarks/bench_peers.py --sizes 1,100 --peer-patients 10
"""

import sys

from moodtwin.cli import app

if __name__ == "__main__":
    app(["bench", *sys.argv[1:]], prog_name="bench_peers.py")
