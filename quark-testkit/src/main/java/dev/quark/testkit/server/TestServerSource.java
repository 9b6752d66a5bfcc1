package dev.quark.testkit.server;

/**
 * One way to obtain a test server, tried by {@link TestServerResolver} when the environment names none.
 *
 * @param <S> what describes a running server
 */
public interface TestServerSource<S> {

    /**
     * Returns what this source is, for messages: {@code "Testcontainers"}, {@code "embedded redis-server"}.
     * @return the description
     */
    String name();

    /**
     * Starts or finds a server, which must answer when this method returns and stop when the JVM exits.
     * @return the server
     * @throws Exception when this source cannot provide one; its message says why
     */
    S start() throws Exception;
}
