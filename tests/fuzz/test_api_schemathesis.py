"""schemathesis against the open-data API's own OpenAPI schema (issue 10, “Bad input and faults”).

Every operation of ``/api/openapi.json`` is called through the WSGI application with requests
generated from the schema, valid ones and deliberately invalid ones, against a county with a
published plan and revealed, hidden and committed draws (tests/support/portal.py). The path
parameters ``code`` and ``draw_id`` are often the real ones, so the fuzzing reaches the lists
and draw details and not only their 404s.

Checked on every response:

- no 5xx (schemathesis' ``not_a_server_error``);
- its status is one the operation documents (``status_code_conformance``: 200, 304, 400, 404
  where a code or draw can be missing, 422 where there are query parameters), and its media type
  too (``content_type_conformance``: JSON, ``text/csv`` for ``format=csv``, the zip);
- a 2xx JSON answer conforms to its documented schema (``response_schema_conformance``);
- a request schemathesis made invalid on purpose is refused with a 4xx
  (``negative_data_rejection``), and a valid one is not (``positive_data_acceptance``: 2xx, or
  404 for a code or draw that does not exist). The one exception is the rule between two
  parameters that OpenAPI cannot state: ``quarter`` needs ``year`` (422, documented in words);
- a refusal (400/404/422) is JSON whose ``detail`` says what is wrong in Chinese.

The schema states the ranges the API enforces (page, page_size, year, quarter, month) and that
no text parameter may contain NUL, which the whole site refuses with 400 before any view runs
(config/middleware.py); the negative examples therefore include NUL characters, and on the
PostgreSQL pass reach the database only if that guard fails.

``SHUANGSUIJI_FUZZ_EXPLORE=1`` draws fresh random examples (derandomised by default) and
``SHUANGSUIJI_FUZZ_EXAMPLES`` sets their number (40 an operation).

Why not ``schemathesis.pytest.from_fixture``: with pytest 9.2 its lazy parametrisation fails
(``'Function' object has no attribute '_nodeid'``, schemathesis 4.32), so each operation is a
plain pytest parameter running its own Hypothesis loop over ``operation.as_strategy()``.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from shuangsuiji.disclosure.api import MAX_PAGE, api
from tests.support.portal import build_portal

SCHEMA_URL = "/api/openapi.json"
OPERATIONS = [
    (path, method)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
]
CJK = re.compile(r"[\u4e00-\u9fff]")
EXPLORE = os.environ.get("SHUANGSUIJI_FUZZ_EXPLORE") == "1"
EXAMPLES = int(os.environ.get("SHUANGSUIJI_FUZZ_EXAMPLES", "40"))


@pytest.fixture
def disclosed(organisations, make_user):
    """The county of the portal tests, and the values its real path parameters take."""
    portal = build_portal(organisations, make_user)
    return {
        "code": [portal.county.code, portal.neighbour.code, organisations["province"].code],
        "draw_id": [portal.revealed.draw_id, portal.hidden.draw_id, portal.committed.draw_id],
    }


@pytest.fixture
def wsgi_schema(disclosed):
    """The schema as the running application serves it, called in the test's transaction.

    The WSGI handler sends ``request_started``/``request_finished``, whose
    ``close_old_connections`` would close the connection that holds the test's transaction
    (Django's test client disconnects it for the same reason); it is disconnected meanwhile.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from shuangsuiji.config.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def cases(operation, disclosed: dict[str, list[str]]):
    """Valid and invalid requests; path parameters generated, or one of the real values."""
    names = [p.name for p in operation.path_parameters]
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        for name in names:
            for value in disclosed.get(name, []):
                fixed = {name: value}
                strategies.append(
                    operation.as_strategy(generation_mode=mode, path_parameters=fixed)
                )
    # One of these strategies at a time: mostly a real code or draw where the path has one.
    return st.sampled_from(strategies).flatmap(lambda strategy: strategy)


def checks_for(case) -> list:
    """All of CHECKS, but a valid ``quarter`` without ``year`` is refused (422) by a rule the
    schema can only say in words, so it is not held to positive_data_acceptance."""
    query = case.query or {}
    if "quarter" in query and "year" not in query:
        return [check for check in CHECKS if check is not positive_data_acceptance]
    return CHECKS


def assert_refusal_explained(case, response) -> None:
    if response.status_code not in (400, 404, 422):
        return
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), (
        f"{case.path} 的 {response.status_code} 应返回 JSON"
    )
    detail = json.loads(response.content)["detail"]
    messages = [detail] if isinstance(detail, str) else [d["message"] for d in detail]
    assert messages and all(CJK.search(m) for m in messages), detail


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_operation_never_fails_and_conforms(wsgi_schema, disclosed, path, method):
    operation = wsgi_schema[path][method]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases(operation, disclosed))
    def call(case):
        response = case.call()
        case.validate_response(response, checks=checks_for(case))
        assert_refusal_explained(case, response)

    call()


def test_schema_covers_every_public_api_route():
    """A new endpoint is fuzzed as soon as it is in the schema; the list is taken from it."""
    assert len(OPERATIONS) >= 9
    assert {method for _, method in OPERATIONS} == {"get"}


def test_schema_documents_refusals_csv_and_ranges():
    schema = json.loads(json.dumps(api.get_openapi_schema()))  # as served: status codes as text
    problems = []
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            where = f"{method.upper()} {path}"
            responses = spec["responses"]
            parameters = {p["name"]: p for p in spec.get("parameters", [])}
            if "400" not in responses:
                problems.append(f"{where}: 400（NUL）未声明")
            if ("{" in path or "organisation" in parameters) and "404" not in responses:
                problems.append(f"{where}: 404 未声明")
            if any(p["in"] == "query" for p in parameters.values()) and "422" not in responses:
                problems.append(f"{where}: 422 未声明")
            if "format" in parameters and "text/csv" not in responses["200"].get("content", {}):
                problems.append(f"{where}: text/csv 未声明")
            for name, parameter in parameters.items():
                rules = parameter["schema"]
                bounded = name in {"page", "page_size", "year", "quarter"}
                if bounded and not {"minimum", "maximum"} <= rules.keys():
                    problems.append(f"{where}: {name} 无取值范围")
                if name == "month" and "pattern" not in rules:
                    problems.append(f"{where}: month 无格式")
                free_text = rules.get("type") == "string" and "enum" not in rules
                if free_text and re.search(rules.get("pattern", ""), "a\x00"):
                    problems.append(f"{where}: {name} 未说明不得含 NUL")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/api/organisations", "/api/draws", "/api/results"])
def test_page_beyond_the_last_allowed_is_refused(client, organisations, path):
    """A page whose offset passed the databases' 64-bit LIMIT/OFFSET was a 500."""
    response = client.get(path, {"page": 2**63 - 1})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "page", "message": f"参数 page=“{2**63 - 1}”无效：页码为 1–{MAX_PAGE}。"}
    ]
    last = client.get(path, {"page": MAX_PAGE, "page_size": 500})
    assert last.status_code == 200 and last.json()["results"] == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/organisations/130281/targets?q=%00", "q"),
        ("/api/organisations/%00/plans", "code"),
        ("/api/draws?organisation=%00", "organisation"),
        ("/api/results?credit_code=a%00b", "credit_code"),
        ("/api/results?month=%00", "month"),
        ("/api/draws/%00", "draw_id"),
        ("/api/draws/x%00y/bundle.zip", "draw_id"),
        ("/api/no-such-endpoint%00", "path"),
        ("/api/organisations?%00=1", "\\0"),
    ],
)
def test_nul_in_a_parameter_is_refused_before_the_database(client, organisations, url, field):
    """NUL reached PostgreSQL's queries (DataError, a 500); now the site refuses it with 400."""
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    [problem] = response.json()["detail"]
    assert problem["field"] == field and "空字符（NUL" in problem["message"]


@pytest.mark.parametrize(
    "url", ["/api/no/such/endpoint", "/api/draws/a/b", "/api/organisations/a%0Ab/c/plans"]
)
def test_an_unknown_api_path_is_a_json_404(client, db, url):
    """A path parameter holding “/” leaves the route; its 404 is still the API's JSON
    (config/middleware.py)."""
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith("没有这个接口")
