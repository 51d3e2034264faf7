from datetime import time

import pytest

from aicall.campaigns.ivr_menu import MenuError, validate_menu
from aicall.campaigns.services import CampaignError, clean_settings, parse_calling_hours


def test_calling_hours():
    assert parse_calling_hours("08:00-17:00") == (time(8), time(17))
    assert parse_calling_hours("00:00-24:00") == (time(0), time(0))
    for bad in ("17:00-08:00", "8-17", "", "25:00-26:00"):
        with pytest.raises(CampaignError):
            parse_calling_hours(bad)


def test_clean_settings_names_the_bad_field():
    with pytest.raises(CampaignError) as err:
        clean_settings({"max_concurrent_calls": 0})
    assert err.value.field == "max_concurrent_calls"
    with pytest.raises(CampaignError) as err:
        clean_settings({"campaign_type": "fax"})
    assert err.value.field == "campaign_type"
    assert clean_settings({"calling_weekdays": [4, 0, 1]})["calling_weekdays"] == "014"


MENU = {
    "timeout_seconds": 6,
    "keys": {
        "1": {"action": "message", "message": "Cảm ơn", "then": "hangup"},
        "2": {"action": "repeat"},
        "3": {
            "action": "submenu",
            "menu": {
                "prompt": "Bấm 0 để gặp nhân viên",
                "keys": {
                    "0": {"action": "transfer", "target": "0901234567"},
                    "*": {"action": "back"},
                },
            },
        },
        "#": {"action": "hangup"},
    },
}


def test_a_valid_menu_tree_is_kept():
    cleaned = validate_menu(MENU)
    assert cleaned["keys"]["3"]["menu"]["keys"]["0"]["target"] == "0901234567"
    assert validate_menu({}) == {}


@pytest.mark.parametrize(
    "menu, where",
    [
        ({"keys": {}}, "menu"),
        ({"keys": {"1": {"action": "back"}}}, "menu.1"),
        ({"keys": {"1": {"action": "transfer", "target": "nowhere"}}}, "menu.1"),
        ({"keys": {"1": {"action": "submenu", "menu": {"prompt": "x", "keys": {}}}}}, "menu.1"),
        ({"keys": {"1": {"action": "submenu"}}}, "menu.1"),
        ({"keys": {"A": {"action": "hangup"}}}, "menu.A"),
        ({"keys": {"1": {"action": "dance"}}}, "menu.1"),
        ({"keys": {"1": {"action": "message"}}}, "menu.1"),
    ],
)
def test_dead_ends_and_broken_options_are_refused(menu, where):
    with pytest.raises(MenuError) as err:
        validate_menu(menu)
    assert err.value.path == where
