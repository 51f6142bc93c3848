"""What the gateway answers (REST, CLI) and lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from openfab.gateway.contract import Refusal


class GatewayResult(BaseModel):
    """One payload's outcome: every message is applied, a duplicate, or dead-lettered."""

    applied: int
    duplicates: int
    dead_lettered: int
    problems: list[Refusal]


class DeadLetterPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    sender: str
    transport: str
    message_id: str | None
    type: str | None
    code: str
    reason: str
    payload: str
    received_at: datetime
    replayed_at: datetime | None
    status: str


class DeadLettersPublic(BaseModel):
    data: list[DeadLetterPublic]
    count: int
