# Doorstep Coach: `docker build -t doorstep-coach .` then
# `docker run -e TELEGRAM_BOT_TOKEN=... -v coachbot-data:/app/data doorstep-coach`
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 coach
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .

COPY content ./content
RUN mkdir -p /app/data && chown coach:coach /app/data

USER coach
ENV DATABASE_URL=sqlite:////app/data/coachbot.db \
    COACHBOT_CONTENT_DIR=/app/content
VOLUME ["/app/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["coachbot", "health"]

ENTRYPOINT ["coachbot"]
CMD ["run"]
