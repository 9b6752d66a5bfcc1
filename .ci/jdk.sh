# Shell functions shared by .ci/run and benchmarks/run.sh: pick a JDK 21 or newer even where the default
# java is older. Source it, then call pick_jdk; it exports JAVA_HOME.

java_major() {
    "$1" -XshowSettings:properties -version 2>&1 \
        | awk -F'= ' '/java.specification.version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]) }'
}

pick_jdk() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 21 ]; then
        return
    fi
    if command -v java >/dev/null 2>&1 && [ "$(java_major java)" -ge 21 ]; then
        JAVA_HOME=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.home/ { print $2 }')
        export JAVA_HOME
        return
    fi
    local best="" best_major=0 candidate major
    for candidate in /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/*; do
        [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
        major=$(java_major "$candidate/bin/java")
        if [ -n "$major" ] && [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
            best=$candidate
            best_major=$major
        fi
    done
    if [ -z "$best" ]; then
        echo ".ci/run: no JDK 21 or newer found (looked at JAVA_HOME, java on PATH and /usr/lib/jvm); install one" >&2
        exit 1
    fi
    export JAVA_HOME=$best
}
