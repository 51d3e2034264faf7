"""campaigns/limits.py is the one declaration of a campaign setting's limits: the service
enforces it, and the website's form, the API's schema and the model's columns say the same."""

import pytest

from aicall.api.campaign_schemas import CampaignSettingsIn
from aicall.campaigns.limits import INT_LIMITS, TEXT_LIMITS
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import CampaignError, clean_settings
from aicall.web.forms import CampaignForm


@pytest.mark.parametrize("name", sorted(TEXT_LIMITS))
def test_the_service_takes_a_text_at_its_limit_and_refuses_one_longer(name):
    limit = TEXT_LIMITS[name]
    value = "1" * limit if name == "caller_id" else "a" * limit
    if name == "caller_id":
        with pytest.raises(CampaignError):  # digits only, 3 to 20: narrower than the column
            clean_settings({name: value})
    elif name not in ("webhook_url", "webhook_secret"):  # those have formats of their own
        assert clean_settings({name: value})[name] == value
    with pytest.raises(CampaignError) as err:
        clean_settings({name: value + "a"})
    assert err.value.field == name


@pytest.mark.parametrize("name", sorted(INT_LIMITS))
def test_the_service_takes_the_bounds_of_a_number_and_refuses_beyond_them(name):
    low, high = INT_LIMITS[name]
    assert clean_settings({name: low})[name] == low
    assert clean_settings({name: high})[name] == high
    for outside in (low - 1, high + 1):
        with pytest.raises(CampaignError) as err:
            clean_settings({name: outside})
        assert err.value.field == name


def test_the_website_form_has_the_same_limits():
    fields = CampaignForm.base_fields
    for name, limit in TEXT_LIMITS.items():
        if name in fields:
            assert fields[name].max_length == limit, name  # type: ignore[attr-defined]
    for name, (low, high) in INT_LIMITS.items():
        assert (fields[name].min_value, fields[name].max_value) == (low, high), name  # type: ignore[attr-defined]


def test_the_api_schema_has_the_same_limits():
    properties = CampaignSettingsIn.model_json_schema()["properties"]

    def bound(name: str, key: str):
        options = properties[name].get("anyOf", [properties[name]])
        return next(o[key] for o in options if key in o)

    for name, limit in TEXT_LIMITS.items():
        assert bound(name, "maxLength") == limit, name
    for name, (low, high) in INT_LIMITS.items():
        assert (bound(name, "minimum"), bound(name, "maximum")) == (low, high), name


def test_the_model_columns_are_as_wide_as_the_limits():
    for name, limit in TEXT_LIMITS.items():
        field = Campaign._meta.get_field(name)
        if field.max_length is not None:  # the script is a TextField
            assert field.max_length == limit, name
