"""The member site's main menu, as a member taps it (a button opens it on a phone)."""


def open_menu(page):
    page.wait_for_load_state("domcontentloaded")  # the menu's script (deferred) shows the button
    button = page.get_by_role("button", name="メニュー")
    if button.is_visible():
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
    return page.get_by_role("navigation", name="メインメニュー")


def go(page, name):
    """Tap ``name`` in the menu and wait for the page."""
    open_menu(page).get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()
