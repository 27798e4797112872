"""`crm dashboard sales` on the sample workspace: the files it writes, their PNG images, and
the HTML page opened in a real headless Chromium (Debian's chromium + chromedriver)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from .conftest import REPO, SAMPLE, crm

ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOW = {"CRM_NOW": "2026-11-23T12:00:00+01:00"}


@dataclass
class Rendered:
    folder: Path
    stdout: str
    html: str


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    folder = tmp_path_factory.mktemp("report")
    result = crm("-C", SAMPLE, "dashboard", "sales", "--out", folder, env=NOW)
    assert result.returncode == 0, result.stderr
    return Rendered(folder, result.stdout, (folder / "sales.html").read_text(encoding="utf-8"))


def test_writes_one_html_file_a_png_per_chart_and_one_of_the_whole_dashboard(rendered):
    names = sorted(path.name for path in rendered.folder.iterdir())
    charts = [name for name in names if re.fullmatch(r"sales-\d\d-[a-z0-9-]+\.png", name)]
    assert "sales.html" in names and "sales.png" in names
    assert len(charts) == 9  # the bars, pies and the board; cards and tables are text
    assert "sales-12-won-by-service.png" in charts
    assert set(names) == {"sales.html", "sales.png", *charts}
    assert str(rendered.folder / "sales.html") in rendered.stdout


def test_the_html_is_self_contained(rendered):
    html = rendered.html
    assert "<script" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # the browser is told: nothing from the network
    images = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert len(images) == 8 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "<style>" in html


def test_every_chart_has_its_numbers_as_an_accessible_table(rendered):
    html = rendered.html
    figures = re.findall(r'<img class="chart"[^>]*aria-describedby="([^"]+)"', html)
    assert len(figures) == 8
    for table_id in figures:
        table = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', html, re.S)
        assert table, table_id
        assert "<caption>" in table[1] and '<th scope="col">' in table[1]
        assert '<th scope="row">' in table[1]


def test_numbers_money_and_months_in_the_workspace_locale(rendered):
    html = rendered.html
    assert "162\u202f900,00\xa0€" in html  # the open pipeline, fr_FR
    assert "nov. 2026" in html and "déc. 2025" in html and "févr. 2026" in html
    assert '<html lang="fr">' in html


def png_is_a_real_picture(path: Path, min_width: int, min_height: int) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.load()
        assert image.width >= min_width and image.height >= min_height
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 16) or []
        assert len(colours) > 20, f"{path.name} has almost no colours"
        white = sum(count for count, colour in colours if min(colour) > 245)
        assert white / (rgb.width * rgb.height) < 0.97, f"{path.name} is blank"
        assert max(ImageStat.Stat(rgb).stddev) > 10


def test_chart_pngs_have_a_size_and_content(rendered):
    charts = sorted(rendered.folder.glob("sales-*.png"))
    assert charts
    for path in charts:
        assert 10_000 < path.stat().st_size < 500_000
        png_is_a_real_picture(path, 700, 400)


def test_the_whole_dashboard_png_is_tall_and_drawn(rendered):
    path = rendered.folder / "sales.png"
    png_is_a_real_picture(path, 1500, 2000)


# the browser


def _driver(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture
def browser(tmp_path):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver must be installed (.ci/run does it)")
        pytest.skip("no /usr/bin/chromium here: apt-get install chromium chromium-driver")
    driver = _driver(tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.quit()


def test_the_page_in_headless_chromium(rendered, browser):
    from selenium.webdriver.common.by import By

    browser.get((rendered.folder / "sales.html").as_uri())
    assert browser.title == "Sales"
    cards = browser.find_elements(By.CSS_SELECTOR, "article.card")
    assert len(cards) == 19
    images = browser.find_elements(By.CSS_SELECTOR, "img.chart")
    assert len(images) == 8
    for element in [*cards, *images]:
        browser.execute_script("arguments[0].scrollIntoView()", element)
        assert element.is_displayed()
        size = element.size
        assert size["width"] > 100 and size["height"] > 50
    for image in images:
        loaded = browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", image
        )
        assert loaded == 800
    values = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".stat .value")]
    assert values[0] == "162\u202f900,00 €" and len(values) == 7  # Selenium shows NBSP as space
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(height, 8000))
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard-sales.png"))
    png_is_a_real_picture(ARTIFACTS / "dashboard-sales.png", 1000, 1000)
