"""A real CAS server for the tests: django-cas-server (CAS 1.0/2.0/3.0) in a minimal Django project.

`start_cas_server(folder, port)` writes the project into `folder`, migrates its SQLite database, allows every
service on the loopback address with every attribute released, and serves it with Django's server in a
subprocess at http://127.0.0.1:<port>/cas/. Its directory of people (DIRECTORY) is a Python dict read by an
authentication class of the project's own. `cas_ticket()` signs in at the server like a browser (its login
form, CSRF token and login ticket) and returns the service ticket it hands back.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.processes import start_group, stop_group

NUMBER, ROLE, NAME, MAIL = "employeeNumber", "eduPersonAffiliation", "cn", "mail"


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    attributes: dict[str, object]


STUDENT = Person(
    "liming",
    "campus-pass-1",
    {NUMBER: "312405060001", ROLE: "student", NAME: "李明", MAIL: "liming@stu.example.edu.cn"},
)
TEACHER = Person(
    "wanglaoshi",
    "campus-pass-2",
    {NUMBER: "T19980042", ROLE: ["member", "staff"], NAME: "王老师", MAIL: "wang@example.edu.cn"},
)
NO_NUMBER = Person("visitor", "campus-pass-3", {ROLE: "student", NAME: "访客"})
NO_ROLE = Person("norole", "campus-pass-4", {NUMBER: "312405060099", NAME: "无角色"})
# The browser journey's student (tests/e2e).
E2E_STUDENT = Person(
    "zhaoxue",
    "campus-pass-5",
    {NUMBER: "312405060777", ROLE: "student", NAME: "赵雪", MAIL: "zhaoxue@stu.example.edu.cn"},
)
DIRECTORY = {p.username: p for p in (STUDENT, TEACHER, NO_NUMBER, NO_ROLE, E2E_STUDENT)}

_SETTINGS = """
from pathlib import Path
BASE = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-cas-server"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
ROOT_URLCONF = "casproject.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE.parent / "cas.sqlite3"}}
USE_TZ = True
LANGUAGE_CODE = "en-us"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
CAS_AUTH_CLASS = "casproject.directory.DirectoryUser"
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
# No CDN (no network here): unstyled pages, and a stand-in for jQuery that the login page's script calls.
CAS_COMPONENT_URLS = {name: "/static/none" for name in (
    "bootstrap3_css", "bootstrap3_js", "html5shiv", "respond", "bootstrap4_css", "bootstrap4_js"
)}
CAS_COMPONENT_URLS["jquery"] = "data:text/javascript,window.jQuery=window.$=function(){}"
"""

_URLS = """
from django.urls import include, path
urlpatterns = [path("cas/", include("cas_server.urls", namespace="cas_server"))]
"""

_DIRECTORY = """
import json
from pathlib import Path
from cas_server.auth import AuthUser

PEOPLE = json.loads((Path(__file__).resolve().parent / "directory.json").read_text())


class DirectoryUser(AuthUser):
    def test_password(self, password):
        person = PEOPLE.get(self.username)
        return person is not None and person["password"] == password

    def attributs(self):
        return dict(PEOPLE.get(self.username, {}).get("attributes", {}))
"""

_SERVICES = """
import django
django.setup()
from cas_server.models import ReplaceAttributName, ServicePattern
pattern, _ = ServicePattern.objects.get_or_create(
    name="campus-city booking (tests)", pattern=r"^https?://(127\\.0\\.0\\.1|localhost)(:\\d+)?/.*$"
)
ReplaceAttributName.objects.get_or_create(name="*", replace="", service_pattern=pattern)
"""


@dataclass
class CasServer:
    url: str  # the CAS base URL, ending in "/"
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_group(self.process)


def _write_project(folder: Path) -> None:
    package = folder / "casproject"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(_SETTINGS)
    (package / "urls.py").write_text(_URLS)
    (package / "directory.py").write_text(_DIRECTORY)
    people = {p.username: {"password": p.password, "attributes": p.attributes} for p in DIRECTORY.values()}
    (package / "directory.json").write_text(json.dumps(people, ensure_ascii=False))
    (folder / "services.py").write_text(_SERVICES)


def start_cas_server(folder: Path, port: int, timeout: float = 60) -> CasServer:
    _write_project(folder)
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "casproject.settings", "PYTHONPATH": str(folder)}
    log = folder / "cas-server.log"
    with log.open("ab") as out:
        for command in (["-m", "django", "migrate", "--noinput"], [str(folder / "services.py")]):
            subprocess.run(
                [sys.executable, *command], cwd=folder, env=environment, stdout=out, stderr=out, check=True
            )
        process = start_group(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=folder,
            env=environment,
            log=out,
        )
    server = CasServer(f"http://127.0.0.1:{port}/cas/", process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the CAS server exited early:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if requests.get(server.url + "login", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the CAS server did not answer within {timeout} s")


_HIDDEN = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def _hidden_fields(page: str) -> dict[str, str]:
    fields = {}
    for tag in _HIDDEN.findall(page):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            fields[attributes["name"]] = unescape(attributes.get("value", ""))
    return fields


def cas_ticket(server_url: str, service: str, person: Person) -> str:
    """Sign in at the CAS server as `person` for `service`; the ticket it sends the browser back with."""
    with requests.Session() as browser:
        login = server_url + "login?" + urlencode({"service": service})
        page = browser.get(login, timeout=10)
        page.raise_for_status()
        form = {**_hidden_fields(page.text), "username": person.username, "password": person.password}
        answer = browser.post(login, data=form, allow_redirects=False, timeout=10, headers={"Referer": login})
    location = answer.headers.get("Location", "")
    assert answer.status_code == 302 and location.startswith(service), (answer.status_code, answer.text[:500])
    return parse_qs(urlsplit(location).query)["ticket"][0]


if __name__ == "__main__":
    # By hand, for the demo data's HPU sign-on: python -m tests.campus_cas [port] (default 5216).
    import tempfile

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5216
    with tempfile.TemporaryDirectory() as folder:
        server = start_cas_server(Path(folder), port)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on kill as on Ctrl-C
        people = ", ".join(f"{p.username}/{p.password}" for p in DIRECTORY.values())
        print(f"CAS server at {server.url}; people: {people}", flush=True)
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
