"""A tiny authenticated client for the emulator tests (requests-based)."""
from __future__ import annotations

import requests


class ApiClient:
    def __init__(self, emulator, client_id: str | None = None, client_secret: str | None = None) -> None:
        self.base = emulator.base_url
        self.session = requests.Session()
        self.client_id = client_id or emulator.client_id
        self.client_secret = client_secret or emulator.client_secret
        self.token = None

    def authenticate(self) -> dict:
        reply = self.session.get(f"{self.base}/identity/oauth/token", params={
            "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret})
        reply.raise_for_status()
        body = reply.json()
        self.token = body["access_token"]
        return body

    def _headers(self, extra=None) -> dict:
        if self.token is None:
            self.authenticate()
        headers = {"Authorization": f"Bearer {self.token}"}
        headers.update(extra or {})
        return headers

    def get(self, path: str, params=None, headers=None) -> requests.Response:
        return self.session.get(self.base + path, params=params, headers=self._headers(headers))

    def post(self, path: str, params=None, json=None, data=None, headers=None) -> requests.Response:
        return self.session.post(self.base + path, params=params, json=json, data=data, headers=self._headers(headers))

    def get_json(self, path: str, params=None) -> dict:
        reply = self.get(path, params)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def post_json(self, path: str, body=None, params=None) -> dict:
        reply = self.post(path, params=params, json=body)
        assert reply.status_code == 200, reply.text
        return reply.json()

    # -- bulk helpers --------------------------------------------------------------------------
    def create_job(self, kind: str, body: dict) -> dict:
        return self.post_json(f"/bulk/v1/{kind}/export/create.json", body)

    def job_call(self, kind: str, export_id: str, action: str) -> dict:
        path = f"/bulk/v1/{kind}/export/{export_id}/{action}.json"
        if action in ("enqueue", "cancel"):
            return self.post_json(path)
        return self.get_json(path)

    def run_job(self, kind: str, body: dict, max_polls: int = 50) -> tuple[dict, bytes]:
        """create -> enqueue -> poll until terminal -> (status, file bytes or b'')."""
        created = self.create_job(kind, body)
        assert created["success"], created
        export_id = created["result"][0]["exportId"]
        self.job_call(kind, export_id, "enqueue")
        for _ in range(max_polls):
            status = self.job_call(kind, export_id, "status")["result"][0]
            if status["status"] in ("Completed", "Failed", "Cancelled"):
                break
        content = b""
        if status["status"] == "Completed":
            reply = self.get(f"/bulk/v1/{kind}/export/{export_id}/file.json")
            assert reply.status_code == 200
            content = reply.content
        return status, content


def lead_window(emulator, days: int = 31) -> dict:
    """A createdAt/updatedAt window ending at the emulator's now."""
    from datetime import timedelta

    end = emulator.clock.now().replace(microsecond=0)
    start = end - timedelta(days=days)
    return {"startAt": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
