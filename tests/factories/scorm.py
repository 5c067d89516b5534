"""SCORM 1.2 packages built in the tests: manifests and zips, good and broken on purpose."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"

# A SCO that drives the API the way authored content does: it finds window.API in a parent
# frame, reads what the LMS gives it, and writes what the test page asks for.
SCO_HTML = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>{title}</title>
<script src="{depth}shared/apiwrapper.js"></script></head>
<body><h1>{title}</h1><p id="out"></p></body></html>
"""

API_WRAPPER_JS = """
function findAPI(win) {
  var tries = 0;
  while (win.API == null && win.parent != null && win.parent != win && tries < 7) {
    tries++; win = win.parent;
  }
  return win.API;
}
var API = findAPI(window) || (window.opener && findAPI(window.opener));
"""


def item_xml(identifier, title, *, ref=None, children="", extra="", attrs=""):
    ref_attr = f' identifierref="{ref}"' if ref else ""
    return (
        f'<item identifier="{identifier}"{ref_attr}{attrs}><title>{escape(title)}</title>'
        f"{extra}{children}</item>"
    )


def resource_xml(identifier, href, *, scorm_type="sco", files=(), base=None, dependencies=()):
    base_attr = f' xml:base="{base}"' if base else ""
    type_attr = f' adlcp:scormtype="{scorm_type}"' if scorm_type else ""
    inner = "".join(f'<file href="{escape(f)}"/>' for f in files or [href.split("?")[0]])
    inner += "".join(f'<dependency identifierref="{d}"/>' for d in dependencies)
    return (
        f'<resource identifier="{identifier}" type="webcontent"{type_attr} href="{escape(href)}"'
        f"{base_attr}>{inner}</resource>"
    )


def manifest_xml(
    *,
    items: str,
    resources: str,
    title="転倒災害の防止",
    schemaversion="1.2",
    default="ORG1",
    organizations_extra="",
    resources_base=None,
    manifest_base=None,
    cp=CP,
    adlcp=ADLCP,
    adlcp_prefix="adlcp",
    declaration='<?xml version="1.0" encoding="UTF-8"?>',
):
    metadata = (
        f"<metadata><schema>ADL SCORM</schema><schemaversion>{schemaversion}</schemaversion>"
        "</metadata>"
        if schemaversion is not None
        else ""
    )
    resources_base_attr = f' xml:base="{resources_base}"' if resources_base else ""
    manifest_base_attr = f' xml:base="{manifest_base}"' if manifest_base else ""
    text = (
        f'{declaration}<manifest identifier="MANIFEST-1" version="1.0"{manifest_base_attr} '
        f'xmlns="{cp}" xmlns:{adlcp_prefix}="{adlcp}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{metadata}"
        f'<organizations default="{default}"><organization identifier="ORG1">'
        f"<title>{escape(title)}</title>{items}</organization>{organizations_extra}"
        f"</organizations><resources{resources_base_attr}>{resources}</resources></manifest>"
    )
    if adlcp_prefix != "adlcp":
        text = text.replace("adlcp:", f"{adlcp_prefix}:").replace(
            f"xmlns:{adlcp_prefix}:", f"xmlns:{adlcp_prefix}="
        )
    return text


def single_sco_manifest(**kwargs):
    mastery = kwargs.pop("mastery", None)
    extra = f"<adlcp:masteryscore>{mastery}</adlcp:masteryscore>" if mastery is not None else ""
    return manifest_xml(
        items=item_xml("ITEM1", "転倒を防ぐ", ref="RES1", extra=extra),
        resources=resource_xml("RES1", "index.html"),
        **kwargs,
    )


def multi_sco_manifest(**kwargs):
    items = item_xml(
        "MOD1",
        "第1章 はしごと脚立",
        children=item_xml("SCO1", "脚立の使い方", ref="RES1")
        + item_xml("SCO2", "はしごの固定", ref="RES2"),
    ) + item_xml(
        "SCO3", "確認テスト", ref="RES3", extra="<adlcp:masteryscore>80</adlcp:masteryscore>"
    )
    resources = (
        resource_xml("RES1", "sco1/index.html", dependencies=["SHARED"])
        + resource_xml("RES2", "sco2/index.html", dependencies=["SHARED"])
        + resource_xml("RES3", "test/index.html", dependencies=["SHARED"])
        + resource_xml("SHARED", "", scorm_type="asset", files=["shared/apiwrapper.js"]).replace(
            ' href=""', ""
        )
    )
    return manifest_xml(items=items, resources=resources, **kwargs)


def sco_page(title, depth=""):
    return SCO_HTML.format(title=escape(title), depth=depth).encode("utf-8")


def build_zip(files: dict, *, utf8_flag=True, cp932_names=False) -> bytes:
    """A zip of ``files`` ({name: bytes or str}). ``cp932_names``: names written as Japanese
    Windows does (CP932 bytes, no UTF-8 flag)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            if isinstance(data, str):
                data = data.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=(2026, 4, 1, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    data = buffer.getvalue()
    if cp932_names:
        data = _rewrite_names_cp932(data)
    return data


class _CP437Info(zipfile.ZipInfo):
    """A ZipInfo whose name is written as the CP437 bytes it holds, without the UTF-8 flag
    (zipfile would otherwise write any non-ASCII name as flagged UTF-8)."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("cp437"), self.flag_bits & ~0x800


def _rewrite_names_cp932(data: bytes) -> bytes:
    """Every name re-encoded as CP932 bytes without the UTF-8 flag (Japanese Windows)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            new = _CP437Info(
                info.filename.encode("cp932").decode("cp437"), date_time=info.date_time
            )
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = info.external_attr
            target.writestr(new, source.read(info))
    return out.getvalue()


def single_sco_package(*, manifest=None, extra_files=None) -> bytes:
    files = {
        "imsmanifest.xml": manifest or single_sco_manifest(),
        "index.html": sco_page("転倒を防ぐ"),
        "shared/apiwrapper.js": API_WRAPPER_JS,
    }
    files.update(extra_files or {})
    return build_zip(files)


def multi_sco_package(*, manifest=None) -> bytes:
    return build_zip(
        {
            "imsmanifest.xml": manifest or multi_sco_manifest(),
            "sco1/index.html": sco_page("脚立の使い方", "../"),
            "sco2/index.html": sco_page("はしごの固定", "../"),
            "test/index.html": sco_page("確認テスト", "../"),
            "shared/apiwrapper.js": API_WRAPPER_JS,
        }
    )
