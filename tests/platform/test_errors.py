"""problem+json errors: validation, malformed JSON, unknown routes, languages."""

from __future__ import annotations


def test_unknown_api_route_is_problem_404(admin):
    r = admin.get("/api/v1/no/such/thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "http.not_found"


def test_malformed_json_is_400(client):
    r = client.post(
        "/api/v1/identity/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "request.malformed_json" and body["detail"] == "请求内容不是合法的 JSON"


def test_validation_problem_lists_fields_in_both_languages(client):
    r = client.post(
        "/api/v1/identity/login", json={"password": "x", "extra": 1}, headers={"Accept-Language": "en"}
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "request.invalid" and body["detail"].startswith("Invalid request")
    fields = {e["field"]: e for e in body["errors"]}
    assert fields["username"]["type"] == "missing" and fields["username"]["zh"] == "必填"
    assert fields["extra"]["type"] == "extra_forbidden"
    assert body["messages"]["zh-CN"].startswith("请求有误")


def test_wrong_method_is_problem(admin):
    r = admin.put("/api/v1/identity/me")
    assert r.status_code == 405 and r.json()["code"] == "http.method_not_allowed"


def test_request_id_echoed(client):
    r = client.get("/api/health", headers={"x-request-id": "abc123"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc123"
