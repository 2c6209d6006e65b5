"""The HTML report looks the same on a machine without emoji fonts.

Status is a coloured CSS box with a plain-text mark (report/outcomes.py), so the pages must
hold no emoji at all; that check always runs. Where a headless Chromium is installed, a
real screenshot is taken with only one text font available (no emoji font), and the
status boxes are sampled: each outcome's colour is there, with its mark drawn inside in
white. Where an emoji font exists too, a second screenshot with it must be the same
picture, pixel for pixel. Without a browser the screenshot check skips and says why.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from report import html
from selftest.test_report_fakes import run_fake_suite, write_fake_suite

# Unicode blocks where emoji live (pictographs, symbols and dingbats, variation selectors,
# regional indicators): a character from these renders as an empty box without an emoji font.
EMOJI_BLOCKS = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0xFE00, 0xFE0F),
)
# An emoji the check must recognise as one: it proves the font check can fail.
AN_EMOJI = "\U0001f7e9"  # large green square
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Outcomes the fake run shows, whose colours no other part of the page uses.
SAMPLED = ("passed", "failed", "error", "xfailed", "skipped")
# A status box is about 20 x 20 px; its colour must cover a good part of one box at least.
MIN_BOX_PIXELS = 150
# Widest status box, in px: text inside a box lies between two of its coloured pixels.
MAX_BOX_WIDTH = 60
WINDOW = "1300,2600"
BROWSER_TIMEOUT_S = 120


def is_emoji(char: str) -> bool:
    return any(lo <= ord(char) <= hi for lo, hi in EMOJI_BLOCKS)


@pytest.fixture(scope="module")
def _pages() -> dict[str, Path]:
    return {}


@pytest.fixture
def page(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, _pages: dict[str, Path]
) -> Path:
    """A report page with every kind of box and a baseline comparison (kept for the module)."""
    if not _pages:
        write_fake_suite(pytester)
        run_fake_suite(pytester, "--report-dir", "base")
        monkeypatch.setenv("FAKE_NEW", "1")
        run_fake_suite(pytester, "--report-dir", "new", "--baseline", "base/conformance.json")
        _pages["html"] = pytester.path / "new" / "conformance.html"
        _pages["md"] = pytester.path / "new" / "conformance.md"
        _pages["diff"] = pytester.path / "new" / "conformance-diff.md"
    return _pages["html"]


def test_the_pages_hold_no_emoji(page):
    for path in (page, page.with_suffix(".md"), page.with_name("conformance-diff.md")):
        text = path.read_text(encoding="utf-8")
        found = sorted({f"U+{ord(c):04X}" for c in text if is_emoji(c)})
        assert not found, f"{path.name} uses emoji {found}: draw status with CSS and text"
    assert is_emoji(AN_EMOJI)


# ---- the screenshot ---------------------------------------------------------------------------


def _browser() -> str:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        pytest.skip(
            "no headless browser for the screenshot check: install Debian's chromium "
            "(apt-get install chromium)"
        )
    if not shutil.which("fc-match"):
        pytest.skip("fontconfig's fc-match is missing: the check chooses its font with it")
    return found


def _fonts_conf(tmp: Path, name: str, font_files: list[str]) -> Path:
    """A fontconfig setup that knows only `font_files` (each linked into its own folder)."""
    folder = tmp / f"{name}-fonts"
    folder.mkdir()
    for file in font_files:
        (folder / Path(file).name).symlink_to(file)
    text = fc_family(font_files[0])
    aliases = "".join(
        f"<alias><family>{generic}</family><prefer><family>{text}</family></prefer></alias>"
        for generic in ("sans-serif", "system-ui", "monospace", "serif")
    )
    conf = tmp / f"{name}.conf"
    conf.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{folder}</dir>'
        f"<cachedir>{tmp / (name + '-cache')}</cachedir>{aliases}</fontconfig>",
        encoding="utf-8",
    )
    return conf


def fc_family(file: str) -> str:
    out = subprocess.run(
        ["fc-query", "-f", "%{family[0]}", file], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _covers(conf: Path, char: str) -> bool:
    """Whether a font under `conf` has a glyph for `char` (else it renders as an empty box)."""
    out = subprocess.run(
        ["fc-list", f":charset={ord(char):x}", "file"],
        capture_output=True,
        text=True,
        env={"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin"},
    )
    return bool(out.stdout.strip())


def _emoji_fonts() -> list[str]:
    out = subprocess.run(
        ["fc-list", f":charset={ord(AN_EMOJI):x}", "file"], capture_output=True, text=True
    )
    return sorted({line.strip().rstrip(":") for line in out.stdout.splitlines() if line.strip()})


def _screenshot(browser: str, page: Path, conf: Path, out: Path) -> np.ndarray:
    reason = "Pillow reads the screenshot: pip install pillow (a dependency)"
    image = pytest.importorskip("PIL.Image", reason=reason)
    profile = out.with_suffix(".profile")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            # Colours exactly as written in the CSS: no display profile in between.
            "--force-color-profile=srgb",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW}",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=BROWSER_TIMEOUT_S,
        env={"FONTCONFIG_FILE": str(conf), "HOME": str(profile), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    with image.open(out) as shot:
        return np.asarray(shot.convert("RGB"))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _text_inside(pixels: np.ndarray, colour: tuple[int, int, int]) -> bool:
    """Some row crosses a box of `colour` and meets white ink between two of its pixels."""
    box = np.all(pixels == colour, axis=-1)
    ink = pixels.min(axis=-1) > 200
    for y in np.flatnonzero(box.any(axis=1)):
        xs = np.flatnonzero(box[y])
        for left, right in itertools.pairwise(xs):
            if 1 < right - left <= MAX_BOX_WIDTH and ink[y, left:right].any():
                return True
    return False


def test_status_boxes_render_with_their_colours_and_marks_without_emoji_fonts(page, tmp_path):
    browser = _browser()
    text_font = subprocess.run(
        ["fc-match", "-f", "%{file}", "sans-serif"], capture_output=True, text=True, check=True
    ).stdout.strip()
    plain = _fonts_conf(tmp_path, "plain", [text_font])
    assert not _covers(plain, AN_EMOJI), "the text font has emoji: the check would prove nothing"
    shown = page.read_text(encoding="utf-8")
    missing = sorted({c for c in shown if ord(c) > 127 and not _covers(plain, c)})
    assert not missing, f"characters with no glyph in {text_font}: {missing}"

    pixels = _screenshot(browser, page, plain, tmp_path / "plain.png")
    for outcome in SAMPLED:
        colour = _rgb(html.COLOUR[outcome])
        count = int(np.all(pixels == colour, axis=-1).sum())
        assert count >= MIN_BOX_PIXELS, f"{outcome} boxes ({html.COLOUR[outcome]}): {count} px"
        assert _text_inside(pixels, colour), f"{outcome} boxes show no mark inside"

    emoji = _emoji_fonts()
    if emoji:
        with_emoji = _fonts_conf(tmp_path, "emoji", [text_font, *emoji])
        assert _covers(with_emoji, AN_EMOJI)
        again = _screenshot(browser, page, with_emoji, tmp_path / "emoji.png")
        assert again.shape == pixels.shape and np.array_equal(again, pixels), (
            "the page looks different once an emoji font is installed"
        )
