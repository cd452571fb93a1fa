# syntax=docker/dockerfile:1
#
# nllb images. Targets:
#   rocm (default)  AMD GPUs, ROCm 7.2: CTranslate2's official ROCm wheel (CT2_SOURCE=wheel),
#                   or CTranslate2 built from source with ct2_rocm.patch (CT2_SOURCE=build)
#   cuda            NVIDIA GPUs: CTranslate2's PyPI wheel on a CUDA 12 runtime
#   cpu             no GPU
#
#   docker build --build-arg CT2_ROCM_ZIP_SHA256=<sha256 of rocm-python-wheels-Linux.zip> -t nllb:rocm .
#   docker build --build-arg CT2_SOURCE=build --build-arg HIP_ARCHITECTURES="gfx1031;gfx1032" -t nllb:rocm .
#   docker build --target cuda -t nllb:cuda .
#   docker build --target cpu -t nllb:cpu .

ARG ROCM_VERSION=7.2.1
ARG CT2_VERSION=4.8.1
ARG CT2_SOURCE=wheel

# --- CTranslate2 for ROCm, official wheel -----------------------------------
FROM rocm/dev-ubuntu-22.04:${ROCM_VERSION} AS ct2-wheel
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG CT2_VERSION
# The release publishes one zip of wheels; its checksum is pinned at build
# time, since it cannot be known before the release is downloaded once.
ARG CT2_ROCM_ZIP_SHA256
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && rm -rf /var/lib/apt/lists/*
RUN test -n "${CT2_ROCM_ZIP_SHA256}" \
      || { echo "set --build-arg CT2_ROCM_ZIP_SHA256 (sha256sum of rocm-python-wheels-Linux.zip of v${CT2_VERSION}), or CT2_SOURCE=build" >&2; exit 1; } \
 && curl -fsSL -o /tmp/ct2.zip \
      "https://github.com/OpenNMT/CTranslate2/releases/download/v${CT2_VERSION}/rocm-python-wheels-Linux.zip" \
 && echo "${CT2_ROCM_ZIP_SHA256}  /tmp/ct2.zip" | sha256sum -c - \
 && mkdir -p /wheels /tmp/ct2 && unzip -q /tmp/ct2.zip -d /tmp/ct2 \
 && find /tmp/ct2 -name "ctranslate2-${CT2_VERSION}-cp310-*linux*_x86_64.whl" -exec cp {} /wheels/ \; \
 && ls /wheels/ctranslate2-*.whl \
 && rm -rf /tmp/ct2 /tmp/ct2.zip

# --- CTranslate2 for ROCm, built from source with ct2_rocm.patch ------------
FROM rocm/dev-ubuntu-22.04:${ROCM_VERSION} AS ct2-build
ARG CT2_VERSION
# gfx1031/gfx1032 natively (no HSA_OVERRIDE_GFX_VERSION), CDNA gfx90a/gfx942, RDNA3/4.
ARG HIP_ARCHITECTURES="gfx1030;gfx1031;gfx1032;gfx1100;gfx1101;gfx1102;gfx1200;gfx1201;gfx90a;gfx942"
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      git ca-certificates cmake make python3-dev python3-pip \
      rocm-hip-runtime-dev hipblas-dev hipcub-dev hiprand-dev rocprim-dev rocrand-dev rocthrust-dev \
 && rm -rf /var/lib/apt/lists/*
RUN git clone --depth 1 --branch "v${CT2_VERSION}" --recurse-submodules --shallow-submodules \
      https://github.com/OpenNMT/CTranslate2.git /src/CTranslate2
COPY ct2_rocm.patch /src/
WORKDIR /src/CTranslate2
RUN git apply /src/ct2_rocm.patch
# The CPU side uses Ruy (no MKL/oneDNN): the GPU does the translating here.
RUN cmake -S /src/CTranslate2 -B /src/build -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=amdclang -DCMAKE_CXX_COMPILER=amdclang++ \
      -DWITH_HIP=ON -DWITH_MKL=OFF -DWITH_RUY=ON -DOPENMP_RUNTIME=COMP \
      -DCMAKE_HIP_ARCHITECTURES="${HIP_ARCHITECTURES}" -DGPU_TARGETS="${HIP_ARCHITECTURES}" \
      -DCMAKE_INSTALL_PREFIX=/opt/ctranslate2 \
 && cmake --build /src/build -j"$(nproc)" --target install
WORKDIR /src/CTranslate2/python
RUN python3 -m pip install --no-cache-dir -r install_requirements.txt \
 && CTRANSLATE2_ROOT=/opt/ctranslate2 python3 -m pip wheel --no-deps -w /wheels .

# hadolint ignore=DL3006
FROM ct2-${CT2_SOURCE} AS ct2

# --- nllb on ROCm (default) --------------------------------------------------
FROM rocm/dev-ubuntu-22.04:${ROCM_VERSION} AS rocm
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 nllb && useradd --system --uid 10001 --gid nllb --home-dir /var/lib/nllb nllb
COPY --from=ct2 /wheels /wheels
COPY --from=ct2 /opt /opt
COPY pyproject.toml README.md /src/nllb/
COPY nllb /src/nllb/nllb
RUN python3 -m pip install --no-cache-dir /wheels/ctranslate2-*.whl "/src/nllb[docs]" && rm -rf /wheels /src/nllb
# RDNA2 cards crash with hipMallocAsync (CT2_CUDA_ALLOCATOR); the caching allocator is harmless elsewhere.
ENV LD_LIBRARY_PATH=/opt/ctranslate2/lib:/opt/rocm/lib:/opt/rocm/lib/llvm/lib \
    CT2_CUDA_ALLOCATOR=cub_caching \
    HOST=0.0.0.0 PORT=8000 DATA_DIR=/var/lib/nllb MODEL_PATH=/models/nllb \
    PROMETHEUS_MULTIPROC_DIR=/run/nllb/metrics
RUN mkdir -p /var/lib/nllb /models /run/nllb && chown nllb:nllb /var/lib/nllb /run/nllb
USER 10001
WORKDIR /var/lib/nllb
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=300s --retries=3 \
  CMD ["python3", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status != 200)"]
STOPSIGNAL SIGTERM
CMD ["nllb", "serve"]

# --- nllb on NVIDIA ----------------------------------------------------------
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04 AS cuda
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 nllb && useradd --system --uid 10001 --gid nllb --home-dir /var/lib/nllb nllb
COPY pyproject.toml README.md /src/nllb/
COPY nllb /src/nllb/nllb
RUN python3 -m pip install --no-cache-dir "/src/nllb[docs]" && rm -rf /src/nllb
ENV HOST=0.0.0.0 PORT=8000 DATA_DIR=/var/lib/nllb MODEL_PATH=/models/nllb \
    PROMETHEUS_MULTIPROC_DIR=/run/nllb/metrics
RUN mkdir -p /var/lib/nllb /models /run/nllb && chown nllb:nllb /var/lib/nllb /run/nllb
USER 10001
WORKDIR /var/lib/nllb
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=300s --retries=3 \
  CMD ["python3", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status != 200)"]
CMD ["nllb", "serve"]

# --- nllb on CPU -------------------------------------------------------------
FROM python:3.12-slim AS cpu
RUN groupadd --system --gid 10001 nllb && useradd --system --uid 10001 --gid nllb --home-dir /var/lib/nllb nllb
COPY pyproject.toml README.md /src/nllb/
COPY nllb /src/nllb/nllb
RUN python3 -m pip install --no-cache-dir "/src/nllb[docs]" && rm -rf /src/nllb
ENV HOST=0.0.0.0 PORT=8000 DATA_DIR=/var/lib/nllb DEVICE=cpu \
    PROMETHEUS_MULTIPROC_DIR=/run/nllb/metrics
RUN mkdir -p /var/lib/nllb /models /run/nllb && chown nllb:nllb /var/lib/nllb /run/nllb
USER 10001
WORKDIR /var/lib/nllb
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python3", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status != 200)"]
CMD ["nllb", "serve"]

# The last stage is what a plain `docker build .` gives: ROCm.
FROM rocm
