"""The OpenAPI document is valid and tells a generated client everything it will meet."""

import pytest
from openapi_spec_validator import validate

IMPORT = "/api/campaigns/{campaign_id}/import"
EXPORT = "/api/campaigns/{campaign_id}/export"
CALL_LOG = "/api/users/call-log"
TOKEN = "/api/users/generate-access-token"


@pytest.fixture
def doc(client):
    return client.get("/api/openapi.json").json()


def test_document_passes_the_openapi_validator(doc):
    validate(doc)  # raises on any violation of the OpenAPI specification


def test_security_schemes_bearer_and_query_token(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["accessTokenQuery"]["type"] == "apiKey"
    assert schemes["accessTokenQuery"]["in"] == "query"
    assert schemes["accessTokenQuery"]["name"] == "access_token"
    assert {"bearerAuth": []} in doc["paths"][EXPORT]["get"]["security"]
    assert {"accessTokenQuery": []} in doc["paths"]["/api/campaigns"]["get"]["security"]
    # Minting a token takes the secret_key, not a token.
    assert "security" not in doc["paths"][TOKEN]["get"]


@pytest.mark.parametrize("path", [EXPORT, CALL_LOG])
def test_csv_declared_beside_json(doc, path):
    content = doc["paths"][path]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}


def test_import_declares_idempotency_key_header_and_required_body(doc):
    operation = doc["paths"][IMPORT]["post"]
    headers = [p for p in operation["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in headers] == ["Idempotency-Key"]
    assert operation["requestBody"]["required"] is True
    assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]


def test_every_request_body_is_required(doc):
    bodies = [
        op["requestBody"]
        for item in doc["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "requestBody" in op
    ]
    assert len(bodies) > 3
    assert all(body["required"] is True for body in bodies)


@pytest.mark.parametrize("path,method", [(IMPORT, "post"), (EXPORT, "get"), (CALL_LOG, "get")])
def test_original_endpoints_declare_failures_with_the_envelope(doc, path, method):
    responses = doc["paths"][path][method]["responses"]
    for status in ("400", "401", "404", "409", "413", "429"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Failure"}, status
    failure = doc["components"]["schemas"]["Failure"]
    assert {"code", "message"} <= set(failure["required"])
    assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert set(responses["200"]["headers"]) >= {
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    }


def test_token_endpoint_declares_429(doc):
    responses = doc["paths"][TOKEN]["get"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]
    assert responses["401"]["content"]["application/json"]["schema"]


@pytest.mark.django_db
def test_declared_429_matches_what_the_server_sends(client):
    """The declared headers are the ones a limited request really carries."""
    doc = client.get("/api/openapi.json").json()
    declared = set(doc["paths"][TOKEN]["get"]["responses"]["429"]["headers"])
    answer = None
    for _ in range(200):
        answer = client.get(TOKEN, {"secret_key": "wrong"})
        if answer.status_code == 429:
            break
    assert answer is not None and answer.status_code == 429
    assert answer.json()["code"] == "429"
    assert {h for h in declared if h in answer.headers} >= {"Retry-After"}
