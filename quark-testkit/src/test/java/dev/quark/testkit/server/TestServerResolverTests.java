package dev.quark.testkit.server;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class TestServerResolverTests {

    private final AtomicInteger started = new AtomicInteger();

    @Test
    void variableWinsAndNoSourceIsTried() {
        String server = TestServerResolver.resolve(Map.of("URL", "x://here")::get, "X", "URL", "x://host",
                (url) -> "from " + url, List.of(source("container", "container")));
        assertThat(server).isEqualTo("from x://here");
        assertThat(this.started).hasValue(0);
    }

    @Test
    void variablePointingAtNothingFailsRatherThanFallingBack() {
        assertThatIllegalStateException()
            .isThrownBy(() -> TestServerResolver.resolve(Map.of("URL", "x://gone")::get, "X", "URL", "x://host", (url) -> {
                throw new IllegalArgumentException("connection refused");
            }, List.of(source("container", "container"))))
            .withMessage("No X answers at URL=x://gone: connection refused");
        assertThat(this.started).hasValue(0);
    }

    @Test
    void sourcesAreTriedInOrderUntilOneWorks() {
        String server = TestServerResolver.resolve(Map.<String, String>of()::get, "X", "URL", "x://host", (url) -> url,
                List.of(failing("Testcontainers", "no Docker engine answers"), source("embedded", "embedded server"),
                        source("never", "never")));
        assertThat(server).isEqualTo("embedded server");
        assertThat(this.started).hasValue(1);
    }

    @Test
    void withoutAnyServerOnCiTheTestFailsNamingTheVariable() {
        assertThatIllegalStateException()
            .isThrownBy(() -> TestServerResolver.resolve(Map.of("CI", "true")::get, "X", "URL", "x://host", (url) -> url,
                    List.of(failing("Testcontainers", "no Docker engine answers"), failing("embedded", "no binaries"))))
            .withMessage("No X server for the tests (URL is not set; Testcontainers: no Docker engine answers; "
                    + "embedded: no binaries). Set URL, for instance URL=x://host. CI=true: a missing server fails the build");
    }

    @Test
    void withoutAnyServerOutsideCiTheTestIsAbortedWithTheSameMessage() {
        assertThatExceptionOfType(TestAbortedException.class)
            .isThrownBy(() -> TestServerResolver.resolve(Map.<String, String>of()::get, "X", "URL", "x://host",
                    (url) -> url, List.of(failing("embedded", "no binaries"))))
            .withMessage("No X server for the tests (URL is not set; embedded: no binaries). Set URL, for instance URL=x://host");
    }

    private TestServerSource<String> source(String name, String server) {
        return new TestServerSource<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String start() {
                TestServerResolverTests.this.started.incrementAndGet();
                return server;
            }
        };
    }

    private static TestServerSource<String> failing(String name, String reason) {
        return new TestServerSource<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String start() {
                throw new IllegalStateException(reason);
            }
        };
    }
}
