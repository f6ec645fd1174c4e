"""The demo's data files hold together: every name a record uses is defined, every key is used once."""

from collections import Counter

from booking import demo_data


def repeated(values: list[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


def test_keys_emails_and_codes_are_unique() -> None:
    assert repeated([facility.key for facility in demo_data.FACILITIES]) == []
    assert repeated([(f.university, f.name_en) for f in demo_data.FACILITIES]) == []  # the natural key
    assert repeated([account.email for account in demo_data.ACCOUNTS]) == []
    organizations = [u.code for u in demo_data.UNIVERSITIES] + [e.key for e in demo_data.ENTERPRISES]
    assert repeated(organizations) == []


def test_every_reference_names_a_defined_record() -> None:
    universities = {university.code for university in demo_data.UNIVERSITIES}
    organizations = universities | {enterprise.key for enterprise in demo_data.ENTERPRISES}
    facilities = {facility.key for facility in demo_data.FACILITIES}
    emails = {account.email for account in demo_data.ACCOUNTS}
    assert {f.university for f in demo_data.FACILITIES} <= universities
    assert {a.organization for a in demo_data.ACCOUNTS if a.organization} <= organizations
    assert {a.manages for a in demo_data.ACCOUNTS if a.manages} <= universities
    assert {q.university for q in demo_data.QUOTAS} | {
        c.university for c in demo_data.CLOSURES
    } <= universities
    assert {q.facility for q in demo_data.QUOTAS if q.facility} <= facilities
    assert {c.facility for c in demo_data.CLOSURES if c.facility} <= facilities
    booked = [*demo_data.WISHES, *demo_data.PLACEMENTS]
    assert {b.facility for b in booked} | {f for c in demo_data.CROWDS for f in c.facilities} <= facilities
    assert {b.email for b in booked} | {p for c in demo_data.CROWDS for p in c.people} <= emails
    assert set(demo_data.PLACEMENT_STATEMENTS) == {placement.facility for placement in demo_data.PLACEMENTS}


def test_demo_logins_have_a_role() -> None:
    logins = [account for account in demo_data.ACCOUNTS if account.password]
    assert logins
    assert all(account.role for account in logins)
