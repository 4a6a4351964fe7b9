# The action server and web front image (Python 3.11: actions, retrieval, console), search
# index and embedding model built at build time. Built by deploy/docker-compose.yml from
# the repository root.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# PyTorch's CPU build (torch==2.13.0 matches 2.13.0+cpu), not the CUDA one
ENV PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu HF_HUB_OFFLINE=1 PYTHON311=/usr/local/bin/python3.11
RUN make index && rm -rf /root/.cache
EXPOSE 5055 8000
CMD [".venv/bin/python", "-m", "actions"]
