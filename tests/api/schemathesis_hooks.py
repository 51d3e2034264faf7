"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded by `st run` through
SCHEMATHESIS_HOOKS; the test passes what they need in the environment).

Generated data alone would almost never name a campaign that exists nor carry a valid
token, so almost every request would stop at `401` or `01`. Before each call these hooks:
- drop a generated `access_token` from the query and the JSON body, so that the valid
  Bearer token the run sends in its headers is the one the server reads;
- point two of every three requests with a `{campaign_id}` at one of the account's real
  campaigns (the third keeps the generated id, which is mostly `01`).
The checks then judge what the server answers for real work.
"""

import os
from itertools import count
from typing import Any

import schemathesis

CAMPAIGN_IDS = [c for c in os.environ.get("AICALL_ST_CAMPAIGN_IDS", "").split(",") if c]
_calls = count()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if isinstance(case.query, dict):
        case.query.pop("access_token", None)
    if isinstance(case.body, dict):
        case.body.pop("access_token", None)
    n = next(_calls)
    if CAMPAIGN_IDS and isinstance(case.path_parameters, dict) and n % 3:
        if "campaign_id" in case.path_parameters:
            case.path_parameters["campaign_id"] = CAMPAIGN_IDS[n % len(CAMPAIGN_IDS)]
