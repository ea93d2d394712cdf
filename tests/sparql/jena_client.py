"""Apache Jena's command-line SPARQL client (``arq.rsparql``), from Debian's
``libapache-jena-java``, for tests that drive the endpoint the way a researcher
with Jena's tools does.

Debian ships the jars without a launcher, so the class path is put together here:
the Jena package's jars and those of every ``-java`` package it depends on (from
``dpkg``), minus the SLF4J bindings and bridges that conflict with each other
(only ``slf4j-nop`` stays, to keep stderr quiet).

Debian's ``jena-core`` 4.5.0-2 moves Jena's bundled Xerces to the package
``xerces`` but leaves its message bundles (``.properties``) under ``org/apache/jena/ext/xerces``,
so the first XSD datatype fails with "internal error" before any query is sent.
``classpath()`` copies the bundles to where the moved classes look for them, in a
folder put first on the class path. Nothing of the package is changed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

JENA_PACKAGE = "libapache-jena-java"
JENA_CORE = Path("/usr/share/java/jena-core.jar")
_UNWANTED = re.compile(r"slf4j-(log4j12|jdk14|jcl|simple|migrator)|log4j-over|jcl-over|jul-to")
_BUNDLES = "org/apache/jena/ext/xerces/"


def _dpkg(*args: str) -> str:
    return subprocess.run(["dpkg-query", *args], capture_output=True, text=True,
                          check=True).stdout


def _java_packages(root: str) -> set[str]:
    """``root`` and the ``-java`` packages it depends on, directly or not."""
    seen, todo = set(), [root]
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        depends = _dpkg("-W", "-f=${Depends}", package)
        for alternative in filter(None, (d.strip() for d in depends.split(","))):
            name = alternative.split("|")[0].split("(")[0].split(":")[0].strip()
            if name.endswith("-java"):
                todo.append(name)
    return seen


def missing() -> str | None:
    """Why the client cannot run here, or ``None`` when it can."""
    if shutil.which("java") is None:
        return "no java on the PATH"
    if shutil.which("dpkg-query") is None or not JENA_CORE.exists():
        return f"Debian's {JENA_PACKAGE} is not installed"
    return None


def classpath(work: Path) -> str:
    """The class path for ``arq.rsparql``; ``work`` receives the message bundles."""
    jars: set[str] = set()
    for package in _java_packages(JENA_PACKAGE):
        for line in _dpkg("-L", package).splitlines():
            path = Path(line)
            if path.parent == Path("/usr/share/java") and path.suffix == ".jar" \
                    and not _UNWANTED.search(path.name):
                jars.add(line)
    bundles = work / "jena-xerces-messages"
    with zipfile.ZipFile(JENA_CORE) as jar:
        for name in jar.namelist():
            if name.startswith(_BUNDLES) and name.endswith(".properties"):
                target = bundles / "xerces" / name[len(_BUNDLES):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return ":".join([str(bundles), *sorted(jars)])


def java(cp: str) -> list[str]:
    """A JVM for a short command: the quick compiler only (starts in about a second)."""
    return ["java", "-XX:TieredStopAtLevel=1", "-cp", cp]


def rsparql(cp: str, endpoint: str, query: str, results: str,
            post: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``arq.rsparql`` once: ``results`` is its output format (``json``, ``NT``...)."""
    cmd = [*java(cp), "arq.rsparql", "--service", endpoint, f"--results={results}"]
    if post:
        cmd.append("--post")
    return subprocess.run([*cmd, query], capture_output=True, text=True, timeout=120)
