# Sourced by scripts/serve.sh and scripts/test.sh: makes sure a C compiler (for the bundled
# SQLite and ring) and a Rust toolchain with rustfmt and clippy are installed, installing
# them on a fresh Debian machine, and puts cargo on PATH.
ensure_rust() {
    local sudo_cmd="" need_apt=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
    command -v curl >/dev/null 2>&1 || need_apt+=(curl ca-certificates)
    if [ ${#need_apt[@]} -gt 0 ]; then
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        if [ ! -x "$HOME/.cargo/bin/cargo" ]; then
            curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
        fi
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
}
ensure_rust
