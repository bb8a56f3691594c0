"""FastAPI routers of the simulator, one module per API family."""
