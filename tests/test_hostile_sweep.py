"""The hostile-input sweep: every endpoint, every role, every path converter, query parameter and form field.

Nothing here is a hand-written list of routes or fields. For each role of the authorization matrix the sweep
GETs every page of `app.url_map` (ids from the matrix's world), reads the <form>s of each page (their action,
method, inputs, selects and text areas with the values the page filled in), collects query parameters from the
links on the pages and from the views' own source (`request.args.get("name"...)`), and then sends hostile
values:

- each path converter: ids beyond PostgreSQL's integer (2^31, 2^63, 10^20) and hostile strings for the others;
- each GET endpoint: one request per kind of hostile value with every known query parameter set to it;
- each form: one request per kind with every field hostile, then one request per field and kind that is
  hostile for that field's type, the other fields keeping the values the page gave them.

For every request: never a 5xx, and no row written (row counts of every table before and after). For a form
with something to refuse (a text, number, date or choice), a refusal is a 4xx page with the message next to
the field, or a redirect that changes nothing; never a 200. A new endpoint, form or field is swept as soon as
a page links or renders it. Forms of buttons alone (only a CSRF token, check boxes and hidden `next`) are sent
hostile values too but may act: they have nothing to refuse.
"""

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter, Rule

from models import db
from tests.conftest import clear_database
from tests.factories import PASSWORD
from tests.test_authorization_matrix import MATRIX, NOT_ROUTES, NOW, ROLES, World, build_world

# --- hostile values, by the kind of input they attack ----------------------------------------------------

TEXT, AREA, NUMBER, DATE, TIME, CHOICE = "text", "textarea", "number", "date", "time", "choice"
ALL = frozenset({TEXT, AREA, NUMBER, DATE, TIME, CHOICE})
MEGABYTE = "x" * (1024 * 1024)


@dataclass(frozen=True)
class Hostile:
    name: str
    value: str
    attacks: frozenset[str]  # the input types this value must be refused by


HOSTILE = (
    Hostile("nul", "a\x00b", ALL),
    Hostile("controls", "a\x07\x1b[31m\x85b", ALL),
    Hostile("bidi", "\u202eexe.txt", frozenset({TEXT, AREA})),
    Hostile("invisible", "\u200b\u2060\u200b", frozenset({TEXT, AREA})),
    Hostile("line_break", "one\r\nBcc: x@example.com", frozenset({TEXT})),
    Hostile("int4_overflow", str(2**31), frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("huge", "99999999999999999999", frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("negative", str(-(2**31) - 1), frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("exponent", "1e20", frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("nan", "nan", frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("superscript", "²", frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("year_9999", "9999-12-31", frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("year_1", "0001-01-01", frozenset({NUMBER, CHOICE, DATE, TIME})),
    Hostile("megabyte", MEGABYTE, ALL),
)
QUERY_HOSTILE = (
    *[h for h in HOSTILE if h.name != "megabyte"],
    Hostile("last_minute", "9999-12-31T23:59", ALL),
    Hostile("long", "x" * 8000, ALL),
)
PATH_INTS = (str(2**31), str(2**63), "9" * 20)
PATH_STRINGS = ("a%00b", "%E2%80%AE", "x" * 2000)


# --- reading pages --------------------------------------------------------------------------------------


@dataclass
class Input:
    name: str
    kind: str  # TEXT, AREA, NUMBER, DATE, TIME, CHOICE, or "hidden", "checkbox", "file", "submit"
    values: list[str] = field(default_factory=list)  # what the page filled in (all ticked boxes)
    options: list[str] = field(default_factory=list)
    html_type: str = ""


@dataclass
class PageForm:
    action: str
    method: str
    inputs: dict[str, Input] = field(default_factory=dict)

    @property
    def refusable(self) -> list[Input]:
        return [i for i in self.inputs.values() if i.kind in ALL]

    def key(self, app: Flask) -> tuple:
        return (self.method, endpoint_of(app, self.action, self.method), tuple(sorted(self.inputs)))


_INPUT_KINDS = {
    "text": TEXT,
    "search": TEXT,
    "email": TEXT,
    "tel": TEXT,
    "url": TEXT,
    "number": NUMBER,
    "date": DATE,
    "datetime-local": DATE,
    "time": TIME,
    "radio": CHOICE,
    "hidden": "hidden",
    "checkbox": "checkbox",
    "file": "file",
    "submit": "submit",
    "button": "submit",
    "password": "password",
}


class FormParser(HTMLParser):
    """The <form>s of a page with their fields, and every link's href."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self.links: list[str] = []
        self._form: PageForm | None = None
        self._select: Input | None = None
        self._option_selected = False
        self._area: Input | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page_url, a["href"]))
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self._form = PageForm(action=action, method=(a.get("method") or "get").upper())
            self.forms.append(self._form)
            return
        if self._form is None or (not a.get("name") and tag != "option"):
            return
        name = a.get("name", "")
        if tag == "input":
            kind = _INPUT_KINDS.get(a.get("type", "text").lower(), TEXT)
            entry = self._form.inputs.setdefault(
                name, Input(name, kind, html_type=a.get("type", "text").lower())
            )
            if kind in ("checkbox", CHOICE):
                entry.options.append(a.get("value", "y"))
                if "checked" in a:
                    entry.values.append(a.get("value", "y"))
                if kind == "checkbox" and len(entry.options) > 1:
                    entry.kind = CHOICE  # a group of boxes is a multiple choice
            elif kind != "submit":
                entry.values = [a.get("value", "")]
        elif tag == "select":
            self._select = self._form.inputs.setdefault(name, Input(name, CHOICE))
        elif tag == "textarea":
            self._area = self._form.inputs.setdefault(name, Input(name, AREA, values=[""]))
        if tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.values = [a.get("value", "")]

    def handle_data(self, data: str) -> None:
        if self._area is not None:
            self._area.values = [self._area.values[0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and not self._select.values and self._select.options:
                self._select.values = [self._select.options[0]]
            self._select = None
        elif tag == "textarea":
            self._area = None


def endpoint_of(app: Flask, url: str, method: str = "GET") -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method=method)
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


# --- the world and its counts -------------------------------------------------------------------------


def row_counts() -> tuple[int, ...]:
    db.session.rollback()
    tables = db.metadata.sorted_tables
    query = sa.select(*[sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables])
    return tuple(db.session.execute(query).one())


def fresh_client(app: Flask, role: str) -> tuple[World, FlaskClient]:
    db.session.remove()
    clear_database()
    world = build_world()
    client = app.test_client()
    if role != "anonymous":
        response = client.post("/login", data={"email": world.users[role].email, "password": PASSWORD})
        assert response.status_code == 302, role
    return world, client


def path_of(app: Flask, endpoint: str, world: World) -> str | None:
    """The matrix's URL of an endpoint, or one built from its rule with the world's first ids."""
    if endpoint in MATRIX:
        return MATRIX[endpoint][1].format(**world.ids)
    return None


def query_names(app: Flask, endpoint: str) -> set[str]:
    """The query parameters a view's module reads (`request.args.get("x"...)`, `getlist`)."""
    view = app.view_functions[endpoint]
    module = inspect.getmodule(inspect.unwrap(view))
    source = inspect.getsource(module) if module else ""
    return set(re.findall(r"request\.args\.get(?:list)?\(\s*[\"'](\w+)[\"']", source))


@dataclass
class Finding:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Sweep:
    app: Flask
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0

    def send(self, client: FlaskClient, method: str, url: str, *, data=None, where: str = "", form=None):
        before = row_counts()
        where = where or f"{method} {url[:120]}"
        response = self.open(client, method, url, data=data, where=where)
        if response is None:
            return None
        if response.status_code >= 500:
            self.findings.append(Finding(where, f"answered {response.status_code}"))
            return response
        if form is not None and form.refusable:
            self.check_refusal(response, where)
        if form is None or form.refusable:
            after = row_counts()
            if after != before:
                self.findings.append(Finding(where, f"wrote rows ({response.status_code})"))
        return response

    def open(self, client: FlaskClient, method: str, url: str, *, where: str, **kwargs):
        """The response, or None with a finding when the app raised (tests propagate exceptions: a 500)."""
        self.requests += 1
        try:
            return client.open(url, method=method, **kwargs)
        except Exception as exc:  # any exception here is the 500 the sweep looks for
            db.session.rollback()
            self.findings.append(Finding(where, f"raised {type(exc).__name__}: {str(exc)[:100]}"))
            return None

    def check_refusal(self, response, where: str) -> None:
        if response.status_code == 200:
            self.findings.append(Finding(where, "a hostile form answered 200"))
        elif response.status_code in (400, 422) and response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            if not re.search(r'id="[^"]*-error"|role="alert"', page):
                self.findings.append(Finding(where, f"{response.status_code} without a message"))


# What a person would type into an input the page left empty, so that one hostile field is the only thing
# wrong with a request and the request reaches as deep as it can (a service, the database).
PLAUSIBLE = {
    "password": PASSWORD,
    "email": "sweep.person@example.com",
    "text": "Sweep",
    "search": "Sweep",
    "number": "1",
    "date": "2026-12-02",
    "textarea": "A plausible statement of more than twenty characters.",
}


def sendable(form: PageForm, overrides: dict[str, str]) -> dict[str, object]:
    data: dict[str, object] = {}
    times = iter(("10:00", "11:00", "12:00", "13:00"))
    for item in form.inputs.values():
        if item.kind in ("submit", "file"):
            continue
        if item.name in overrides:
            data[item.name] = overrides[item.name]
        elif item.values and any(item.values):
            data[item.name] = item.values if len(item.values) > 1 else item.values[0]
        elif item.html_type == "time":
            data[item.name] = next(times, "")
        elif item.kind == AREA:
            data[item.name] = PLAUSIBLE["textarea"]
        elif item.html_type in PLAUSIBLE:
            data[item.name] = PLAUSIBLE[item.html_type]
    return data


def hostile_for(item: Input, hostile: Hostile) -> str:
    """The value sent to `item` in an all-fields request: the hostile one where it attacks the field's type,
    else a NUL string, which every type refuses."""
    return hostile.value if item.kind in hostile.attacks else "a\x00b"


# --- the sweep ------------------------------------------------------------------------------------------


def sweep_paths(sweep: Sweep, client: FlaskClient, role: str, world: World, done: set) -> None:
    """Every converter of every rule with values beyond its type."""
    for rule in sweep.app.url_map.iter_rules():
        # Once per way in: roles the matrix answers alike (login page, 403, 404, the page) take one path.
        way_in = (rule.endpoint, MATRIX.get(rule.endpoint, ("", "", {}))[2].get(role))
        if rule.endpoint in NOT_ROUTES or way_in in done:
            continue
        done.add(way_in)
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        for name, converter in rule._converters.items():
            values = PATH_INTS if isinstance(converter, IntegerConverter) else PATH_STRINGS
            for value in values:
                sweep.send(client, method, fill_rule(rule, world, {name: value}), where=f"{rule.rule} {name}")


def fill_rule(rule: Rule, world: World, overrides: dict[str, str]) -> str:
    """The rule's path with `overrides` and, for the other arguments, the world's ids (any id will do)."""
    any_id = str(next(iter(world.ids.values())))
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", overrides.get(name, any_id), path)
    return path


def discover(sweep: Sweep, client: FlaskClient, world: World) -> tuple[list[PageForm], dict[str, set[str]]]:
    """GET every page this role may see; return their forms and the query parameters per endpoint."""
    forms: list[PageForm] = []
    params: dict[str, set[str]] = {}
    for rule in sweep.app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_ROUTES:
            continue
        path = path_of(sweep.app, rule.endpoint, world)
        if path is None:
            continue
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        names = params.setdefault(rule.endpoint, set())
        names |= query_names(sweep.app, rule.endpoint)
        parser = FormParser("http://localhost" + path)
        parser.feed(response.get_data(as_text=True))
        forms.extend(parser.forms)
        for link in parser.links:
            endpoint = endpoint_of(sweep.app, link)
            if endpoint is not None:
                params.setdefault(endpoint, set()).update(k for k, _v in parse_qsl(urlsplit(link).query))
    for form in forms:
        if form.method == "GET":
            endpoint = endpoint_of(sweep.app, form.action)
            if endpoint is not None:
                params.setdefault(endpoint, set()).update(form.inputs)
    return forms, params


def sweep_queries(sweep: Sweep, client: FlaskClient, world: World, params: dict[str, set[str]], done: set):
    for endpoint, names in sorted(params.items()):
        path = path_of(sweep.app, endpoint, world)
        if not names or endpoint in done or path is None or MATRIX[endpoint][0] != "GET":
            continue
        if client.get(path).status_code != 200:
            continue  # a role that may not see the page: the parameters are swept by one that may
        done.add(endpoint)
        for hostile in QUERY_HOSTILE:
            query = dict.fromkeys(names, hostile.value)
            where = f"GET {endpoint} ?{','.join(sorted(names))}={hostile.name}"
            response = sweep.open(client, "GET", path, query_string=query, where=where)
            if response is not None and response.status_code >= 500:
                sweep.findings.append(Finding(where, f"answered {response.status_code}"))


def sweep_form(sweep: Sweep, client: FlaskClient, form: PageForm) -> None:
    target = urlsplit(form.action)
    url = target.path + (f"?{target.query}" if target.query else "")
    label = f"{form.method} {target.path}"
    if form.method == "GET":
        return  # filter forms: swept with the query parameters
    for hostile in HOSTILE:
        overrides = {i.name: hostile_for(i, hostile) for i in form.inputs.values() if i.kind in ALL}
        if not form.refusable:
            overrides = {i.name: hostile.value for i in form.inputs.values() if i.kind == "hidden"}
            overrides.pop("csrf_token", None)
        sweep.send(
            client,
            "POST",
            url,
            data=sendable(form, overrides),
            where=f"{label} all={hostile.name}",
            form=form,
        )
    for item in form.refusable:
        for hostile in HOSTILE:
            if item.kind not in hostile.attacks or hostile.name == "megabyte":
                continue
            data = sendable(form, {item.name: hostile.value})
            sweep.send(client, "POST", url, data=data, where=f"{label} {item.name}={hostile.name}", form=form)


def run_sweep(app: Flask) -> Sweep:
    sweep = Sweep(app)
    seen_forms: set[tuple] = set()
    paths_done: set = set()
    queries_done: set = set()
    for role in ROLES:
        world, client = fresh_client(app, role)
        forms, params = discover(sweep, client, world)
        sweep_queries(sweep, client, world, params, queries_done)
        sweep_paths(sweep, client, role, world, paths_done)
        # Button-only forms last: they act (log out, deactivate, revoke) and may change the world.
        for form in sorted(forms, key=lambda f: (not f.refusable, f.key(app)[1] == "auth.logout")):
            key = form.key(app)
            if key in seen_forms or key[1] is None:
                continue
            seen_forms.add(key)
            sweep_form(sweep, client, form)
    return sweep


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def test_no_hostile_input_anywhere_causes_a_server_error_or_a_write(app: Flask, frozen_clock) -> None:
    sweep = run_sweep(app)
    assert sweep.requests > 1000  # the sweep reached the app, not an empty list of forms
    assert not sweep.findings, "\n".join(str(f) for f in sweep.findings)


def test_the_sweep_finds_the_forms_of_every_role(app: Flask, frozen_clock) -> None:
    """Discovery is what makes the sweep cover a new form: it must see the forms each role works with."""
    endpoints: set[str | None] = set()
    for role in ("anonymous", "resident", "manager_a", "admin"):
        world, client = fresh_client(app, role)
        forms, _params = discover(Sweep(app), client, world)
        endpoints |= {form.key(app)[1] for form in forms if form.refusable}
    expected = {
        "auth.login",
        "auth.register",
        "auth.profile",
        "bookings.new",
        "manage.facility_new",
        "manage.facility_policy",
        "manage.quotas",
        "manage.closures",
        "admin.new_university",
        "applications.facility_form",
        "sso_admin.edit",
        "webhooks.index",
        "webhooks.endpoint",
    }
    assert expected <= endpoints
