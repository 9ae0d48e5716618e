#!/usr/bin/env bash
# Renders AppIcon.png (1024 × 1024, the largest size an .icns holds) from AppIcon.svg. The PNG is
# committed; this is how it was made, so a change to the icon is a change to the SVG and a rerun.
# scripts/package-mac.sh turns the PNG into the .iconset sizes (sips) and the .icns (iconutil) on
# the Mac. Needs rsvg-convert (librsvg2-bin / brew librsvg) or ImageMagick's convert.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if command -v rsvg-convert >/dev/null; then
  rsvg-convert -w 1024 -h 1024 -o AppIcon.png AppIcon.svg
else
  convert -background none -density 72 AppIcon.svg -resize 1024x1024 PNG32:AppIcon.png
fi
echo "AppIcon.png written"
