package dev.quark.messaging.store.jdbc;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;

import javax.sql.DataSource;

import org.springframework.jdbc.core.simple.JdbcClient;

import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.store.InboxStore;

/**
 * Keeps processed message ids in PostgreSQL, in {@code <prefix>inbox} (changelog {@value JdbcOutboxStore#CHANGELOG}).
 * {@link #record} is an {@code insert ... on conflict do nothing} in the caller's transaction: while another
 * transaction recorded the same id and is still open, it waits for it, then records (that one rolled back) or reports a
 * duplicate (it committed).
 */
public class JdbcInboxStore implements InboxStore {

    private final JdbcClient jdbc;

    private final String table;

    /**
     * Creates a store.
     * @param dataSource the database, the one the consumer's writes go to
     * @param tablePrefix the prefix of the tables
     */
    public JdbcInboxStore(DataSource dataSource, TablePrefix tablePrefix) {
        this.jdbc = JdbcClient.create(Objects.requireNonNull(dataSource, "dataSource must not be null"));
        this.table = tablePrefix.table("inbox");
    }

    @Override
    public boolean record(String consumer, String messageId, Instant at) {
        return this.jdbc.sql("insert into " + this.table + " (consumer, message_id, processed_at) values (?, ?, ?) "
                + "on conflict (consumer, message_id) do nothing")
            .params(consumer, messageId, OffsetDateTime.ofInstant(at, ZoneOffset.UTC))
            .update() == 1;
    }

    @Override
    public void forget(String consumer, String messageId) {
        this.jdbc.sql("delete from " + this.table + " where consumer = ? and message_id = ?")
            .params(consumer, messageId)
            .update();
    }

    @Override
    public boolean contains(String consumer, String messageId) {
        return this.jdbc.sql("select count(*) from " + this.table + " where consumer = ? and message_id = ?")
            .params(consumer, messageId)
            .query(Long.class)
            .single() > 0;
    }

    @Override
    public int deleteBefore(Instant before, int limit) {
        return this.jdbc.sql("delete from " + this.table + " where (consumer, message_id) in (select consumer, "
                + "message_id from " + this.table + " where processed_at < ? limit ?)")
            .params(OffsetDateTime.ofInstant(before, ZoneOffset.UTC), limit)
            .update();
    }

    @Override
    public String toString() {
        return "JdbcInboxStore[" + this.table + "]";
    }
}
