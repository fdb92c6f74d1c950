#!/usr/bin/env bash
# Install the operating-system packages the product needs (Debian/Ubuntu), or say how.
#   fonts-noto-cjk   Noto Serif/Sans CJK SC for the PDF and the web pages
#   poppler-utils    pdftotext/pdffonts, used by the PDF checks
#   gettext          msgfmt, to compile translations
#   libcairo2        cairo, which cairosvg uses to draw the e-mails' PNG charts
#   chromium         the browser the end-to-end tests drive
#   wrk              the load generator of bench/public_site.py (WITH_BENCH=1)
set -euo pipefail
packages=(fonts-noto-cjk poppler-utils gettext libcairo2)
#   default-jre-headless  Java for the HTML validator (vnu) the tests run, when no java
if [[ "${WITH_BROWSER:-0}" == 1 ]]; then
  packages+=(chromium)
  command -v java >/dev/null || packages+=(default-jre-headless)
fi
if [[ "${WITH_BENCH:-0}" == 1 ]]; then
  packages+=(wrk)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi

if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Some system packages are missing: ${missing[*]}"
  echo "Install them with:  sudo apt-get install ${missing[*]}"
  echo "(The demo works without them; PDFs fall back to other fonts.)"
fi
