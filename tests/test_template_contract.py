"""The template contract: the apps' pages extend the site's base template (LMS_BASE_TEMPLATE,
default "base.html") through members/base.html, fill Wagtail's blocks (title, extra_css,
content, extra_js) and need no template of the project's own."""

import copy
import re
from pathlib import Path

import pytest
from django.template import engines
from django.template.loader import get_template
from django.template.loader_tags import BlockNode, ExtendsNode

from courses.tests.conftest import course, home, index  # noqa: F401  (page fixtures)

ROOT = Path(__file__).resolve().parents[1]
APPS = ["members", "courses", "lms", "mailings"]
REFERENCE = re.compile(r"{%\s*(?:extends|include)\s+\"([^\"]+)\"")


def _app_templates():
    for app in APPS:
        yield from sorted((ROOT / app / "templates").rglob("*.html"))


def test_every_template_an_app_uses_ships_with_the_apps_or_their_libraries():
    project = ROOT / "training_site"
    wrong = []
    for path in _app_templates():
        for name in REFERENCE.findall(path.read_text(encoding="utf-8")):
            origin = Path(get_template(name).origin.name)
            if name == "base.html" or origin.is_relative_to(project):
                wrong.append(f"{path.relative_to(ROOT)}: {name}")
    assert not wrong, "\n".join(wrong)


def test_the_apps_pages_fill_only_the_blocks_of_the_contract():
    contract = {"title", "extra_css", "content", "extra_js", "body_class", "meta_description"}
    wrong = []
    for path in _app_templates():
        template = get_template("/".join(path.parts[path.parts.index("templates") + 1 :]))
        for extends in template.template.nodelist.get_nodes_by_type(ExtendsNode):
            if extends.parent_name.var != "members/base.html":
                continue
            filled = {node.name for node in extends.nodelist if isinstance(node, BlockNode)}
            wrong += [f"{path.relative_to(ROOT)}: {name}" for name in filled - contract]
    assert not wrong, "\n".join(wrong)


HOST_BASE = """<!DOCTYPE html><html><head><title>{% block title %}{% endblock %} - Host</title>
<link rel="stylesheet" href="/static/css/host.css">{% block extra_css %}{% endblock %}</head>
<body><nav>HOST NAVIGATION</nav>{% block content %}{% endblock %}{% block extra_js %}{% endblock %}
</body></html>"""


@pytest.fixture
def host_base(settings, tmp_path):
    """The site's base template named by LMS_BASE_TEMPLATE, found in the site's own folder."""
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "layout.html").write_text(HOST_BASE, encoding="utf-8")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(tmp_path)]
    templates[0]["OPTIONS"]["context_processors"].append("members.context_processors.base_template")
    settings.TEMPLATES = templates
    settings.LMS_BASE_TEMPLATE = "host/layout.html"
    engines._engines = {}
    engines.__dict__.pop("templates", None)
    yield
    engines._engines = {}
    engines.__dict__.pop("templates", None)


def test_a_course_renders_inside_the_base_template_the_setting_names(host_base, client, course):  # noqa: F811
    html = client.get(course.url).content.decode()
    assert "HOST NAVIGATION" in html
    assert f"<title>{course.title} - Host</title>" in html
    head = html.split("</head>")[0]
    # the host's stylesheet, then the apps' own, then the course page's
    assert head.index("css/host.css") < head.index("members/lms.css") < head.index("courses.css")
    assert course.title in html.split("HOST NAVIGATION")[1]
