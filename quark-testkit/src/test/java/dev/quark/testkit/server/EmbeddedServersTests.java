package dev.quark.testkit.server;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last fallback of the test servers, started whatever the environment says, so that every build proves
 * that {@code ./mvnw verify} works on a machine with only a JDK (PostgreSQL as {@code nobody} when the build
 * runs as root).
 */
class EmbeddedServersTests {

    @Test
    void embeddedRedisAnswers() throws IOException {
        RedisTestServer redis = EmbeddedRedis.start(RedisTestServer.freePort());
        assertThat(redis.origin()).isEqualTo(TestServerOrigin.EMBEDDED);
        String prefix = redis.uniqueKeyPrefix(EmbeddedServersTests.class);
        try (RespClient client = new RespClient(redis.host(), redis.port(), null)) {
            assertThat(client.command("SET", prefix + "a", "1")).isEqualTo("OK");
            assertThat(client.command("SET", prefix + "b", "2")).isEqualTo("OK");
            assertThat(client.command("SET", "other", "3")).isEqualTo("OK");
        }
        assertThat(redis.deleteKeys(prefix)).isEqualTo(2);
        try (RespClient client = new RespClient(redis.host(), redis.port(), null)) {
            assertThat(client.command("GET", "other")).isEqualTo("3");
        }
    }

    @Test
    void embeddedPostgresAnswersAndGivesEachTestClassItsOwnSchema() throws Exception {
        PostgresTestServer postgres = EmbeddedPostgresProcess.start();
        assertThat(postgres.origin()).isEqualTo(TestServerOrigin.EMBEDDED);
        try (PostgresTestSchema schema = postgres.createSchema(EmbeddedServersTests.class)) {
            assertThat(schema.name()).startsWith("qt_embeddedserverstests_");
            new PostgresTestServer(schema.jdbcUrl(), TestServerOrigin.EMBEDDED).execute("create table probe (id int)");
            postgres.execute("select * from " + schema.name() + ".probe");
        }
    }
}
