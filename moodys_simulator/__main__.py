"""``python -m moodys_simulator --port 8765 [--seed-workbook PATH] [--mode time|ticks] ...``"""

from __future__ import annotations

import argparse

from moodys_simulator.options import AdvanceMode, SimulatorOptions


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m moodys_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed-workbook", help="workbook whose 'Moody's Reference Data' sheet seeds reference data")
    parser.add_argument("--mode", choices=[mode.value for mode in AdvanceMode], default=AdvanceMode.TIME.value)
    parser.add_argument("--queued-seconds", type=float, default=1.0)
    parser.add_argument("--pending-seconds", type=float, default=1.0)
    parser.add_argument("--running-seconds", type=float, default=4.0)
    parser.add_argument("--running-spread", type=float, default=0.0, help="log-normal spread of running times")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API response")
    parser.add_argument("--ticks-per-phase", type=int, default=1)
    parser.add_argument("--api-key", action="append", help="accepted API key (repeatable; default sim-key)")
    parser.add_argument("--failure-rate", type=float, default=0.0, help="probability that any job fails")
    parser.add_argument("--seed", type=int, default=42, help="random seed of failures and name suffixes")
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> SimulatorOptions:
    from moodys_simulator.engine import JobKind

    return SimulatorOptions(
        api_keys=tuple(args.api_key or ("sim-key",)),
        mode=AdvanceMode(args.mode),
        ticks_per_phase=args.ticks_per_phase,
        queued_seconds=args.queued_seconds,
        pending_seconds=args.pending_seconds,
        running_seconds=args.running_seconds,
        running_spread=args.running_spread,
        latency_ms=args.latency_ms,
        failure_rates={kind.value: args.failure_rate for kind in JobKind} if args.failure_rate else {},
        random_seed=args.seed,
        seed_workbook=args.seed_workbook,
    )


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from moodys_simulator.app import create_app
    from moodys_simulator.core import Simulator

    args = parse_args(argv)
    app = create_app(Simulator(options_from(args)))
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
