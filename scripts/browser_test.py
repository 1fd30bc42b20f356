"""Browser test of the node's pages: Debian's chromium driven by Playwright, against a real `concord demo`.

Usage: python3 scripts/browser_test.py path/to/concord [--screenshots DIR]

Starts a demo region of three nodes on loopback (no simulator), signs in as the demo's analyst, files two
reports through the report form (the second in another jurisdiction, sharing a phone number with the first),
checks the number on the check page, watches the dashboard's campaign count and the campaigns page change,
opens the new campaign's page, reads the risk register and a plan, sends a form without its CSRF token (refused), signs in as the checker (analyst
pages refused), and checks that every page has a title and one heading and fits a 360 px wide screen.
With --screenshots, saves a PNG of each main page there.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

from playwright.sync_api import sync_playwright

CHROMIUM = next(
    (p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)),
    None,
)


# WCAG 2 contrast of every element's own text against the first opaque background behind it: at least 4.5:1,
# or 3:1 for large text (24 px, or 18.66 px bold).
CONTRAST_CHECK = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = e => { for (; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.9) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const low = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('svg') || e.offsetParent === null) continue;
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const s = getComputedStyle(e), fg = parse(s.color), bg = background(e);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a), ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(s.fontSize), large = size >= 24 || (size >= 18.66 && parseInt(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(`${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def start_demo(binary, directory):
    """Starts the demo and returns (process, urls, password) once it has printed its table."""
    process = subprocess.Popen(
        [binary, "demo", "--nodes", "3", "--port", "0", "--rate", "0", "--data-dir", directory],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    urls, password, deadline = [], None, time.time() + 120
    while time.time() < deadline and password is None:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise SystemExit(f"the demo exited with {process.returncode} before it was ready")
            continue
        urls += re.findall(r"http://127\.0\.0\.1:\d+", line)
        found = re.search(r"password (\S+)", line)
        if found:
            password = found.group(1)
    if not urls or password is None:
        raise SystemExit("the demo did not print its addresses and password")
    return process, urls, password


class Run:
    def __init__(self, screenshots):
        self.failures = []
        self.screenshots = screenshots

    def expect(self, what, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))
        if not ok:
            self.failures.append(what)

    def page_basics(self, page, name):
        title = page.title()
        headings = page.locator("h1").count()
        self.expect(f"{name} has a title and one h1", bool(title) and headings == 1, f"title {title!r}, {headings} h1")
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.id && document.querySelector(`label[for="${e.id}"]`)) && !e.closest('label'))
                 .map(e => e.name)"""
        )
        self.expect(f"{name}: every input has a label", not unlabelled, f"unlabelled: {unlabelled}")
        low = page.evaluate(CONTRAST_CHECK)
        self.expect(f"{name}: text contrast meets WCAG AA", not low, "; ".join(low[:5]))

    def shot(self, page, name):
        if self.screenshots:
            page.screenshot(path=os.path.join(self.screenshots, f"{name}.png"), full_page=name != "risks")


def sign_in(page, base, user, password):
    page.goto(base + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def file_report(page, base, jurisdiction, phone, narrative):
    page.goto(base + "/report")
    page.select_option("#typology", "investment")
    page.fill("#jurisdiction", jurisdiction)
    page.fill("#loss_amount", "2500")
    page.fill("#loss_currency", "USD")
    page.select_option("#kind0", "phone")
    page.fill("#value0", phone)
    page.fill("#narrative", narrative)
    page.select_option("#tlp", "green")
    page.click("button[value=preview]")


def campaign_count(page, base):
    page.goto(base + "/")
    text = page.locator(".tile").nth(2).inner_text()
    return int(re.match(r"\s*(\d+)", text).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--screenshots")
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("no chromium: apt-get install chromium")
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    run = Run(args.screenshots)
    directory = tempfile.mkdtemp(prefix="concord-browser-")
    process, urls, password = start_demo(os.path.abspath(args.binary), directory)
    base = urls[0]
    phone = "+6681" + str(random.randint(1000000, 9999999))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()

            page.goto(base + "/campaigns")
            run.expect("a page without a session sends the browser to sign in", page.url.endswith("/login"), page.url)
            run.page_basics(page, "sign-in page")
            run.shot(page, "login")
            sign_in(page, base, "analyst", "wrong password, surely")
            run.expect("a wrong password is refused", "wrong" in page.locator("p.error").inner_text())
            sign_in(page, base, "analyst", password)
            run.expect("the analyst signs in to the dashboard", page.locator("h1").inner_text() == "Dashboard")
            before = campaign_count(page, base)
            run.page_basics(page, "dashboard")
            page.keyboard.press("Tab")
            first = page.evaluate("document.activeElement.textContent")
            page.keyboard.press("Enter")
            run.expect("the keyboard's first stop skips to the content", first == "Skip to content" and page.url.endswith("#main"), first)

            file_report(page, base, "TH", phone[3:].rjust(10, "0"), "Investment group on a messaging app.")
            shown = page.locator(".hint code").first.inner_text() if page.locator(".hint code").count() else ""
            run.expect("the report form shows the number as it will be read", shown == phone, shown)
            run.page_basics(page, "report form")
            run.shot(page, "report")
            page.click("button[value=save]")
            run.expect("the report is saved", "Report saved as" in page.content())
            page.click("p.ok a")
            run.expect("the saved report's page names its number", phone in page.content() and "TLP:GREEN" in page.content())
            run.page_basics(page, "record page")
            run.shot(page, "record")
            file_report(page, base, "MY", phone, "Same group, victim in Malaysia.")
            page.click("button[value=save]")
            run.expect("a second report, from Malaysia, is saved", "Report saved as" in page.content())

            page.goto(base + "/check")
            page.fill("#identifiers", f"{phone}\nnobody-{random.randint(1, 10**6)}@example.org")
            page.click("main button[type=submit]")
            verdicts = page.locator("tbody td.flagged, tbody td.clear").all_inner_texts()
            run.expect("the check page says the reported number is reported, the other not", verdicts == ["Reported", "Not reported"], str(verdicts))
            run.page_basics(page, "check page")
            run.shot(page, "check")

            after, deadline = before, time.time() + 15
            while after <= before and time.time() < deadline:
                time.sleep(0.5)
                after = campaign_count(page, base)
            run.expect("the dashboard counts one more campaign", after == before + 1, f"{before} -> {after}")
            run.shot(page, "dashboard")

            page.goto(base + "/campaigns?cross_border=1&jurisdiction=MY")
            run.page_basics(page, "campaigns page")
            run.shot(page, "campaigns")
            found = None
            for link in page.locator("tbody a").all():
                href = link.get_attribute("href")
                detail = context.new_page()
                detail.goto(base + href)
                if phone in detail.content():
                    found = detail
                    break
                detail.close()
            run.expect("the new cross-border campaign has a page naming the number", found is not None)
            if found:
                run.page_basics(found, "campaign page")
                run.expect("the campaign page draws its link graph", found.locator("figure svg").count() >= 2)
                run.shot(found, "campaign")

            page.goto(base + "/risks")
            run.page_basics(page, "risk register")
            curves = page.locator("figure svg polyline").count()
            run.expect("the risk register draws a loss exceedance curve for each risk", curves >= 1, f"{curves} curves")
            run.shot(page, "risks")
            page.goto(base + "/plan")
            page.fill("#budget", "2000000")
            page.click("main button[type=submit]")
            picks = page.locator("tbody tr").count()
            run.expect("a plan for 2,000,000 chooses interventions and says why", picks >= 1 and "With more" in page.content(), f"{picks} picks")
            run.page_basics(page, "plan")
            run.shot(page, "plan")

            page.goto(base + "/network")
            run.page_basics(page, "peers and communities")
            run.expect("the peers page lists this node's two peers", page.locator("section").first.locator("tbody tr").count() == 2)
            run.shot(page, "network")

            # The public page, with no session: check, report with hostile text, languages.
            public = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
            public.goto(base + "/public")
            run.expect("the public page follows the browser's language", public.locator("html").get_attribute("lang") == "fr")
            public.goto(base + "/public?lang=en")
            run.page_basics(public, "public page")
            public.fill("#value", phone)
            public.click("form[action='/public/check'] button")
            answer = public.locator("div[role=status]").inner_text()
            run.expect("the public check says the reported number was reported, and when", "has been reported" in answer and "past week" in answer, answer)
            run.expect("the public check names no one", all(x not in answer for x in ["TH", "MY", "investment", "report 1", "2 reports"]), answer)
            hostile = "<script>window.pwned=1</script><img src=x onerror='window.pwned=2'>"
            public.select_option("#typology", "job")
            public.fill("#identifiers", "+66 81 555 0199")
            public.fill("#story", hostile)
            public.click("form[action='/public/report'] button")
            run.expect("a citizen's report is received with a reference", public.locator("section[role=status] code").count() == 1)
            run.shot(public, "public")
            public.goto(base + "/public?lang=th")
            run.expect("the public page speaks Thai", public.locator("html").get_attribute("lang") == "th")
            run.page_basics(public, "public page in Thai")

            page.goto(base + "/triage")
            run.page_basics(page, "triage page")
            run.expect("the triage queue shows hostile text as text", hostile in page.locator("main").inner_text())
            run.expect("no script from the report ran", page.evaluate("window.pwned === undefined"))
            run.shot(page, "triage")
            page.locator("tbody tr").filter(has_text="pwned").first.locator("button", has_text="Accept").click()
            run.expect("the analyst accepts the citizen's report", "Report accepted as record" in page.content())

            page.goto(base + "/network")
            peer = page.locator("section").first.locator("tbody tr code").first.inner_text()
            page.goto(base + "/requests")
            page.select_option("#r-action", "freeze_account")
            page.fill("#r-to", peer)
            page.fill("#r-ids", "GB82 WEST 1234 5698 7654 32")
            page.select_option("#r-basis", "bilateral_agreement")
            page.select_option("#r-urgency", "immediate")
            page.click("form[action='/requests'] button[type=submit]")
            run.expect("an action request is sent from the pages", "sent." in page.locator("p.ok").inner_text())
            run.expect("the outbound queue lists it", page.locator("section").nth(1).locator("tbody tr").count() >= 1)
            run.page_basics(page, "requests page")
            run.shot(page, "requests")
            for path, name in [
                ("/cooperation", "cooperation page"), ("/directory", "directory page"), ("/learning", "learning page"),
                ("/learning/library", "practice library page"), ("/learning/exchanges", "exchanges page"),
                ("/learning/pairings", "pairings page"),
            ]:
                page.goto(base + path)
                run.page_basics(page, name)

            # A joint exercise started from its page, every role played by this node, at 60x.
            page.goto(base + "/exercises")
            run.page_basics(page, "exercises page")
            start = page.locator("form[action='/exercises']").first
            for select in start.locator("select").all():
                select.select_option(index=1)
            start.locator("input[name=speed]").fill("60")
            start.locator("button[type=submit]").click()
            run.expect("starting an exercise opens its page", "/exercises/" in page.url, page.url)
            run.expect("the first inject is delivered", "delivered" in page.locator("main").inner_text())
            run.page_basics(page, "exercise page")
            run.shot(page, "exercise")
            exercise_path = page.url[len(base):]

            refused = context.request.post(base + "/report", form={"typology": "job", "kind": "phone", "value": phone, "action": "save"})
            run.expect("a form posted without its CSRF token is refused", refused.status == 403, str(refused.status))

            page.set_viewport_size({"width": 360, "height": 800})
            for path in [
                "/", "/campaigns", "/report", "/check", "/risks", "/plan?budget=2000000", "/records", "/network", "/requests",
                "/cooperation", "/directory", "/triage", "/public", "/learning", "/learning/library", "/learning/exchanges",
                "/learning/pairings", "/exercises", exercise_path,
            ]:
                page.goto(base + path)
                width = page.evaluate("document.documentElement.scrollWidth")
                run.expect(f"{path} fits a 360 px screen", width <= 360, f"{width} px wide")

            checker = browser.new_context().new_page()
            sign_in(checker, base, "checker", password)
            run.expect("the checker lands on the check page", checker.url.endswith("/check"), checker.url)
            for path in ["/campaigns", "/report", "/risks", "/plan", "/records"]:
                response = checker.goto(base + path)
                run.expect(f"the checker cannot open {path}", response.status == 403, str(response.status))
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)
    print(f"browser test: {len(run.failures)} failures")
    sys.exit(1 if run.failures else 0)


if __name__ == "__main__":
    main()
