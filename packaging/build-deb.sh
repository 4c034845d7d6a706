#!/usr/bin/env bash
# build-deb.sh - build the wsexec Debian package from this checkout.
#
#   packaging/build-deb.sh [--install-deps] [OUTDIR]
#
# Copies the checkout to a temporary directory, puts packaging/debian/ there
# as debian/ (the repository itself never gets a debian/ directory), runs
# `dpkg-buildpackage -us -uc -b`, and leaves in OUTDIR (default: build-deb/
# at the repository root):
#
#   wsexec_VERSION_ARCH.deb        the package
#   wsexec-dbgsym_VERSION_ARCH.deb its debug symbols
#   wsexec_VERSION_ARCH.changes    and .buildinfo, listing them (for lintian)
#   wsexec_VERSION_ARCH.build.log  dpkg-buildpackage's output
#
# --install-deps first installs the Build-Depends of packaging/debian/control
# with `apt-get build-dep` (needs root or sudo). Without it, a missing build
# dependency stops the build with dpkg-checkbuilddeps' list of what is missing.
#
# Needs dpkg-dev and debhelper (not fakeroot: Rules-Requires-Root: no).
# Compiles only the wsexec binary (-DWSEXEC_TESTS=OFF, see debian/rules);
# DEB_BUILD_OPTIONS=parallel=N defaults to the number of processors.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

install_deps=false
outdir=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --install-deps) install_deps=true ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "build-deb.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *)
            if [ -n "$outdir" ]; then echo "build-deb.sh: one OUTDIR only" >&2; exit 2; fi
            outdir=$1
            ;;
    esac
    shift
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
outdir=${outdir:-$repo/build-deb}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
    if ! command -v "$tool" >/dev/null; then
        echo "build-deb.sh: $tool not found; install dpkg-dev and debhelper" >&2
        exit 1
    fi
done

# The package version (debian/changelog) must be the project's version.
deb_version=$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Version)
cmake_version=$(sed -n 's/^project(wsexec VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
if [ "${deb_version%%-*}" != "$cmake_version" ]; then
    echo "build-deb.sh: packaging/debian/changelog says $deb_version but CMakeLists.txt" \
        "says $cmake_version; add a changelog entry (dch -v $cmake_version)" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/wsexec-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/wsexec-$deb_version"
mkdir "$src"

# The checkout's files: tracked and untracked ones, not those .gitignore
# excludes (build directories). Without git (a source tarball), everything
# but .git and build*/.
cd "$repo"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
        tar --null --files-from=- -cf - | tar -xf - -C "$src"
else
    tar --exclude=./.git --exclude='./build*' --exclude=./debian -cf - . | tar -xf - -C "$src"
fi
rm -rf "$src/debian"
cp -a "$repo/packaging/debian" "$src/debian"

if $install_deps; then
    echo "build-deb.sh: installing the build dependencies"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get build-dep -y -qq --no-install-recommends "$src" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 1)
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$jobs}"
echo "build-deb.sh: building wsexec $deb_version in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed (last 60 lines above)" >&2
    exit 1
}

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
base="wsexec_${deb_version}_${arch}"
# Everything the build made: the package, its -dbgsym companion (debug
# symbols), and the .changes and .buildinfo that list them.
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$outdir/"
cp "$work/build.log" "$outdir/$base.build.log"
echo "build-deb.sh: built $outdir/$base.deb"
