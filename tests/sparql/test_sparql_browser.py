"""The query page in a real headless browser (Debian's chromium + chromedriver,
driven by selenium): click an example, run it, see the results table, get a
download link. Skips when chromium or chromedriver is not installed."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Live
from helpers import DATA_DIR
from sparql_compare import direct_rows

from graph.queries import load_catalogue

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="needs chromium and chromium-driver (apt-get install -y "
                              "chromium chromium-driver)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hkkg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    # Explicit driver path: Selenium Manager must not try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: Any, condition: Any, seconds: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, seconds).until(condition)


def test_query_page_runs_an_example(browser: Any, live: Live) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    examples = load_catalogue()
    assert examples, "no example queries to click"
    browser.get(live.endpoint)
    assert "SPARQL" in browser.title
    # The editor is CodeMirror with SPARQL highlighting, loaded from this server.
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror")))
    assert "PREFIX hksc:" in browser.execute_script(
        "return document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")

    example = examples[0]
    browser.find_element(By.CSS_SELECTOR, f'button.example[data-slug="{example.slug}"]').click()
    table = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "table.results")))
    headers = [th.text for th in table.find_elements(By.TAG_NAME, "th")]
    expected = direct_rows(live.store, example.query)
    if expected:
        assert headers == [v for v, _ in expected[0]]
    assert len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == len(expected)
    link = _wait(browser, ec.visibility_of_element_located((By.ID, "download")))
    assert link.get_attribute("href").startswith("blob:")
    assert link.get_attribute("download") == "results.srj"

    # A typed query, run with the button: rows match the store.
    query = "SELECT ?s ?type WHERE { ?s a ?type } ORDER BY ?s ?type LIMIT 25"
    browser.execute_script(
        "document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", query)
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda d: "25 rows" in d.find_element(By.ID, "status").text
          or "rows" in d.find_element(By.ID, "status").text)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")
    assert len(rows) == len(direct_rows(live.store, query))
    shot = os.environ.get("HKKG_SCREENSHOT")
    if shot:
        browser.save_screenshot(shot)
    if live.settings.data_dir == DATA_DIR:
        # On the real graph, the graph's own IRIs open their resource page on this server.
        browser.execute_script(
            "document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])",
            "SELECT ?platform WHERE { ?platform a <https://w3id.org/hk-smartcity/def/Platform> } "
            "ORDER BY ?platform LIMIT 3")
        browser.find_element(By.ID, "run").click()
        _wait(browser, lambda d: "3 rows" in d.find_element(By.ID, "status").text)
        local = [a for a in browser.find_elements(By.CSS_SELECTOR, "table.results a")
                 if a.get_attribute("href").startswith(live.url + "/id/platform/")]
        assert len(local) == 3
        title = local[0].get_attribute("title")
        local[0].click()
        _wait(browser, ec.presence_of_element_located((By.TAG_NAME, "h1")))
        assert browser.current_url == live.url + "/" + title.removeprefix(live.settings.base_iri)
        assert title in browser.find_element(By.CSS_SELECTOR, "p.iri").text
        browser.back()
        _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror")))

    # Only web IRIs become links: a result IRI with another scheme (javascript:) stays text.
    browser.execute_script(
        "document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])",
        'SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <https://example.org/a> } }')
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda d: "2 rows" in d.find_element(By.ID, "status").text)
    cells = browser.find_elements(By.CSS_SELECTOR, "table.results tbody td")
    links = {c.text: [a.get_attribute("href") for a in c.find_elements(By.TAG_NAME, "a")]
             for c in cells}
    assert links == {"javascript:alert(1)": [], "https://example.org/a": ["https://example.org/a"]}

    # A malformed query shows the parser's message instead of a table.
    browser.execute_script(
        "document.querySelector('.CodeMirror').CodeMirror.setValue('SELECT * WHERE {')")
    browser.find_element(By.ID, "run").click()
    error = _wait(browser, ec.visibility_of_element_located((By.ID, "error")))
    assert "400" in error.text and "error at" in error.text
