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


def _body_schema(doc, path, method):
    schema = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    # Bodies are named components, so a generated client gets named models.
    name = schema["$ref"].removeprefix("#/components/schemas/")
    return doc["components"]["schemas"][name]


def _value(prop):
    """The non-null branch of a nullable property."""
    return next((b for b in prop.get("anyOf", []) if b.get("type") != "null"), prop)


def test_campaign_bodies_refuse_extra_fields_as_the_server_does(doc, token, db):
    from django.test import Client

    create = _body_schema(doc, "/api/campaigns", "post")
    update = _body_schema(doc, "/api/campaigns/{campaign_id}", "patch")
    assert create["additionalProperties"] is False and update["additionalProperties"] is False
    assert create["required"] == ["name", "campaign_type"]
    assert "null" not in str(create["properties"]["name"])
    answer = Client().post(
        "/api/campaigns",
        {"name": "x", "campaign_type": "ivr", "colour": "blue"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400 and answer.json()["field"] == "colour"


# Fields whose values must also have a format (URL, secret, verified number) beside a size.
_FORMATTED = {"webhook_url", "webhook_secret", "caller_id"}


def _limits(doc) -> list[tuple[str, str, int]]:
    props = _body_schema(doc, "/api/campaigns", "post")["properties"]
    found = []
    for name, prop in props.items():
        branch = _value(prop)
        for key in ("maxLength", "minimum", "maximum"):
            if key in branch and name not in _FORMATTED:
                found.append((name, key, branch[key]))
    return found


def test_declared_limits_are_the_ones_the_server_enforces(doc, token, db):
    """Each declared bound is accepted at the bound and refused one step beyond it."""
    from django.test import Client

    from aicall.campaigns.limits import INT_LIMITS, TEXT_LIMITS

    client = Client()
    limits = _limits(doc)
    declared = {name for name, _, _ in limits}
    assert declared >= set(INT_LIMITS) | (set(TEXT_LIMITS) - _FORMATTED)

    def create(name, value):
        body = {"name": "Limits", "campaign_type": "ivr", name: value}
        return client.post(
            "/api/campaigns",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    for name, key, bound in limits:
        if key == "maxLength":
            at, beyond = "x" * bound, "x" * (bound + 1)
        else:
            step = 1 if key == "maximum" else -1
            at, beyond = bound, bound + step
        accepted = create(name, at)
        assert accepted.status_code == 200, (name, key, accepted.content[:200])
        refused = create(name, beyond)
        assert refused.status_code == 400, (name, key)
        assert refused.json()["field"] == name


def test_other_declared_limits_match_the_server(doc, token, ivr_campaign):
    from django.test import Client

    from aicall.api.dnc import MAX_NUMBERS

    numbers = _body_schema(doc, "/api/do-not-call", "post")["properties"]["phone_numbers"]
    assert (numbers["minItems"], numbers["maxItems"]) == (1, MAX_NUMBERS)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    too_many = {"phone_numbers": ["0901234567"] * (MAX_NUMBERS + 1)}
    answer = client.post("/api/do-not-call", too_many, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["field"] == "phone_numbers"

    key = next(
        p for p in doc["paths"][IMPORT]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    )["schema"]
    path = f"/api/campaigns/{ivr_campaign.pk}/import"
    body = {"contacts": [{"phone_number": "0901234567"}]}
    for length, status in ((key["maxLength"], 200), (key["maxLength"] + 1, 400)):
        answer = client.post(
            path, body, content_type="application/json", headers={"Idempotency-Key": "k" * length}
        )
        assert answer.status_code == status, length
    assert key["minLength"] == 1


def test_every_build_of_the_document_is_the_same(client):
    first = client.get("/api/openapi.json").json()
    second = client.get("/api/openapi.json").json()
    assert first == second
    validate(second)
