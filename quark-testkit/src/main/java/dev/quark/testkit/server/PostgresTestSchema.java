package dev.quark.testkit.server;

/**
 * A schema of its own for one test class on the shared {@link PostgresTestServer}; closing it drops the schema
 * and everything in it.
 *
 * @param server the server
 * @param name the schema's name
 */
public record PostgresTestSchema(PostgresTestServer server, String name) implements AutoCloseable {

    /**
     * Returns a JDBC URL whose connections work in this schema ({@code currentSchema}).
     * @return the URL
     */
    public String jdbcUrl() {
        return this.server.jdbcUrl("currentSchema", this.name);
    }

    /**
     * Drops the schema with everything in it.
     */
    @Override
    public void close() {
        this.server.execute("drop schema if exists " + this.name + " cascade");
    }
}
