package dev.quark.samples.orders;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.RedisTestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where the process tests' workers keep their orders, read directly (not through the engine): the history and the
 * instance records of the durable-task store, in a PostgreSQL schema or under a Redis key prefix of one run alone.
 */
sealed interface StoreContents extends AutoCloseable {

    JsonMapper JSON = JsonMapper.builder().build();

    /**
     * Creates the store for a profile of the sample.
     * @param profile {@code postgres} or {@code redis}
     * @return what it holds, nothing yet
     */
    static StoreContents create(String profile) {
        return switch (profile) {
            case "postgres" -> new Postgres(PostgresTestServer.get().createSchema(OrderSagaProcessTests.class));
            case "redis" -> {
                RedisTestServer server = RedisTestServer.get();
                yield new Redis(server, server.uniqueKeyPrefix(OrderSagaProcessTests.class));
            }
            default -> throw new IllegalArgumentException("no store for the profile '" + profile + "'");
        };
    }

    /**
     * Returns the properties that point the sample at this store.
     * @return {@code name=value} properties, the profile among them
     */
    List<String> properties();

    /**
     * Returns the recorded history of an instance's execution, in the stores' JSON format.
     * @param instanceId the instance
     * @return its events, oldest first
     */
    List<JsonNode> history(String instanceId);

    /**
     * Returns how many instance records the store holds for an id.
     * @param instanceId the id
     * @return how many
     */
    long instances(String instanceId);

    /** Drops what the run left behind. */
    @Override
    void close();

    /**
     * The {@code postgres} profile in a schema of its own.
     *
     * @param schema the schema
     */
    record Postgres(PostgresTestSchema schema) implements StoreContents {

        @Override
        public List<String> properties() {
            return List.of("spring.profiles.active=postgres", "spring.datasource.url=" + this.schema.jdbcUrl(),
                    "spring.datasource.username=");
        }

        @Override
        public List<JsonNode> history(String instanceId) {
            List<JsonNode> events = new ArrayList<>();
            query("select event from quark_durable_history where instance_id = ? order by sequence", instanceId,
                    (rows) -> events.add(JSON.readTree(rows.getString(1))));
            return events;
        }

        @Override
        public long instances(String instanceId) {
            long[] count = new long[1];
            query("select count(*) from quark_durable_instance where instance_id = ?", instanceId,
                    (rows) -> count[0] = rows.getLong(1));
            return count[0];
        }

        private void query(String sql, String instanceId, Row row) {
            try (Connection connection = DriverManager.getConnection(this.schema.jdbcUrl());
                    PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setString(1, instanceId);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        row.read(rows);
                    }
                }
            }
            catch (SQLException ex) {
                throw new IllegalStateException("'" + sql + "' failed in " + this.schema.name() + ": "
                        + ex.getMessage(), ex);
            }
        }

        @Override
        public void close() {
            this.schema.close();
        }

        /** Reads one row. */
        @FunctionalInterface
        private interface Row {

            void read(ResultSet rows) throws SQLException;
        }
    }

    /**
     * The {@code redis} profile under a key prefix of its own.
     *
     * @param server the server
     * @param keyPrefix the prefix
     */
    record Redis(RedisTestServer server, String keyPrefix) implements StoreContents {

        @Override
        public List<String> properties() {
            return List.of("spring.profiles.active=redis", "spring.data.redis.url=" + this.server.url(),
                    "quark.redis.key-prefix=" + this.keyPrefix);
        }

        @Override
        public List<JsonNode> history(String instanceId) {
            return read((redis) -> redis.sync()
                .lrange(this.keyPrefix + "{durabletasks}:h:" + instanceId, 0, -1)
                .stream()
                .map(JSON::readTree)
                .toList());
        }

        @Override
        public long instances(String instanceId) {
            return read((redis) -> {
                boolean indexed = redis.sync().zscore(this.keyPrefix + "{durabletasks}:ids", instanceId) != null;
                long records = redis.sync().exists(this.keyPrefix + "{durabletasks}:i:" + instanceId);
                if (indexed != (records == 1)) {
                    throw new IllegalStateException(instanceId + " is " + (indexed ? "" : "not ")
                            + "in the index of ids, but " + records + " instance hashes exist");
                }
                return records;
            });
        }

        private <T> T read(Function<StatefulRedisConnection<String, String>, T> reading) {
            RedisClient client = RedisClient.create(RedisURI.create(this.server.url()));
            try (StatefulRedisConnection<String, String> redis = client.connect()) {
                return reading.apply(redis);
            }
            finally {
                client.shutdown();
            }
        }

        @Override
        public void close() {
            this.server.deleteKeys(this.keyPrefix);
        }
    }
}
