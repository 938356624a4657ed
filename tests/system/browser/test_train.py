"""A real browser starts a training run on the Train page, watches it, stops it, keeps the model."""

import re

from playwright.sync_api import expect

from tests.system.browser.browser_helpers import screenshot, wait_for_render


def test_start_watch_and_stop_a_run(page, app_url):
    page.goto(f"{app_url}/train")
    wait_for_render(page)
    expect(page.get_by_text(re.compile(r"Device: .*(CPU|GPU)"))).to_be_visible()
    page.get_by_role("button", name="Start training").click()

    # Progress arrives through the polling fragment, without any click.
    expect(page.get_by_text(re.compile(r"my-shakespeare-char · Training · step \d+"))).to_be_visible(timeout=300_000)
    expect(page.get_by_text(re.compile(r"Sample written by the model at step \d+"))).to_be_visible(timeout=180_000)
    tokens = page.locator('[data-testid="stMetric"]').filter(has_text="Tokens per second")
    assert float(tokens.locator('[data-testid="stMetricValue"]').inner_text().replace(",", "")) > 0
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    screenshot(page, "train-running")

    # A reload is a new session: the run's id in the URL brings the running job back into view.
    assert re.search(r"[?&]run=[0-9a-f]{32}", page.url), page.url
    page.reload()
    wait_for_render(page)
    expect(page.get_by_text(re.compile(r"my-shakespeare-char · Training · step \d+"))).to_be_visible(timeout=60_000)

    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("was stopped; the weights so far were saved")).to_be_visible(timeout=120_000)
    wait_for_render(page)
    expect(page.get_by_text(re.compile(r"my-shakespeare-char · charlm · \d+ steps"))).to_be_visible()
    expect(page.get_by_role("button", name="Download zip")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "train-stopped")


def test_an_uploaded_model_is_its_browsers_until_shared(browser, app_url, tmp_path):
    """Browser A uploads a model: a reload keeps it as A's; browser B's pages neither list nor open it (a deep
    link to it falls back with a sentence); A shares it, and B's link opens it."""
    import io
    import json
    import zipfile

    from safetensors.torch import save

    from tests.factory import char_card, model_for, weights
    from tests.system.browser.browser_helpers import main_text, tab

    card = char_card(name="browser-a-model")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("model.safetensors", save(weights(model_for(card))))
        z.writestr("card.json", json.dumps(card))
    (tmp_path / "a.zip").write_bytes(archive.getvalue())
    with tab(browser) as a, tab(browser) as b:
        a.goto(f"{app_url}/train")
        wait_for_render(a, 240_000)
        a.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(tmp_path / "a.zip"))
        wait_for_render(a)
        a.get_by_role("button", name="Add to my models").click()
        wait_for_render(a)
        assert "Added browser-a-model" in main_text(a)
        a.reload()
        wait_for_render(a, 240_000)
        assert "browser-a-model · charlm" in main_text(a)  # a reload is the same browser: still A's

        b.goto(f"{app_url}/train")
        wait_for_render(b, 240_000)
        assert "browser-a-model" not in main_text(b)
        b.goto(f"{app_url}/step_through?model=browser-a-model")
        wait_for_render(b, 240_000)
        assert "There is no model called 'browser-a-model'" in main_text(b)

        a.get_by_role("button", name="Share", exact=True).click()
        wait_for_render(a)
        b.goto(f"{app_url}/step_through?model=browser-a-model")
        wait_for_render(b, 240_000)
        assert "There is no model called" not in main_text(b) and "model=browser-a-model" in b.url
