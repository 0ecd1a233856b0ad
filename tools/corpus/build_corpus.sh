#!/usr/bin/env bash
# Builds the training corpus of the small trained MoE model (models/tiny-moe)
# from freely licensed Debian packages. Output: one UTF-8 text file per genre
# under OUT_DIR (default: .device/corpus). Needs apt-get (root) and network
# access to Debian's package mirror.
#
#   genre        package          licence
#   scripture    bible-kjv-text   King James Version text: public domain
#                                 (packaging: "unrestricted use", GPL program)
#   quotes-en    fortunes         BSD-style (fortune-mod data files)
#   hacker-lore  jargon-text      The Jargon File 4.4.7: public domain
#   quotes-de    fortunes-de      GPL-2+
#   quotes-es    fortunes-es      GPL-2+
set -euo pipefail
OUT_DIR=${1:-.device/corpus}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT_DIR"
cd "$WORK"
apt-get download bible-kjv-text fortunes jargon-text fortunes-de fortunes-es >/dev/null
for f in *.deb; do dpkg -x "$f" x/; done
# The KJV text is stored compressed for the 'bible' program: let it print every verse.
if ! command -v bible >/dev/null; then apt-get install -y -qq bible-kjv >/dev/null; fi
bible -f 'gen1:1-rev22:21' | sed -E 's/^[0-9]?[A-Za-z]+[0-9]+:[0-9]+ //' > "$OLDPWD/$OUT_DIR/scripture.txt"
# fortune files: entries separated by '%' lines; keep the non-offensive English set.
cat_fortunes() { for f in "$@"; do [ -f "$f" ] && sed 's/^%$//' "$f"; done; }
files() { find "$1" -maxdepth 1 -type f ! -name '*.dat' ! -name '*.u8' | sort; }
cat_fortunes $(files x/usr/share/games/fortunes) > "$OLDPWD/$OUT_DIR/quotes-en.txt"
# fortunes-de and fortunes-es install their files under fortunes/de and fortunes/es.
cat_fortunes $(files x/usr/share/games/fortunes/de) > "$OLDPWD/$OUT_DIR/quotes-de.txt"
cat_fortunes $(files x/usr/share/games/fortunes/es) > "$OLDPWD/$OUT_DIR/quotes-es.txt"
zcat x/usr/share/doc/jargon-text/jargon.txt.gz > "$OLDPWD/$OUT_DIR/hacker-lore.txt"
cd "$OLDPWD"
wc -c "$OUT_DIR"/*.txt
