# Sourced by the benchmark scripts: builds caredesk for $CONFIG (debug or release; BUILD=0 uses what is built)
# and sets $BIN; defines free_port.
# One build at a time in this tree (others build too); release has its own folder so it never invalidates debug.
BUILD_LOG=$(mktemp /tmp/caredesk-bench-build.XXXXXX.log)
if [ "${BUILD:-1}" = 0 ]; then
    BIN=$([ "$CONFIG" = release ] && echo .build-release/release/caredesk || echo .build/debug/caredesk)
elif [ "$CONFIG" = release ]; then
    flock /tmp/caredesk-build.lock swift build -c release --product caredesk --build-path .build-release >"$BUILD_LOG" 2>&1 \
        || { tail -30 "$BUILD_LOG"; exit 1; }
    BIN=.build-release/release/caredesk
else
    flock /tmp/caredesk-build.lock swift build --product caredesk >"$BUILD_LOG" 2>&1 || { tail -30 "$BUILD_LOG"; exit 1; }
    BIN=.build/debug/caredesk
fi
rm -f "$BUILD_LOG"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
