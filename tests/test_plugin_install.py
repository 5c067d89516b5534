"""The README's "Adding the apps to an existing Wagtail site", done for real: the wheel is built,
a fresh `wagtail start` site gets exactly the section's code blocks, and in its own
virtualenv it migrates, passes `check`, shows a course and a lesson inside its own base
template, signs a member in with a mailed code and imports a roster.

Slow (a virtualenv and every dependency, from pip's cache when it has them): marked
``plugin_install`` and run in the SQLite pass only.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Adding the apps to an existing Wagtail site"
PROJECT = "mysite"

pytestmark = pytest.mark.plugin_install


def readme_blocks():
    """(language, first line, code) of every code block of the README's section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    return [(language, code.split("\n", 1)[0], code) for language, code in blocks]


def apply_python_block(site: Path, header: str, code: str) -> None:
    """A block starts with ``# <file> (append)``, ``(new file)`` or ``(before: <line>)``."""
    match = re.fullmatch(r"# (\S+) \((append|new file|before: (.+))\)", header.strip())
    assert match, f"README block header not understood: {header!r}"
    target = site / match.group(1)
    body = code.split("\n", 1)[1]
    if match.group(2) == "new file":
        assert not target.exists(), f"{target} exists already"
        target.write_text(body, encoding="utf-8")
    elif match.group(2) == "append":
        target.write_text(target.read_text(encoding="utf-8") + "\n" + body, encoding="utf-8")
    else:
        anchor = match.group(3)
        text = target.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        at = [i for i, line in enumerate(lines) if line.strip() == anchor]
        assert len(at) == 1, f"{target.name} has {len(at)} lines {anchor!r}"
        lines[at[0] : at[0]] = [body if body.endswith("\n") else body + "\n"]
        target.write_text("".join(lines), encoding="utf-8")


def run(command, *, cwd, env=None, check=True, timeout=900):
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode:
        pytest.fail(
            f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def registry_unreachable(output: str) -> bool:
    return any(
        sign in output
        for sign in (
            "No matching distribution found",
            "Could not find a version that satisfies",
            "NewConnectionError",
            "Temporary failure in name resolution",
            "Network is unreachable",
        )
    )


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    work = tmp_path_factory.mktemp("plugin")
    wagtail = shutil.which("wagtail", path=str(Path(sys.executable).parent)) or shutil.which(
        "wagtail"
    )
    if not wagtail:
        pytest.skip("SKIPPED LOUDLY: no `wagtail` command to create a fresh site with")

    # 1. the wheel, as `pip wheel` builds it from this checkout
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", work / "dist", ROOT],
                cwd=work, check=False)  # fmt: skip
    if built.returncode and registry_unreachable(built.stdout + built.stderr):
        pytest.skip("SKIPPED LOUDLY: the package registry is unreachable (build requirements)")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next((work / "dist").glob("rosai_lms-*.whl"))

    # 2. a stock site
    (work / "site").mkdir()
    created = run([wagtail, "start", PROJECT, work / "site"], cwd=work, check=False)
    if created.returncode:
        pytest.skip(f"SKIPPED LOUDLY: `wagtail start` failed: {created.stderr[-500:]}")
    site = work / "site"

    # 3. its own virtualenv, with the wheel and its dependencies from the registry
    venv.create(work / "venv", with_pip=True)
    python = work / "venv" / "bin" / "python"
    blocks = readme_blocks()
    installs = [code for language, _, code in blocks if language == "sh" and "pip install" in code]
    assert len(installs) == 1, "the section installs the wheel with one pip command"
    arguments = installs[0].split("pip install", 1)[1].split("#", 1)[0].split()
    assert arguments == [wheel.name], f"README installs {arguments}, the build made {wheel.name}"
    installed = run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                     "-c", ROOT / "constraints.txt", wheel], cwd=work, check=False)  # fmt: skip
    if installed.returncode and registry_unreachable(installed.stdout + installed.stderr):
        pytest.skip("SKIPPED LOUDLY: the package registry is unreachable (dependencies)")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    # 4. exactly the README's code
    for language, header, code in blocks:
        if language == "python":
            apply_python_block(site, header, code)
    return {"site": site, "python": python, "wheel": wheel}


def manage(host, *arguments, check=True):
    return run([host["python"], "manage.py", *arguments], cwd=host["site"], check=check,
               env={"DJANGO_SETTINGS_MODULE": f"{PROJECT}.settings.dev"})  # fmt: skip


def test_the_wheel_ships_the_apps_with_their_files_and_nothing_else(host):
    names = zipfile.ZipFile(host["wheel"]).namelist()
    top = {name.split("/")[0] for name in names if not name.startswith("rosai_lms-")}
    assert top == {"members", "courses", "lms", "mailings"}
    assert not [n for n in names if "/tests/" in n]
    for expected in (
        "members/templates/members/base.html",
        "members/templates/account/email/login_code_message.txt",
        "members/static/members/lms.css",
        "courses/templates/courses/lesson_page.html",
        "courses/static/courses/player.js",
        "lms/locale/ja/LC_MESSAGES/django.mo",
        "mailings/locale/ja/LC_MESSAGES/django.po",
    ):
        assert expected in names, expected
    assert [n for n in names if n.startswith("courses/demo_media/")]


def test_the_readme_section_makes_a_stock_site_run_the_apps(host):
    manage(host, "migrate", "--no-input")
    manage(host, "setup_staff_group")
    checked = manage(host, "check", check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "members." not in checked.stdout + checked.stderr
    roster = ROOT / "tests" / "fixtures" / "roster" / "month_05.csv"
    script = (ROOT / "tests" / "plugin_host_journey.py").read_text(encoding="utf-8")
    journey = manage(host, "shell", "-c", script.replace("@ROSTER@", str(roster)))
    facts = json.loads(journey.stdout.strip().splitlines()[-1])
    # rendered inside the host's own base template, with the apps' stylesheets in extra_css
    for page in ("course", "lesson"):
        assert facts[f"{page}_status"] == 200, page
        html = facts[page]
        assert f"css/{PROJECT}.css" in html and "members/lms.css" in html, page
        assert facts[f"{page}_title"] in html, page
    assert facts["imported"] >= 3
    assert facts["code_mail_subject"] and facts["signed_in"] and facts["my_training"] == 200
