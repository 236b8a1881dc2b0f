"""The page in a real browser: Debian's chromium, headless, driven by selenium through Debian's
chromedriver. Loads the page, generates takes and checks that the audio elements load WAVs of the
takes' length. Skips where chromium, chromedriver or selenium are absent."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SAMPLERNN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SAMPLERNN_CHROMEDRIVER", "/usr/bin/chromedriver")
# Flags that let chromium run headless as root in a container, with no network chatter of its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
SCREENSHOT = os.environ.get("SAMPLERNN_SERVE_SCREENSHOT")  # write a screenshot of the page there

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian: apt-get install chromium chromium-driver)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_url(ckpt, limits) -> Iterator[str]:
    yield from _served(ckpt, limits)


@pytest.fixture
def drum_server_url(drum_ckpt, limits) -> Iterator[str]:
    yield from _served(drum_ckpt, limits, "kit")


def _served(ckpt, limits, label: str = "tiny") -> Iterator[str]:
    """The application (its model named `label`) served by uvicorn on a free localhost port, in a thread."""
    from samplernn.serve.app import create_app
    from samplernn.serve.server import make_server

    port = free_port()
    server = make_server(create_app(ckpt, limits, label=label), "127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="samplernn-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(condition, timeout: float = 60.0, what: str = "the page") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


# Resolves with each take's audio duration (s) once its metadata has loaded, or an error string.
AUDIO_DURATIONS = """
const done = arguments[arguments.length - 1];
const audios = [...document.querySelectorAll('.take audio')];
Promise.all(audios.map((a) => new Promise((resolve) => {
  if (a.readyState >= 1) return resolve(a.duration);
  a.addEventListener('loadedmetadata', () => resolve(a.duration), { once: true });
  a.addEventListener('error', () => resolve('error ' + (a.error && a.error.code)), { once: true });
}))).then(done);
"""


def test_page_generates_takes_whose_audio_loads_at_the_right_length(server_url, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    info = browser.find_element(By.ID, "model-info").text
    assert "C3–E3" in info
    # the bank holds C3, D3 and E3: C#3 and D#3 are marked, and the mark said (it was not)
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#note option")]
    assert options == ["C3 (48)", "C#3 (49) ·", "D3 (50)", "D#3 (51) ·", "E3 (52)"]
    assert "Notes marked · are not in the bank: the model has heard only the pitches around them." in info
    browser.execute_script(
        "document.getElementById('note').value = '50';"
        "document.getElementById('duration').value = '0.2';"
        "document.getElementById('takes').value = '2';"
        "document.getElementById('seed').value = '3';"
    )
    browser.find_element(By.ID, "generate").click()
    cards = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".take"), what="the takes")
    assert len(cards) == 2
    assert not browser.find_element(By.ID, "takes-error").is_displayed()
    durations = browser.execute_async_script(AUDIO_DURATIONS)
    assert durations == [pytest.approx(0.575, abs=0.002)] * 2  # 0.25 + 0.2 + 0.025 + 0.1 s
    ranks = [c.find_element(By.CSS_SELECTOR, ".rank").text for c in cards]
    assert ranks == ["#1", "#2"]
    cards[0].find_element(By.CSS_SELECTOR, ".actions button").click()
    pack = browser.find_element(By.ID, "pack")
    assert "/api/pack?take=" in pack.get_attribute("href") and "1 take" in pack.text
    packed = "downloadPack(new Event('click')).then(() => arguments[0]($('pack-error').hidden));"
    assert browser.execute_async_script(packed) is True  # the zip came, no error line
    browser.execute_script("kept.set('gone:1', {name: 'gone.wav', url: '#'}); drawKept();")  # an expired take
    pack.click()
    error = browser.find_element(By.ID, "pack-error")
    wait_until(error.is_displayed, what="the pack's error line")
    # named as the kept list names it (was "no take 'gone:1' (unknown, …)": a job id the page never shows)
    assert error.text == ("gone.wav: no longer on the server (generated files are kept an hour); "
                          "drop it (✕) to download the rest")
    wait_until(lambda: browser.execute_script(
        "return [...document.querySelectorAll('.take img')].every((i) => i.complete && i.naturalWidth > 0)"
    ), what="the spectrograms")  # fmt: skip
    if SCREENSHOT:
        browser.save_screenshot(SCREENSHOT)


def test_page_shows_a_bad_midi_file_in_one_clear_line(server_url, browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00")
    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    browser.find_element(By.ID, "midi").send_keys(str(bad))
    browser.find_element(By.ID, "render").click()
    error = browser.find_element(By.ID, "render-error")
    wait_until(error.is_displayed, what="the error line")
    assert error.text.startswith("broken.mid: unreadable MIDI file")
    assert "Traceback" not in browser.page_source


def test_a_drum_models_page_offers_its_pieces_and_judges_hits(drum_server_url, drum_ckpt, browser) -> None:
    from selenium.webdriver.common.by import By

    from samplernn.render.drums import held_samples

    browser.get(drum_server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    assert "drum model, trained on a kit of 3 pieces" in browser.find_element(By.ID, "model-info").text
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#note option")]
    assert options == ["bass drum (36)", "acoustic snare (38)", "closed hi-hat (42)"]
    assert not browser.find_element(By.ID, "duration").is_displayed()  # a hit lasts the kit's length
    assert not browser.find_element(By.ID, "transpose").is_displayed()  # it would move the kit's keys
    assert browser.find_element(By.ID, "render-form").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "#takes-section h2").text == "Takes of a hit"
    browser.execute_script("$('note').value = '38'; $('takes').value = '2'; $('seed').value = '1';")
    browser.find_element(By.ID, "generate").click()
    cards = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".take"), what="the takes")
    assert len(cards) == 2 and not browser.find_element(By.ID, "takes-error").is_displayed()
    rows = [dt.text for dt in cards[0].find_elements(By.CSS_SELECTOR, "dt")]
    assert rows == ["attack", "decay", "clipping", "likeness", "novelty", "takes differ"]  # 2 takes: apart?
    stats = drum_ckpt.stats
    seconds = (held_samples(stats, 38, 100) + stats.release_tail(38, 100)) / 16000 + 0.1
    assert browser.execute_async_script(AUDIO_DURATIONS) == [pytest.approx(seconds, abs=0.002)] * 2
    summary = browser.find_element(By.ID, "takes-summary").text
    assert "acoustic snare, velocity 100: hits as long as the kit's" in summary


# Every element whose right edge lies past the viewport's (a page wider than the phone shows it).
OVERFLOWING = """
const width = document.documentElement.clientWidth;
return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > width + 1)
  .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''));
"""


def test_on_a_phone_the_takes_fit_the_screen(server_url, browser) -> None:
    from selenium.webdriver.common.by import By

    # a 360-px phone screen (headless chromium's window is at least 500 px wide)
    metrics = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    browser.execute_script("$('duration').value = '0.2'; $('takes').value = '1'; $('seed').value = '1';")
    browser.find_element(By.ID, "generate").click()
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".take"), what="the takes")
    assert browser.execute_script("return document.documentElement.clientWidth") == 360
    assert browser.execute_script(OVERFLOWING) == []  # was: the takes' cards 330 px wide at least
    score = browser.find_element(By.CSS_SELECTOR, ".take .score")
    assert score.rect["x"] + score.rect["width"] <= 360  # the score, at the card's right, is seen


def test_a_length_between_the_fields_steps_is_generated(server_url, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    browser.execute_script("$('takes').value = '1'; $('seed').value = '1';")
    length = browser.find_element(By.ID, "duration")
    length.clear()
    length.send_keys("0.33")  # an eighth at 90 BPM: the field steps by 0.05 s, the server takes any length
    browser.find_element(By.ID, "generate").click()
    # was: the browser refused to submit ("the two nearest valid values are 0.3 and 0.35")
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".take"), what="the take")
    assert browser.execute_async_script(AUDIO_DURATIONS) == [pytest.approx(0.705, abs=0.002)]  # 0.25 + 0.33 +
    length.clear()
    length.send_keys("9")  # out of range: the server's one line, as for any request
    browser.find_element(By.ID, "generate").click()
    error = browser.find_element(By.ID, "takes-error")
    wait_until(error.is_displayed, what="the error line")
    assert error.text == "length (duration) must be 0.05..0.5 s, got 9"  # the label and the field


def test_a_stopped_server_is_said_in_words_not_failed_to_fetch(ckpt, limits, browser) -> None:
    from selenium.webdriver.common.by import By

    served = _served(ckpt, limits)
    browser.get(next(served) + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    next(served, None)  # the server stops (Ctrl-C) with the page still open
    browser.find_element(By.ID, "generate").click()
    error = browser.find_element(By.ID, "takes-error")
    wait_until(error.is_displayed, what="the error line")
    # was "Failed to fetch", the browser's words, naming neither what failed nor what to do
    assert error.text.startswith("cannot reach the server: is `samplernn serve` still running?")


def test_kept_takes_are_listed_under_the_names_the_pack_gives_them(server_url, browser) -> None:
    import io
    import urllib.request
    import zipfile

    from selenium.webdriver.common.by import By

    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    browser.execute_script("$('note').value = '50'; $('duration').value = '0.2'; $('takes').value = '1';")
    for _ in range(2):  # take 1 of D3 twice, from two generations
        browser.execute_script("$('takes-list').replaceChildren();")
        browser.find_element(By.ID, "generate").click()
        card = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".take"), what="the take")[0]
        card.find_element(By.CSS_SELECTOR, ".actions button").click()
    listed = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#kept-list li a")]
    assert listed == ["tiny-D3-v100-0.20s-take1.wav", "tiny-D3-v100-0.20s-take1-2.wav"]  # was the first twice
    links = browser.find_elements(By.CSS_SELECTOR, "#kept-list li a")
    assert [a.get_attribute("download") for a in links] == listed
    with urllib.request.urlopen(browser.find_element(By.ID, "pack").get_attribute("href")) as response:
        assert zipfile.ZipFile(io.BytesIO(response.read())).namelist() == [*listed, "takes.json"]


def test_the_pack_error_clears_when_the_kept_list_changes(server_url, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    browser.execute_script("kept.set('gone:1', {name: 'gone.wav', url: '#'}); drawKept();")  # an expired take
    browser.find_element(By.ID, "pack").click()
    error = browser.find_element(By.ID, "pack-error")
    wait_until(error.is_displayed, what="the pack's error line")
    browser.find_element(By.CSS_SELECTOR, "#kept-list li button").click()  # ✕, as the line says
    # was: the line stayed, naming a take no longer listed
    wait_until(lambda: not error.is_displayed(), timeout=5, what="the error line to clear")


@pytest.mark.parametrize(("field", "says"), [("velocity", "velocity is empty: it must be 1..127"),
                                             ("duration", "length is empty: it must be 0.05..0.5 s"),
                                             ("takes", "takes is empty: it must be 1..3")])
def test_an_empty_field_is_said_empty_not_zero(server_url, browser, field, says) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    browser.find_element(By.ID, field).clear()
    browser.find_element(By.ID, "generate").click()
    error = browser.find_element(By.ID, "takes-error")
    wait_until(error.is_displayed, what="the error line")
    assert error.text == says  # was the server's "velocity must be 1..127, got 0": the page sent 0


def _nodes(node: dict) -> Iterator[dict]:
    """`node` of a DevTools DOM tree and every node below it, shadow trees included."""
    yield node
    for below in (*node.get("children", ()), *node.get("shadowRoots", ())):
        yield from _nodes(below)


def _attributes(node: dict) -> dict[str, str]:
    flat = node.get("attributes", [])
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _menu_download(browser, src_end: str) -> None:
    """Click ⋮ then Download in the player of the audio element whose src ends with `src_end`, as a
    user does: chromium's own media controls, a shadow tree the page cannot reach, found through the
    DevTools protocol and clicked with the mouse."""
    browser.execute_script("[...document.querySelectorAll('audio')].find((a) => a.src.endsWith(arguments[0]))"
                           ".scrollIntoView({block: 'center'})", src_end)  # fmt: skip
    root = browser.execute_cdp_cmd("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    audio = next(n for n in _nodes(root)
                 if n.get("nodeName") == "AUDIO" and _attributes(n).get("src", "").endswith(src_end))
    controls: dict[str, int] = {}  # the first of a name: the menu's Download (the panel's own comes after)
    for n in _nodes(audio):
        controls.setdefault(_attributes(n).get("pseudo", ""), n["backendNodeId"])

    def box(pseudo: str) -> list[float] | None:
        try:
            found = browser.execute_cdp_cmd("DOM.getBoxModel", {"backendNodeId": controls[pseudo]})
        except Exception:  # not laid out: the menu is closed
            return None
        return found["model"]["content"]

    def click(pseudo: str) -> bool:
        quad = box(pseudo)
        time.sleep(0.2)
        if quad is None or quad != box(pseudo):  # not there, or still moving: the menu opens animated
            return False
        x, y = sum(quad[0::2]) / 4, sum(quad[1::2]) / 4
        for kind in ("mousePressed", "mouseReleased"):
            browser.execute_cdp_cmd("Input.dispatchMouseEvent",
                                    {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})
        return True

    wait_until(lambda: click("-internal-media-controls-overflow-button"), timeout=10, what="the player's ⋮")
    wait_until(lambda: click("-internal-media-controls-download-button"), timeout=10, what="its Download")


def _downloaded(folder: Path, before: set[str]) -> str:
    """The name of the one file that arrived in `folder` since `before` (its names), once complete."""
    def arrived() -> list[str]:
        names = {p.name for p in folder.iterdir()} - before
        return [] if any(n.endswith(".crdownload") for n in names) else sorted(names)

    (name,) = wait_until(arrived, timeout=30, what="the download")
    return name


def test_files_download_under_the_names_the_page_gives_them(server_url, browser, tmp_path: Path) -> None:
    """The player's ⋮ Download saved a take as take-1.wav and a render as render.wav (its URL's names),
    while the page's links said D3-v100-0.20s-take1.wav and song-samplernn.wav, neither naming the model."""
    from selenium.webdriver.common.by import By
    from support.audio import write_midi

    folder = tmp_path / "downloads"
    folder.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    browser.get(server_url + "/")
    wait_until(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))
    browser.execute_script("$('note').value = '50'; $('duration').value = '0.2'; $('takes').value = '1';")
    browser.find_element(By.ID, "generate").click()
    card = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".take"), what="the take")[0]
    assert browser.execute_async_script(AUDIO_DURATIONS)[0] == pytest.approx(0.575, abs=0.002)  # loaded
    said = card.find_element(By.CSS_SELECTOR, ".actions a").get_attribute("download")
    assert said == "tiny-D3-v100-0.20s-take1.wav"  # the model, the note, its velocity and length
    _menu_download(browser, "take-1.wav")
    assert _downloaded(folder, set()) == said  # the player's ⋮ Download: the link's name
    card.find_element(By.CSS_SELECTOR, ".actions button").click()  # keep it
    before = {p.name for p in folder.iterdir()}
    browser.find_element(By.ID, "pack").click()
    assert _downloaded(folder, before) == "tiny-pack.zip"
    midi = write_midi(tmp_path / "my song.mid", [(48, 100, 0.0, 0.2)])
    browser.find_element(By.ID, "midi").send_keys(str(midi))
    browser.find_element(By.ID, "render").click()
    box = browser.find_element(By.ID, "render-result")
    wait_until(box.is_displayed, what="the render")
    said = box.find_element(By.CSS_SELECTOR, "a.download").get_attribute("download")
    assert said == "my_song-tiny.wav"  # the song's name and the model's
    browser.execute_async_script("const a = $('render-result').querySelector('audio'), done = arguments[0];"
                                 "a.readyState >= 1 ? done() : a.addEventListener('loadedmetadata', done)")
    before = {p.name for p in folder.iterdir()}
    _menu_download(browser, "render.wav")
    assert _downloaded(folder, before) == said
