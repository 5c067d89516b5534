"""Every URL, every role, objects of both organisations: answers as in tests/permission_matrix.py.

One test per URL name (or page type). A URL missing from the table fails with the exact line to
add (what was observed, to be reviewed, not pasted blindly). Requests use one shared world
(built once per worker, rolled back at the end) and each request runs in its own savepoint, so
a POST that logs out or deletes changes nothing for the next one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import transaction

from tests import permission_matrix as pm

LINES = pm.parse()
try:
    ENDPOINTS, URLCONF_ERROR = pm.endpoints(), None
except Exception as exc:  # an app's URLconf that does not import: one clear failure, not a crash
    ENDPOINTS, URLCONF_ERROR = [], exc
BY_KEY: dict[str, list[pm.Endpoint]] = defaultdict(list)
for _endpoint in ENDPOINTS:
    BY_KEY[_endpoint.key].append(_endpoint)


@pytest.fixture(scope="module")
def world_media(tmp_path_factory):
    return tmp_path_factory.mktemp("world-media")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, world_media):
    from django.test import override_settings

    from tests.factories.quality import build_world

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=world_media):
        with transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _world_files(settings, world_media):
    """The world's files (a video, captions) stay where the world was built."""
    settings.MEDIA_ROOT = world_media


def _request(world, role, method, url):
    client = world.client(role)
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={})
            transaction.set_rollback(True)
    except Exception as exc:  # the test client re-raises some errors even when told not to
        return f"EXC:{exc.__class__.__name__}"
    return response


def _observe(world, endpoint, line, method, logins):
    """{(variant, role): (observed, url)} for one endpoint and method."""
    results = {}
    variants = [("A", {**world.objects["*"], **world.objects["A"]})]
    refs = pm.object_refs(endpoint, line)
    page_is_owned = endpoint.page_model and any(
        getattr(o, "_meta", None) and o._meta.label == endpoint.page_model
        for o in world.objects["A"].values()
    )
    if page_is_owned or refs & set(world.objects["A"]):
        variants.append(("B", {**world.objects["*"], **world.objects["B"]}))
    for variant, scope in variants:
        url = pm.build_url(endpoint, line, scope)
        for role in pm.ROLES:
            column = role if variant == "A" else pm.MIRROR[role]
            if line.expected.get(column) == "-":
                continue
            response = _request(world, role, method, url)
            observed = response if isinstance(response, str) else pm.classify(response, logins)
            results[(variant, role)] = (observed, url, column)
    return results


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_permission_matrix(world, key):
    logins = pm.login_paths()
    problems, skipped = [], []
    for method in ("GET", "POST"):
        line = pm.lookup(LINES, key, method)
        for endpoint in BY_KEY[key]:
            if line is None:
                probe = pm.Line(key, method, dict.fromkeys(pm.ROLES, "any"), {})
                try:
                    seen = _observe(world, endpoint, probe, method, logins)
                except pm.NotDerivable as exc:
                    problems.append(
                        f"no entry for {key} {method} (route {endpoint.route!r}); its URL needs "
                        f"kwargs the harness cannot guess ({exc}). Add, e.g.:\n"
                        f"{pm.suggest(key, method, {}, {n: '@...' for n in endpoint.kwarg_names})}"
                    )
                    continue
                observed = {role: seen[("A", role)][0] for role in pm.ROLES}
                problems.append(
                    f"no entry for {key} {method} (route {endpoint.route!r}). What it answers "
                    f"now; check it is what each role SHOULD get, then add to TABLE in "
                    f"tests/permission_matrix.py:\n{pm.suggest(key, method, observed)}"
                )
                continue
            if line.skip:
                skipped.append(f"{key} {method}: {line.skip}")
                continue
            try:
                seen = _observe(world, endpoint, line, method, logins)
            except pm.NotDerivable as exc:
                reason = world.missing.get(str(exc).split(":")[0]) or ""
                skipped.append(
                    f"{key} {method}: no object for {exc} in the test world {reason}".rstrip()
                )
                continue
            wrong = []
            for (variant, role), (observed, url, column) in seen.items():
                expected = line.expected[column]
                if not pm.matches(expected, observed):
                    wrong.append(
                        f"{method} {url} as {role} (objects of organisation {variant}): "
                        f"expected {expected}, got {observed}"
                    )
            if wrong:
                observed = {r: seen[("A", r)][0] for r in pm.ROLES if ("A", r) in seen}
                problems += wrong
                problems.append(
                    "observed on organisation A's objects (if that is what each role SHOULD get):"
                    f"\n{pm.suggest(key, method, observed, line.kwargs)}"
                )
    if problems:
        _save_suggestions(key, problems)
        pytest.fail(f"{key}:\n  " + "\n  ".join(problems), pytrace=False)
    if skipped and len(skipped) == 2 * len(BY_KEY[key]):
        pytest.skip("; ".join(skipped))


SUGGESTIONS = (
    Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "permission-matrix"
)


def _save_suggestions(key, problems):
    """Each failing key's suggested lines in one file: `cat var/test-artifacts/permission-matrix/*`."""
    lines = [p.split("\n", 1)[1] for p in problems if "\n" in p]
    if lines:
        SUGGESTIONS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.-]+", "_", key)
        (SUGGESTIONS / f"{safe}.txt").write_text("\n".join(lines) + "\n")


def test_the_url_configuration_imports():
    assert URLCONF_ERROR is None, f"the URL configuration does not import: {URLCONF_ERROR!r}"


def test_every_table_line_names_a_url_that_exists():
    if URLCONF_ERROR is not None:
        pytest.skip(f"the URL configuration does not import: {URLCONF_ERROR!r}")
    keys = set(BY_KEY)
    stale = [
        line.text.strip()
        for line in LINES
        if not line.key.startswith("re:") and line.key not in keys
    ]
    assert not stale, "permission table lines for URLs that no longer exist:\n" + "\n".join(stale)


def test_table_has_one_line_per_key_and_method():
    seen = defaultdict(int)
    for line in LINES:
        seen[(line.key, line.method)] += 1
    assert [k for k, n in seen.items() if n > 1] == []
