"""Triggers (run in Airflow's triggerer): poll Moody's without holding a worker slot."""
