from kamxl.rules.completeness import PROFILE_FIELDS, completeness


def test_completeness_counts_filled_profile_fields():
    assert len(PROFILE_FIELDS) == 22
    half = {key: "x" for key in PROFILE_FIELDS[:11]}
    assert completeness(half) == 0.5
    assert completeness({key: 1 for key in PROFILE_FIELDS}) == 1.0
    assert completeness({key: "  " for key in PROFILE_FIELDS}) == 0.0
