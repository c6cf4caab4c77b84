"""The main journeys of the web desk, in Debian's Chromium against a real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pytest
from web.seed import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_msp_admin_files_a_ticket_with_live_questions_and_secret_warning(
    server: dict[str, Any], context: Any, shot: Callable[..., Any]
) -> None:
    from playwright.sync_api import expect

    base, desk = server["url"], server["desk"]
    page = context.new_page()
    sign_in(page, base, desk.emails["msp_admin"], PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("My tickets")
    page.get_by_role("link", name="Create a support ticket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a support ticket")

    page.get_by_label("Issue category").select_option("billing")
    page.get_by_label("Subject").fill("Credits consumed too fast")
    page.get_by_label("Brief description").fill(
        "Credits were consumed much faster than normal and nobody knows which workflows "
        "used them. The admin password: Summer2026! in case you need to log in."
    )
    panel = page.locator("#triage")
    expect(page.locator("#secret-warning")).to_be_visible()
    expect(panel.locator("[data-detected-category]")).to_contain_text("Credits / Usage")
    expect(panel).to_contain_text("differs from your choice")
    expect(panel.locator("[data-missing]")).to_contain_text("Which workspace or tenant")
    expect(panel.locator("[data-missing]")).to_contain_text("Roughly when did it happen")
    shot(page, "portal-new-ticket-live-triage")

    # The requester follows the advice: removes the password, names tenant and time.
    page.get_by_label("Brief description").fill(
        "Credits at Contoso were consumed much faster than normal since yesterday morning; "
        "nobody knows which workflows used them."
    )
    page.get_by_label("Impacted organization").select_option(label="Contoso")
    expect(page.locator("#secret-warning")).to_be_hidden()
    expect(panel).to_contain_text("Everything we need to start is there.")
    page.get_by_label("Severity 3").check()
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_role("status")).to_contain_text("was created")
    expect(page.locator("#ticket-status")).to_have_text("Open")
    expect(page.locator("#first-response")).to_contain_text(re.compile(r"due .*(CET|CEST)"))


def test_tenant_admin_ticket_waits_for_msp_who_confirms_and_sla_starts(
    server: dict[str, Any], browser: Any, shot: Callable[..., Any]
) -> None:
    from playwright.sync_api import expect

    base, desk = server["url"], server["desk"]
    tenant_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = tenant_ctx.new_page()
    sign_in(page, base, desk.emails["tenant_admin"], PASSWORD)
    page.goto(f"{base}/portal/new")
    expect(page.locator(".path-notice")).to_contain_text("MSP")
    page.get_by_label("Subject").fill("Slack integration stopped")
    page.get_by_label("Brief description").fill(
        "The Slack integration stopped posting messages yesterday; the webhook returns 401 "
        "for every user at Contoso."
    )
    expect(page.locator("#triage")).to_contain_text("Waits for MSP confirmation")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.locator("#ticket-status")).to_have_text("Awaiting MSP confirmation")
    expect(page.locator("#first-response")).to_contain_text("starts when your provider confirms")
    ticket_id = urlparse(page.url).path.rsplit("/", 1)[1]
    tenant_ctx.close()

    msp_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = msp_ctx.new_page()
    sign_in(page, base, desk.emails["msp_admin"], PASSWORD)
    page.get_by_role("link", name="To confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting your confirmation")
    expect(page.get_by_role("link", name=re.compile(f"#{ticket_id} "))).to_be_visible()
    shot(page, "portal-awaiting-confirmation")
    page.get_by_role("button", name=f"Confirm #{ticket_id} and start support").click()
    expect(page.get_by_role("status")).to_contain_text(f"Ticket #{ticket_id} confirmed")
    expect(page.get_by_role("status")).to_contain_text("First response due")
    page.goto(f"{base}/portal/tickets/{ticket_id}")
    expect(page.locator("#ticket-status")).not_to_have_text("Awaiting MSP confirmation")
    expect(page.locator("#first-response")).to_contain_text("due")
    msp_ctx.close()


def test_agent_works_the_queue_splits_a_mixed_request_and_replies(
    server: dict[str, Any], context: Any, shot: Callable[..., Any]
) -> None:
    from playwright.sync_api import expect

    base, desk = server["url"], server["desk"]
    page = context.new_page()
    sign_in(page, base, desk.emails["admin_agent"], PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Queues")
    expect(page.locator("#queue-summary")).to_contain_text("Support")
    rows = page.locator("table.queue tbody tr")
    expect(rows.first).to_be_visible()
    shot(page, "console-queue")

    mixed = desk.ids["mixed"]
    page.get_by_role("link", name=re.compile(f"#{mixed} ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{mixed}")
    expect(page.get_by_text("Triage decision")).to_be_visible()
    page.keyboard.press("s")
    split = page.locator("#split")
    split.get_by_label("What this request asks").nth(0).fill(
        "SAML SSO login fails for every user at Contoso since this morning with error "
        "'invalid assertion'."
    )
    split.get_by_label("Category").nth(0).select_option("access")
    split.get_by_label("Severity").nth(0).select_option("2")
    split.get_by_label("What this request asks").nth(1).fill(
        "We would like a quote to upgrade our plan with 20 more seats for Fabrikam."
    )
    split.get_by_label("Category").nth(1).select_option("billing")
    split.get_by_label("Severity").nth(1).select_option("3")
    split.get_by_role("button", name="Split").click()
    expect(page.get_by_role("status")).to_contain_text("Split into")
    children = page.locator("ul.children li")
    expect(children).to_have_count(2)

    children.first.get_by_role("link").click()
    expect(page.get_by_text("Linked requests")).to_have_count(0)
    page.keyboard.press("r")
    expect(page.get_by_label("Public reply")).to_be_focused()
    page.keyboard.type("Thanks — we are looking at the SAML assertion for Contoso now.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")
    expect(page.locator(".conversation")).to_contain_text("SAML assertion for Contoso")
    shot(page, "console-ticket-after-split-and-reply")

    page.goto(f"{base}/console/dashboard")
    expect(page.locator("svg.chart")).to_have_count(5)
    shot(page, "console-dashboard")


def test_requester_answers_a_needs_info_question(
    server: dict[str, Any], context: Any, shot: Callable[..., Any]
) -> None:
    from playwright.sync_api import expect

    base, desk = server["url"], server["desk"]
    page = context.new_page()
    sign_in(page, base, desk.emails["msp_admin"], PASSWORD)
    page.goto(f"{base}/portal/tickets/{desk.ids['needs_info']}")
    expect(page.locator("#ticket-status")).to_have_text("Needs information")
    needs = page.locator(".needs-info")
    expect(needs.get_by_role("heading")).to_have_text("We need a few details")
    needs.get_by_label("Which workspace or tenant is this about?").fill("Contoso")
    needs.get_by_label("Roughly when did it happen (date and time)?").fill(
        "Since yesterday morning, around 08:00"
    )
    shot(page, "portal-needs-info")
    needs.get_by_role("button", name="Send the details").click()
    expect(page.get_by_role("status")).to_contain_text("Your reply was sent")
    expect(page.locator("#ticket-status")).to_have_text("Open")
    expect(page.locator(".conversation")).to_contain_text("Since yesterday morning")


def test_narrow_screen_and_keyboard_only(
    server: dict[str, Any], browser: Any, shot: Callable[..., Any]
) -> None:
    """A phone-sized screen has no sideways scrolling, and sign-in works from the keyboard in
    a sensible focus order (skip link, email, password, button)."""
    from playwright.sync_api import expect

    base, desk = server["url"], server["desk"]
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = ctx.new_page()
    page.goto(f"{base}/signin")
    expect(page.get_by_label("Work email")).to_be_focused()  # autofocus
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="supportdesk")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Work email")).to_be_focused()
    page.keyboard.type(desk.emails["msp_admin"])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My tickets")
    for path, name in (
        ("/portal/new", "narrow-portal-new-ticket"),
        (f"/portal/tickets/{desk.ids['needs_info']}", "narrow-portal-ticket"),
    ):
        page.goto(base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        shot(page, name)
    ctx.close()
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    sign_in(page, base, desk.emails["admin_agent"], PASSWORD)
    expect(page.locator("table.queue")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"queue scrolls sideways by {overflow}px"
    page.keyboard.press("j")
    expect(page.locator("table.queue tbody tr.selected")).to_have_count(1)
    shot(page, "narrow-console-queue")
    ctx.close()
