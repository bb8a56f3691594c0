# Production image: the official Airflow 3.3.2 image with irp-airflow's DAGs, plugins and SQL.
# Components (api-server, scheduler, dag-processor, triggerer, workers) all run this image;
# run `python -m irp db upgrade` once per release as an init step (see README, "Deploying").
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root requirements.txt /opt/irp/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==3.3.2" -r /opt/irp/requirements.txt

COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root plugins/ /opt/airflow/plugins/
COPY --chown=airflow:root include/ /opt/airflow/include/

ENV PYTHONPATH=/opt/airflow/plugins \
    AIRFLOW__IRP__SQL_FOLDER=/opt/airflow/include/sql \
    AIRFLOW__IRP__CYCLES_FOLDER=/opt/airflow/include/cycles \
    AIRFLOW__IRP__STORAGE_ROOT=/opt/airflow/storage \
    AIRFLOW__CORE__MAX_MAP_LENGTH=20000 \
    AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME=0.25
