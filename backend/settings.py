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
    run_migrations_on_start: bool = True
    contact_centre_opens: str = "08:00"
    contact_centre_closes: str = "18:00"

    def problems_for_production(self) -> list[str]:
        """Why this configuration must not serve real residents (empty when it may)."""
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("SECRET_KEY is the development default or shorter than 32 characters")
        if not self.service_token or len(self.service_token) < 32:
            problems.append("SERVICE_TOKEN is not set or shorter than 32 characters")
        if self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL points at SQLite; production runs on PostgreSQL")
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
