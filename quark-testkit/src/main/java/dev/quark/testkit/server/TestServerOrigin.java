package dev.quark.testkit.server;

/**
 * Where a test server came from, in the order they are tried.
 */
public enum TestServerOrigin {

    /** A server the environment points at, such as {@code QUARK_TEST_REDIS_URL}. */
    ENVIRONMENT,

    /** A container started with Testcontainers, because a Docker engine answers. */
    TESTCONTAINERS,

    /** A server process started from binaries in a Maven Central artifact. */
    EMBEDDED
}
