"""/docs and /redoc in a real browser (Debian's Chromium, headless): they render, and "Try it out" translates."""

import shutil

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    assert executable, "chromium is missing; `python3 quickstart.py test` installs Debian's package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def try_it_out(operations) -> tuple[str, str]:
    """Open the first of these operations, "Try it out", execute: the status and the body shown."""
    operation = operations.first
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for(timeout=30_000)
    body = operation.locator(".live-responses-table tbody .response-col_description").first.inner_text()
    return status.inner_text().strip(), body


def test_swagger_ui_renders_the_operations_and_an_authorized_try_it_out_translates(server, browser):
    page = browser.new_page()
    requests_out = []
    page.on("request", lambda r: requests_out.append(r.url))
    page.goto(f"http://127.0.0.1:{server.port}/docs")
    page.get_by_text("Translate a text or a list of texts").first.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() >= 10
    page.click("button.authorize")
    page.locator(".modal-ux input[type=text], .modal-ux input[type=password]").first.fill(server.token)
    page.locator(".modal-ux button.authorize").first.click()
    page.locator(".modal-ux button.btn-done, .modal-ux .close-modal").first.click()
    status, body = try_it_out(page.locator("#operations-default-post_translate, .opblock-post:has-text('/translate')"))
    assert status.startswith("200") and "translation" in body
    # Everything came from nllb itself: the page works with no internet.
    assert all(url.startswith(f"http://127.0.0.1:{server.port}/") for url in requests_out)


def test_redoc_renders_the_document(server, browser):
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{server.port}/redoc")
    page.get_by_text("Translate a text or a list of texts").first.wait_for(timeout=30_000)
    assert page.get_by_text("Create a token (shown once)").count() >= 1


def test_swagger_ui_shows_each_compatible_protocol_and_tries_one_out(server, browser):
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{server.port}/docs")
    for group in ("DeepL API v2", "LibreTranslate", "Google Cloud Translation v2"):
        page.locator(f".opblock-tag:has-text('{group}')").first.wait_for(timeout=30_000)
    status, body = try_it_out(page.locator("#operations-LibreTranslate-get_libretranslate_languages"))
    assert status.startswith("200") and "targets" in body
