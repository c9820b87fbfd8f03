# log-gardener as a GitHub Docker action.  Two stages: the builder installs the pinned runtime
# requirements (the same lock as `make`) into a venv; the final image gets only that venv, so no
# pip cache, build backend or compiler is left in it.  Every dependency ships a manylinux wheel;
# log-gardener's own hot modules are compiled with mypyc (setup.py; the builder alone has gcc).
#
# The base image is a build argument so a mirror or a digest can be given:
#   docker build --build-arg BASE_IMAGE=python:3.12-slim@sha256:<digest> .
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS builder
ARG SETUPTOOLS_VERSION=84.2.1
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
# A throwaway venv holds the (pinned) build backend; the wheel is built without isolation so
# no unpinned setuptools is fetched.
# A C compiler and the Python headers for mypyc (python:*-slim has the headers, a Debian
# python3 needs python3-dev).  Debian's versions are whatever the base's release pins.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && if [ ! -f "$(python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ]; then \
      apt-get install -y --no-install-recommends python3-dev; fi \
 && rm -rf /var/lib/apt/lists/*
COPY requirements/build.txt requirements/build.txt
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install "setuptools==${SETUPTOOLS_VERSION}" -r requirements/build.txt \
 && python -m venv /opt/venv
COPY requirements/runtime.txt requirements/runtime.txt
RUN /opt/venv/bin/pip install --only-binary=:all: -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY src ./src
COPY setup.py ./
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
 && /opt/venv/bin/pip install --no-deps --constraint requirements/runtime.txt /wheels/*.whl \
 && /opt/venv/bin/python -c "from log_gardener.cli import version_text as v; assert 'compiled per-entry modules (mypyc), JSON read by orjson, markdown checked by cmark-gfm' in v(), v()" \
 && /opt/venv/bin/pip uninstall --yes pip \
 && /opt/venv/bin/python -m compileall -q /opt/venv/lib

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="log-gardener" \
      org.opencontainers.image.description="Cloud Logging problems, clustered, judged and kept in step with GitHub issues" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY --from=builder /opt/venv /opt/venv
# No USER line on purpose: GitHub runs Docker actions as the image's default user and mounts
# GITHUB_WORKSPACE and the file-command directory owned by the runner's uid; GitHub's docs ask
# Docker actions to run as root so they can write $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY.
# The gardener never runs anything it reads and needs no file outside those mounts.
ENTRYPOINT ["log-gardener"]
CMD ["action"]
