package dev.quark.testkit.server;

import java.time.Duration;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Test servers in Docker containers, through Testcontainers. Only loaded once Testcontainers is known to be on
 * the class path; the containers stop with the JVM (Testcontainers' Ryuk).
 */
final class ContainerServers {

    /** The Redis image: a current release. */
    static final String REDIS_IMAGE = "redis:7.4-alpine";

    /** The PostgreSQL image: the oldest release Quark supports. */
    static final String POSTGRES_IMAGE = "postgres:15-alpine";

    private ContainerServers() {
    }

    static RedisTestServer redis() {
        requireDocker();
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(REDIS_IMAGE))
            .withExposedPorts(6379)
            .withCommand("redis-server", "--save", "", "--appendonly", "no")
            .waitingFor(Wait.forListeningPort())
            .withStartupTimeout(Duration.ofMinutes(2));
        container.start();
        RedisTestServer server = new RedisTestServer(container.getHost(), container.getMappedPort(6379), null,
                TestServerOrigin.TESTCONTAINERS);
        server.ping();
        return server;
    }

    static PostgresTestServer postgres() {
        requireDocker();
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(POSTGRES_IMAGE))
            .withExposedPorts(5432)
            .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
            .withCommand("postgres", "-c", "fsync=off", "-c", "max_connections=300")
            .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2))
            .withStartupTimeout(Duration.ofMinutes(2));
        container.start();
        return PostgresTestServer.at("jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432)
                + "/postgres?user=postgres", TestServerOrigin.TESTCONTAINERS);
    }

    private static void requireDocker() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new IllegalStateException("no Docker engine answers");
        }
    }
}
