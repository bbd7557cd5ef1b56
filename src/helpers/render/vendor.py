"""Pinned copies of the scripts and styles that GX Data Docs load, shipped inside each edition.

GX's page templates load Bootstrap, jQuery, bootstrap-table and Font Awesome from public CDNs.
On an NHS file share or intranet those hosts are blocked (the index's table, which scripts
build, then stays blank), and a page that calls a CDN tells a third party who read it. So each
edition carries its own copies under ``data-docs/static/vendor/`` and the pages point there.

The copies come from the npm registry, as the exact versions GX's templates name. Each package
is one tarball whose sha512 is pinned here, so a changed or substituted file is refused. They are
fetched with the standard library alone (a machine with only Python and pip can build an
edition), once, into ``build/cache/vendor/`` (never committed); ``NHS_ANALYTICS_CACHE`` moves the
cache, and ``NPM_CONFIG_REGISTRY`` names a registry mirror, as it does for npm itself.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from helpers.core.errors import PipelineError
from helpers.core.provenance import write_atomic

REGISTRY = "https://registry.npmjs.org"
CACHE_ENV = "NHS_ANALYTICS_CACHE"
VENDOR = "static/vendor"  # where the copies go, inside the Data Docs site


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity: "sha512-" and the base64 digest of the tarball
    files: tuple[str, ...]  # shipped paths inside the tarball (under "package/"); a trailing "/" is a folder

    @property
    def folder(self) -> str:
        """Its folder under ``static/vendor``: name and version (a scope's ``@`` and ``/`` dropped)."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}"

    @property
    def tarball(self) -> str:
        return f"{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    def url(self, registry: str = REGISTRY) -> str:
        return f"{registry.rstrip('/')}/{self.name}/-/{self.tarball}"


JQUERY = Package("jquery", "3.7.1",
                 "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
                 ("dist/jquery.min.js",))
POPPER = Package("popper.js", "1.12.9",
                 "sha512-s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg==",
                 ("dist/umd/popper.min.js",))
BOOTSTRAP = Package("bootstrap", "4.3.1",
                    "sha512-rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag==",
                    ("dist/css/bootstrap.min.css", "dist/js/bootstrap.min.js"))
BOOTSTRAP_TABLE = Package(
    "bootstrap-table", "1.19.1",
    "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA==",
    ("dist/bootstrap-table.min.css", "dist/bootstrap-table.min.js",
     "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
     "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"))
DATEPICKER = Package(
    "bootstrap-datepicker", "1.9.0",
    "sha512-9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA==",
    ("dist/css/bootstrap-datepicker.min.css", "dist/js/bootstrap-datepicker.min.js"))
FONT_AWESOME = Package(
    "@fortawesome/fontawesome-free", "6.6.0",
    "sha512-60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
    ("css/all.min.css", "webfonts/"))  # the stylesheet finds its fonts at ../webfonts/
PACKAGES = (JQUERY, POPPER, BOOTSTRAP, BOOTSTRAP_TABLE, DATEPICKER, FONT_AWESOME)

# Every CDN address in GX 1.24's page templates: the local copy that replaces it, or None for one
# that is dropped (vega draws only profiling pages' charts, which this site does not build; the
# dark-mode theme is left out so that every reader, and every print-out, sees one colour scheme).
CDN: dict[str, tuple[Package, str] | None] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": (JQUERY, "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (POPPER, "dist/umd/popper.min.js"),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (BOOTSTRAP, "dist/css/bootstrap.min.css"),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (BOOTSTRAP, "dist/js/bootstrap.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        (BOOTSTRAP_TABLE, "dist/bootstrap-table.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (BOOTSTRAP_TABLE, "dist/bootstrap-table.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        (BOOTSTRAP_TABLE, "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    # the templates ask for 1.19.0's filter-control style beside 1.19.1's script: one version serves both
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        (BOOTSTRAP_TABLE, "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        (BOOTSTRAP_TABLE, "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        (DATEPICKER, "dist/css/bootstrap-datepicker.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        (DATEPICKER, "dist/js/bootstrap-datepicker.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (FONT_AWESOME, "css/all.min.css"),
    "https://cdn.jsdelivr.net/npm/vega@5": None,
    "https://cdn.jsdelivr.net/npm/vega-lite@5": None,
    "https://cdn.jsdelivr.net/npm/vega-embed@6": None,
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": None,
}


class VendorError(PipelineError):
    """A pinned package could not be had, or was not the file pinned (the run stops, exit 1, saying which)."""


def cache_dir(root: Path) -> Path:
    return Path(os.environ.get(CACHE_ENV) or root / "build" / "cache") / "vendor"


def local_path(package: Package, member: str) -> str:
    """Where ``member`` of ``package`` is found, from the site's top folder."""
    return f"{VENDOR}/{package.folder}/{member}"


def _digest_matches(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii") == expected


def _download(package: Package) -> bytes:
    url = package.url(os.environ.get("NPM_CONFIG_REGISTRY") or REGISTRY)
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read()
    except OSError as error:
        raise VendorError(f"could not fetch {package.name}@{package.version} from {url} ({error}). "
                          f"Data Docs ship it so that they work offline; on a machine with no registry, "
                          f"copy build/cache/vendor/ from one that has run the pipeline") from error


def tarball(package: Package, cache: Path) -> bytes:
    """The package's tarball from the cache, fetched first if absent; refused unless it is the one pinned."""
    path = cache / package.tarball
    if path.is_file():
        data = path.read_bytes()
        if _digest_matches(data, package.integrity):
            return data
    data = _download(package)  # absent, or not the file pinned (cut short, or replaced): fetched again
    if not _digest_matches(data, package.integrity):
        raise VendorError(f"{package.name}@{package.version}: the tarball fetched does not match the pinned "
                          f"{package.integrity[:20]}...; refusing to ship it")
    write_atomic(path, lambda p: p.write_bytes(data))
    return data


def _wanted(name: str, files: tuple[str, ...]) -> bool:
    return any(name == f or (f.endswith("/") and name.startswith(f)) for f in files)


def unpack(package: Package, data: bytes, dest: Path) -> list[Path]:
    """The package's shipped files written under ``dest/<package folder>/``."""
    written = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/")
            if member.isfile() and _wanted(name, package.files):
                target = dest / package.folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                written.append(target)
    missing = [f for f in package.files if not any(_wanted(str(p.relative_to(dest / package.folder)), (f,))
                                                   for p in written)]
    if missing:
        raise VendorError(f"{package.name}@{package.version} has no {', '.join(missing)}")
    return written


def install(site: Path, root: Path) -> list[Path]:
    """Every pinned package's shipped files into ``site/static/vendor/``; returns the files written."""
    cache = cache_dir(root)
    dest = site / VENDOR
    return [path for package in PACKAGES for path in unpack(package, tarball(package, cache), dest)]
