#!/usr/bin/env bash
# prepare.sh: install the host packages the harness needs, then build (or
# reuse) its cached artefacts in ${TORPOR_CACHE:-$HOME/.cache/torpor}/harness.
# They are rebuilt only when their inputs change: the files that build them and
# the package versions that go into them (key kept in the "stamp" file).
# The last line of stdout is the cache directory.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/host/common.sh"
ARTEFACTS=(xen vmlinux linux-guest.cpio dom0-base.cpio)

ensure_host_packages "${HOST_PACKAGES[@]}"

# Versions of the packages whose contents end up in the images. apt-cache
# takes ~1 s here, so its answer is reused while the package lists are unchanged.
resolve_versions() {
  local lists resolved=$CACHE_DIR/resolved.txt
  lists=$(ls -l --time-style=+%s /var/lib/apt/lists/ 2>/dev/null | sha256sum | cut -c1-16)
  if [ "$(head -n 1 "$resolved" 2>/dev/null)" != "$lists" ]; then
    { echo "$lists"
      apt-cache show --no-all-versions linux-image-amd64 libyajl2 2>/dev/null | awk '
        $1 == "Package:" { p = $2 }
        p == "linux-image-amd64" && $1 == "Depends:" && $2 ~ /^linux-image-/ && $3 == "(=" {
          sub(/\)/, "", $4); print $2 "=" $4 }
        p == "libyajl2" && $1 == "Version:" { print "libyajl2=" $2 }'
    } > "$resolved.new"
    mv "$resolved.new" "$resolved"
  fi
  mapfile -t debs < <(sed -n '2,$p' "$resolved")  # the Linux image first
  [ ${#debs[@]} = 2 ] || { rm -f "$resolved"; return 1; }
  for p in "${XEN_PACKAGES[@]}"; do debs+=("$p=$XEN_VERSION"); done
}
mkdir -p "$CACHE_DIR"
exec 9> "$CACHE_DIR/.lock"
flock 9  # one build at a time
resolve_versions || { apt_update_once; resolve_versions; } \
  || die "linux-image-amd64 / libyajl2 not found in the package lists"

cache_key() {
  (cd "$HARNESS_DIR" && sha256sum prepare.sh host/{common.sh,fetch_debs.sh,build_images.sh} \
    host/{build_dom0_root.sh,extract_vmlinux.py,moddeps.py,mkcpio.py} dom0/* guests/*/* client/*)
  printf '%s\n' "${debs[@]}"
  # host packages copied into the images (recorded by the last build)
  sort -u <(printf '%s\n' "${HOST_PACKAGES[@]}") "$CACHE_DIR/host-packages.txt" 2>/dev/null \
    | xargs -r dpkg-query -W -f='${Package}=${Version}\n' 2>/dev/null
}

fresh=1
for a in "${ARTEFACTS[@]}" stamp; do [ -s "$CACHE_DIR/$a" ] || fresh=0; done
if [ $fresh = 1 ] && [ "$(cache_key | sha256sum)" = "$(cat "$CACHE_DIR/stamp")" ]; then
  hlog "cache up to date: $CACHE_DIR"
  echo "$CACHE_DIR"
  exit 0
fi

hlog "building harness artefacts in $CACHE_DIR"
rm -f "$CACHE_DIR/stamp"
bash "$HARNESS_DIR/host/fetch_debs.sh" "$CACHE_DIR/debs" "${debs[@]}" \
  || { apt_update_once; resolve_versions; bash "$HARNESS_DIR/host/fetch_debs.sh" "$CACHE_DIR/debs" "${debs[@]}"; }
files=()
for d in "${debs[@]}"; do files+=("$CACHE_DIR/debs/${d%%=*}_$(v=${d#*=}; echo "${v//:/%3a}")_amd64.deb"); done
bash "$HARNESS_DIR/host/build_images.sh" "$CACHE_DIR" "${files[@]}"
# drop downloads that are no longer used (e.g. an older kernel)
for f in "$CACHE_DIR"/debs/*.deb; do
  [[ " ${files[*]} " == *" $f "* ]] || rm -f "$f"
done
cache_key | sha256sum > "$CACHE_DIR/stamp"
hlog "artefacts ready ($(du -sh "$CACHE_DIR" | cut -f1))"
echo "$CACHE_DIR"
