"""irp-airflow: catastrophe-risk modelling cycles on Moody's Risk Modeler, run by Airflow.

Airflow imports ``plugins/`` in every component, so this package imports nothing heavy at
module level; submodules are imported where they are used.
"""

__version__ = "0.1.0"
