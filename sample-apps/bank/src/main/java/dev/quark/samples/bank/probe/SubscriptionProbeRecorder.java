package dev.quark.samples.bank.probe;

import java.time.Duration;

import dev.quark.eventsourcing.StoredEvent;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The subscription probe's handler: records each event it handles as a row of {@value #TABLE} (event, feed position,
 * the node that handled it), one row per handling, so that an event handled twice shows as two rows. The rows are
 * committed before the runner saves the checkpoint: a node killed between the two leaves a row whose event the next
 * node handles again (at least once).
 */
final class SubscriptionProbeRecorder {

    /** The table of handled events, in the data source's schema. */
    static final String TABLE = "bank_subscription_probe_handled";

    private final JdbcTemplate jdbc;

    private final String node;

    private final Duration handleDelay;

    SubscriptionProbeRecorder(JdbcTemplate jdbc, String node, Duration handleDelay) {
        this.jdbc = jdbc;
        this.node = node;
        this.handleDelay = handleDelay;
    }

    /**
     * Creates the table unless it exists; both nodes of a test start at once, so under an advisory lock (a
     * {@code create table if not exists} racing another can fail on the catalog's unique keys).
     */
    void createTable() {
        this.jdbc.execute("do $$ begin perform pg_advisory_xact_lock(hashtext('" + TABLE + "')); create table if not "
                + "exists " + TABLE + " (id bigserial primary key, event_id uuid not null, stream text not null, "
                + "version bigint not null, txid bigint not null, seq bigint not null, node text not null, "
                + "handled_at timestamptz not null default now()); end $$");
    }

    void record(StoredEvent event) throws InterruptedException {
        if (!this.handleDelay.isZero()) {
            Thread.sleep(this.handleDelay); // a slow projection; an interrupt (the node stopping) fails the event
        }
        this.jdbc.update("insert into " + TABLE + " (event_id, stream, version, txid, seq, node) values (?, ?, ?, ?, ?, ?)",
                event.eventId(), event.stream(), event.version(), event.position().transaction(),
                event.position().sequence(), this.node);
    }
}
