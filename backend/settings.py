"""Configuration from the environment, with development defaults that refuse to run in production."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.domain.timescales import DEFAULT_PROFILE_PATH

DEV_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused in production
REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", env_file=None, extra="ignore")

    app_env: str = Field(default="development", description="development | test | production")
    database_url: str = Field(default=f"sqlite:///{REPO_ROOT / 'var' / 'complaints.db'}")
    secret_key: str = DEV_SECRET_KEY
    # The bearer token the Rasa action server uses. No default: unset means service calls are refused.
    service_token: str | None = None
    policy_profile: Path = DEFAULT_PROFILE_PATH
    timezone: str = "Europe/London"
    staff_session_hours: int = 12
    lookup_max_failures: int = 5
    lookup_window_minutes: int = 15
    max_body_bytes: int = 256 * 1024
    # The interactive API pages (/docs, /redoc, /openapi.json) list every route to anyone who asks;
    # they are off in production unless a landlord's integrators need them (API_DOCS=true).
    api_docs: bool | None = None
    run_migrations_on_start: bool = True
    contact_centre_opens: str = "08:00"
    contact_centre_closes: str = "18:00"
    handoff_minutes_per_person: int = 5  # for the rough wait a resident is told (position × this)
    # Residents' personal data is anonymised this many years after the last activity on their record,
    # never while anything is open (backend/domain/retention.py); the statistics are kept.
    retention_years: int = Field(default=6, ge=1, le=100)
    # Rasa's tracker store (SQLTrackerStore) when it is a database, as in docker-compose.yml: the
    # retention run deletes anonymised residents' conversations there too (services/rasa_trackers.py).
    rasa_tracker_database_url: str | None = None

    # The conversation hub: where Rasa's REST channel listens (loopback or a private network).
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = 20.0
    # Redis, when several backend workers run: live updates reach a browser or console on any worker.
    redis_url: str | None = None
    # How often each worker scans for cases becoming due soon or overdue (0 turns the alerts off).
    alert_scan_seconds: float = 300.0
    hub_poll_seconds: float = 1.0  # how often failed sends and unanswered messages are retried
    # The address residents' browsers may open the web chat from (CORS-like check on the WebSocket);
    # empty means any origin, which suits a widget embedded on the landlord's own sites.
    webchat_allowed_origins: str = ""
    # Twilio (SMS and WhatsApp). The public URL is the exact webhook address configured in Twilio:
    # signatures are computed over it, so it must match what Twilio calls, not what we see behind a proxy.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_sms_from: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_public_url: str | None = None
    twilio_api_base: str | None = None  # tests point this at a local fake of Twilio's REST API
    # Telegram: the bot token from BotFather and the secret Telegram echoes on every webhook call.
    telegram_bot_token: str | None = None
    telegram_secret_token: str | None = None
    telegram_api_base: str | None = None  # tests point this at a local fake of the Bot API

    @property
    def api_docs_on(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.app_env != "production"

    def problems_for_production(self) -> list[str]:
        """Why this configuration must not serve real residents (empty when it may)."""
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("SECRET_KEY is the development default or shorter than 32 characters")
        if not self.service_token or len(self.service_token) < 32:
            problems.append("SERVICE_TOKEN is not set or shorter than 32 characters")
        if self.twilio_auth_token and not self.twilio_public_url:
            problems.append("TWILIO_PUBLIC_URL is not set: Twilio signatures cannot be checked without it")
        if self.telegram_bot_token and (not self.telegram_secret_token or len(self.telegram_secret_token) < 32):
            problems.append("TELEGRAM_SECRET_TOKEN is not set or shorter than 32 characters")
        if self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL points at SQLite; production runs on PostgreSQL")
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
