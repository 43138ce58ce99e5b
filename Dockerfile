# The orchestrator's image for docker-compose.yml: Apache Airflow 3.3.2 extended with the project's pinned
# requirements (the CeleryExecutor, PostgreSQL, Redis and the git DAG bundle included), Debian's Chromium
# for the accessibility audit, and the library and its Airflow plugin.
#
# The DAG files and the force specs are NOT taken from this image at run time: Airflow reads them from the
# git repository through a DAG bundle (see docker-compose.yml), so a merged spec needs no new image. A change
# to the library (plugins/), config/, schemas/ or the requirements does: `docker compose build`.
#
# Python 3.11: the version constraints.txt was resolved and tested with.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

USER root
# chromium: the accessibility audit drives Debian's Chromium (never a browser downloaded by Playwright);
# nodejs, npm: install the audit's browser-injected engines (node/package-lock.json);
# git: the git DAG bundle clones the repository with it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium nodejs npm git \
    && apt-get autoremove -yqq --purge \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
USER airflow

# Requirements first, so editing the code does not reinstall them.
COPY --chown=airflow:0 requirements.txt requirements-deploy.txt constraints.txt /opt/soh/
RUN pip install --no-cache-dir -r /opt/soh/requirements-deploy.txt -c /opt/soh/constraints.txt

COPY --chown=airflow:0 node/package.json node/package-lock.json /opt/soh/node/
# --omit=dev: pa11y-ci and its Puppeteer (node/package.json's devDependencies) are for benchmarks/audit.py only.
RUN cd /opt/soh/node && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

COPY --chown=airflow:0 . /opt/soh/
# The library and the plugin (report views) from /opt/soh/plugins; soh_onboarding finds its project root
# (config/, schemas/) beside it. The specs come from the DAG bundle's checkout (project.specs_dir).
ENV AIRFLOW__CORE__PLUGINS_FOLDER=/opt/soh/plugins \
    PYTHONPATH=/opt/soh/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
