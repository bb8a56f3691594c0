"""A local simulator of the Moody's Risk Modeler API subset irp uses (contract:
specs/moodys_api.md). Start it with ``python -m moodys_simulator --port 8765``; run it in-process for
tests with :func:`moodys_simulator.testing.running_simulator`."""
