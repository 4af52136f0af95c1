"""Run orgsim's benchmarks: `python benchmarks/run.py [engine] [sweep] [plan] [auto]
[startup] [calibrate]` (all by default).

Every figure is a ratio against a baseline measured in the same run, or a
rate next to one, because absolute timings on shared machines are noise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "which", nargs="*", help="engine, sweep, plan, auto, startup, calibrate (default: all)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    parser.add_argument(
        "--workers",
        type=str,
        default=None,
        help="sweep: worker counts to measure, e.g. 1,2,4 (default 1..cores)",
    )
    args = parser.parse_args()
    parts = ["engine", "sweep", "plan", "auto", "startup", "calibrate"]
    args.which = args.which or parts
    if set(args.which) - set(parts):
        parser.error(f"choose from: {', '.join(parts)}")
    if "engine" in args.which:
        import engine

        print("Engine")
        for name, value, note in engine.main(args.repeat):
            print(f"  {name:<55} {value:>9}   {note}")
    if "sweep" in args.which:
        import sweep

        print("Sweep scaling")
        sweep.main(args.workers, repeat=args.repeat)
    if "plan" in args.which:
        import plan

        print("Planner")
        for name, value, note in plan.main(args.repeat):
            print(f"  {name:<55} {value:>9}   {note}")
    if "auto" in args.which:
        import auto

        print("Replications on demand (compare, every core)")
        for name, value, note in auto.main(args.repeat):
            print(f"  {name:<55} {value:>9}   {note}")
    if "startup" in args.which:
        import startup

        print("Start-up (median of 9 fresh processes)")
        for name, value, note in startup.main():
            print(f"  {name:<55} {value:>9}   {note}")
    if "calibrate" in args.which:
        import calibrate

        print("Calibration")
        for name, value, note in calibrate.main(args.repeat):
            print(f"  {name:<55} {value:>9}   {note}")


if __name__ == "__main__":
    main()
