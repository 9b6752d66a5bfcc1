package dev.quark.testkit.server;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.opentest4j.TestAbortedException;

/**
 * Finds a real server for tests, the same way for every backend:
 * <ol>
 * <li>the URL in an environment variable, such as {@code QUARK_TEST_REDIS_URL}: used as is, and a server that
 * does not answer there fails the test at once rather than being replaced silently;</li>
 * <li>otherwise each {@link TestServerSource} in turn: Testcontainers when a Docker engine answers, then
 * binaries from Maven Central;</li>
 * <li>when none works: with {@code CI=true} the test fails, naming the variable to set; otherwise it is
 * aborted (reported as skipped) with the same message.</li>
 * </ol>
 */
public final class TestServerResolver {

    /** The variable that makes a missing server a failure rather than a skip. */
    public static final String CI = "CI";

    private TestServerResolver() {
    }

    /**
     * Resolves a server.
     * @param server what the server is, for messages: {@code "Redis"}
     * @param variable the environment variable that may point at one
     * @param example an example value of the variable, for messages
     * @param fromVariable turns the variable's value into a server, checking that it answers
     * @param sources the sources to try when the variable is not set, in order
     * @param <S> what describes a running server
     * @return the server
     * @throws IllegalStateException when the variable names a server that does not answer, or when no source
     * works and {@code CI=true}
     * @throws TestAbortedException when no source works outside CI
     */
    public static <S> S resolve(String server, String variable, String example, Function<String, S> fromVariable,
            List<TestServerSource<S>> sources) {
        return resolve(System::getenv, server, variable, example, fromVariable, sources);
    }

    static <S> S resolve(Function<String, @Nullable String> environment, String server, String variable, String example,
            Function<String, S> fromVariable, List<TestServerSource<S>> sources) {
        String configured = environment.apply(variable);
        if (configured != null && !configured.isBlank()) {
            try {
                return fromVariable.apply(configured.strip());
            }
            catch (RuntimeException ex) {
                throw new IllegalStateException("No " + server + " answers at " + variable + "=" + configured + ": "
                        + ex.getMessage(), ex);
            }
        }
        List<String> attempts = new ArrayList<>();
        attempts.add(variable + " is not set");
        for (TestServerSource<S> source : sources) {
            try {
                return source.start();
            }
            catch (Exception | LinkageError ex) {
                attempts.add(source.name() + ": " + ex.getMessage());
            }
        }
        String message = "No " + server + " server for the tests (" + String.join("; ", attempts) + "). Set " + variable
                + ", for instance " + variable + "=" + example;
        if ("true".equalsIgnoreCase(environment.apply(CI))) {
            throw new IllegalStateException(message + ". CI=true: a missing server fails the build");
        }
        System.err.println("[quark-testkit] " + message + "; the tests that need it are skipped");
        throw new TestAbortedException(message);
    }

    /**
     * Returns whether tests run on CI, where a missing server must fail the run.
     * @return whether {@code CI=true}
     */
    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv(CI));
    }
}
