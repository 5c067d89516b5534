"""``imsmanifest.xml`` of a SCORM 1.2 package (ADL SCORM 1.2 CAM, IMS Content Packaging 1.1.2).

Read the way real packages are written rather than the way the schema is: elements and
attributes are matched by local name in any namespace (``adlcp:`` or any other prefix, the
IMS namespace URI of any year, attribute names in any case); a BOM and declared encodings that
Python's expat cannot read (Shift_JIS, EUC-JP) are accepted; ``xml:base`` of the manifest, the
resources and the resource are joined as a directory path; an item's ``parameters`` are added
to its resource's href the way the CAM describes (leading ``?``/``&`` dropped, ``#`` for a
fragment, ``&`` when the href already has a query).

Only the default organisation is used (SCORM 1.2 LMSs launch one). Prerequisites and time
limits are read and passed on but not enforced; the editor is told so.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, unquote, urljoin, urlsplit

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from . import problems as p

XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
PACKAGE_ROOT = "http://package.invalid/"
# Namespaces only SCORM 2004 uses. IMS CP 1.1.4's ``imscp_v1p1`` is not among them: SCORM 2004
# packages use it, and so do SCORM 1.2 packages written by some authoring tools (with ADL's
# ``adlcp_rootv1p2``), so alone it says nothing.
SCORM_2004_HINTS = ("adlcp_v1p3", "imsss", "adlseq", "adlnav")
SCORM_2004_CP = "imscp_v1p1"
SCORM_12_HINT = "adlcp_rootv1p2"
SCORM_12_VERSIONS = ("1.2", "1.2.0", "12", "cam1.2")
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclasses.dataclass
class Resource:
    identifier: str
    href: str  # as written, relative to ``base``
    base: str  # the joined xml:base of the manifest, <resources> and <resource>
    scorm_type: str  # "sco" or "asset"
    scorm_type_given: bool
    files: list[str]
    dependencies: list[str]


@dataclasses.dataclass
class Item:
    identifier: str
    title: str
    depth: int  # 1 for the organisation's top-level items
    resource: str = ""  # identifierref
    parameters: str = ""
    visible: bool = True
    mastery_score: Decimal | None = None
    mastery_text: str = ""  # as written (a value that is not a score is reported, then ignored)
    launch_data: str = ""  # adlcp:datafromlms
    max_time_allowed: str = ""
    time_limit_action: str = ""
    prerequisites: str = ""
    scorm_type: str = ""  # "sco" / "asset" for launchable items, "" for a heading
    launch: str = ""  # URL of the launch file relative to the package's root, with its query
    launch_file: str = ""  # that file's name in the package

    @property
    def launchable(self) -> bool:
        return bool(self.launch)


@dataclasses.dataclass
class Manifest:
    identifier: str
    version: str  # "1.2"
    title: str
    items: list[Item]  # the default organisation's items, in order, headings included
    resources: dict[str, Resource]
    warnings: list[p.Problem]

    @property
    def launchable_items(self) -> list[Item]:
        return [item for item in self.items if item.launchable]


# --- XML helpers ---------------------------------------------------------------------------


def local_name(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _children(element, name: str) -> list:
    return [
        child for child in element if isinstance(child.tag, str) and local_name(child.tag) == name
    ]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def _attr(element, name: str, default: str = "") -> str:
    for key, value in element.attrib.items():
        if key != XML_BASE and local_name(key) == name:
            return value.strip()
    return default


def _parse_xml(data: bytes):
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise p.PackageRefused(
            [p.Problem("manifest_unparsable", {"reason": str(exc)}, file="imsmanifest.xml")]
        )
    except (ET.ParseError, ValueError) as exc:  # ValueError: "multi-byte encodings ..."
        declared = _DECLARED_ENCODING.search(data[:400])
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            # expat reads only single-byte encodings besides UTF-8/16: decode here instead
            try:
                text = data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                text = None
            if text is not None:
                try:
                    return SafeET.fromstring(_DECLARATION.sub("", text.lstrip("\ufeff"), count=1))
                except (ET.ParseError, DefusedXmlException) as retry:
                    exc = retry if isinstance(retry, ET.ParseError) else exc
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":")[0]
        raise p.PackageRefused(
            [
                p.Problem(
                    "manifest_unparsable",
                    {"reason": reason},
                    file="imsmanifest.xml",
                    line=line,
                    column=column + 1 if line else 0,
                )
            ]
        )


def _namespaces(root) -> set[str]:
    found = set()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            found.add(element.tag[1:].split("}", 1)[0].lower())
        for key in element.attrib:
            if key.startswith("{"):
                found.add(key[1:].split("}", 1)[0].lower())
    return found


def _version(root, warnings: list[p.Problem]) -> str:
    metadata = _child(root, "metadata")
    declared = _text(_child(metadata, "schemaversion")) if metadata is not None else ""
    if declared:
        normalised = declared.strip().lower()
        if re.sub(r"[\s_]|^scorm", "", normalised) in SCORM_12_VERSIONS:  # "SCORM 1.2", "CAM 1.2"
            return "1.2"
        if "2004" in normalised or "1.3" in normalised:
            raise p.PackageRefused(
                [p.Problem("scorm_2004", {"version": declared}, file="imsmanifest.xml")]
            )
        raise p.PackageRefused(
            [p.Problem("unknown_version", {"version": declared}, file="imsmanifest.xml")]
        )
    namespaces = _namespaces(root)
    scorm_12 = any(SCORM_12_HINT in namespace for namespace in namespaces)
    hints = SCORM_2004_HINTS if scorm_12 else (*SCORM_2004_HINTS, SCORM_2004_CP)
    if any(hint in namespace for namespace in namespaces for hint in hints):
        raise p.PackageRefused(
            [p.Problem("scorm_2004", {"version": "SCORM 2004"}, file="imsmanifest.xml")]
        )
    if not scorm_12:
        warnings.append(p.Problem("no_version_declared", file="imsmanifest.xml"))
    return "1.2"


def _join_base(base: str, more: str) -> str:
    more = (more or "").strip().replace("\\", "/")
    if not more:
        return base
    if not more.endswith("/"):
        more += "/"  # authors mean a folder; CAM examples always end with one
    return urljoin(base, more)


# --- the manifest --------------------------------------------------------------------------


def parse_manifest(data: bytes, *, find=None) -> Manifest:
    """Parse the manifest's bytes; ``find(name) -> name | None`` looks a file up in the package
    (launch files must exist). Raises ``PackageRefused`` listing what is wrong."""
    root = _parse_xml(data)
    if local_name(root.tag) != "manifest":
        raise p.PackageRefused(
            [
                p.Problem(
                    "manifest_not_manifest", {"tag": local_name(root.tag)}, file="imsmanifest.xml"
                )
            ]
        )
    warnings: list[p.Problem] = []
    version = _version(root, warnings)
    if _children(root, "manifest"):
        warnings.append(p.Problem("sub_manifests_ignored", file="imsmanifest.xml"))
    manifest_base = _join_base(PACKAGE_ROOT, root.get(XML_BASE, ""))
    resources = _resources(root, manifest_base)
    organizations_element = _child(root, "organizations")
    organizations = (
        _children(organizations_element, "organization")
        if organizations_element is not None
        else []
    )
    organizations = [org for org in organizations if _children(org, "item")]
    if not organizations:
        raise p.PackageRefused([p.Problem("no_organization", file="imsmanifest.xml")])
    default = _attr(organizations_element, "default")
    organization = next(
        (org for org in organizations if _attr(org, "identifier") == default), organizations[0]
    )
    title = _text(_child(organization, "title")) or _attr(root, "identifier") or "SCORM"
    if len(organizations) > 1:
        warnings.append(
            p.Problem(
                "other_organizations_ignored",
                {"count": len(organizations), "title": title},
                file="imsmanifest.xml",
            )
        )
    items: list[Item] = []
    _read_items(organization, depth=1, into=items)
    errors = _resolve_launches(items, resources, find=find, warnings=warnings)
    if errors:
        raise p.PackageRefused(errors)
    if not any(item.launchable for item in items):
        raise p.PackageRefused(
            [p.Problem("no_launchable_item", {"organization": title}, file="imsmanifest.xml")]
        )
    if any(item.prerequisites for item in items):
        warnings.append(p.Problem("prerequisites_ignored", file="imsmanifest.xml"))
    if any(item.max_time_allowed for item in items):
        warnings.append(p.Problem("time_limits_not_enforced", file="imsmanifest.xml"))
    if find is not None:
        warnings.extend(_missing_listed_files(items, resources, find))
    return Manifest(
        identifier=_attr(root, "identifier"),
        version=version,
        title=title,
        items=items,
        resources=resources,
        warnings=warnings,
    )


def _resources(root, manifest_base: str) -> dict[str, Resource]:
    resources_element = _child(root, "resources")
    if resources_element is None:
        return {}
    resources_base = _join_base(manifest_base, resources_element.get(XML_BASE, ""))
    found = {}
    for element in _children(resources_element, "resource"):
        identifier = _attr(element, "identifier")
        scorm_type = _attr(element, "scormtype").lower()
        found[identifier] = Resource(
            identifier=identifier,
            href=_attr(element, "href"),
            base=_join_base(resources_base, element.get(XML_BASE, "")),
            scorm_type=scorm_type if scorm_type in ("sco", "asset") else "sco",
            scorm_type_given=scorm_type in ("sco", "asset"),
            files=[_attr(f, "href") for f in _children(element, "file") if _attr(f, "href")],
            dependencies=[
                _attr(d, "identifierref")
                for d in _children(element, "dependency")
                if _attr(d, "identifierref")
            ],
        )
    return found


def _read_items(parent, *, depth: int, into: list[Item]) -> None:
    for element in _children(parent, "item"):
        mastery_text = _text(_child(element, "masteryscore"))
        item = Item(
            mastery_text=mastery_text,
            mastery_score=_mastery(mastery_text),
            identifier=_attr(element, "identifier"),
            title=_text(_child(element, "title")) or _attr(element, "identifier"),
            depth=depth,
            resource=_attr(element, "identifierref"),
            parameters=_attr(element, "parameters"),
            visible=_attr(element, "isvisible", "true").lower() != "false",
            launch_data=_text(_child(element, "datafromlms")),
            max_time_allowed=_text(_child(element, "maxtimeallowed")),
            time_limit_action=_text(_child(element, "timelimitaction")),
            prerequisites=_text(_child(element, "prerequisites")),
        )
        into.append(item)
        _read_items(element, depth=depth + 1, into=into)


def _mastery(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if 0 <= value <= 100 else None


def _resolve_launches(items, resources, *, find, warnings) -> list[p.Problem]:
    errors = []
    untyped = set()
    for item in items:
        if item.mastery_text and item.mastery_score is None:
            warnings.append(
                p.Problem(
                    "bad_mastery_score",
                    {"value": item.mastery_text, "title": item.title},
                    file="imsmanifest.xml",
                )
            )
        if not item.resource:
            continue
        resource = resources.get(item.resource)
        if resource is None:
            errors.append(
                p.Problem(
                    "missing_resource",
                    {"title": item.title, "ref": item.resource},
                    file="imsmanifest.xml",
                )
            )
            continue
        if not resource.href:
            errors.append(
                p.Problem(
                    "resource_without_href",
                    {"title": item.title, "ref": item.resource},
                    file="imsmanifest.xml",
                )
            )
            continue
        if not resource.scorm_type_given:
            untyped.add(resource.identifier)
        url = urlsplit(urljoin(resource.base, resource.href.strip().replace("\\", "/")))
        if f"{url.scheme}://{url.netloc}/" != PACKAGE_ROOT:
            errors.append(
                p.Problem(
                    "external_launch",
                    {"title": item.title, "href": resource.href},
                    file="imsmanifest.xml",
                )
            )
            continue
        wanted = unquote(url.path.lstrip("/"))
        name = find(wanted) if find is not None else wanted
        if not name:
            errors.append(
                p.Problem(
                    "missing_launch", {"title": item.title, "href": wanted}, file="imsmanifest.xml"
                )
            )
            continue
        item.scorm_type = resource.scorm_type
        item.launch_file = name
        item.launch = _launch_url(name, url.query, url.fragment, item.parameters)
    for identifier in sorted(untyped):
        warnings.append(p.Problem("scormtype_missing", {"ref": identifier}, file="imsmanifest.xml"))
    return errors


def _launch_url(name: str, query: str, fragment: str, parameters: str) -> str:
    """The launch URL relative to the package root: the href's file, its query and fragment,
    and the item's parameters (SCORM CAM: drop a leading ``?``/``&``; ``#…`` is a fragment
    unless the href has one; otherwise joined with ``&`` or ``?``)."""
    parameters = parameters.strip()
    while parameters[:1] in ("?", "&"):
        parameters = parameters[1:]
    if parameters.startswith("#"):
        fragment = fragment or parameters[1:]
        parameters = ""
    if parameters:
        query = f"{query}&{parameters}" if query else parameters
    url = quote(name, safe="/")
    if query:
        url += "?" + query
    if fragment:
        url += "#" + fragment
    return url


def _missing_listed_files(items, resources, find) -> list[p.Problem]:
    wanted = []
    seen_resources = set()
    stack = [item.resource for item in items if item.resource in resources]
    while stack:
        identifier = stack.pop()
        if identifier in seen_resources or identifier not in resources:
            continue
        seen_resources.add(identifier)
        resource = resources[identifier]
        for href in resource.files:
            url = urlsplit(urljoin(resource.base, href.replace("\\", "/")))
            if f"{url.scheme}://{url.netloc}/" == PACKAGE_ROOT:
                wanted.append(unquote(url.path.lstrip("/")))
        stack.extend(resource.dependencies)
    missing = [name for name in dict.fromkeys(wanted) if not find(name)]
    if not missing:
        return []
    return [
        p.Problem(
            "missing_listed_files",
            {"count": len(missing), "name": missing[0]},
            file="imsmanifest.xml",
        )
    ]
