#!/usr/bin/env bash
# Renders a public record page whose program title contains a <script> tag and
# whose names are non-ASCII, opens it in headless Chromium, saves a
# screenshot, and fails when the browser built a <script> element or lost
# the expected text. Not part of `make test`: it needs Debian's chromium,
# which it installs with apt-get when /usr/bin/chromium is missing, and a
# Chinese font (fonts-wqy-zenhei) so the screenshot shows the sample's
# Chinese course title instead of empty boxes.
#
#   infra/page-check.sh     (or `make page-check`)
#
# Output in target/page-check/: public-record.html (the page),
# public-record.png (1200x1600 screenshot), public-record.dom.html (the DOM
# as Chromium parsed it) and chromium.log.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=$root/target/page-check
page=$out/public-record.html
dom=$out/public-record.dom.html

packages=()
if [[ ! -x /usr/bin/chromium ]]; then
    packages+=(chromium)
fi
if [[ -z $(fc-list :lang=zh 2>/dev/null) ]]; then
    packages+=(fonts-wqy-zenhei)
fi
if ((${#packages[@]})); then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y "${packages[@]}"
fi

mkdir -p "$out"
cargo run --quiet -p learner-records --example page_check -- "$page"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# Every flag that would reach the network (updates, sync, QUIC probes) is off:
# the page is a local file and must render from nothing else.
chromium_flags=(
    --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$profile"
)
: >"$out/chromium.log"
/usr/bin/chromium "${chromium_flags[@]}" --screenshot="$out/public-record.png" \
    --window-size=1200,1600 "file://$page" 2>>"$out/chromium.log"
/usr/bin/chromium "${chromium_flags[@]}" --dump-dom "file://$page" \
    >"$dom" 2>>"$out/chromium.log"

failed=0
if grep -qi '<script' "$dom"; then
    echo "page-check: FAILED: the DOM contains a <script> element" >&2
    failed=1
fi
# The title must arrive as text: the DOM serialiser escapes it again.
expected=(
    '<html lang="en">'
    '&lt;script&gt;alert("page-check")&lt;/script&gt; Électronique &amp; Systèmes'
    'Zoë Ñandú-Test'
    'Universidad Politécnica, Øresund Institute'
    '数字电路 (Digital Circuits)'
    'Circuits, "Part 1"'
    'Partially completed'
    'Date earned (UTC)'
    '<time datetime="2021-03-02">2021-03-02</time>'
    'Download program record</a>'
)
for text in "${expected[@]}"; do
    if ! grep -qF -- "$text" "$dom"; then
        echo "page-check: FAILED: the DOM lacks: $text" >&2
        failed=1
    fi
done
if [[ ! -s $out/public-record.png ]]; then
    echo "page-check: FAILED: no screenshot was written" >&2
    failed=1
fi
if ((failed)); then
    echo "page-check: see $dom and $out/chromium.log" >&2
    exit 1
fi
echo "page-check: passed; screenshot in $out/public-record.png"
