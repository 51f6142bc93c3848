from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openfab.api.app import create_app
from openfab.platform import Platform
from tests.conftest import PASSWORD


@pytest.fixture(scope="session")
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), raise_server_exceptions=False) as test_client:
        yield test_client


def auth(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
