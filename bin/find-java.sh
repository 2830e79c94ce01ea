# Sourced by ./mvnw and ./funnel. Prints the home of a JDK whose major version is at least 25:
# FUNNEL_JAVA_HOME, then JAVA_HOME, then the usual install folders. Fails with one clear message.

funnel_java_major() {
    # "openjdk version "25.0.1" 2025-10-21" -> 25 ; "1.8.0_392" -> 1
    "$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}'
}

funnel_find_java() {
    local required=25 candidate major
    for candidate in "${FUNNEL_JAVA_HOME:-}" "${JAVA_HOME:-}" \
        /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
        /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25-* /usr/lib/jvm/jdk-25* /usr/lib/jvm/*25* \
        /opt/java/openjdk /opt/jdk-25* "$HOME"/.sdkman/candidates/java/25* \
        /Library/Java/JavaVirtualMachines/*25*/Contents/Home; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
        major="$(funnel_java_major "$candidate")"
        if [ -n "$major" ] && [ "$major" -ge "$required" ] 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    cat >&2 <<EOF
Funnel needs a JDK ${required} or newer (with javac), and none was found.
Looked at FUNNEL_JAVA_HOME, JAVA_HOME and /usr/lib/jvm/*25*, /opt/java, ~/.sdkman.
Install one, e.g. Eclipse Temurin 25 (Debian/Ubuntu: apt-get install temurin-25-jdk from the Adoptium
repository), then set JAVA_HOME to its folder and run the command again.
EOF
    return 1
}
